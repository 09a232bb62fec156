package lifecycle_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/quarrylabs/quarry/internal/blob"
	"github.com/quarrylabs/quarry/internal/job"
	"github.com/quarrylabs/quarry/internal/job/jobtest"
	"github.com/quarrylabs/quarry/internal/lifecycle"
	"github.com/quarrylabs/quarry/internal/meta"
	"github.com/quarrylabs/quarry/internal/meta/metatest"
	"github.com/quarrylabs/quarry/internal/object"
)

// later is how far ahead of the objects' clock the jobs judge: every rule
// of one or two days is due by then.
const later = 3 * 24 * time.Hour

// env is a job harness with a bucket, a lifecycle configuration on it and
// an engine running LIFECYCLE_UPDATE with a clock three days ahead.
type env struct {
	*jobtest.Harness
	bucket string
	engine *job.Engine
	rules  *lifecycle.Service
	// started: the engine runs (run starts it on first use).
	started bool
}

func newEnv(t *testing.T, versioning meta.Versioning, tweak func(*job.Config), runner *lifecycle.UpdateRunner) *env {
	t.Helper()
	h := jobtest.New(t)
	e := &env{Harness: h, bucket: "photos", rules: lifecycle.NewService(h.Meta)}
	h.Bucket(alice, e.bucket)
	if versioning != meta.VersioningOff {
		if err := h.Objects.SetVersioning(h.Ctx, alice, e.bucket, versioning); err != nil {
			t.Fatal(err)
		}
	}
	if runner == nil {
		runner = &lifecycle.UpdateRunner{Batch: 7}
	}
	e.engine = h.Engine(func(c *job.Config) {
		c.Now = func() time.Time { return time.Now().Add(later) }
		if tweak != nil {
			tweak(c)
		}
	}, runner)
	return e
}

func (e *env) configure(rules ...lifecycle.Rule) {
	e.T.Helper()
	if err := e.rules.Put(e.Ctx, alice, e.bucket, &lifecycle.Config{Rules: rules}); err != nil {
		e.T.Fatalf("put lifecycle configuration: %v", err)
	}
}

func (e *env) put(key, data string, tags map[string]string) *meta.Version {
	e.T.Helper()
	v, err := e.Objects.PutObject(e.Ctx, alice, object.PutInput{
		Bucket: e.bucket, Key: key, Body: bytes.NewReader([]byte(data)), Size: int64(len(data)),
		Attrs: object.ObjectAttrs{Tags: tags},
	})
	if err != nil {
		e.T.Fatalf("put %s: %v", key, err)
	}
	return v
}

// run creates a LIFECYCLE_UPDATE job, waits for it to end and returns it
// with its result; the harness checks the counter identity.
func (e *env) run(params map[string]string) (*meta.Job, lifecycle.Result) {
	e.T.Helper()
	e.start()
	j := e.Finished(e.Create(e.engine, alice, job.TypeLifecycleUpdate, e.bucket, params).ID)
	if j.State != meta.JobComplete {
		e.T.Fatalf("job ended %s: %s", j.State, j.Message)
	}
	var res lifecycle.Result
	if err := json.Unmarshal(j.Result, &res); err != nil {
		e.T.Fatalf("job result %q: %v", j.Result, err)
	}
	return j, res
}

// versions lists every version of the bucket as "key@id" ("key@M" for a
// delete marker), newest first per key.
func (e *env) versions() []string {
	e.T.Helper()
	out, err := e.Objects.ListVersions(e.Ctx, alice, object.ListVersionsInput{Bucket: e.bucket, MaxKeys: 1000})
	if err != nil {
		e.T.Fatal(err)
	}
	var vs []string
	for _, v := range out.Versions {
		if v.DeleteMarker {
			vs = append(vs, v.Key+"@M")
		} else {
			vs = append(vs, v.Key+"@"+v.ETag[:4])
		}
	}
	return vs
}

func (e *env) start() {
	if !e.started {
		e.Start(e.engine)
		e.started = true
	}
}

// wantExactUsage fails unless the stored counters equal a recount.
func (e *env) wantExactUsage() {
	e.T.Helper()
	if stored, counted := e.Usage(e.bucket); stored != counted {
		e.T.Errorf("usage counters %+v, the rows count %+v", stored, counted)
	}
}

func wantStats(t *testing.T, j *meta.Job, want meta.JobStats) {
	t.Helper()
	got := j.Stats
	got.Bytes = 0
	if got != want {
		t.Errorf("stats %+v, want %+v", j.Stats, want)
	}
}

func days(n int) *lifecycle.Expiration { return &lifecycle.Expiration{Days: n} }

func TestLifecycleUpdateExpiresObjectsOfAnUnversionedBucketAndFreesTheirData(t *testing.T) {
	e := newEnv(t, meta.VersioningOff, nil, nil)
	var size int64
	for i := range 10 {
		data := strings.Repeat("x", i+1)
		size += int64(len(data))
		e.put(fmt.Sprintf("old/%02d", i), data, nil)
	}
	for i := range 5 {
		e.put(fmt.Sprintf("keep/%02d", i), "kept", nil)
	}
	e.configure(lifecycle.Rule{ID: "old", Enabled: true, Filter: lifecycle.Filter{Prefix: "old/"}, Expiration: days(1)})

	j, res := e.run(nil)
	wantStats(t, j, meta.JobStats{Total: 15, Processed: 10, Skipped: 5})
	if res.Expired != 10 || res.BytesFreed != size {
		t.Errorf("result %+v, want 10 expired and %d bytes freed", res, size)
	}
	if got := e.versions(); len(got) != 5 || !strings.HasPrefix(got[0], "keep/") {
		t.Errorf("versions left %v, want the five under keep/", got)
	}
	e.wantExactUsage()
	if err := e.Objects.DrainTrash(e.Ctx); err != nil {
		t.Fatal(err)
	}
	n := 0
	if err := e.Blobs.Walk(e.Ctx, func(blob.Info) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	if n != 5 {
		t.Errorf("%d blobs left, want the 5 of keep/", n)
	}
}

// TestLifecycleUpdateCountsEachBatchOnceWhenItsTransactionRunsTwice: the
// metadata store may run a checkpoint's transaction again
// (meta.Store.Update); the result must count what the committed run did,
// not what both runs did.
func TestLifecycleUpdateCountsEachBatchOnceWhenItsTransactionRunsTwice(t *testing.T) {
	e := newEnv(t, meta.VersioningOff, func(c *job.Config) { c.Meta = metatest.Rerun(c.Meta) }, nil)
	var size int64
	for i := range 10 {
		data := strings.Repeat("x", i+1)
		size += int64(len(data))
		e.put(fmt.Sprintf("old/%02d", i), data, nil)
	}
	e.put("keep", "kept", nil)
	e.configure(lifecycle.Rule{ID: "old", Enabled: true, Filter: lifecycle.Filter{Prefix: "old/"}, Expiration: days(1)})

	j, res := e.run(nil)
	wantStats(t, j, meta.JobStats{Total: 11, Processed: 10, Skipped: 1})
	if res.Expired != 10 || res.BytesFreed != size {
		t.Errorf("result %+v, want 10 expired and %d bytes freed", res, size)
	}
	if got := e.versions(); len(got) != 1 {
		t.Errorf("versions left %v, want keep only", got)
	}
	e.wantExactUsage()
}

func TestLifecycleUpdateInAVersionedBucketAddsMarkersThenRemovesNoncurrentVersionsAndExpiredMarkers(t *testing.T) {
	e := newEnv(t, meta.VersioningEnabled, nil, nil)
	e.put("old/a", "first", nil)
	e.put("old/a", "second", nil)
	e.put("old/b", "only", nil)
	e.put("new/c", "fresh", nil)
	e.configure(lifecycle.Rule{ID: "all-old", Enabled: true, Filter: lifecycle.Filter{Prefix: "old/"},
		Expiration: days(1), NoncurrentExpiration: &lifecycle.NoncurrentExpiration{NoncurrentDays: 1}})

	// Day one: both current objects get a delete marker, the noncurrent
	// version of old/a goes.
	j, res := e.run(nil)
	wantStats(t, j, meta.JobStats{Total: 4, Processed: 3, Skipped: 1})
	if res.Expired != 2 || res.NoncurrentExpired != 1 {
		t.Errorf("first job result %+v", res)
	}
	if got := e.versions(); len(got) != 5 || got[1] != "old/a@M" || got[3] != "old/b@M" {
		t.Errorf("after the first job: %v", got)
	}
	e.wantExactUsage()

	// Day two: the versions the markers made noncurrent go; the markers
	// still have versions behind them and stay.
	j, res = e.run(nil)
	wantStats(t, j, meta.JobStats{Total: 5, Processed: 2, Skipped: 3})
	if res.NoncurrentExpired != 2 {
		t.Errorf("second job result %+v", res)
	}
	// Then the markers are alone: expired object delete markers, removed.
	j, res = e.run(nil)
	wantStats(t, j, meta.JobStats{Total: 3, Processed: 2, Skipped: 1})
	if res.DeleteMarkersRemoved != 2 {
		t.Errorf("third job result %+v", res)
	}
	if got := e.versions(); len(got) != 1 || !strings.HasPrefix(got[0], "new/c@") {
		t.Errorf("after three jobs: %v, want only new/c", got)
	}
	e.wantExactUsage()
}

func TestNewerNoncurrentVersionsKeepsThatManyOfTheNewest(t *testing.T) {
	e := newEnv(t, meta.VersioningEnabled, nil, nil)
	for i := range 5 {
		e.put("k", fmt.Sprintf("version %d", i), nil)
	}
	e.configure(lifecycle.Rule{ID: "keep-two", Enabled: true,
		NoncurrentExpiration: &lifecycle.NoncurrentExpiration{NoncurrentDays: 1, NewerNoncurrentVersions: 2}})
	j, res := e.run(nil)
	// The current version and the two newest noncurrent ones stay.
	wantStats(t, j, meta.JobStats{Total: 5, Processed: 2, Skipped: 3})
	if res.NoncurrentExpired != 2 || len(e.versions()) != 3 {
		t.Errorf("result %+v, versions left %v", res, e.versions())
	}
	e.wantExactUsage()
}

func TestSizeAndTagFiltersSelectTheObjects(t *testing.T) {
	e := newEnv(t, meta.VersioningOff, nil, nil)
	e.put("small-temp", "tiny", map[string]string{"temp": "yes"})
	e.put("big-temp", strings.Repeat("b", 100), map[string]string{"temp": "yes"})
	e.put("big-kept", strings.Repeat("b", 100), map[string]string{"temp": "no"})
	e.put("big-untagged", strings.Repeat("b", 100), nil)
	e.configure(lifecycle.Rule{ID: "big-temp", Enabled: true,
		Filter:     lifecycle.Filter{Tags: map[string]string{"temp": "yes"}, ObjectSizeGreaterThan: 10},
		Expiration: days(1)})
	j, _ := e.run(nil)
	wantStats(t, j, meta.JobStats{Total: 4, Processed: 1, Skipped: 3})
	if got := e.versions(); len(got) != 3 || strings.Contains(strings.Join(got, " "), "big-temp") {
		t.Errorf("versions left %v, want all but big-temp", got)
	}
}

func TestAbandonedMultipartUploadsAreAbortedAndTheirPartsFreed(t *testing.T) {
	e := newEnv(t, meta.VersioningOff, nil, nil)
	u, err := e.Objects.CreateMultipartUpload(e.Ctx, alice, e.bucket, "big", object.ObjectAttrs{}, "", "")
	if err != nil {
		t.Fatal(err)
	}
	part := strings.Repeat("p", 1000)
	if _, err := e.Objects.UploadPart(e.Ctx, alice, object.PartInput{Bucket: e.bucket, Key: "big", UploadID: u.ID, Number: 1, Body: strings.NewReader(part), Size: int64(len(part))}); err != nil {
		t.Fatal(err)
	}
	e.put("object", "stays", nil)
	e.configure(lifecycle.Rule{ID: "abort", Enabled: true, AbortIncompleteUpload: &lifecycle.AbortIncompleteUpload{DaysAfterInitiation: 1}})

	j, res := e.run(nil)
	wantStats(t, j, meta.JobStats{Total: 2, Processed: 1, Skipped: 1})
	if res.UploadsAborted != 1 || res.BytesFreed != int64(len(part)) {
		t.Errorf("result %+v, want one upload aborted and %d bytes freed", res, len(part))
	}
	out, err := e.Objects.ListUploads(e.Ctx, alice, object.ListUploadsInput{Bucket: e.bucket})
	if err != nil || len(out.Uploads) != 0 {
		t.Errorf("uploads left: %+v (%v)", out, err)
	}
}

func TestADryRunCountsWhatItWouldDoAndChangesNothing(t *testing.T) {
	e := newEnv(t, meta.VersioningOff, nil, nil)
	for i := range 6 {
		e.put(fmt.Sprintf("old/%d", i), "data", nil)
	}
	e.put("keep", "data", nil)
	e.configure(lifecycle.Rule{ID: "old", Enabled: true, Filter: lifecycle.Filter{Prefix: "old/"}, Expiration: days(1)})
	before, _ := e.Usage(e.bucket)

	j, res := e.run(map[string]string{job.ParamDryRun: "true"})
	wantStats(t, j, meta.JobStats{Total: 7, Processed: 6, Skipped: 1})
	if res.Expired != 6 || res.BytesFreed != 24 {
		t.Errorf("dry run result %+v, want 6 expired and 24 bytes", res)
	}
	if after, _ := e.Usage(e.bucket); after != before || len(e.versions()) != 7 {
		t.Errorf("a dry run changed the bucket: usage %+v (was %+v), versions %v", after, before, e.versions())
	}
}

func TestAPrefixLimitsTheJobAndAJobWithNothingToEvaluateSaysSo(t *testing.T) {
	e := newEnv(t, meta.VersioningOff, nil, nil)
	e.put("a/1", "data", nil)
	e.put("b/1", "data", nil)
	e.configure(lifecycle.Rule{ID: "all", Enabled: true, Expiration: days(1)})
	j, _ := e.run(map[string]string{job.ParamPrefix: "a/"})
	wantStats(t, j, meta.JobStats{Total: 1, Processed: 1})
	if got := e.versions(); len(got) != 1 || !strings.HasPrefix(got[0], "b/1") {
		t.Errorf("versions left %v", got)
	}
	j, _ = e.run(map[string]string{job.ParamPrefix: "none/"})
	wantStats(t, j, meta.JobStats{})
	if !strings.Contains(j.Message, "nothing to evaluate") {
		t.Errorf("message %q, want it to say why nothing was done", j.Message)
	}
}

func TestABucketWithoutLifecycleConfigurationIsRefusedAtCreate(t *testing.T) {
	e := newEnv(t, meta.VersioningOff, nil, nil)
	_, err := e.engine.Create(e.Ctx, alice, job.TypeLifecycleUpdate, e.bucket, nil)
	if !errors.Is(err, job.ErrInvalidParams) || !strings.Contains(err.Error(), "no lifecycle configuration") {
		t.Fatalf("create without a configuration: %v", err)
	}
	_, err = e.engine.Create(e.Ctx, alice, job.TypeLifecycleUpdate, e.bucket, map[string]string{"mode": "x"})
	if !errors.Is(err, job.ErrInvalidParams) {
		t.Fatalf("an unknown parameter: %v", err)
	}
}

func TestAJobTakenOverFromADeadEngineNeverExpiresTwice(t *testing.T) {
	const objects = 300
	noRelease := false
	var killA func()
	var checkpoints atomic.Int64
	e := newEnv(t, meta.VersioningEnabled, func(c *job.Config) {
		c.Lease = time.Second
		c.ReleaseOnStop = &noRelease
	}, nil)
	for i := range objects {
		e.put(fmt.Sprintf("k/%04d", i), "data", nil)
	}
	e.configure(lifecycle.Rule{ID: "all", Enabled: true, Expiration: days(1)})

	// Engine A dies right after its fifth checkpoint, as a killed process
	// would: its lease is left to expire.
	a := e.Engine(func(c *job.Config) {
		c.Now = func() time.Time { return time.Now().Add(later) }
		c.Lease = time.Second
		c.ReleaseOnStop = &noRelease
		c.Signal = func(event string, id int32) {
			e.Sig.Record(event, id)
			if event == job.SignalCheckpoint && checkpoints.Add(1) == 5 {
				killA()
			}
		}
	}, &lifecycle.UpdateRunner{Batch: 7})
	stopA := e.Start(a)
	killA = func() { go stopA() }
	created := e.Create(a, alice, job.TypeLifecycleUpdate, e.bucket, nil)
	e.Sig.Wait(t, job.SignalCheckpoint, created.ID, 5)
	stopA()
	left := e.Job(created.ID)
	if left.State.Terminal() || left.Stats.Processed == 0 || left.Stats.Processed >= objects {
		t.Fatalf("engine A left the job as %+v", left)
	}

	e.start()
	j := e.Finished(created.ID)
	wantStats(t, j, meta.JobStats{Total: objects, Processed: objects})
	markers := map[string]int{}
	for _, v := range e.versions() {
		if strings.HasSuffix(v, "@M") {
			markers[strings.TrimSuffix(v, "@M")]++
		}
	}
	for i := range objects {
		if k := fmt.Sprintf("k/%04d", i); markers[k] != 1 {
			t.Fatalf("%s has %d delete markers, want exactly 1", k, markers[k])
		}
	}
	e.wantExactUsage()
}

package usage_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/quarrylabs/quarry/internal/auth"
	"github.com/quarrylabs/quarry/internal/blob"
	"github.com/quarrylabs/quarry/internal/job"
	"github.com/quarrylabs/quarry/internal/meta"
	"github.com/quarrylabs/quarry/internal/object"
	"github.com/quarrylabs/quarry/internal/sse"
	"github.com/quarrylabs/quarry/internal/usage"
)

// reconEngine runs METRIC_RECONCILIATION in small batches, so that even
// small buckets take several checkpoints.
func (h *harness) reconEngine() *job.Engine {
	e := h.Engine(nil, &usage.MetricReconciliation{BatchSize: 7})
	h.Start(e)
	return e
}

func (h *harness) reconcile(e *job.Engine, bucket string, params map[string]string) (*meta.Job, usage.Result) {
	h.T.Helper()
	j := h.Finished(h.Create(e, alice, job.TypeMetricReconciliation, bucket, params).ID)
	if j.State != meta.JobComplete {
		h.T.Fatalf("job ended %s: %s", j.State, j.Message)
	}
	var res usage.Result
	if err := json.Unmarshal(j.Result, &res); err != nil {
		h.T.Fatalf("job result %q: %v", j.Result, err)
	}
	return j, res
}

var corrupt = meta.Usage{Objects: 3, Bytes: 999, Versions: -4, VersionBytes: 1}

func TestReconciliationCorrectsCorruptCounters(t *testing.T) {
	h := newHarness(t)
	h.Bucket(alice, "photos")
	for i := range 30 {
		h.Put("photos", fmt.Sprintf("k%02d", i), strings.Repeat("x", i))
	}
	_, want := h.Usage("photos")
	h.SetUsage("photos", corrupt)

	j, res := h.reconcile(h.reconEngine(), "photos", nil)

	stored, counted := h.Usage("photos")
	if stored != counted || stored != want {
		t.Fatalf("counters %+v after the job, counted %+v, want %+v", stored, counted, want)
	}
	if j.Stats.Processed != 30 || j.Stats.Total != 30 || j.Stats.Failed != 0 || j.Stats.Bytes != want.Bytes {
		t.Fatalf("stats %+v", j.Stats)
	}
	if !res.Corrected || res.UsageBefore != usage.CountsOf(corrupt) || res.UsageAfter != usage.CountsOf(want) ||
		res.Drift.Objects != want.Objects-corrupt.Objects {
		t.Fatalf("result %+v", res)
	}
}

func TestReconciliationCountsVersionsAndSkipsDeleteMarkers(t *testing.T) {
	h := newHarness(t)
	h.Bucket(alice, "photos")
	if err := h.Objects.SetVersioning(h.Ctx, alice, "photos", meta.VersioningEnabled); err != nil {
		t.Fatal(err)
	}
	for i := range 10 {
		key := fmt.Sprintf("k%d", i)
		h.Put("photos", key, "one")
		h.Put("photos", key, "two!")
		if i < 3 {
			if _, err := h.Objects.DeleteObject(h.Ctx, alice, "photos", key, ""); err != nil {
				t.Fatal(err)
			}
		}
	}
	h.SetUsage("photos", corrupt)

	j, res := h.reconcile(h.reconEngine(), "photos", nil)

	stored, counted := h.Usage("photos")
	if stored != counted || stored.Versions != 20 || stored.Objects != 7 {
		t.Fatalf("counters %+v, counted %+v", stored, counted)
	}
	if j.Stats.Processed != 20 || j.Stats.Skipped != 3 || j.Stats.Total != 23 || !res.Corrected {
		t.Fatalf("stats %+v, result %+v", j.Stats, res)
	}
}

func TestDryRunReportsDriftAndChangesNothing(t *testing.T) {
	h := newHarness(t)
	h.Bucket(alice, "photos")
	for i := range 5 {
		h.Put("photos", fmt.Sprintf("k%d", i), "data")
	}
	_, want := h.Usage("photos")
	h.SetUsage("photos", corrupt)

	j, res := h.reconcile(h.reconEngine(), "photos", map[string]string{job.ParamDryRun: "true"})

	if stored, _ := h.Usage("photos"); stored != corrupt {
		t.Fatalf("dry run changed the counters to %+v", stored)
	}
	if res.Corrected || res.UsageCounted != usage.CountsOf(want) || res.UsageAfter != usage.CountsOf(corrupt) ||
		res.Drift.Bytes != want.Bytes-corrupt.Bytes || j.Stats.Processed != 5 {
		t.Fatalf("result %+v, stats %+v", res, j.Stats)
	}
}

func TestAPrefixLimitsTheScanAndLeavesTheCountersAlone(t *testing.T) {
	h := newHarness(t)
	h.Bucket(alice, "photos")
	for i := range 12 {
		h.Put("photos", fmt.Sprintf("%s/%d", []string{"cats", "dogs"}[i%2], i), "data")
	}
	h.SetUsage("photos", corrupt)

	j, res := h.reconcile(h.reconEngine(), "photos", map[string]string{job.ParamPrefix: "cats/"})

	if stored, _ := h.Usage("photos"); stored != corrupt {
		t.Fatalf("a prefix job changed the bucket-wide counters to %+v", stored)
	}
	if j.Stats.Processed != 6 || j.Stats.Total != 6 || res.Corrected || res.CorrectionSkipped == "" {
		t.Fatalf("stats %+v, result %+v", j.Stats, res)
	}
}

func TestConcurrentWritesDuringReconciliationLeaveCountersExact(t *testing.T) {
	h := newHarness(t)
	h.Bucket(alice, "photos")
	for i := range 60 {
		h.Put("photos", fmt.Sprintf("k%03d", i), "seed")
	}
	h.SetUsage("photos", corrupt)

	var ops atomic.Int64
	warm := make(chan struct{}) // closed once the writers are going
	var warmOnce sync.Once
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 2 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				key := fmt.Sprintf("k%03d", (i*7+w*31)%90)
				var err error
				if i%3 == 2 {
					_, err = h.Objects.DeleteObject(h.Ctx, alice, "photos", key, "")
				} else {
					_, err = h.Objects.PutObject(h.Ctx, alice, object.PutInput{
						Bucket: "photos", Key: key, Body: strings.NewReader(strings.Repeat("y", i%50)), Size: int64(i % 50),
					})
				}
				if err != nil {
					t.Errorf("writer %d: %v", w, err)
					return
				}
				if ops.Add(1) == 10 {
					warmOnce.Do(func() { close(warm) })
				}
			}
		})
	}
	<-warm
	before := ops.Load()
	_, res := h.reconcile(h.reconEngine(), "photos", nil)
	during := ops.Load() - before
	close(stop)
	wg.Wait()

	stored, counted := h.Usage("photos")
	if stored != counted {
		t.Fatalf("counters %+v, counted %+v after %d writes during the job", stored, counted, during)
	}
	if during == 0 || !res.Corrected {
		t.Fatalf("no writes overlapped the job (%d) or nothing corrected: %+v", during, res)
	}
}

// blobPath is where the disk store keeps blob id.
func (h *harness) blobPath(id string) string {
	return filepath.Join(h.Blobs.Dir(), id[0:2], id[2:4], id)
}

func TestVerifyDataListsMissingAndTruncatedData(t *testing.T) {
	h := newHarness(t)
	h.Bucket(alice, "photos")
	var vs []*meta.Version
	for i := range 5 {
		vs = append(vs, h.Put("photos", fmt.Sprintf("k%d", i), "twelve bytes"))
	}
	if err := h.Blobs.Delete(h.Ctx, vs[1].Segments[0].BlobID); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(h.blobPath(vs[3].Segments[0].BlobID), 5); err != nil {
		t.Fatal(err)
	}

	e := h.reconEngine()
	j, _ := h.reconcile(e, "photos", map[string]string{usage.ParamVerifyData: "true"})

	if j.Stats.Failed != 2 || j.Stats.Processed != 3 {
		t.Fatalf("stats %+v", j.Stats)
	}
	first, token, err := e.Failures(h.Ctx, alice, j.ID, 1, "")
	if err != nil || len(first) != 1 || token == "" {
		t.Fatalf("failures page 1: %+v %q %v", first, token, err)
	}
	rest, token, err := e.Failures(h.Ctx, alice, j.ID, 0, token)
	if err != nil || len(rest) != 1 || token != "" {
		t.Fatalf("failures page 2: %+v %q %v", rest, token, err)
	}
	got := map[string]string{first[0].Key: first[0].Reason, rest[0].Key: rest[0].Reason}
	if !strings.Contains(got["k1"], "missing") || !strings.Contains(got["k3"], "size") || rest[0].VersionID == "" {
		t.Fatalf("failures %+v", got)
	}
}

func TestOrphanedBlobsAreFoundAndRemovedOnlyWhenAsked(t *testing.T) {
	h := newHarness(t)
	h.Bucket(alice, "photos")
	v := h.Put("photos", "kept", "object data")
	up, err := h.Objects.CreateMultipartUpload(h.Ctx, alice, "photos", "big", object.ObjectAttrs{}, "", "")
	if err != nil {
		t.Fatal(err)
	}
	part, err := h.Objects.UploadPart(h.Ctx, alice, object.PartInput{
		Bucket: "photos", Key: "big", UploadID: up.ID, Number: 1, Body: strings.NewReader("part"), Size: 4,
	})
	if err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-2 * time.Hour)
	orphan := h.putBlob("left behind by a crash")
	young := h.putBlob("a write in progress")
	for _, id := range []string{orphan, v.Segments[0].BlobID, part.BlobID} {
		if err := os.Chtimes(h.blobPath(id), old, old); err != nil {
			t.Fatal(err)
		}
	}
	e := h.Engine(nil, usage.NewMetricReconciliation())
	h.Start(e)

	_, res := h.reconcile(e, "photos", map[string]string{usage.ParamVerifyData: "true"})
	if res.OrphansFound != 1 || res.OrphansRemoved != 0 || len(res.Orphans) != 1 || res.Orphans[0] != orphan {
		t.Fatalf("without cleanOrphans: %+v", res)
	}
	h.wantBlobs(map[string]bool{orphan: true, young: true, v.Segments[0].BlobID: true, part.BlobID: true})

	_, res = h.reconcile(e, "photos", map[string]string{usage.ParamVerifyData: "true", usage.ParamCleanOrphans: "true", job.ParamDryRun: "true"})
	if res.OrphansFound != 1 || res.OrphansRemoved != 0 {
		t.Fatalf("dry run: %+v", res)
	}
	h.wantBlobs(map[string]bool{orphan: true})

	_, res = h.reconcile(e, "photos", map[string]string{usage.ParamVerifyData: "true", usage.ParamCleanOrphans: "true"})
	if res.OrphansFound != 1 || res.OrphansRemoved != 1 {
		t.Fatalf("with cleanOrphans: %+v", res)
	}
	h.wantBlobs(map[string]bool{orphan: false, young: true, v.Segments[0].BlobID: true, part.BlobID: true})
}

func (h *harness) putBlob(data string) string {
	h.T.Helper()
	id := blob.NewID()
	if _, err := h.Blobs.Put(h.Ctx, id, bytes.NewReader([]byte(data))); err != nil {
		h.T.Fatal(err)
	}
	return id
}

// wantBlobs checks which blobs exist.
func (h *harness) wantBlobs(want map[string]bool) {
	h.T.Helper()
	for id, exists := range want {
		_, err := h.Blobs.Stat(h.Ctx, id)
		if got := err == nil; got != exists {
			h.T.Errorf("blob %s exists = %v, want %v (%v)", id, got, exists, err)
		}
	}
}

func TestReconciliationParametersAreChecked(t *testing.T) {
	m := usage.NewMetricReconciliation()
	for _, tt := range []struct {
		name   string
		params map[string]string
		ok     bool
	}{
		{"no parameters", nil, true},
		{"verifyData and cleanOrphans", map[string]string{usage.ParamVerifyData: "true", usage.ParamCleanOrphans: "true"}, true},
		{"an unknown parameter is invalid", map[string]string{"verifydata": "true"}, false},
		{"verifyData must be true or false", map[string]string{usage.ParamVerifyData: "1"}, false},
		{"cleanOrphans needs verifyData", map[string]string{usage.ParamCleanOrphans: "true"}, false},
	} {
		err := m.Validate(tt.params)
		if tt.ok && err != nil || !tt.ok && !errors.Is(err, job.ErrInvalidParams) {
			t.Errorf("%s: Validate(%v) = %v", tt.name, tt.params, err)
		}
	}
}

func TestVerifyDataChecksEncryptedBlobsAgainstTheirSealedLength(t *testing.T) {
	h := newHarness(t)
	sealer, err := auth.NewSealer(bytes.Repeat([]byte{3}, auth.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	keys := sse.NewKeyring(h.Meta, sealer)
	if err := keys.EnsureKey(h.Ctx); err != nil {
		t.Fatal(err)
	}
	h.Objects = object.New(object.Config{Meta: h.Meta, Blobs: h.Blobs, Keys: keys})
	h.Bucket(alice, "vault")
	var vs []*meta.Version
	for i, size := range []int{0, 10, sse.ChunkSize + 1} {
		data := strings.Repeat("s", size)
		v, err := h.Objects.PutObject(h.Ctx, alice, object.PutInput{Bucket: "vault", Key: fmt.Sprintf("k%d", i),
			Body: strings.NewReader(data), Size: int64(size), Attrs: object.ObjectAttrs{SSE: meta.SSEAES256}})
		if err != nil {
			t.Fatal(err)
		}
		vs = append(vs, v)
	}
	e := h.reconEngine()
	j, _ := h.reconcile(e, "vault", map[string]string{usage.ParamVerifyData: "true"})
	if j.Stats.Failed != 0 || j.Stats.Processed != 3 {
		t.Fatalf("intact encrypted objects: stats %+v", j.Stats)
	}
	// A blob cut down to the plaintext's length has lost its tags.
	if err := os.Truncate(h.blobPath(vs[2].Segments[0].BlobID), vs[2].Size); err != nil {
		t.Fatal(err)
	}
	j, _ = h.reconcile(e, "vault", map[string]string{usage.ParamVerifyData: "true"})
	if j.Stats.Failed != 1 || j.Stats.Processed != 2 {
		t.Fatalf("after truncation: stats %+v", j.Stats)
	}
	failures, _, err := e.Failures(h.Ctx, alice, j.ID, 0, "")
	want := fmt.Sprintf("holds %d bytes, expected %d", vs[2].Size, sse.SealedSize(vs[2].Size))
	if err != nil || len(failures) != 1 || failures[0].Key != "k2" || !strings.Contains(failures[0].Reason, want) {
		t.Fatalf("failures %+v %v; want k2 with %q", failures, err, want)
	}
}

func TestTheOrphanSearchReportsItsProgressInTheResult(t *testing.T) {
	h := newHarness(t)
	h.Bucket(alice, "photos")
	h.Bucket(alice, "videos")
	for i := range 5 {
		h.Put("photos", fmt.Sprintf("p%d", i), "photo")
		h.Put("videos", fmt.Sprintf("v%d", i), "video")
	}
	old := time.Now().Add(-2 * time.Hour)
	for range 3 {
		if err := os.Chtimes(h.blobPath(h.putBlob("orphan")), old, old); err != nil {
			t.Fatal(err)
		}
	}

	// Every checkpoint of the job, as a watcher polling its status would
	// see it: the state and the phase of the result.
	type seen struct {
		state meta.JobState
		phase *job.PhaseProgress
	}
	var (
		mu    sync.Mutex
		views []seen
	)
	e := h.Engine(func(c *job.Config) {
		record := c.Signal
		c.Signal = func(event string, id int32) {
			record(event, id)
			if event != job.SignalCheckpoint {
				return
			}
			var j *meta.Job
			if err := h.Meta.View(h.Ctx, func(tx meta.Tx) (err error) { j, err = tx.GetJob(id); return err }); err != nil {
				t.Errorf("read job %d: %v", id, err)
				return
			}
			var res struct {
				Phase *job.PhaseProgress `json:"phase"`
			}
			_ = json.Unmarshal(j.Result, &res)
			mu.Lock()
			views = append(views, seen{j.State, res.Phase})
			mu.Unlock()
		}
	}, &usage.MetricReconciliation{BatchSize: 4, PhaseReportEvery: time.Nanosecond})
	h.Start(e)

	j, res := h.reconcile(e, "photos", map[string]string{usage.ParamVerifyData: "true", usage.ParamCleanOrphans: "true"})
	if res.OrphansFound != 3 || res.OrphansRemoved != 3 {
		t.Fatalf("result = %+v, want 3 orphans found and removed", res)
	}
	var final map[string]json.RawMessage
	if err := json.Unmarshal(j.Result, &final); err != nil || final["phase"] != nil {
		t.Errorf("the final result still reports a phase: %s", j.Result)
	}

	mu.Lock()
	defer mu.Unlock()
	last := map[string]job.PhaseProgress{}
	for _, v := range views {
		if v.phase == nil {
			continue
		}
		p := *v.phase
		if v.state != meta.JobExecuting || p.State != meta.JobExecuting {
			t.Errorf("phase %+v reported while the job was %s", p, v.state)
		}
		if prev, ok := last[p.Step]; ok && p.Done < prev.Done {
			t.Errorf("step %q went back from %d to %d", p.Step, prev.Done, p.Done)
		}
		last[p.Step] = p
	}
	want := map[string]job.PhaseProgress{
		// Before the last bucket, of two.
		usage.StepReadReferences: {State: meta.JobExecuting, Step: usage.StepReadReferences, Unit: "buckets", Done: 1, Total: 2},
		// Before the last of 13 blobs, of the 10 referenced.
		usage.StepCheckBlobs: {State: meta.JobExecuting, Step: usage.StepCheckBlobs, Unit: "blobs", Done: 12, Total: 10, Estimated: true},
		// Before the last of the 3 orphans.
		usage.StepRemoveOrphans: {State: meta.JobExecuting, Step: usage.StepRemoveOrphans, Unit: "blobs", Done: 2, Total: 3},
	}
	for step, w := range want {
		if got, ok := last[step]; !ok || got != w {
			t.Errorf("last report of step %q = %+v (reported: %v), want %+v", step, got, ok, w)
		}
	}
}

func TestVerifyDataCountsInlineObjectsAsPresent(t *testing.T) {
	h := newHarness(t)
	h.Objects = object.New(object.Config{Meta: h.Meta, Blobs: h.Blobs, InlineMax: 16})
	h.Bucket(alice, "photos")
	for i := range 4 {
		h.Put("photos", fmt.Sprintf("small%d", i), "twelve bytes") // inline
	}
	big := h.Put("photos", "big", "more than sixteen bytes") // in a blob
	if len(big.Segments) != 1 {
		t.Fatalf("big: segments %v, want a blob", big.Segments)
	}
	if small, err := h.Objects.HeadObject(h.Ctx, alice, object.GetInput{Bucket: "photos", Key: "small0"}); err != nil || !small.Version.Inline {
		t.Fatalf("small0 is not inline: %+v %v", small, err)
	}
	e := h.reconEngine()
	j, res := h.reconcile(e, "photos", map[string]string{usage.ParamVerifyData: "true", usage.ParamCleanOrphans: "true"})
	if j.Stats.Processed != 5 || j.Stats.Failed != 0 || j.Stats.Skipped != 0 || j.Stats.Total != 5 {
		t.Fatalf("stats %+v", j.Stats)
	}
	if res.OrphansFound != 0 || res.OrphansRemoved != 0 {
		t.Fatalf("orphans %+v", res)
	}
	if err := h.Blobs.Delete(h.Ctx, big.Segments[0].BlobID); err != nil {
		t.Fatal(err)
	}
	j, _ = h.reconcile(e, "photos", map[string]string{usage.ParamVerifyData: "true"})
	if j.Stats.Processed != 4 || j.Stats.Failed != 1 || j.Stats.Processed+j.Stats.Failed+j.Stats.Skipped != j.Stats.Total {
		t.Fatalf("after the big blob went: stats %+v", j.Stats)
	}
}

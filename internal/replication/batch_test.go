package replication_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/quarrylabs/quarry/internal/job"
	"github.com/quarrylabs/quarry/internal/meta"
	"github.com/quarrylabs/quarry/internal/object"
	"github.com/quarrylabs/quarry/internal/replication"
)

// batchEnv is a source with a job engine running BATCH_REPLICATE and a
// destination.
type batchEnv struct {
	*replSource
	rq     *remoteQuarry
	arn    string
	engine *job.Engine
	ev     *events
}

func newBatchEnv(t *testing.T) *batchEnv {
	t.Helper()
	env := &batchEnv{replSource: newReplSource(t), rq: startRemoteQuarry(t), ev: newEvents()}
	env.arn = env.target("dest", env.rq)
	runner := replication.NewBatchRunner(replication.BatchConfig{
		Service: env.service, Copier: env.copier, Concurrency: 4, Logger: quietLogger(),
	})
	env.engine = job.New(job.Config{
		Meta: env.store, Objects: env.objects, Blobs: env.blobs,
		Poll: 20 * time.Millisecond, Logger: quietLogger(),
		Signal: func(event string, id int32) { env.ev.record(fmt.Sprintf("%s %d", event, id)) },
	}, runner)
	ctx, cancel := context.WithCancel(env.ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = env.engine.Run(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	return env
}

// run creates a BATCH_REPLICATE job, waits for it to end and returns it
// with its failures.
func (env *batchEnv) run(params map[string]string) (*meta.Job, []meta.JobFailure) {
	env.t.Helper()
	j, err := env.engine.Create(env.ctx, srcOwner, job.TypeBatchReplicate, srcBucket, params)
	if err != nil {
		env.t.Fatalf("create job: %v", err)
	}
	env.ev.wait(env.t, fmt.Sprintf("%s %d", job.SignalFinished, j.ID), 1, waitLimit)
	j, err = env.engine.Get(env.ctx, srcOwner, j.ID)
	if err != nil {
		env.t.Fatal(err)
	}
	failures, _, err := env.engine.Failures(env.ctx, srcOwner, j.ID, 1000, "")
	if err != nil {
		env.t.Fatal(err)
	}
	return j, failures
}

// wantStats fails unless the job completed with these stats.
func wantStats(t *testing.T, j *meta.Job, want meta.JobStats) {
	t.Helper()
	if j.State != meta.JobComplete {
		t.Fatalf("job %s (%s), want COMPLETE", j.State, j.Message)
	}
	if j.Stats != want {
		t.Errorf("stats %+v, want %+v", j.Stats, want)
	}
	if s := j.Stats; s.Processed+s.Failed+s.Skipped != s.Total {
		t.Errorf("stats %+v break processed + failed + skipped == total", s)
	}
}

// seed stores objects with bodies of their own key's length times ten.
func (env *batchEnv) seed(keys ...string) map[string]*meta.Version {
	env.t.Helper()
	out := map[string]*meta.Version{}
	for _, k := range keys {
		out[k] = env.put(k, []byte(strings.Repeat(k, 10)), object.ObjectAttrs{Tags: map[string]string{"k": k}})
	}
	return out
}

func size(keys ...string) int64 {
	var n int64
	for _, k := range keys {
		n += int64(10 * len(k))
	}
	return n
}

func TestBatchReplicateFilters(t *testing.T) {
	env := newBatchEnv(t)
	vs := env.seed("docs/a", "docs/b", "img/c")
	env.configure(everything("all", env.arn, 1))

	t.Run("ALL copies every object and records COMPLETED", func(t *testing.T) {
		env.rq.served()
		j, failures := env.run(nil)
		wantStats(t, j, meta.JobStats{Total: 3, Processed: 3, Bytes: size("docs/a", "docs/b", "img/c")})
		if len(failures) != 0 {
			t.Errorf("failures %v", failures)
		}
		// Never replicated: sent without looking for them first.
		if got := env.rq.served(); !slices.Equal(got, []string{"PutObject", "PutObject", "PutObject"}) {
			t.Errorf("the destination served %v, want one PutObject per object", got)
		}
		for k, v := range vs {
			if _, data := env.rq.object(k); string(data) != strings.Repeat(k, 10) {
				t.Errorf("%s at destination: %q", k, data)
			}
			if st := env.state(v, env.arn); st.Status != meta.ReplicationCompleted {
				t.Errorf("%s state %q, want COMPLETED", k, st.Status)
			}
		}
	})
	t.Run("ALL again finds everything in place and sends nothing", func(t *testing.T) {
		env.rq.served()
		j, _ := env.run(map[string]string{replication.ParamReplicationFilter: replication.FilterAll})
		wantStats(t, j, meta.JobStats{Total: 3, Skipped: 3})
		// COMPLETED: looked for first, found, not sent.
		if got := env.rq.served(); !slices.Equal(got, []string{"HeadObject", "HeadObject", "HeadObject"}) {
			t.Errorf("the destination served %v, want one HeadObject per object", got)
		}
	})
	vs["docs/new"] = env.seed("docs/new")["docs/new"]
	t.Run("NEW copies only objects never replicated", func(t *testing.T) {
		j, _ := env.run(map[string]string{replication.ParamReplicationFilter: replication.FilterNew})
		wantStats(t, j, meta.JobStats{Total: 1, Processed: 1, Bytes: size("docs/new")})
		if got, _ := env.rq.object("docs/new"); got == nil {
			t.Error("docs/new was not copied")
		}
	})
	t.Run("FAILED retries only objects whose replication failed", func(t *testing.T) {
		env.setState(vs["img/c"], env.arn, meta.ReplicationFailed)
		j, _ := env.run(map[string]string{replication.ParamReplicationFilter: replication.FilterFailed})
		// Its copy is in place already: found, not sent.
		wantStats(t, j, meta.JobStats{Total: 1, Skipped: 1})
		if st := env.state(vs["img/c"], env.arn); st.Status != meta.ReplicationCompleted {
			t.Errorf("img/c state %q, want COMPLETED", st.Status)
		}
	})
}

func TestBatchReplicatePrefixAndDryRun(t *testing.T) {
	env := newBatchEnv(t)
	env.seed("docs/a", "docs/b", "img/c")
	env.configure(everything("all", env.arn, 1))

	t.Run("dryRun counts the candidates and changes nothing", func(t *testing.T) {
		j, _ := env.run(map[string]string{job.ParamDryRun: "true"})
		// What it would have done: send all three, these many bytes.
		wantStats(t, j, meta.JobStats{Total: 3, Processed: 3, Bytes: size("docs/a", "docs/b", "img/c")})
		for _, k := range []string{"docs/a", "docs/b", "img/c"} {
			if got, _ := env.rq.object(k); got != nil {
				t.Errorf("%s was copied by a dry run", k)
			}
		}
		var states []meta.VersionReplication
		err := env.store.View(env.ctx, func(tx meta.Tx) error {
			v, err := tx.GetLatest(srcBucket, "docs/a")
			if err != nil {
				return err
			}
			states, err = tx.ListVersionReplication(srcBucket, "docs/a", v.VersionID)
			return err
		})
		if err != nil || len(states) != 0 {
			t.Errorf("states %v (%v), want none", states, err)
		}
	})
	t.Run("prefix limits the job to the keys under it", func(t *testing.T) {
		j, _ := env.run(map[string]string{job.ParamPrefix: "docs/"})
		wantStats(t, j, meta.JobStats{Total: 2, Processed: 2, Bytes: size("docs/a", "docs/b")})
		if got, _ := env.rq.object("img/c"); got != nil {
			t.Error("img/c was copied outside the prefix")
		}
	})
	t.Run("dryRun counts objects already in place as skipped and sends nothing", func(t *testing.T) {
		env.rq.served()
		j, _ := env.run(map[string]string{job.ParamDryRun: "true"})
		wantStats(t, j, meta.JobStats{Total: 3, Processed: 1, Skipped: 2, Bytes: size("img/c")})
		for _, op := range env.rq.served() {
			if op != "HeadObject" {
				t.Errorf("a dry run sent %s to the destination", op)
			}
		}
		if got, _ := env.rq.object("img/c"); got != nil {
			t.Error("img/c was copied by a dry run")
		}
	})
	t.Run("a job that finds no candidate says why", func(t *testing.T) {
		for _, tt := range []struct {
			params map[string]string
			why    string
		}{
			{map[string]string{replication.ParamReplicationFilter: replication.FilterFailed}, "failed its last replication"},
			{map[string]string{job.ParamPrefix: "nothing/"}, "holds no current objects"},
		} {
			j, _ := env.run(tt.params)
			wantStats(t, j, meta.JobStats{})
			if !strings.Contains(j.Message, "nothing to replicate") || !strings.Contains(j.Message, tt.why) {
				t.Errorf("%v: message %q, want it to say why nothing was done (%q)", tt.params, j.Message, tt.why)
			}
		}
	})
}

func TestBatchReplicateToAnUnreachableDestination(t *testing.T) {
	env := newBatchEnv(t)
	dead := env.targetAt("dead", "http://127.0.0.1:1", "AK", "SK")
	const n = 40
	for i := range n {
		env.put(fmt.Sprintf("obj-%02d", i), []byte("data"), object.ObjectAttrs{})
	}
	env.configure(everything("dead", dead, 1))

	start := time.Now()
	j, failures := env.run(nil)
	wantStats(t, j, meta.JobStats{Total: n, Failed: n})
	if d := time.Since(start); d > 15*time.Second {
		t.Errorf("the job took %s", d)
	}
	if len(failures) != n {
		t.Fatalf("%d failures listed, want %d", len(failures), n)
	}
	for _, f := range failures {
		if !strings.Contains(f.Reason, "destination "+dead) || f.VersionID == "" {
			t.Errorf("failure %+v does not name the destination and version", f)
			break
		}
	}
	v := &meta.Version{Bucket: srcBucket, Key: failures[0].Key, VersionID: failures[0].VersionID}
	if st := env.state(v, dead); st.Status != meta.ReplicationFailed || st.Error == "" {
		t.Errorf("state %+v, want FAILED with the reason", st)
	}
}

func TestBatchReplicateSelection(t *testing.T) {
	env := newBatchEnv(t)
	other := env.target("other", env.rq)
	vs := env.seed("keep/a", "keep/b", "skip/c")

	t.Run("the job copies objects that predate the rule even without ExistingObjectReplication", func(t *testing.T) {
		rule := everything("no-existing", env.arn, 1)
		rule.ExistingObjectReplication = false
		env.configure(rule)
		// keep/a was queued by live replication; the others predate it.
		env.setState(vs["keep/a"], env.arn, meta.ReplicationPending)
		j, _ := env.run(nil)
		wantStats(t, j, meta.JobStats{Total: 3, Processed: 3, Bytes: size("keep/a", "keep/b", "skip/c")})
	})
	t.Run("the destination parameter limits the job to one destination", func(t *testing.T) {
		a := everything("a", env.arn, 1)
		a.Filter = replication.Filter{Prefix: "keep/"}
		env.configure(a, everything("b", other, 2))
		j, _ := env.run(map[string]string{replication.ParamDestination: other})
		// The objects of "other" land in the same bucket as env.arn's,
		// and are there already; but none was ever replicated to
		// "other", so none is looked for there: all are sent.
		wantStats(t, j, meta.JobStats{Total: 3, Processed: 3, Bytes: size("keep/a", "keep/b", "skip/c")})
	})
	for k, v := range env.seed("keep/d", "skip/e") {
		vs[k] = v
	}
	t.Run("an object goes to every destination whose rule selects it", func(t *testing.T) {
		j, _ := env.run(map[string]string{replication.ParamReplicationFilter: replication.FilterAll})
		// Found in place where they were replicated before; keep/d is
		// new and both rules select it: sent to both; skip/e only to
		// the destination of the rule without a prefix.
		wantStats(t, j, meta.JobStats{Total: 5, Processed: 2, Skipped: 3, Bytes: 2*size("keep/d") + size("skip/e")})
		if st := env.state(vs["keep/d"], other); st.Status != meta.ReplicationCompleted {
			t.Errorf("keep/d state %q at the second destination, want COMPLETED", st.Status)
		}
		if st := env.state(vs["skip/e"], env.arn); st.Status != "" {
			t.Errorf("skip/e has state %q at a destination whose rule does not select it", st.Status)
		}
		if st := env.state(vs["keep/b"], env.arn); st.Status != meta.ReplicationCompleted {
			t.Errorf("keep/b state %q at the first destination, want COMPLETED", st.Status)
		}
	})
}

func TestBatchReplicateFailsWithoutAUsableConfiguration(t *testing.T) {
	env := newBatchEnv(t)
	env.seed("a")

	t.Run("a bucket without a configuration", func(t *testing.T) {
		j, _ := env.run(nil)
		if j.State != meta.JobFailed || !strings.Contains(j.Message, "no replication configuration") {
			t.Errorf("job %s with message %q, want FAILED saying there is no configuration", j.State, j.Message)
		}
	})
	t.Run("a destination the configuration does not name is refused at create", func(t *testing.T) {
		env.configure(everything("all", env.arn, 1))
		_, err := env.engine.Create(env.ctx, srcOwner, job.TypeBatchReplicate, srcBucket,
			map[string]string{replication.ParamDestination: "arn:quarry:replication:us-east-1:000000000000:elsewhere"})
		if !errors.Is(err, job.ErrInvalidParams) || !strings.Contains(err.Error(), "is not a destination") {
			t.Errorf("create = %v, want ErrInvalidParams naming the destination", err)
		}
	})
}

func TestBatchReplicateValidatesItsParameters(t *testing.T) {
	r := replication.NewBatchRunner(replication.BatchConfig{})
	tests := []struct {
		name   string
		params map[string]string
		ok     bool
	}{
		{"no parameters", nil, true},
		{"each filter", map[string]string{replication.ParamReplicationFilter: replication.FilterFailed}, true},
		{"a destination ARN", map[string]string{replication.ParamDestination: "arn:quarry:replication:us-east-1:abc:b"}, true},
		{"a lower-case filter", map[string]string{replication.ParamReplicationFilter: "all"}, false},
		{"a destination that is no ARN", map[string]string{replication.ParamDestination: "bucket"}, false},
		{"an unknown parameter", map[string]string{"replicationFiltr": "ALL"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := r.Validate(tt.params)
			if tt.ok && err != nil {
				t.Errorf("got %v, want nil", err)
			}
			if !tt.ok && !errors.Is(err, job.ErrInvalidParams) {
				t.Errorf("got %v, want ErrInvalidParams", err)
			}
		})
	}
}

func TestBatchReplicateCheckpointsPageByPage(t *testing.T) {
	env := newBatchEnv(t)
	const n = 300 // more than one page of 256
	for i := range n {
		env.put(fmt.Sprintf("k%03d", i), []byte{byte(i)}, object.ObjectAttrs{})
	}
	env.configure(everything("all", env.arn, 1))
	start := time.Now()
	j, failures := env.run(nil)
	t.Logf("replicated %d objects in %s", n, time.Since(start))
	wantStats(t, j, meta.JobStats{Total: n, Processed: n, Bytes: n})
	if len(failures) != 0 {
		t.Errorf("failures %v", failures)
	}
	// One checkpoint for the count, one per page.
	if got := env.ev.count(fmt.Sprintf("%s %d", job.SignalCheckpoint, j.ID)); got != 3 {
		t.Errorf("%d checkpoints, want 3", got)
	}
	for _, k := range []string{"k000", "k255", "k256", "k299"} {
		if got, _ := env.rq.object(k); got == nil {
			t.Errorf("%s missing at the destination", k)
		}
	}
}

func TestBatchReplicateCancelledMidCopyLeavesNothingPartial(t *testing.T) {
	env := newBatchEnv(t)
	env.putMultipart("big", [][]byte{randomData(5 << 20), randomData(1 << 20)}, object.ObjectAttrs{})
	env.configure(everything("all", env.arn, 1))
	entered, release := env.rq.holdUploads()
	defer release()

	j, err := env.engine.Create(env.ctx, srcOwner, job.TypeBatchReplicate, srcBucket, nil)
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-entered:
	case <-time.After(waitLimit):
		t.Fatal("the copy never reached the destination")
	}
	go func() { _, _ = env.engine.Cancel(env.ctx, srcOwner, j.ID) }()
	env.ev.wait(t, fmt.Sprintf("%s %d", job.SignalFinished, j.ID), 1, waitLimit)
	release()

	j, err = env.engine.Get(env.ctx, srcOwner, j.ID)
	if err != nil {
		t.Fatal(err)
	}
	if j.State != meta.JobCancelled || j.Stats.Processed != 0 || j.Stats.Failed != 0 {
		t.Errorf("job %s with stats %+v, want CANCELLED with nothing counted", j.State, j.Stats)
	}
	if got, _ := env.rq.object("big"); got != nil {
		t.Error("a partial object is visible at the destination")
	}
	if n := env.rq.uploads(); n != 0 {
		t.Errorf("%d multipart uploads left at the destination", n)
	}
}

func TestBatchReplicateResumedLooksForItsFirstPageAtTheDestination(t *testing.T) {
	env := newBatchEnv(t)
	vs := env.seed("a", "b", "c")
	env.configure(everything("all", env.arn, 1))
	// A run copied "b", then died before its checkpoint: no state says so.
	if _, err := env.copier.Copy(env.ctx, srcBucket, "b", vs["b"].VersionID, env.arn, replication.CopyOptions{}); err != nil {
		t.Fatal(err)
	}
	// Its job, past EXAMINING and released, is taken over by the engine.
	j := &meta.Job{
		Type: job.TypeBatchReplicate, Bucket: srcBucket, OwnerID: srcOwner.UserID, UserID: srcOwner.UserID,
		State: meta.JobProcessing, Stats: meta.JobStats{Total: 3}, CreatedAt: time.Now(),
	}
	if err := env.store.Update(env.ctx, func(tx meta.Tx) error { return tx.CreateJob(j) }); err != nil {
		t.Fatal(err)
	}
	env.ev.wait(t, fmt.Sprintf("%s %d", job.SignalFinished, j.ID), 1, waitLimit)
	got, err := env.engine.Get(env.ctx, srcOwner, j.ID)
	if err != nil {
		t.Fatal(err)
	}
	wantStats(t, got, meta.JobStats{Total: 3, Processed: 2, Skipped: 1, Bytes: size("a", "c")})
}

package job

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/quarrylabs/quarry/internal/auth"
	"github.com/quarrylabs/quarry/internal/blob/disk"
	"github.com/quarrylabs/quarry/internal/meta"
	"github.com/quarrylabs/quarry/internal/meta/sqlite"
	"github.com/quarrylabs/quarry/internal/object"
)

var (
	alice = auth.Principal{UserID: 1, Username: "alice", Role: meta.RoleUser}
	bob   = auth.Principal{UserID: 2, Username: "bob", Role: meta.RoleUser}
	admin = auth.Principal{UserID: 3, Username: "root", Role: meta.RoleAdmin}
)

// waitLimit bounds every wait on a signal or state: far above what any
// step needs, so a timeout means a bug, not a slow machine.
const waitLimit = 20 * time.Second

// harness is real SQLite and disk stores and an object service in a temp
// dir, with engines on them.
type harness struct {
	t     *testing.T
	ctx   context.Context
	dir   string
	meta  *sqlite.Store
	blobs *disk.Store
	svc   *object.Service
	sig   *signals
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	h := &harness{t: t, ctx: context.Background(), dir: t.TempDir(), sig: newSignals()}
	h.openMeta()
	b, err := disk.New(filepath.Join(h.dir, "blobs"))
	if err != nil {
		t.Fatalf("open blob store: %v", err)
	}
	h.blobs = b
	h.svc = object.New(object.Config{Meta: h.meta, Blobs: h.blobs})
	return h
}

func (h *harness) openMeta() {
	h.t.Helper()
	m, err := sqlite.Open(h.ctx, filepath.Join(h.dir, "meta.db"))
	if err != nil {
		h.t.Fatalf("open metadata: %v", err)
	}
	h.t.Cleanup(func() { m.Close() })
	h.meta = m
}

// reopen closes and reopens the metadata store, as a restart would.
func (h *harness) reopen() {
	h.t.Helper()
	if err := h.meta.Close(); err != nil {
		h.t.Fatalf("close metadata: %v", err)
	}
	h.openMeta()
	h.svc = object.New(object.Config{Meta: h.meta, Blobs: h.blobs})
}

// config is an engine configuration on the harness's stores, recording
// signals into h.sig. Polling is fast so that takeovers are quick.
func (h *harness) config() Config {
	return Config{
		Meta:    h.meta,
		Objects: h.svc,
		Blobs:   h.blobs,
		Poll:    50 * time.Millisecond,
		Logger:  slog.New(slog.NewTextHandler(io.Discard, nil)),
		Signal:  h.sig.record,
	}
}

// engine returns an engine with h.config() changed by tweak.
func (h *harness) engine(tweak func(*Config), runners ...Runner) *Engine {
	cfg := h.config()
	if tweak != nil {
		tweak(&cfg)
	}
	return New(cfg, runners...)
}

// start runs e until the returned stop is called (or the test ends); stop
// waits for Run to return.
func (h *harness) start(e *Engine) (stop func()) {
	ctx, cancel := context.WithCancel(h.ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = e.Run(ctx)
	}()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			<-done
		})
	}
	h.t.Cleanup(stop)
	return stop
}

// bucket creates a bucket owned by p.
func (h *harness) bucket(p auth.Principal, name string) {
	h.t.Helper()
	if err := h.svc.CreateBucket(h.ctx, p, name); err != nil {
		h.t.Fatalf("create bucket %s: %v", name, err)
	}
}

func (h *harness) put(bucket, key, data string) *meta.Version {
	h.t.Helper()
	v, err := h.svc.PutObject(h.ctx, alice, object.PutInput{
		Bucket: bucket, Key: key, Body: bytes.NewReader([]byte(data)), Size: int64(len(data)),
	})
	if err != nil {
		h.t.Fatalf("put %s/%s: %v", bucket, key, err)
	}
	return v
}

func (h *harness) create(e *Engine, p auth.Principal, jobType, bucket string, params map[string]string) *meta.Job {
	h.t.Helper()
	j, err := e.Create(h.ctx, p, jobType, bucket, params)
	if err != nil {
		h.t.Fatalf("create %s on %s: %v", jobType, bucket, err)
	}
	return j
}

// finished waits for job id to end and returns it as stored, having
// checked the counter identity every job keeps (docs/MAPI.md).
func (h *harness) finished(id int32) *meta.Job {
	h.t.Helper()
	h.sig.wait(h.t, SignalFinished, id, 1)
	j := h.job(id)
	assertCounters(h.t, j)
	return j
}

// assertCounters checks that no job has handled more candidates than it
// found, and that a COMPLETE one handled exactly those it found.
func assertCounters(t testing.TB, j *meta.Job) {
	t.Helper()
	s := j.Stats
	done := s.Processed + s.Failed + s.Skipped
	switch {
	case j.State == meta.JobComplete && done != s.Total:
		t.Errorf("job %d ended COMPLETE with processed %d + failed %d + skipped %d = %d, total %d",
			j.ID, s.Processed, s.Failed, s.Skipped, done, s.Total)
	case done > s.Total:
		t.Errorf("job %d (%s) handled %d candidates of %d found", j.ID, j.State, done, s.Total)
	}
}

func (h *harness) job(id int32) *meta.Job {
	h.t.Helper()
	var j *meta.Job
	err := h.meta.View(h.ctx, func(tx meta.Tx) error {
		var err error
		j, err = tx.GetJob(id)
		return err
	})
	if err != nil {
		h.t.Fatalf("get job %d: %v", id, err)
	}
	return j
}

func (h *harness) usage(bucket string) (stored, counted meta.Usage) {
	h.t.Helper()
	err := h.meta.View(h.ctx, func(tx meta.Tx) error {
		var err error
		if stored, err = tx.GetUsage(bucket); err != nil {
			return err
		}
		counted, err = tx.CountUsage(bucket)
		return err
	})
	if err != nil {
		h.t.Fatalf("usage of %s: %v", bucket, err)
	}
	return stored, counted
}

func (h *harness) setUsage(bucket string, u meta.Usage) {
	h.t.Helper()
	err := h.meta.Update(h.ctx, func(tx meta.Tx) error { return tx.SetUsage(bucket, u) })
	if err != nil {
		h.t.Fatalf("set usage of %s: %v", bucket, err)
	}
}

func wantErr(t *testing.T, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("got error %v, want %v", err, want)
	}
}

// signals records engine signals so that tests wait on events instead of
// sleeping.
type signals struct {
	mu      sync.Mutex
	counts  map[signalKey]int
	changed chan struct{}
}

type signalKey struct {
	event string
	id    int32
}

func newSignals() *signals {
	return &signals{counts: make(map[signalKey]int), changed: make(chan struct{})}
}

func (s *signals) record(event string, id int32) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counts[signalKey{event, id}]++
	close(s.changed)
	s.changed = make(chan struct{})
}

func (s *signals) count(event string, id int32) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts[signalKey{event, id}]
}

// wait blocks until event was signalled n times for job id.
func (s *signals) wait(t *testing.T, event string, id int32, n int) {
	t.Helper()
	deadline := time.After(waitLimit)
	for {
		s.mu.Lock()
		got, changed := s.counts[signalKey{event, id}], s.changed
		s.mu.Unlock()
		if got >= n {
			return
		}
		select {
		case <-changed:
		case <-deadline:
			t.Fatalf("job %d: waited for %d %q signals, got %d", id, n, event, got)
		}
	}
}

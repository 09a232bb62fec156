// Package jobtest is a test harness for job runners: real SQLite (or
// PostgreSQL) and disk stores and an object service in a temporary
// directory, engines on them,
// and the engine's signals recorded so that tests wait on events instead of
// sleeping. Runner packages (usage, replication, lifecycle, ...) and the
// engine's own tests share it.
package jobtest

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
	"github.com/quarrylabs/quarry/internal/job"
	"github.com/quarrylabs/quarry/internal/meta"
	"github.com/quarrylabs/quarry/internal/meta/postgres"
	"github.com/quarrylabs/quarry/internal/meta/sqlite"
	"github.com/quarrylabs/quarry/internal/object"
)

// Principals the tests act as: two users and an admin.
var (
	Alice = auth.Principal{UserID: 1, Username: "alice", Role: meta.RoleUser}
	Bob   = auth.Principal{UserID: 2, Username: "bob", Role: meta.RoleUser}
	Admin = auth.Principal{UserID: 3, Username: "root", Role: meta.RoleAdmin}
)

// WaitLimit bounds every wait on a signal or state: far above what any
// step needs, so a timeout means a bug, not a slow machine.
const WaitLimit = 20 * time.Second

// Harness is real SQLite (or PostgreSQL) and disk stores and an object
// service in a temp dir, with engines on them.
type Harness struct {
	T       *testing.T
	Ctx     context.Context
	Dir     string
	Meta    meta.Store
	Blobs   *disk.Store
	Objects *object.Service
	Sig     *Signals
	// open opens the metadata store again (Reopen).
	open func() (meta.Store, error)
}

// New returns a harness in a new temporary directory, its metadata in
// SQLite.
func New(t *testing.T) *Harness {
	t.Helper()
	dir := t.TempDir()
	return newHarness(t, dir, func() (meta.Store, error) {
		return sqlite.Open(context.Background(), filepath.Join(dir, "meta.db"))
	})
}

// NewPostgres returns a harness whose metadata is in the PostgreSQL
// database dsn names (pgtest.DSN gives a throwaway one).
func NewPostgres(t *testing.T, dsn string) *Harness {
	t.Helper()
	return newHarness(t, t.TempDir(), func() (meta.Store, error) {
		return postgres.Open(context.Background(), dsn)
	})
}

func newHarness(t *testing.T, dir string, open func() (meta.Store, error)) *Harness {
	t.Helper()
	h := &Harness{T: t, Ctx: context.Background(), Dir: dir, Sig: NewSignals(), open: open}
	h.openMeta()
	b, err := disk.New(filepath.Join(h.Dir, "blobs"))
	if err != nil {
		t.Fatalf("open blob store: %v", err)
	}
	h.Blobs = b
	h.Objects = object.New(object.Config{Meta: h.Meta, Blobs: h.Blobs})
	return h
}

func (h *Harness) openMeta() {
	h.T.Helper()
	m, err := h.open()
	if err != nil {
		h.T.Fatalf("open metadata: %v", err)
	}
	h.T.Cleanup(func() { m.Close() })
	h.Meta = m
}

// Reopen closes and reopens the metadata store, as a restart would.
func (h *Harness) Reopen() {
	h.T.Helper()
	if err := h.Meta.Close(); err != nil {
		h.T.Fatalf("close metadata: %v", err)
	}
	h.openMeta()
	h.Objects = object.New(object.Config{Meta: h.Meta, Blobs: h.Blobs})
}

// Config is an engine configuration on the harness's stores, recording
// signals into h.Sig. Polling is fast so that takeovers are quick.
func (h *Harness) Config() job.Config {
	return job.Config{
		Meta:    h.Meta,
		Objects: h.Objects,
		Blobs:   h.Blobs,
		Poll:    50 * time.Millisecond,
		Logger:  slog.New(slog.NewTextHandler(io.Discard, nil)),
		Signal:  h.Sig.Record,
	}
}

// Engine returns an engine with h.Config() changed by tweak.
func (h *Harness) Engine(tweak func(*job.Config), runners ...job.Runner) *job.Engine {
	cfg := h.Config()
	if tweak != nil {
		tweak(&cfg)
	}
	return job.New(cfg, runners...)
}

// Start runs e until the returned stop is called (or the test ends); stop
// waits for Run to return.
func (h *Harness) Start(e *job.Engine) (stop func()) {
	ctx, cancel := context.WithCancel(h.Ctx)
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
	h.T.Cleanup(stop)
	return stop
}

// Bucket creates a bucket owned by p.
func (h *Harness) Bucket(p auth.Principal, name string) {
	h.T.Helper()
	if err := h.Objects.CreateBucket(h.Ctx, p, name); err != nil {
		h.T.Fatalf("create bucket %s: %v", name, err)
	}
}

// Put stores data under bucket/key as alice.
func (h *Harness) Put(bucket, key, data string) *meta.Version {
	h.T.Helper()
	v, err := h.Objects.PutObject(h.Ctx, Alice, object.PutInput{
		Bucket: bucket, Key: key, Body: bytes.NewReader([]byte(data)), Size: int64(len(data)),
	})
	if err != nil {
		h.T.Fatalf("put %s/%s: %v", bucket, key, err)
	}
	return v
}

// Create creates a job through e, failing the test on error.
func (h *Harness) Create(e *job.Engine, p auth.Principal, jobType, bucket string, params map[string]string) *meta.Job {
	h.T.Helper()
	j, err := e.Create(h.Ctx, p, jobType, bucket, params)
	if err != nil {
		h.T.Fatalf("create %s on %s: %v", jobType, bucket, err)
	}
	return j
}

// Finished waits for job id to end and returns it as stored, having
// checked the counter identity every job keeps (docs/MAPI.md).
func (h *Harness) Finished(id int32) *meta.Job {
	h.T.Helper()
	h.Sig.Wait(h.T, job.SignalFinished, id, 1)
	j := h.Job(id)
	AssertCounters(h.T, j)
	return j
}

// AssertCounters checks that no job has handled more candidates than it
// found, and that a COMPLETE one handled exactly those it found.
func AssertCounters(t testing.TB, j *meta.Job) {
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

// Job reads job id as stored.
func (h *Harness) Job(id int32) *meta.Job {
	h.T.Helper()
	var j *meta.Job
	err := h.Meta.View(h.Ctx, func(tx meta.Tx) error {
		var err error
		j, err = tx.GetJob(id)
		return err
	})
	if err != nil {
		h.T.Fatalf("get job %d: %v", id, err)
	}
	return j
}

// Usage reads a bucket's stored counters and what its rows count.
func (h *Harness) Usage(bucket string) (stored, counted meta.Usage) {
	h.T.Helper()
	err := h.Meta.View(h.Ctx, func(tx meta.Tx) error {
		var err error
		if stored, err = tx.GetUsage(bucket); err != nil {
			return err
		}
		counted, err = tx.CountUsage(bucket)
		return err
	})
	if err != nil {
		h.T.Fatalf("usage of %s: %v", bucket, err)
	}
	return stored, counted
}

// SetUsage overwrites a bucket's counters.
func (h *Harness) SetUsage(bucket string, u meta.Usage) {
	h.T.Helper()
	err := h.Meta.Update(h.Ctx, func(tx meta.Tx) error { return tx.SetUsage(bucket, u) })
	if err != nil {
		h.T.Fatalf("set usage of %s: %v", bucket, err)
	}
}

// WantErr fails t unless errors.Is(err, want).
func WantErr(t *testing.T, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("got error %v, want %v", err, want)
	}
}

// Signals records engine signals so that tests wait on events instead of
// sleeping.
type Signals struct {
	mu      sync.Mutex
	counts  map[signalKey]int
	changed chan struct{}
}

type signalKey struct {
	event string
	id    int32
}

// NewSignals returns an empty record.
func NewSignals() *Signals {
	return &Signals{counts: make(map[signalKey]int), changed: make(chan struct{})}
}

// Record is a job.Config.Signal: it counts event for job id.
func (s *Signals) Record(event string, id int32) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counts[signalKey{event, id}]++
	close(s.changed)
	s.changed = make(chan struct{})
}

// Count is how often event was signalled for job id.
func (s *Signals) Count(event string, id int32) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts[signalKey{event, id}]
}

// Wait blocks until event was signalled n times for job id.
func (s *Signals) Wait(t *testing.T, event string, id int32, n int) {
	t.Helper()
	deadline := time.After(WaitLimit)
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

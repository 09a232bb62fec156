package job

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/quarrylabs/quarry/internal/blob"
	"github.com/quarrylabs/quarry/internal/meta"
	"github.com/quarrylabs/quarry/internal/object"
)

// Defaults for Config's zero fields.
const (
	DefaultWorkers = 4
	DefaultLease   = 15 * time.Second
	DefaultPoll    = time.Second
)

// Signals passed to Config.Signal.
const (
	SignalClaimed    = "claimed"    // a worker took a job
	SignalCheckpoint = "checkpoint" // a checkpoint committed
	SignalRenewed    = "renewed"    // a lease was renewed
	SignalFinished   = "finished"   // a job ended COMPLETE, FAILED or CANCELLED
	SignalReleased   = "released"   // the engine stopped and let go of a job
	SignalReaped     = "reaped"     // a pass removing old finished jobs ended (job id 0)
)

// Config configures an Engine.
type Config struct {
	Meta    meta.Store
	Objects *object.Service
	Blobs   blob.Store
	// Workers is how many jobs run at once in this engine (default 4).
	Workers int
	// Lease is how long a claim lasts without renewal (default 15s); it is
	// renewed every Lease/3, so a dead engine's jobs are taken over after
	// at most one Lease.
	Lease time.Duration
	// Poll is how often idle workers look for jobs (default 1s). A Create
	// in the same process wakes a worker at once.
	Poll time.Duration
	// Retention is how long finished jobs are kept (default
	// DefaultRetention).
	Retention time.Duration
	// InstanceID names this engine as a lease owner; it must differ
	// between engines sharing a store (default host-pid-random).
	InstanceID string
	// Logger defaults to slog.Default().
	Logger *slog.Logger
	// Now defaults to time.Now.
	Now func() time.Time
	// OnProgress, if set, is called after each checkpoint with the
	// processed and failed counts it added (for metrics).
	OnProgress func(jobType string, processed, failed int64)
	// Signal, if set, is called synchronously at each Signal* event, for
	// tests to wait on instead of sleeping.
	Signal func(event string, jobID int32)
	// ReleaseOnStop says whether jobs running when Run's context ends have
	// their leases released so another engine can take them at once
	// (default true). For tests and for crash simulation: false leaves the
	// leases to expire, as a killed process would.
	ReleaseOnStop *bool
}

// Runner runs the jobs of one type. Each type lives in its own file.
type Runner interface {
	// Type is the MAPI jobType this runner runs.
	Type() string
	// Validate checks the type's own jobParams (dryRun and prefix are
	// checked by the engine for every type and are not passed); an
	// unknown key gives ErrInvalidParams naming it (see UnknownParam).
	Validate(params map[string]string) error
	// Run does the job from its last checkpoint on, through r. ctx ends
	// when the job is cancelled, its lease is lost or the engine stops;
	// Run then returns promptly, with ctx's error or what Checkpoint said.
	// Returning nil completes the job; another error fails it, with the
	// error's text as the job's message.
	Run(ctx context.Context, r *Run) error
}

// Engine runs durable jobs from the metadata store. It implements API.
type Engine struct {
	cfg     Config
	runners map[string]Runner
	// wake tells an idle worker that a job may be waiting.
	wake chan struct{}

	mu sync.Mutex
	// held are the runs this engine is executing, by job id: for cancel
	// signals and the cancel watcher.
	held map[int32]*Run
}

var _ API = (*Engine)(nil)

// New returns an engine that runs jobs of the runners' types. Call Run to
// start its workers; the API methods work without it.
func New(cfg Config, runners ...Runner) *Engine {
	if cfg.Workers <= 0 {
		cfg.Workers = DefaultWorkers
	}
	if cfg.Lease <= 0 {
		cfg.Lease = DefaultLease
	}
	if cfg.Poll <= 0 {
		cfg.Poll = DefaultPoll
	}
	if cfg.Retention <= 0 {
		cfg.Retention = DefaultRetention
	}
	if cfg.InstanceID == "" {
		cfg.InstanceID = defaultInstanceID()
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	e := &Engine{
		cfg:     cfg,
		runners: make(map[string]Runner, len(runners)),
		wake:    make(chan struct{}, 1),
		held:    make(map[int32]*Run),
	}
	for _, r := range runners {
		e.runners[r.Type()] = r
	}
	return e
}

// defaultInstanceID is unique per process and per engine: host, pid and a
// random suffix, readable in the jobs table when debugging.
func defaultInstanceID() string {
	host, err := os.Hostname()
	if err != nil {
		host = "quarry"
	}
	var b [4]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b[:]))
}

// InstanceID returns the lease owner id of this engine.
func (e *Engine) InstanceID() string { return e.cfg.InstanceID }

// Run starts the workers, the cancel watcher and the retention reaper, and
// returns once all have stopped after ctx ends.
func (e *Engine) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	for range e.cfg.Workers {
		wg.Go(func() { e.work(ctx) })
	}
	wg.Go(func() { e.watchCancels(ctx) })
	wg.Go(func() { e.reap(ctx) })
	wg.Wait()
	return nil
}

func (e *Engine) now() time.Time { return e.cfg.Now().UTC() }

func (e *Engine) signal(event string, id int32) {
	if e.cfg.Signal != nil {
		e.cfg.Signal(event, id)
	}
}

func (e *Engine) releaseOnStop() bool {
	return e.cfg.ReleaseOnStop == nil || *e.cfg.ReleaseOnStop
}

// Wake tells the engine a job may be waiting (one created by another
// component of this process), so an idle worker looks at once instead of at
// its next poll.
func (e *Engine) Wake() { e.wakeWorker() }

// wakeWorker nudges one idle worker without blocking; a nudge already
// pending is enough.
func (e *Engine) wakeWorker() {
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

// runnerFor returns the runner of jobType, ErrUnknownType or
// ErrUnsupportedType.
func (e *Engine) runnerFor(jobType string) (Runner, error) {
	if !IsType(jobType) {
		return nil, fmt.Errorf("%w: %q", ErrUnknownType, jobType)
	}
	r, ok := e.runners[jobType]
	if !ok {
		return nil, fmt.Errorf("%w: %s", ErrUnsupportedType, jobType)
	}
	return r, nil
}

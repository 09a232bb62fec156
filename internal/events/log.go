package events

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/quarrylabs/quarry/internal/meta"
)

// Defaults for Config's zero fields.
const (
	DefaultRetention   = 30 * 24 * time.Hour
	DefaultFloodWindow = time.Minute
	// DefaultFloodKeys bounds how many sources RecordFlood tells apart.
	DefaultFloodKeys = 10_000
)

const (
	// reapEvery is how often events past their retention are removed.
	reapEvery = time.Hour
	// reapBatch bounds one delete transaction, so that retention of a big
	// log never holds the writer for long.
	reapBatch = 10_000
	// writeTimeout bounds a write that must happen even though the request
	// or the server that caused it is ending.
	writeTimeout = 10 * time.Second
)

// Config configures a Log. Meta is required.
type Config struct {
	Meta meta.Store
	// Retention is how long events are kept (default 30 days).
	Retention time.Duration
	// FloodWindow is how often RecordFlood writes one source's events at
	// most (default a minute).
	FloodWindow time.Duration
	// FloodKeys bounds the sources RecordFlood remembers (default 10,000);
	// past it, new sources are counted together per type.
	FloodKeys int
	Logger    *slog.Logger
	Now       func() time.Time
}

// Log records and lists events. Its methods are safe for concurrent use,
// and those that record do nothing on a nil *Log, so a component wired
// without one runs unchanged.
type Log struct {
	cfg Config

	mu     sync.Mutex
	floods map[string]*flood
}

// New returns a Log; Run removes old events and writes the floods' counts.
func New(cfg Config) *Log {
	if cfg.Retention <= 0 {
		cfg.Retention = DefaultRetention
	}
	if cfg.FloodWindow <= 0 {
		cfg.FloodWindow = DefaultFloodWindow
	}
	if cfg.FloodKeys <= 0 {
		cfg.FloodKeys = DefaultFloodKeys
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Log{cfg: cfg, floods: make(map[string]*flood)}
}

func (l *Log) now() time.Time { return l.cfg.Now().UTC() }

// Record writes e in a transaction of its own, for events that no change
// of the store goes with. It is written even when ctx ends first (the
// client went away after being refused): an audit log must not depend on
// the client waiting.
func (l *Log) Record(ctx context.Context, e Event) error {
	if l == nil {
		return nil
	}
	if e.Time.IsZero() {
		e.Time = l.now()
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), writeTimeout)
	defer cancel()
	return l.cfg.Meta.Update(ctx, func(tx meta.Tx) error { return Append(tx, e) })
}

// Query selects events for List. Zero fields do not filter.
type Query struct {
	Since, Until time.Time
	Severity     string
	Category     string
	TypeID       int
	// UserID selects the events of one user: about it or done by it.
	UserID int64
	// GMSOnly selects the global management layer's events.
	GMSOnly bool
	// Count is how many events at most, newest first (required).
	Count int
}

// Viewer is who lists: an admin sees every event, any other user only
// those it owns (about itself, its buckets, jobs, keys and targets).
type Viewer struct {
	UserID int64
	Admin  bool
}

// List returns the events q selects that v may see, newest first.
func (l *Log) List(ctx context.Context, v Viewer, q Query) ([]meta.Event, error) {
	f := meta.EventFilter{Since: q.Since, Until: q.Until, Severity: q.Severity, Category: q.Category,
		TypeID: q.TypeID, UserID: q.UserID, GMSOnly: q.GMSOnly, Limit: q.Count}
	if !v.Admin {
		f.OwnerID = v.UserID
	}
	var out []meta.Event
	err := l.cfg.Meta.View(ctx, func(tx meta.Tx) error {
		var err error
		out, err = tx.ListEvents(f)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list events: %w", err)
	}
	return out, nil
}

// Run removes events older than the retention, at start and then hourly,
// and writes the counts RecordFlood gathered as their windows close, until
// ctx ends; it then writes the counts still open and returns.
func (l *Log) Run(ctx context.Context) error {
	reap := time.NewTicker(reapEvery)
	defer reap.Stop()
	flush := time.NewTicker(max(l.cfg.FloodWindow/4, time.Second))
	defer flush.Stop()
	l.reapOnce(ctx)
	for {
		select {
		case <-ctx.Done():
			l.flushFloods(ctx, time.Time{})
			return nil
		case <-reap.C:
			l.reapOnce(ctx)
		case <-flush.C:
			l.flushFloods(ctx, l.now())
		}
	}
}

// reapOnce deletes the events past retention, a batch per transaction.
func (l *Log) reapOnce(ctx context.Context) {
	cutoff := l.now().Add(-l.cfg.Retention)
	total := 0
	for ctx.Err() == nil {
		var n int
		err := l.cfg.Meta.Update(ctx, func(tx meta.Tx) error {
			var err error
			n, err = tx.DeleteEventsBefore(cutoff, reapBatch)
			return err
		})
		if err != nil {
			if ctx.Err() == nil {
				l.cfg.Logger.Warn("remove old events", "err", err)
			}
			break
		}
		total += n
		if n < reapBatch {
			break
		}
	}
	if total > 0 {
		l.cfg.Logger.Info("removed old events", "count", total)
	}
}

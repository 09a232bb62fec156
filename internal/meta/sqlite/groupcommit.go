package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/quarrylabs/quarry/internal/meta"
)

// Group commit: with synchronous=FULL every COMMIT fsyncs the WAL, so one
// transaction per Update caps small writes at the disk's flush rate. Instead
// one writer goroutine owns the write connection; it takes every Update
// waiting at that moment (up to maxBatch), runs their fns one after another
// in ONE transaction, each inside its own SAVEPOINT, and commits them with a
// single fsync. A fn that fails or panics is rolled back to its savepoint
// alone. A lone Update runs at once: the writer never waits to gather
// company, so there is no added latency without concurrency.

// maxBatch bounds how many Updates share a commit, so that one commit's
// latency (and the time the first caller waits for the last fn) stays small.
const maxBatch = 64

// savepoint names the per-fn savepoint. One name serves all fns: each is
// released or rolled back before the next fn starts.
const (
	qSavepoint        = "SAVEPOINT fn"
	qRelease          = "RELEASE fn"
	qRollbackToSavept = "ROLLBACK TO fn"
)

// errClosed is returned by Update after Close.
var errClosed = errors.New("metadata store is closed")

// writeRequest is one Update waiting for the writer.
type writeRequest struct {
	ctx  context.Context
	fn   func(meta.Tx) error
	done chan outcome // buffered: the writer never blocks on a caller
}

// outcome is what the writer tells an Update caller. A panic in fn is
// carried back as a value so the caller can re-panic on its own goroutine,
// as it would have without group commit.
type outcome struct {
	err        error
	panicked   bool
	panicValue any
}

// groupCommit runs Updates on the single writer connection.
type groupCommit struct {
	db       *sql.DB
	stmts    *stmtCache
	requests chan *writeRequest // unbuffered: a request is queued while its caller blocks in send
	stop     chan struct{}      // closed by close
	stopped  chan struct{}      // closed when the writer goroutine has returned

	// waiting counts callers blocked in the queue and commits the COMMITs
	// done: together they show how well Updates are grouped.
	waiting atomic.Int64
	commits atomic.Int64
}

func startGroupCommit(db *sql.DB, stmts *stmtCache) *groupCommit {
	g := &groupCommit{
		db:       db,
		stmts:    stmts,
		requests: make(chan *writeRequest),
		stop:     make(chan struct{}),
		stopped:  make(chan struct{}),
	}
	go g.loop()
	return g
}

// close stops the writer once its current batch is done; Updates still
// queued, or made later, get errClosed.
func (g *groupCommit) close() error {
	close(g.stop)
	<-g.stopped
	return nil
}

// update queues fn for the writer and waits for its outcome. While queued,
// the caller may leave with ctx.Err(); once the writer has taken the request
// the caller waits, because its fn may already be part of a commit.
func (g *groupCommit) update(ctx context.Context, fn func(meta.Tx) error) error {
	// select picks at random among ready cases, so check first: a cancelled
	// context must never run fn.
	if err := ctx.Err(); err != nil {
		return err
	}
	r := &writeRequest{ctx: ctx, fn: fn, done: make(chan outcome, 1)}
	if err := g.enqueue(r); err != nil {
		return err
	}
	o := <-r.done
	if o.panicked {
		panic(o.panicValue)
	}
	return o.err
}

// enqueue blocks until the writer takes r, r's context ends or the store
// closes.
func (g *groupCommit) enqueue(r *writeRequest) error {
	g.waiting.Add(1)
	defer g.waiting.Add(-1)
	select {
	case g.requests <- r:
		return nil
	case <-r.ctx.Done():
		return r.ctx.Err()
	case <-g.stop:
		return errClosed
	}
}

func (g *groupCommit) loop() {
	defer close(g.stopped)
	batch := make([]*writeRequest, 0, maxBatch)
	for {
		select {
		case r := <-g.requests:
			batch = append(batch[:0], r)
		case <-g.stop:
			return
		}
		// Take whoever else is waiting now, without waiting for more.
	gather:
		for len(batch) < maxBatch {
			select {
			case r := <-g.requests:
				batch = append(batch, r)
			default:
				break gather
			}
		}
		for rest := batch; len(rest) > 0; {
			rest = g.commit(rest)
		}
		clear(batch) // drop references to finished requests
	}
}

// commit runs batch in one transaction and answers every request it started.
// It returns the requests it did not start when the transaction broke under
// an earlier one, so that they run in a fresh transaction.
func (g *groupCommit) commit(batch []*writeRequest) (notStarted []*writeRequest) {
	// Not a caller's context: cancelling it would roll back everyone's work.
	sqlTx, err := g.db.BeginTx(context.Background(), nil) // BEGIN IMMEDIATE (_txlock)
	if err != nil {
		answer(batch, outcome{err: fmt.Errorf("begin: %w", err)})
		return nil
	}
	// Statements bound to this transaction serve every fn in it.
	bound := make(map[string]*sql.Stmt, 8)
	// A lone fn needs no savepoint: if it fails, rolling back the whole
	// transaction undoes it alone, and two statements fewer keep a lone
	// Update as fast as before group commit.
	isolate := len(batch) > 1
	applied := make([]*writeRequest, 0, len(batch))
	for i, r := range batch {
		if err := r.ctx.Err(); err != nil {
			r.done <- outcome{err: err}
			continue
		}
		o, broken := g.runInSavepoint(sqlTx, bound, r, isolate)
		if broken != nil {
			// SQLite rolled back the whole transaction (an I/O error, a
			// full disk) or the savepoint failed: nothing of the batch so
			// far can commit.
			_ = sqlTx.Rollback()
			err := fmt.Errorf("savepoint: %w", broken)
			answer(applied, outcome{err: err})
			if !o.panicked {
				o = outcome{err: err}
			}
			r.done <- o
			return batch[i+1:]
		}
		if o.err != nil || o.panicked {
			r.done <- o // rolled back to its savepoint; nothing to wait for
			continue
		}
		applied = append(applied, r)
	}
	if len(applied) == 0 {
		_ = sqlTx.Rollback() // nothing to write: skip the fsync
		return nil
	}
	g.commits.Add(1)
	if err := sqlTx.Commit(); err != nil {
		answer(applied, outcome{err: fmt.Errorf("commit: %w", err)})
		return nil
	}
	answer(applied, outcome{})
	return nil
}

// runInSavepoint runs r.fn inside a savepoint (when isolate), releasing it
// if fn succeeded and rolling back to it otherwise. broken is a failure of the savepoint
// statements themselves, after which the transaction cannot be trusted.
func (g *groupCommit) runInSavepoint(sqlTx *sql.Tx, bound map[string]*sql.Stmt, r *writeRequest, isolate bool) (o outcome, broken error) {
	// fn's statements do not see its caller's cancellation: the driver
	// answers a cancelled context by interrupting the statement, and SQLite
	// answers an interrupted write by rolling back the whole transaction,
	// which here holds other callers' work. The caller still gets its
	// context's values.
	t := newTx(context.WithoutCancel(r.ctx), sqlTx, g.stmts, bound)
	if !isolate {
		return call(r.fn, t), nil
	}
	bg := context.Background()
	if _, err := sqlTx.ExecContext(bg, qSavepoint); err != nil {
		return outcome{}, err
	}
	o = call(r.fn, t)
	if o.err == nil && !o.panicked {
		_, err := sqlTx.ExecContext(bg, qRelease)
		return o, err
	}
	if _, err := sqlTx.ExecContext(bg, qRollbackToSavept); err != nil {
		return o, err
	}
	_, err := sqlTx.ExecContext(bg, qRelease)
	return o, err
}

// call runs fn, turning a panic into an outcome so that one caller's bug
// neither kills the writer nor takes the batch down with it.
func call(fn func(meta.Tx) error, t *tx) (o outcome) {
	defer func() {
		if v := recover(); v != nil {
			o = outcome{panicked: true, panicValue: v}
		}
	}()
	return outcome{err: fn(t)}
}

func answer(rs []*writeRequest, o outcome) {
	for _, r := range rs {
		r.done <- o
	}
}

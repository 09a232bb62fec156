// Package sqlite is Quarry's embedded metadata store: meta.Store on a single
// SQLite file, through the pure-Go modernc.org/sqlite driver.
//
// Writes go through one connection, so Update transactions run one at a time
// (grouped into shared commits) and never meet SQLITE_BUSY lock upgrades; reads go through a pool of
// read-only connections that, in WAL mode, see a consistent snapshot without
// waiting for the writer.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"

	"github.com/quarrylabs/quarry/internal/meta"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// readerConns is the size of the read pool: enough for concurrent GETs and
// listings on a small machine without holding many page caches.
const readerConns = 8

// Store is a meta.Store on one SQLite database file.
type Store struct {
	writer  *sql.DB
	reader  *sql.DB
	wstmts  *stmtCache
	rstmts  *stmtCache
	commits *groupCommit
	closers []func() error
}

var _ meta.Store = (*Store)(nil)

// Open opens (creating if needed) the database at path, a file path (not
// ":memory:", which two pools could not share), and brings its schema up to
// date.
func Open(ctx context.Context, path string) (*Store, error) {
	wdsn, rdsn, err := dsns(path)
	if err != nil {
		return nil, fmt.Errorf("open metadata %s: %w", path, err)
	}
	if err := createPrivate(path); err != nil {
		return nil, fmt.Errorf("open metadata %s: %w", path, err)
	}
	s := &Store{}
	if err := s.open(ctx, wdsn, rdsn); err != nil {
		_ = s.Close()
		return nil, fmt.Errorf("open metadata %s: %w", path, err)
	}
	return s, nil
}

func (s *Store) open(ctx context.Context, wdsn, rdsn string) error {
	var err error
	if s.writer, err = sql.Open("sqlite", wdsn); err != nil {
		return fmt.Errorf("writer pool: %w", err)
	}
	s.closers = append(s.closers, s.writer.Close)
	s.writer.SetMaxOpenConns(1)
	s.writer.SetMaxIdleConns(1)
	s.writer.SetConnMaxLifetime(0)
	s.writer.SetConnMaxIdleTime(0)

	// The schema must exist before statements can be prepared against it,
	// and the writer must have switched the file to WAL before readers open.
	if err := migrate(ctx, s.writer); err != nil {
		return err
	}

	if s.reader, err = sql.Open("sqlite", rdsn); err != nil {
		return fmt.Errorf("reader pool: %w", err)
	}
	s.closers = append(s.closers, s.reader.Close)
	s.reader.SetMaxOpenConns(readerConns)
	s.reader.SetMaxIdleConns(readerConns)
	s.reader.SetConnMaxLifetime(0)
	s.reader.SetConnMaxIdleTime(0)

	if s.wstmts, err = prepareAll(ctx, s.writer); err != nil {
		return fmt.Errorf("writer statements: %w", err)
	}
	s.closers = append(s.closers, s.wstmts.close)
	if s.rstmts, err = prepareAll(ctx, s.reader); err != nil {
		return fmt.Errorf("reader statements: %w", err)
	}
	s.closers = append(s.closers, s.rstmts.close)
	// Last, so Close stops the writer goroutine before the statements and
	// the connection it uses.
	s.commits = startGroupCommit(s.writer, s.wstmts)
	s.closers = append(s.closers, s.commits.close)
	return nil
}

// View runs fn in a read-only transaction on a snapshot of the database.
func (s *Store) View(ctx context.Context, fn func(meta.Tx) error) error {
	return run(ctx, s.reader, s.rstmts, &sql.TxOptions{ReadOnly: true}, fn)
}

// Update runs fn in a read-write transaction, committed if fn returns nil
// and rolled back otherwise; fn's error is returned as is, and a panic in fn
// rolls fn back and panics again in the caller. Update returns nil only once
// fn's writes are committed and fsynced.
//
// Calls from many goroutines queue for a single writer, which runs the fns
// waiting at that moment one after another in one SQLite transaction, each
// inside its own savepoint, and commits them together (group commit, see
// groupcommit.go): fns are serialised exactly as before, and a failing fn is
// rolled back alone, but a failed commit fails every Update in it. Because fn
// runs on the writer, fn must not call Update itself: it would wait forever
// for the writer it occupies. (Calling View from fn is fine, and sees the
// last commit, not the writes of fn or of fns sharing its commit.)
//
// A ctx that ends while fn waits in the queue makes Update return
// ctx.Err() without running fn. Once fn has started, ctx's cancellation no
// longer interrupts it (interrupting a write would roll back the fns
// sharing its transaction): fn may check ctx itself, and Update returns the
// outcome of the commit.
func (s *Store) Update(ctx context.Context, fn func(meta.Tx) error) error {
	return s.commits.update(ctx, fn)
}

// run begins a transaction on db, runs fn, and commits only if fn succeeded.
// fn's own error is returned unwrapped, as meta.Store promises.
func run(ctx context.Context, db *sql.DB, stmts *stmtCache, opts *sql.TxOptions, fn func(meta.Tx) error) error {
	sqlTx, err := db.BeginTx(ctx, opts)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	// Rolls back if fn fails or panics; a no-op after a commit.
	defer func() { _ = sqlTx.Rollback() }()

	if err := fn(newTx(ctx, sqlTx, stmts, nil)); err != nil {
		return err
	}
	if err := sqlTx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// Close closes the statements and both pools, in reverse order of opening.
func (s *Store) Close() error {
	var errs []error
	for i := len(s.closers) - 1; i >= 0; i-- {
		errs = append(errs, s.closers[i]())
	}
	s.closers = nil
	return errors.Join(errs...)
}

// createPrivate creates the database file, empty and readable by its owner
// only, when it does not exist yet. SQLite takes an empty file for a new
// database and gives the -wal and -shm files it creates beside it the
// database file's mode, so none of them is ever readable by other users,
// whatever the process umask.
func createPrivate(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	return f.Close()
}

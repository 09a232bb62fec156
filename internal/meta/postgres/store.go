// Package postgres is Quarry's metadata store for scale-out: meta.Store on a
// PostgreSQL database, through jackc/pgx. Many Quarry nodes share one
// database; it is what coordinates them (job and outbox claims, leases, the
// one latest version of a key), so the nodes themselves keep no state.
//
// Update transactions run at SERIALIZABLE isolation, so the contract that
// Update transactions are serialisable with respect to each other holds
// across nodes as it does in SQLite's single writer. PostgreSQL may abort
// one of two conflicting transactions (SQLSTATE 40001) or a deadlock victim
// (40P01); Update then runs fn again on a fresh transaction, as meta.Store
// allows, so fn must have no effects outside its transaction.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/quarrylabs/quarry/internal/meta"
)

// retryBudget bounds how long Update goes on re-running fn after
// serialisation failures: a time rather than a count, because a large
// transaction (a job's checkpoint over a page of objects) under a stream of
// small writes can lose many times in a row before a pause lets it through,
// while a livelock should still surface as an error, not a hang.
const retryBudget = 30 * time.Second

// defaultPoolConns is a node's pool size unless the DSN sets
// pool_max_conns: pgx's default, max(4, cores), would queue a node's S3
// requests behind a handful of connections while most of them wait on the
// database's commit, not on the node's CPU.
const defaultPoolConns = 16

// Store is a meta.Store on a PostgreSQL database.
type Store struct {
	pool *pgxpool.Pool
	// shards hands each transaction the next bucket_usage shard, from a
	// random start, so that the transactions in flight on one node add to
	// different shards and those of different nodes rarely meet.
	shards atomic.Uint64
}

var _ meta.Store = (*Store)(nil)

// Open connects to the database named by dsn (a postgres:// URL or a
// key=value connection string) and brings its schema up to date. Nodes
// opening the same database at once migrate it once between them.
func Open(ctx context.Context, dsn string) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		// The parse error may quote the DSN, password included.
		return nil, errors.New("open metadata: the PostgreSQL connection string does not parse")
	}
	if !strings.Contains(dsn, "pool_max_conns") {
		cfg.MaxConns = defaultPoolConns
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open metadata on %s: %w", cfg.ConnConfig.Host, err)
	}
	if err := migrate(ctx, pool); err != nil {
		pool.Close()
		return nil, fmt.Errorf("open metadata on %s: %w", cfg.ConnConfig.Host, err)
	}
	s := &Store{pool: pool}
	s.shards.Store(rand.Uint64())
	return s, nil
}

// View runs fn in a read-only transaction on one snapshot of the database.
func (s *Store) View(ctx context.Context, fn func(meta.Tx) error) error {
	return s.run(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, fn)
}

// Update runs fn in a SERIALIZABLE read-write transaction, committed if fn
// returns nil and rolled back otherwise; fn's own error is returned as is.
// When PostgreSQL aborts the transaction for a serialisation failure or a
// deadlock, fn runs again on a new transaction after a short random pause,
// for up to retryBudget (or the budget meta.WithConflictBudget put in
// ctx), after which the error wraps meta.ErrConflict.
func (s *Store) Update(ctx context.Context, fn func(meta.Tx) error) error {
	opts := pgx.TxOptions{IsoLevel: pgx.Serializable, AccessMode: pgx.ReadWrite}
	pause := time.Millisecond
	start := time.Now()
	budget := meta.ConflictBudget(ctx, retryBudget)
	for attempt := 1; ; attempt++ {
		err := s.run(ctx, opts, fn)
		if err == nil || !retryable(err) {
			return err
		}
		if elapsed := time.Since(start); elapsed > budget {
			return fmt.Errorf("%w (%d attempts in %v): %w", meta.ErrConflict, attempt, elapsed.Round(time.Millisecond), err)
		}
		t := time.NewTimer(pause/2 + rand.N(pause))
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		pause = min(2*pause, 200*time.Millisecond)
	}
}

// run begins a transaction, runs fn and commits only if fn succeeded.
func (s *Store) run(ctx context.Context, opts pgx.TxOptions, fn func(meta.Tx) error) error {
	pgTx, err := s.pool.BeginTx(ctx, opts)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	// Rolls back if fn fails or panics; a no-op after a commit.
	defer func() { _ = pgTx.Rollback(context.WithoutCancel(ctx)) }()

	if err := fn(newTx(ctx, pgTx, int(s.shards.Add(1)%usageShards))); err != nil {
		return err
	}
	if err := pgTx.Commit(ctx); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// Close closes the connection pool.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

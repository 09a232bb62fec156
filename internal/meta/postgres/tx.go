package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/quarrylabs/quarry/internal/meta"
	"github.com/quarrylabs/quarry/internal/meta/sqltx"
)

// tx implements meta.Tx on a pgx transaction. meta.Tx methods take no
// context, so the transaction carries the one View or Update was given. It
// is for one goroutine at a time. pgx prepares and caches each statement
// per connection on first use, so a query run in a loop is parsed once.
type tx struct {
	// Tx holds the methods shared with the other SQL stores; it runs on
	// conn{t}.
	sqltx.Tx

	ctx context.Context
	tx  pgx.Tx
	// shard is the bucket_usage shard this transaction adds to (see
	// usage.go and Store.shards).
	shard int
}

// newTx returns a transaction on pgTx that adds to usage shard shard.
func newTx(ctx context.Context, pgTx pgx.Tx, shard int) *tx {
	t := &tx{ctx: ctx, tx: pgTx, shard: shard}
	t.Tx = sqltx.New(conn{t}, &dialect)
	return t
}

func (t *tx) exec(query string, args ...any) (pgconn.CommandTag, error) {
	return t.tx.Exec(t.ctx, query, args...)
}

func (t *tx) query(query string, args ...any) (pgx.Rows, error) {
	return t.tx.Query(t.ctx, query, args...)
}

func (t *tx) queryRow(query string, args ...any) pgx.Row {
	return t.tx.QueryRow(t.ctx, query, args...)
}

// execOne runs a statement that must change a row; ErrNotFound-style
// callers use it for updates and deletes of a named row.
func (t *tx) execOne(query string, args ...any) (found bool, err error) {
	tag, err := t.exec(query, args...)
	if err != nil {
		return false, classify(err)
	}
	return tag.RowsAffected() > 0, nil
}

var _ meta.Tx = (*tx)(nil)

// conn is the transaction as sqltx runs on it; pgx's rows and row already
// have the methods sqltx wants.
type conn struct{ t *tx }

func (c conn) Query(query string, args ...any) (sqltx.Rows, error) {
	rows, err := c.t.query(query, args...)
	if err != nil {
		return nil, err
	}
	return rows, nil
}

func (c conn) QueryRow(query string, args ...any) sqltx.Row { return c.t.queryRow(query, args...) }

func (c conn) Exec(query string, args ...any) (int64, error) {
	tag, err := c.t.exec(query, args...)
	if err != nil {
		return 0, err
	}
	return tag.RowsAffected(), nil
}

func (conn) ForeignKey(err error) bool { return isForeignKey(err) }

func (conn) Classify(err error) error { return classify(err) }

// ClassifyInsert leaves a second latest version of a key (which only
// PutVersion can insert) out of ErrExists: it is a concurrent writer's, and
// the transaction is retryable (see latestTaken).
func (conn) ClassifyInsert(err error) error {
	if latestTaken(err) {
		return fmt.Errorf("another version of the key is latest: %w", err)
	}
	return classifyInsert(err)
}

package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/quarrylabs/quarry/internal/meta"
)

// tx implements meta.Tx on a pgx transaction. meta.Tx methods take no
// context, so the transaction carries the one View or Update was given. It
// is for one goroutine at a time. pgx prepares and caches each statement
// per connection on first use, so a query run in a loop is parsed once.
type tx struct {
	ctx context.Context
	tx  pgx.Tx
	// shard is the bucket_usage shard this transaction adds to, plus one;
	// 0 until AddUsage first picks one (see usage.go).
	shard int
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

// sqlLimit turns a meta limit into a SQL LIMIT value: a limit of zero or
// less means no limit.
func sqlLimit(limit int) int64 {
	if limit <= 0 {
		return 1<<63 - 1
	}
	return int64(limit)
}

var _ meta.Tx = (*tx)(nil)

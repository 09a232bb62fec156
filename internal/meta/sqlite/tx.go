package sqlite

import (
	"context"
	"database/sql"
)

// tx implements meta.Tx on a database/sql transaction. meta.Tx methods take
// no context, so the transaction carries the one View or Update was given.
// Like the sql.Tx under it, it is for one goroutine at a time.
type tx struct {
	ctx   context.Context
	tx    *sql.Tx
	stmts *stmtCache
	// bound holds the prepared statements this transaction has bound to its
	// connection, so a query run in a loop binds once.
	bound map[string]*sql.Stmt
}

// stmt returns the prepared statement for query bound to this transaction,
// or nil when query was not prepared at Open.
func (t *tx) stmt(query string) *sql.Stmt {
	if s, ok := t.bound[query]; ok {
		return s
	}
	shared, ok := t.stmts.byQuery[query]
	if !ok {
		t.stmts.unprepared.Add(1)
		return nil
	}
	s := t.tx.StmtContext(t.ctx, shared)
	if t.bound == nil {
		t.bound = make(map[string]*sql.Stmt, 8)
	}
	t.bound[query] = s
	return s
}

func (t *tx) exec(query string, args ...any) (sql.Result, error) {
	if s := t.stmt(query); s != nil {
		return s.ExecContext(t.ctx, args...)
	}
	return t.tx.ExecContext(t.ctx, query, args...)
}

func (t *tx) query(query string, args ...any) (*sql.Rows, error) {
	if s := t.stmt(query); s != nil {
		return s.QueryContext(t.ctx, args...)
	}
	return t.tx.QueryContext(t.ctx, query, args...)
}

func (t *tx) queryRow(query string, args ...any) *sql.Row {
	if s := t.stmt(query); s != nil {
		return s.QueryRowContext(t.ctx, args...)
	}
	return t.tx.QueryRowContext(t.ctx, query, args...)
}

// execOne runs a statement that must change a row; ErrNotFound-style
// callers use it for updates and deletes of a named row.
func (t *tx) execOne(query string, args ...any) (found bool, err error) {
	res, err := t.exec(query, args...)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, err
	}
	return n > 0, nil
}

// sqlLimit turns a meta limit into a SQL LIMIT value: a limit of zero or
// less means no limit.
func sqlLimit(limit int) int64 {
	if limit <= 0 {
		return 1<<63 - 1
	}
	return int64(limit)
}

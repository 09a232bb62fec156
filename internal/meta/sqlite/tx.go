package sqlite

import (
	"context"
	"database/sql"

	"github.com/quarrylabs/quarry/internal/meta"
	"github.com/quarrylabs/quarry/internal/meta/sqltx"
)

// tx implements meta.Tx on a database/sql transaction. meta.Tx methods take
// no context, so the transaction carries the one View or Update was given.
// Like the sql.Tx under it, it is for one goroutine at a time.
type tx struct {
	// Tx holds the methods shared with the other SQL stores; it runs on
	// conn{t}.
	sqltx.Tx

	ctx   context.Context
	tx    *sql.Tx
	stmts *stmtCache
	// bound holds the prepared statements this transaction has bound to its
	// connection, so a query run in a loop binds once.
	bound map[string]*sql.Stmt
}

// newTx returns a transaction on sqlTx using the statements of stmts;
// bound may carry statements already bound to sqlTx.
func newTx(ctx context.Context, sqlTx *sql.Tx, stmts *stmtCache, bound map[string]*sql.Stmt) *tx {
	t := &tx{ctx: ctx, tx: sqlTx, stmts: stmts, bound: bound}
	t.Tx = sqltx.New(conn{t}, &dialect)
	return t
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

// conn is the transaction as sqltx runs on it.
type conn struct{ t *tx }

func (c conn) Query(query string, args ...any) (sqltx.Rows, error) {
	rows, err := c.t.query(query, args...)
	if err != nil {
		return nil, err
	}
	return sqlRows{rows}, nil
}

func (c conn) QueryRow(query string, args ...any) sqltx.Row { return c.t.queryRow(query, args...) }

func (c conn) Exec(query string, args ...any) (int64, error) {
	res, err := c.t.exec(query, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func (conn) ForeignKey(err error) bool { return isForeignKey(err) }

func (conn) Classify(err error) error       { return classify(err) }
func (conn) ClassifyInsert(err error) error { return classifyInsert(err) }

// sqlRows gives *sql.Rows the Close of sqltx.Rows. Its error is dropped, as
// a deferred Close's is: a failure reading the rows is reported by Err.
type sqlRows struct{ *sql.Rows }

func (r sqlRows) Close() { _ = r.Rows.Close() }

var _ meta.Tx = (*tx)(nil)

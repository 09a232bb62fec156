// Package sqltx implements the meta.Tx methods whose logic is the same on
// every SQL metadata store: run a statement, scan its rows into meta types,
// wrap errors with context and map "no row" to meta.ErrNotFound. A store
// embeds Tx in its own transaction type and gives it two things: a Conn,
// which adapts its driver's transaction and classifies its driver's errors,
// and a Dialect, which holds its statements. What differs between stores
// beyond that (schemas, migrations, claims, usage counting, group commit)
// stays in the store, as methods of its transaction type.
//
// A Dialect's statements of one name take the same arguments in the same
// order in every store (SQLite's numbered parameters ?1 ?2 can be reused
// like PostgreSQL's $1 $2), and a SELECT returns the same columns in the
// same order, so one scanner reads them all.
package sqltx

import (
	"fmt"
	"reflect"

	"github.com/quarrylabs/quarry/internal/meta"
	"github.com/quarrylabs/quarry/internal/meta/metasql"
)

// Row is one row of a result, as *sql.Row and pgx.Row are.
type Row interface {
	Scan(dest ...any) error
}

// Rows is a result set. Close returns nothing, as pgx.Rows' does: an error
// closing rows that were read to the end is reported by Err.
type Rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
	Close()
}

// Conn is one store's transaction as the shared methods run on it. Query,
// QueryRow and Exec return the driver's errors as they are: the shared
// methods classify them where a sentinel is meant, as the stores did.
type Conn interface {
	Query(query string, args ...any) (Rows, error)
	QueryRow(query string, args ...any) Row
	// Exec runs a statement and returns the number of rows it changed.
	Exec(query string, args ...any) (rowsAffected int64, err error)
	// Classify maps a driver error to meta's sentinels, keeping the
	// driver's error in the chain: no rows is meta.ErrNotFound, a unique or
	// primary key violation meta.ErrExists; nil stays nil.
	Classify(err error) error
	// ClassifyInsert is Classify for inserts of a child row, whose only
	// foreign key violation is a missing parent: meta.ErrNotFound.
	ClassifyInsert(err error) error
	// ForeignKey reports whether err is a foreign key violation.
	ForeignKey(err error) bool
}

// Dialect is what a store tells the shared methods about its database: its
// statements, by domain, and how it stores text.
type Dialect struct {
	// TextOnly says text parameters must be valid text (meta.ValidText):
	// PostgreSQL refuses one that is not UTF-8 or holds a NUL byte, and the
	// refusal aborts the whole transaction. Names and keys from clients may
	// be anything, so with TextOnly a lookup checks them first: a string a
	// text column cannot hold names no row, which is ErrNotFound, and the
	// transaction goes on. SQLite stores any bytes and needs no check.
	TextOnly bool

	Bucket       BucketQueries
	Version      VersionQueries
	Upload       UploadQueries
	SSE          SSEQueries
	Storage      StorageQueries
	User         UserQueries
	Refresh      RefreshQueries
	Certificate  CertificateQueries
	Target       TargetQueries
	Notification NotificationQueries
	Outbox       OutboxQueries
	Job          JobQueries
	JobFailure   JobFailureQueries
	Event        EventQueries
	Trash        TrashQueries
}

// Tx implements the shared meta.Tx methods on a Conn. It is for one
// goroutine at a time, like the transaction under it.
type Tx struct {
	c Conn
	d *Dialect
}

// New returns a Tx running d's statements on c.
func New(c Conn, d *Dialect) Tx { return Tx{c: c, d: d} }

// execOne runs a statement that must change a row; ErrNotFound-style
// callers use it for updates and deletes of a named row.
func (t *Tx) execOne(query string, args ...any) (found bool, err error) {
	n, err := t.c.Exec(query, args...)
	if err != nil {
		return false, t.c.Classify(err)
	}
	return n > 0, nil
}

// noText returns an ErrNotFound error for what when the store is TextOnly
// and one of ss is not valid text, and nil otherwise.
func (t *Tx) noText(what string, ss ...string) error {
	if !t.d.TextOnly {
		return nil
	}
	for _, s := range ss {
		if !meta.ValidText(s) {
			return fmt.Errorf("%s %q: %w", what, s, meta.ErrNotFound)
		}
	}
	return nil
}

// freeText makes a message (an error text, which may quote what a remote
// server sent) storable: on a TextOnly store, invalid bytes and NULs become
// U+FFFD.
func (t *Tx) freeText(s string) string {
	if !t.d.TextOnly {
		return s
	}
	return metasql.FreeText(s)
}

// storable reports whether s can be a text parameter of the store.
func (t *Tx) storable(s string) bool {
	return !t.d.TextOnly || meta.ValidText(s)
}

// textRange is r as the store can query it: on a TextOnly store, r
// narrowed to valid text (meta.KeyRange.Text).
func (t *Tx) textRange(r meta.KeyRange) meta.KeyRange {
	if t.d.TextOnly {
		return r.Text()
	}
	return r
}

// limit turns a meta limit into a SQL LIMIT value: a limit of zero or less
// means no limit.
func limit(n int) int64 {
	if n <= 0 {
		return 1<<63 - 1
	}
	return int64(n)
}

// queryAll runs query and scans every row of its result with scan.
func queryAll[T any](c Conn, scan func(Row) (*T, error), query string, args ...any) ([]T, error) {
	rows, err := c.Query(query, args...)
	if err != nil {
		return nil, err
	}
	return collect(nil, rows, scan)
}

// collect appends to out what scan reads from each of rows, and closes
// them. (Some methods return an empty list as nil, some as empty: out is
// nil or empty accordingly.)
func collect[T any](out []T, rows Rows, scan func(Row) (*T, error)) ([]T, error) {
	defer rows.Close()
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *v)
	}
	return out, rows.Err()
}

// Statements returns every statement of d, for a store that prepares its
// statements up front.
func Statements(d *Dialect) []string {
	var out []string
	var walk func(v reflect.Value)
	walk = func(v reflect.Value) {
		switch v.Kind() {
		case reflect.Struct:
			for i := range v.NumField() {
				walk(v.Field(i))
			}
		case reflect.Slice:
			for i := range v.Len() {
				walk(v.Index(i))
			}
		case reflect.String:
			if s := v.String(); s != "" {
				out = append(out, s)
			}
		}
	}
	walk(reflect.ValueOf(d).Elem())
	return out
}

// listKeyed appends to out what scan reads from the rows query returns for
// bucket, args (a key range's, or a key and a position in it) and limit n:
// the shape of the key listings.
func listKeyed[T any](t *Tx, out []T, query, bucket string, args []any, n int, scan func(Row) (*T, error)) ([]T, error) {
	all := make([]any, 0, len(args)+2)
	all = append(all, bucket)
	all = append(all, args...)
	all = append(all, limit(n))
	rows, err := t.c.Query(query, all...)
	if err != nil {
		return nil, err
	}
	return collect(out, rows, scan)
}

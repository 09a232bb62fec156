package sqlite

import (
	"database/sql"
	"errors"
	"fmt"

	"github.com/quarrylabs/quarry/internal/meta"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// classify maps driver errors to meta's sentinels, keeping the driver's
// error in the chain for the log: no rows is ErrNotFound, a unique or
// primary key violation ErrExists.
func classify(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return meta.ErrNotFound
	}
	switch code(err) {
	case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
		return fmt.Errorf("%w: %w", meta.ErrExists, err)
	}
	return err
}

// classifyInsert is classify for inserts of a child row, whose only foreign
// key violation is a missing parent (bucket, upload or user).
func classifyInsert(err error) error {
	if code(err) == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY {
		return fmt.Errorf("%w: %w", meta.ErrNotFound, err)
	}
	return classify(err)
}

// code returns the SQLite extended result code of err, or 0.
func code(err error) int {
	var e *sqlite.Error
	if errors.As(err, &e) {
		return e.Code()
	}
	return 0
}

// isForeignKey reports whether err is a foreign key violation.
func isForeignKey(err error) bool {
	return code(err) == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
}

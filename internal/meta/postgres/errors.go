package postgres

import (
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/quarrylabs/quarry/internal/meta"
)

// SQLSTATE codes the store acts on.
const (
	codeUniqueViolation      = "23505"
	codeForeignKeyViolation  = "23503"
	codeSerializationFailure = "40001"
	codeDeadlockDetected     = "40P01"
)

// classify maps driver errors to meta's sentinels, keeping the driver's
// error in the chain for the log: no rows is ErrNotFound, a unique or
// primary key violation ErrExists.
func classify(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return meta.ErrNotFound
	}
	if code(err) == codeUniqueViolation {
		return fmt.Errorf("%w: %w", meta.ErrExists, err)
	}
	return err
}

// classifyInsert is classify for inserts of a child row, whose only foreign
// key violation is a missing parent (bucket, upload or user).
func classifyInsert(err error) error {
	if code(err) == codeForeignKeyViolation {
		return fmt.Errorf("%w: %w", meta.ErrNotFound, err)
	}
	return classify(err)
}

// code returns the SQLSTATE of err, or "".
func code(err error) string {
	var e *pgconn.PgError
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// isForeignKey reports whether err is a foreign key violation.
func isForeignKey(err error) bool {
	return code(err) == codeForeignKeyViolation
}

// retryable reports whether err is PostgreSQL aborting a transaction that
// may succeed when run again: a serialisation failure, a deadlock, or a
// second latest version of a key, which only a concurrent writer of the
// key can cause (see latestTaken).
func retryable(err error) bool {
	if latestTaken(err) {
		return true
	}
	switch code(err) {
	case codeSerializationFailure, codeDeadlockDetected:
		return true
	}
	return false
}

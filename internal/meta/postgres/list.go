package postgres

import (
	"fmt"

	"github.com/quarrylabs/quarry/internal/meta"
)

// Listings turn "starts with prefix, after a position" into one index range
// (meta.KeyRange); each of its four forms is its own query, so that each
// is prepared once per connection with a plan for its shape.
const (
	currentWhere = `FROM versions WHERE bucket = $1 AND is_latest AND NOT delete_marker AND object_key `

	qListLatestFrom         = `SELECT ` + versionCols + ` ` + currentWhere + `>= $2 ORDER BY object_key LIMIT $3`
	qListLatestFromBounded  = `SELECT ` + versionCols + ` ` + currentWhere + `>= $2 AND object_key < $3 ORDER BY object_key LIMIT $4`
	qListLatestAfter        = `SELECT ` + versionCols + ` ` + currentWhere + `> $2 ORDER BY object_key LIMIT $3`
	qListLatestAfterBounded = `SELECT ` + versionCols + ` ` + currentWhere + `> $2 AND object_key < $3 ORDER BY object_key LIMIT $4`

	// The same, keys only: versions_current covers them.
	qListLatestKeysFrom         = `SELECT object_key ` + currentWhere + `>= $2 ORDER BY object_key LIMIT $3`
	qListLatestKeysFromBounded  = `SELECT object_key ` + currentWhere + `>= $2 AND object_key < $3 ORDER BY object_key LIMIT $4`
	qListLatestKeysAfter        = `SELECT object_key ` + currentWhere + `> $2 ORDER BY object_key LIMIT $3`
	qListLatestKeysAfterBounded = `SELECT object_key ` + currentWhere + `> $2 AND object_key < $3 ORDER BY object_key LIMIT $4`

	qListKeyVersionsBefore = `SELECT ` + versionCols + ` FROM versions
		WHERE bucket = $1 AND object_key = $2 AND seq < $3 ORDER BY seq DESC LIMIT $4`

	versionsWhere             = `FROM versions WHERE bucket = $1 AND object_key `
	versionsOrder             = ` ORDER BY object_key, seq DESC LIMIT `
	qListVersionsFrom         = `SELECT ` + versionCols + ` ` + versionsWhere + `>= $2` + versionsOrder + `$3`
	qListVersionsFromBounded  = `SELECT ` + versionCols + ` ` + versionsWhere + `>= $2 AND object_key < $3` + versionsOrder + `$4`
	qListVersionsAfter        = `SELECT ` + versionCols + ` ` + versionsWhere + `> $2` + versionsOrder + `$3`
	qListVersionsAfterBounded = `SELECT ` + versionCols + ` ` + versionsWhere + `> $2 AND object_key < $3` + versionsOrder + `$4`
)

func (t *tx) ListLatest(bucket, prefix, after string, limit int) ([]meta.Version, error) {
	r := meta.RangeFor(prefix, after).Text()
	if r.Empty {
		return nil, nil
	}
	q, args := r.Pick(qListLatestFrom, qListLatestFromBounded, qListLatestAfter, qListLatestAfterBounded)
	out, err := t.listVersions(nil, q, bucket, args, limit)
	if err != nil {
		return nil, fmt.Errorf("list latest %s prefix %q after %q: %w", bucket, prefix, after, err)
	}
	return out, nil
}

func (t *tx) ListLatestKeys(bucket, prefix, after string, limit int) ([]string, error) {
	r := meta.RangeFor(prefix, after).Text()
	if r.Empty {
		return nil, nil
	}
	q, args := r.Pick(qListLatestKeysFrom, qListLatestKeysFromBounded, qListLatestKeysAfter, qListLatestKeysAfterBounded)
	rows, err := t.query(q, append(append([]any{bucket}, args...), sqlLimit(limit))...)
	if err != nil {
		return nil, fmt.Errorf("list latest keys %s prefix %q after %q: %w", bucket, prefix, after, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return nil, fmt.Errorf("list latest keys %s: %w", bucket, err)
		}
		out = append(out, k)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list latest keys %s: %w", bucket, err)
	}
	return out, nil
}

// ListVersions reads the rest of afterKey's versions first, then the keys
// after it (meta.ResumeRange).
func (t *tx) ListVersions(bucket, prefix, afterKey string, afterSeq int64, limit int) ([]meta.Version, error) {
	var out []meta.Version
	var err error
	restOfKey, r := meta.ResumeRange(prefix, afterKey, afterSeq > 0)
	// A key that is not valid text has no rows; the range skips past it.
	restOfKey, r = restOfKey && meta.ValidText(afterKey), r.Text()
	if restOfKey {
		out, err = t.listVersions(out, qListKeyVersionsBefore, bucket, []any{afterKey, afterSeq}, limit)
		if err != nil {
			return nil, fmt.Errorf("list versions %s of %q before %d: %w", bucket, afterKey, afterSeq, err)
		}
		if limit > 0 && len(out) >= limit {
			return out, nil
		}
	}
	if r.Empty {
		return out, nil
	}
	q, args := r.Pick(qListVersionsFrom, qListVersionsFromBounded, qListVersionsAfter, qListVersionsAfterBounded)
	out, err = t.listVersions(out, q, bucket, args, meta.Remaining(limit, len(out)))
	if err != nil {
		return nil, fmt.Errorf("list versions %s prefix %q after %q/%d: %w", bucket, prefix, afterKey, afterSeq, err)
	}
	return out, nil
}

// listVersions appends to out the versions query returns for bucket, the
// range's args and limit.
func (t *tx) listVersions(out []meta.Version, query, bucket string, args []any, limit int) ([]meta.Version, error) {
	all := make([]any, 0, len(args)+2)
	all = append(all, bucket)
	all = append(all, args...)
	all = append(all, sqlLimit(limit))
	rows, err := t.query(query, all...)
	if err != nil {
		return nil, err
	}
	return scanVersions(out, rows)
}

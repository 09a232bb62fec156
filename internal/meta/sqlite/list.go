package sqlite

import (
	"fmt"

	"github.com/quarrylabs/quarry/internal/meta"
)

// Listings turn "starts with prefix, after a position" into one index range
// (meta.KeyRange). Each of its four forms is its own constant query so that
// all of them are prepared.
const (
	currentWhere = `FROM versions WHERE bucket = ? AND is_latest = 1 AND delete_marker = 0 AND object_key `

	qListLatestFrom         = `SELECT ` + versionCols + ` ` + currentWhere + `>= ? ORDER BY object_key LIMIT ?`
	qListLatestFromBounded  = `SELECT ` + versionCols + ` ` + currentWhere + `>= ? AND object_key < ? ORDER BY object_key LIMIT ?`
	qListLatestAfter        = `SELECT ` + versionCols + ` ` + currentWhere + `> ? ORDER BY object_key LIMIT ?`
	qListLatestAfterBounded = `SELECT ` + versionCols + ` ` + currentWhere + `> ? AND object_key < ? ORDER BY object_key LIMIT ?`

	// The same, keys only: versions_current covers them.
	qListLatestKeysFrom         = `SELECT object_key ` + currentWhere + `>= ? ORDER BY object_key LIMIT ?`
	qListLatestKeysFromBounded  = `SELECT object_key ` + currentWhere + `>= ? AND object_key < ? ORDER BY object_key LIMIT ?`
	qListLatestKeysAfter        = `SELECT object_key ` + currentWhere + `> ? ORDER BY object_key LIMIT ?`
	qListLatestKeysAfterBounded = `SELECT object_key ` + currentWhere + `> ? AND object_key < ? ORDER BY object_key LIMIT ?`

	qListKeyVersionsBefore = `SELECT ` + versionCols + ` FROM versions
		WHERE bucket = ? AND object_key = ? AND seq < ? ORDER BY seq DESC LIMIT ?`

	versionsWhere             = `FROM versions WHERE bucket = ? AND object_key `
	versionsOrder             = ` ORDER BY object_key, seq DESC LIMIT ?`
	qListVersionsFrom         = `SELECT ` + versionCols + ` ` + versionsWhere + `>= ?` + versionsOrder
	qListVersionsFromBounded  = `SELECT ` + versionCols + ` ` + versionsWhere + `>= ? AND object_key < ?` + versionsOrder
	qListVersionsAfter        = `SELECT ` + versionCols + ` ` + versionsWhere + `> ?` + versionsOrder
	qListVersionsAfterBounded = `SELECT ` + versionCols + ` ` + versionsWhere + `> ? AND object_key < ?` + versionsOrder
)

func (t *tx) ListLatest(bucket, prefix, after string, limit int) ([]meta.Version, error) {
	r := meta.RangeFor(prefix, after)
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
	r := meta.RangeFor(prefix, after)
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

// listVersions appends to out the versions query returns for bucket, args
// and limit.
func (t *tx) listVersions(out []meta.Version, query, bucket string, args []any, limit int) ([]meta.Version, error) {
	all := make([]any, 0, len(args)+2)
	all = append(all, bucket)
	all = append(all, args...)
	all = append(all, sqlLimit(limit))
	rows, err := t.query(query, all...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		v, err := scanVersion(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *v)
	}
	return out, rows.Err()
}

package sqlite

import (
	"fmt"
	"strings"

	"github.com/quarrylabs/quarry/internal/meta"
)

// Listings turn "starts with prefix, after a position" into one index range:
// a lower end (inclusive from the prefix, or exclusive after the position,
// whichever is later) and an upper end from meta.PrefixUpperBound. Each
// combination is its own constant query so that all of them are prepared.
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

// keyRange is the range of keys a listing scans.
type keyRange struct {
	lower     string
	exclusive bool // lower itself is excluded
	upper     string
	bounded   bool // keys must sort below upper
	empty     bool // nothing can match
}

// rangeFor returns the keys that start with prefix and sort after `after`
// (an empty after means from the start).
func rangeFor(prefix, after string) keyRange {
	r := keyRange{lower: prefix}
	if after != "" && after >= prefix {
		r.lower, r.exclusive = after, true
	}
	r.upper, r.bounded = meta.PrefixUpperBound(prefix)
	if r.bounded && r.lower >= r.upper {
		r.empty = true
	}
	return r
}

// pick chooses among the four queries of a listing for r.
func (r keyRange) pick(from, fromBounded, after, afterBounded string) (query string, args []any) {
	switch {
	case r.exclusive && r.bounded:
		return afterBounded, []any{r.lower, r.upper}
	case r.exclusive:
		return after, []any{r.lower}
	case r.bounded:
		return fromBounded, []any{r.lower, r.upper}
	default:
		return from, []any{r.lower}
	}
}

func (t *tx) ListLatest(bucket, prefix, after string, limit int) ([]meta.Version, error) {
	r := rangeFor(prefix, after)
	if r.empty {
		return nil, nil
	}
	q, args := r.pick(qListLatestFrom, qListLatestFromBounded, qListLatestAfter, qListLatestAfterBounded)
	out, err := t.listVersions(nil, q, bucket, args, limit)
	if err != nil {
		return nil, fmt.Errorf("list latest %s prefix %q after %q: %w", bucket, prefix, after, err)
	}
	return out, nil
}

func (t *tx) ListLatestKeys(bucket, prefix, after string, limit int) ([]string, error) {
	r := rangeFor(prefix, after)
	if r.empty {
		return nil, nil
	}
	q, args := r.pick(qListLatestKeysFrom, qListLatestKeysFromBounded, qListLatestKeysAfter, qListLatestKeysAfterBounded)
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
// after it: two plain index ranges instead of one OR the planner might not
// serve from the index.
func (t *tx) ListVersions(bucket, prefix, afterKey string, afterSeq int64, limit int) ([]meta.Version, error) {
	var out []meta.Version
	var err error
	if afterSeq > 0 && strings.HasPrefix(afterKey, prefix) {
		out, err = t.listVersions(out, qListKeyVersionsBefore, bucket, []any{afterKey, afterSeq}, limit)
		if err != nil {
			return nil, fmt.Errorf("list versions %s of %q before %d: %w", bucket, afterKey, afterSeq, err)
		}
		if limit > 0 && len(out) >= limit {
			return out, nil
		}
	}
	r := rangeFor(prefix, afterKey)
	if afterSeq > 0 && afterKey == "" && prefix == "" {
		// Position ("", seq): the versions of the empty key are done.
		r.exclusive = true
	}
	if r.empty {
		return out, nil
	}
	rest := limit
	if limit > 0 {
		rest = limit - len(out)
	}
	q, args := r.pick(qListVersionsFrom, qListVersionsFromBounded, qListVersionsAfter, qListVersionsAfterBounded)
	out, err = t.listVersions(out, q, bucket, args, rest)
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

package sqltx

import (
	"fmt"

	"github.com/quarrylabs/quarry/internal/meta"
)

func (t *Tx) ListLatest(bucket, prefix, after string, n int) ([]meta.Version, error) {
	r := t.textRange(meta.RangeFor(prefix, after))
	if r.Empty {
		return nil, nil
	}
	q := &t.d.Version
	query, args := r.Pick(q.ListLatestFrom, q.ListLatestFromBounded, q.ListLatestAfter, q.ListLatestAfterBounded)
	out, err := t.listVersions(nil, query, bucket, args, n)
	if err != nil {
		return nil, fmt.Errorf("list latest %s prefix %q after %q: %w", bucket, prefix, after, err)
	}
	return out, nil
}

func (t *Tx) ListLatestKeys(bucket, prefix, after string, n int) ([]string, error) {
	r := t.textRange(meta.RangeFor(prefix, after))
	if r.Empty {
		return nil, nil
	}
	q := &t.d.Version
	query, args := r.Pick(q.ListLatestKeysFrom, q.ListLatestKeysFromBounded, q.ListLatestKeysAfter, q.ListLatestKeysAfterBounded)
	rows, err := t.c.Query(query, append(append([]any{bucket}, args...), limit(n))...)
	if err != nil {
		return nil, fmt.Errorf("list latest keys %s prefix %q after %q: %w", bucket, prefix, after, err)
	}
	out, err := collect(nil, rows, func(r Row) (*string, error) {
		var k string
		return &k, r.Scan(&k)
	})
	if err != nil {
		return nil, fmt.Errorf("list latest keys %s: %w", bucket, err)
	}
	return out, nil
}

// ListVersions reads the rest of afterKey's versions first, then the keys
// after it (meta.ResumeRange).
func (t *Tx) ListVersions(bucket, prefix, afterKey string, afterSeq int64, n int) ([]meta.Version, error) {
	var out []meta.Version
	var err error
	restOfKey, r := meta.ResumeRange(prefix, afterKey, afterSeq > 0)
	// A key the store cannot hold has no rows; the range skips past it.
	restOfKey, r = restOfKey && t.storable(afterKey), t.textRange(r)
	q := &t.d.Version
	if restOfKey {
		out, err = t.listVersions(out, q.ListKeyVersionsBefore, bucket, []any{afterKey, afterSeq}, n)
		if err != nil {
			return nil, fmt.Errorf("list versions %s of %q before %d: %w", bucket, afterKey, afterSeq, err)
		}
		if n > 0 && len(out) >= n {
			return out, nil
		}
	}
	if r.Empty {
		return out, nil
	}
	query, args := r.Pick(q.ListVersionsFrom, q.ListVersionsFromBounded, q.ListVersionsAfter, q.ListVersionsAfterBounded)
	out, err = t.listVersions(out, query, bucket, args, meta.Remaining(n, len(out)))
	if err != nil {
		return nil, fmt.Errorf("list versions %s prefix %q after %q/%d: %w", bucket, prefix, afterKey, afterSeq, err)
	}
	return out, nil
}

// listVersions appends to out the versions query returns for bucket, the
// range's args and limit n.
func (t *Tx) listVersions(out []meta.Version, query, bucket string, args []any, n int) ([]meta.Version, error) {
	return listKeyed(t, out, query, bucket, args, n, scanVersion)
}

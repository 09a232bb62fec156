package object

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/quarrylabs/quarry/internal/acl"
	"github.com/quarrylabs/quarry/internal/auth"
	"github.com/quarrylabs/quarry/internal/meta"
)

// maxListing is the most entries S3 returns in one page.
const maxListing = 1000

// pageSize clamps a requested page size to S3's: above 1000 is 1000.
func pageSize(n int) (int, error) {
	if n < 0 {
		return 0, fmt.Errorf("max keys %d: %w", n, ErrInvalidArgument)
	}
	return min(n, maxListing), nil
}

// commonPrefix returns the common prefix key rolls up into (prefix, then
// up to and including the first delimiter after it), or "".
func commonPrefix(key, prefix, delimiter string) string {
	if delimiter == "" {
		return ""
	}
	rest := key[len(prefix):]
	i := strings.Index(rest, delimiter)
	if i < 0 {
		return ""
	}
	return prefix + rest[:i+len(delimiter)]
}

// pastPrefix is a position after every key that starts with p: keys are
// valid UTF-8, which never holds the byte 0xff, so every key with prefix p
// sorts before p+"\xff" and every greater key after it. Listing from there
// skips a whole common prefix in one query.
func pastPrefix(p string) string { return p + "\xff" }

// ListObjects lists current objects, rolling keys up into common prefixes
// when a delimiter is given.
func (s *Service) ListObjects(ctx context.Context, p auth.Principal, in ListInput) (*ListOutput, error) {
	limit, err := pageSize(in.MaxKeys)
	if err != nil {
		return nil, err
	}
	out := &ListOutput{}
	err = s.cfg.Meta.View(ctx, func(tx meta.Tx) error {
		if _, err := bucketAllowing(tx, p, in.Bucket, acl.Read); err != nil {
			return err
		}
		if limit == 0 {
			return nil
		}
		return listLatest(tx, in, limit, out)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func listLatest(tx meta.Tx, in ListInput, limit int, out *ListOutput) error {
	after := in.StartAfter
	count := 0
	for {
		want := limit - count + 1
		batch, err := tx.ListLatest(in.Bucket, in.Prefix, after, want)
		if err != nil {
			return fmt.Errorf("list %s: %w", in.Bucket, err)
		}
		restart := false
		for i := range batch {
			v := &batch[i]
			cp := commonPrefix(v.Key, in.Prefix, in.Delimiter)
			if cp != "" && cp <= in.StartAfter {
				// The marker is this prefix (or inside it): already listed.
				after, restart = pastPrefix(cp), true
				break
			}
			if count == limit {
				out.IsTruncated = true
				return nil
			}
			count++
			if cp != "" {
				out.CommonPrefixes = append(out.CommonPrefixes, cp)
				out.NextMarker = cp
				after, restart = pastPrefix(cp), true
				break
			}
			out.Objects = append(out.Objects, *v)
			out.NextMarker = v.Key
			after = v.Key
		}
		if !restart && len(batch) < want {
			return nil
		}
	}
}

// ListVersions lists versions and delete markers: keys ascending, each
// key's versions newest first.
func (s *Service) ListVersions(ctx context.Context, p auth.Principal, in ListVersionsInput) (*ListVersionsOutput, error) {
	limit, err := pageSize(in.MaxKeys)
	if err != nil {
		return nil, err
	}
	if in.VersionIDMarker != "" && in.KeyMarker == "" {
		return nil, fmt.Errorf("version-id-marker without key-marker: %w", ErrInvalidArgument)
	}
	out := &ListVersionsOutput{}
	err = s.cfg.Meta.View(ctx, func(tx meta.Tx) error {
		if _, err := bucketAllowing(tx, p, in.Bucket, acl.Read); err != nil {
			return err
		}
		afterSeq, err := versionMarkerSeq(tx, in)
		if err != nil {
			return err
		}
		if limit == 0 {
			return nil
		}
		return listVersions(tx, in, afterSeq, limit, out)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// versionMarkerSeq finds where a version-id-marker points: the listing
// goes on with the versions of the key marker below the returned Seq; 0
// means after every version of the key marker.
//
// A marker is a position, not a reference: the "empty a versioned bucket"
// loop deletes every version it was given, marker included, then lists on
// from the marker. A version that still exists gives its own Seq. One that
// is gone is placed by the time its id carries (a key's ids ascend with
// its Seq, see positionTime): the listing goes on with the newest version
// placed before it. A gone null version has no time to place it by; the
// listing goes on with every remaining version of the key (in that loop
// they all sort after it). Anything not of a version id's form is
// InvalidArgument, as on S3.
func versionMarkerSeq(tx meta.Tx, in ListVersionsInput) (int64, error) {
	if in.VersionIDMarker == "" {
		return 0, nil
	}
	if !IsVersionID(in.VersionIDMarker) {
		return 0, fmt.Errorf("version-id-marker %q: %w", in.VersionIDMarker, ErrInvalidArgument)
	}
	v, err := tx.GetVersion(in.Bucket, in.KeyMarker, in.VersionIDMarker)
	switch {
	case err == nil:
		return v.Seq, nil
	case !errors.Is(err, meta.ErrNotFound):
		return 0, fmt.Errorf("get version-id-marker: %w", err)
	}
	at, ok := versionIDTime(in.VersionIDMarker)
	if !ok {
		return math.MaxInt64, nil // a null version that is gone
	}
	return seqBefore(tx, in.Bucket, in.KeyMarker, at)
}

// seqBefore returns the Seq just above the newest version of key placed
// before at (so that listing below it starts with that version), or 0 when
// none of the key's versions is.
func seqBefore(tx meta.Tx, bucket, key string, at time.Time) (int64, error) {
	below := int64(math.MaxInt64)
	for {
		batch, err := tx.ListVersions(bucket, key, key, below, maxListing)
		if err != nil {
			return 0, fmt.Errorf("list versions of %s/%s: %w", bucket, key, err)
		}
		for i := range batch {
			v := &batch[i]
			if v.Key != key {
				return 0, nil
			}
			if positionTime(v).Before(at) {
				return v.Seq + 1, nil
			}
			below = v.Seq
		}
		if len(batch) < maxListing {
			return 0, nil
		}
	}
}

func listVersions(tx meta.Tx, in ListVersionsInput, afterSeq int64, limit int, out *ListVersionsOutput) error {
	afterKey := in.KeyMarker
	count := 0
	for {
		want := limit - count + 1
		batch, err := tx.ListVersions(in.Bucket, in.Prefix, afterKey, afterSeq, want)
		if err != nil {
			return fmt.Errorf("list versions of %s: %w", in.Bucket, err)
		}
		restart := false
		for i := range batch {
			v := &batch[i]
			cp := commonPrefix(v.Key, in.Prefix, in.Delimiter)
			if cp != "" && cp <= in.KeyMarker {
				afterKey, afterSeq, restart = pastPrefix(cp), 0, true
				break
			}
			if count == limit {
				out.IsTruncated = true
				return nil
			}
			count++
			if cp != "" {
				out.CommonPrefixes = append(out.CommonPrefixes, cp)
				out.NextKeyMarker, out.NextVersionIDMarker = cp, ""
				afterKey, afterSeq, restart = pastPrefix(cp), 0, true
				break
			}
			out.Versions = append(out.Versions, *v)
			out.NextKeyMarker, out.NextVersionIDMarker = v.Key, v.VersionID
			afterKey, afterSeq = v.Key, v.Seq
		}
		if !restart && len(batch) < want {
			return nil
		}
	}
}

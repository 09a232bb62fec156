package object

import (
	"errors"
	"fmt"

	"github.com/quarrylabs/quarry/internal/auth"
	"github.com/quarrylabs/quarry/internal/meta"
)

// UsableBucket returns the bucket if it exists and p may use it. Existence
// is checked first: S3 answers NoSuchBucket for a missing bucket and
// AccessDenied only for one that exists but belongs to someone else. It
// runs in the caller's transaction, so that the bucket cannot change hands
// between the check and the change it guards (bucket configurations use it
// too).
func UsableBucket(tx meta.Tx, p auth.Principal, name string) (*meta.Bucket, error) {
	b, err := tx.GetBucket(name)
	if errors.Is(err, meta.ErrNotFound) {
		return nil, fmt.Errorf("bucket %q: %w", name, ErrNoSuchBucket)
	}
	if err != nil {
		return nil, fmt.Errorf("get bucket %q: %w", name, err)
	}
	if !p.CanUse(b.OwnerID) {
		return nil, fmt.Errorf("bucket %q: %w", name, ErrAccessDenied)
	}
	return b, nil
}

// latestVersion returns the latest version of key, or nil when the key has
// none.
func latestVersion(tx meta.Tx, bucket, key string) (*meta.Version, error) {
	v, err := tx.GetLatest(bucket, key)
	if errors.Is(err, meta.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("get latest %s/%s: %w", bucket, key, err)
	}
	return v, nil
}

// resolveVersion returns the version a read addresses: the latest when
// versionID is empty, else that version. A delete marker in either place is
// a *DeleteMarkerError, as S3 reports it.
func resolveVersion(tx meta.Tx, bucket, key, versionID string) (*meta.Version, error) {
	if versionID == "" {
		v, err := latestVersion(tx, bucket, key)
		if err != nil {
			return nil, err
		}
		if v == nil {
			return nil, fmt.Errorf("%s/%s: %w", bucket, key, ErrNoSuchKey)
		}
		if v.DeleteMarker {
			return nil, &DeleteMarkerError{VersionID: v.VersionID, LastModified: v.LastModified, Err: ErrNoSuchKey}
		}
		return v, nil
	}
	v, err := tx.GetVersion(bucket, key, versionID)
	if errors.Is(err, meta.ErrNotFound) {
		return nil, fmt.Errorf("%s/%s version %q: %w", bucket, key, versionID, ErrNoSuchVersion)
	}
	if err != nil {
		return nil, fmt.Errorf("get version %s/%s %q: %w", bucket, key, versionID, err)
	}
	if v.DeleteMarker {
		return nil, &DeleteMarkerError{VersionID: v.VersionID, LastModified: v.LastModified, Err: ErrMethodNotAllowed}
	}
	return v, nil
}

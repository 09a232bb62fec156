package object

import (
	"context"
	"errors"
	"fmt"

	"github.com/quarrylabs/quarry/internal/acl"
	"github.com/quarrylabs/quarry/internal/auth"
	"github.com/quarrylabs/quarry/internal/meta"
)

// UsableBucket returns the bucket if it exists and p may use it as its
// owner does: its owner or an admin. Existence is checked first: S3
// answers NoSuchBucket for a missing bucket and AccessDenied only for one
// that exists but belongs to someone else. It runs in the caller's
// transaction, so that the bucket cannot change hands between the check
// and the change it guards (bucket configurations use it too). What an ACL
// lets others do is checked by bucketAllowing and objectAllowing.
func UsableBucket(tx meta.Tx, p auth.Principal, name string) (*meta.Bucket, error) {
	return bucketAllowing(tx, p, name, acl.FullControl)
}

// bucketAllowing returns the bucket if it exists and p may do perm on it:
// its owner and admins always, anyone else as its ACL grants (see
// acl.BucketAllows). FULL_CONTROL, which no canned ACL grants to anyone but
// the owner, asks for the owner.
func bucketAllowing(tx meta.Tx, p auth.Principal, name string, perm acl.Permission) (*meta.Bucket, error) {
	b, err := getBucket(tx, name)
	if err != nil {
		return nil, err
	}
	if !acl.BucketAllows(acl.Canned(b.ACL), acl.RequesterOf(p, b.OwnerID), perm) {
		return nil, fmt.Errorf("bucket %q: %s of %s: %w", name, perm, requesterName(p), ErrAccessDenied)
	}
	return b, nil
}

// objectAllowing returns the version a request addresses (the latest when
// versionID is empty) and its bucket, if p may do perm on it (see
// acl.ObjectAllows). A requester who may not list the bucket learns
// nothing about what it holds: a missing key or version, or a delete
// marker, is AccessDenied to it, as on S3.
func objectAllowing(tx meta.Tx, p auth.Principal, bucket, key, versionID string, perm acl.Permission) (*meta.Bucket, *meta.Version, error) {
	b, err := getBucket(tx, bucket)
	if err != nil {
		return nil, nil, err
	}
	who := acl.RequesterOf(p, b.OwnerID)
	bucketACL := acl.Canned(b.ACL)
	v, err := resolveVersion(tx, bucket, key, versionID)
	if err != nil {
		if !acl.BucketAllows(bucketACL, who, acl.Read) && isMissing(err) {
			return nil, nil, fmt.Errorf("%s/%s: %s of %s: %w", bucket, key, perm, requesterName(p), ErrAccessDenied)
		}
		return nil, nil, err
	}
	if who == acl.Owner {
		return b, v, nil
	}
	objectACL, err := tx.GetVersionACL(bucket, key, v.VersionID)
	if err != nil {
		return nil, nil, fmt.Errorf("get acl of %s/%s %s: %w", bucket, key, v.VersionID, err)
	}
	if !acl.ObjectAllows(bucketACL, acl.Canned(objectACL), who, perm) {
		return nil, nil, fmt.Errorf("%s/%s: %s of %s: %w", bucket, key, perm, requesterName(p), ErrAccessDenied)
	}
	return b, v, nil
}

// isMissing reports whether a version lookup found nothing to read.
func isMissing(err error) bool {
	var dm *DeleteMarkerError
	return errors.Is(err, ErrNoSuchKey) || errors.Is(err, ErrNoSuchVersion) || errors.As(err, &dm)
}

func getBucket(tx meta.Tx, name string) (*meta.Bucket, error) {
	b, err := tx.GetBucket(name)
	if errors.Is(err, meta.ErrNotFound) {
		return nil, fmt.Errorf("bucket %q: %w", name, ErrNoSuchBucket)
	}
	if err != nil {
		return nil, fmt.Errorf("get bucket %q: %w", name, err)
	}
	return b, nil
}

// requesterName names p in errors (for logs only).
func requesterName(p auth.Principal) string {
	if p.IsAnonymous() {
		return "an anonymous request"
	}
	return fmt.Sprintf("user %d", p.UserID)
}

// ownerOfWrite is who owns what p writes to b: p when it may use b as its
// owner does, else the bucket's owner. As with AWS's BucketOwnerEnforced
// ownership, a write that the bucket's ACL allowed (an anonymous PUT to a
// public-read-write bucket) gives the object to the bucket's owner.
func ownerOfWrite(p auth.Principal, b *meta.Bucket) int64 {
	if p.CanUse(b.OwnerID) {
		return p.UserID
	}
	return b.OwnerID
}

// replicaAllowed reports whether p's write to b may be marked a replica as
// asked: only who may use the bucket as its owner does. A write that the
// bucket's ACL allowed stays under the owner's replication configuration.
func replicaAllowed(p auth.Principal, b *meta.Bucket, asked bool) bool {
	return asked && p.CanUse(b.OwnerID)
}

// BucketAccess returns the bucket if it exists and p may do perm on it, by
// the same rule every operation applies. It lets a caller check before it
// does any work, for example whether an anonymous browser upload may
// write to a bucket at all (p = auth.Anonymous(), perm = acl.Write).
func (s *Service) BucketAccess(ctx context.Context, p auth.Principal, bucket string, perm acl.Permission) (*meta.Bucket, error) {
	var b *meta.Bucket
	err := s.cfg.Meta.View(ctx, func(tx meta.Tx) error {
		var err error
		b, err = bucketAllowing(tx, p, bucket, perm)
		return err
	})
	return b, err
}

// BucketConfig reads a bucket's configuration without checking anyone's
// access to it: for the response headers of an operation that was already
// allowed (the version id a bucket's versioning decides, its lifecycle's
// expiry). ErrNoSuchBucket when it does not exist.
func (s *Service) BucketConfig(ctx context.Context, bucket string) (*meta.Bucket, error) {
	var b *meta.Bucket
	err := s.cfg.Meta.View(ctx, func(tx meta.Tx) error {
		var err error
		b, err = getBucket(tx, bucket)
		return err
	})
	return b, err
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

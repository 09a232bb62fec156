package object

import (
	"context"
	"fmt"

	"github.com/quarrylabs/quarry/internal/acl"
	"github.com/quarrylabs/quarry/internal/auth"
	"github.com/quarrylabs/quarry/internal/events"
	"github.com/quarrylabs/quarry/internal/meta"
)

// BucketACL returns the bucket and its canned ACL, if p may read it
// (READ_ACP: its owner or an admin).
func (s *Service) BucketACL(ctx context.Context, p auth.Principal, bucket string) (*meta.Bucket, acl.Canned, error) {
	var b *meta.Bucket
	err := s.cfg.Meta.View(ctx, func(tx meta.Tx) error {
		var err error
		b, err = bucketAllowing(tx, p, bucket, acl.ReadACP)
		return err
	})
	if err != nil {
		return nil, acl.Private, err
	}
	return b, acl.Canned(b.ACL), nil
}

// SetBucketACL replaces the bucket's canned ACL, if p may (WRITE_ACP: its
// owner or an admin), and records it in the event log.
func (s *Service) SetBucketACL(ctx context.Context, p auth.Principal, bucket string, a acl.Canned) error {
	return s.cfg.Meta.Update(ctx, func(tx meta.Tx) error {
		b, err := bucketAllowing(tx, p, bucket, acl.WriteACP)
		if err != nil {
			return err
		}
		if err := tx.SetBucketACL(bucket, string(a)); err != nil {
			return fmt.Errorf("set acl of bucket %q: %w", bucket, err)
		}
		return events.Append(tx, events.Bucket(events.BucketACLSet, b, p.Actor(), s.now(), "ACL set to "+a.Name()))
	})
}

// ObjectACL returns the version a request addresses (the latest when
// versionID is empty) and its canned ACL, if p may read it (READ_ACP).
func (s *Service) ObjectACL(ctx context.Context, p auth.Principal, bucket, key, versionID string) (*meta.Version, acl.Canned, error) {
	var (
		v *meta.Version
		a string
	)
	err := s.cfg.Meta.View(ctx, func(tx meta.Tx) error {
		var err error
		if _, v, err = objectAllowing(tx, p, bucket, key, versionID, acl.ReadACP); err != nil {
			return err
		}
		if a, err = tx.GetVersionACL(bucket, key, v.VersionID); err != nil {
			return fmt.Errorf("get acl of %s/%s %s: %w", bucket, key, v.VersionID, err)
		}
		return nil
	})
	if err != nil {
		return nil, acl.Private, err
	}
	return v, acl.Canned(a), nil
}

// SetObjectACL replaces the canned ACL of the version a request addresses
// (the latest when versionID is empty), if p may (WRITE_ACP), and returns
// that version. The ACL is the version's own: an older version keeps its
// ACL, a new version starts private.
func (s *Service) SetObjectACL(ctx context.Context, p auth.Principal, bucket, key, versionID string, a acl.Canned) (*meta.Version, error) {
	var v *meta.Version
	err := s.cfg.Meta.Update(ctx, func(tx meta.Tx) error {
		var err error
		if _, v, err = objectAllowing(tx, p, bucket, key, versionID, acl.WriteACP); err != nil {
			return err
		}
		if err := tx.SetVersionACL(bucket, key, v.VersionID, string(a)); err != nil {
			return fmt.Errorf("set acl of %s/%s %s: %w", bucket, key, v.VersionID, err)
		}
		return nil
	})
	return v, err
}

package object

import (
	"context"
	"fmt"

	"github.com/quarrylabs/quarry/internal/auth"
	"github.com/quarrylabs/quarry/internal/meta"
)

// GetBucketTags returns ErrNoSuchTagSet when the bucket has none.
func (s *Service) GetBucketTags(ctx context.Context, p auth.Principal, bucket string) (map[string]string, error) {
	var tags map[string]string
	err := s.cfg.Meta.View(ctx, func(tx meta.Tx) error {
		b, err := UsableBucket(tx, p, bucket)
		if err != nil {
			return err
		}
		if b.Tags == nil {
			return fmt.Errorf("tags of bucket %q: %w", bucket, ErrNoSuchTagSet)
		}
		tags = b.Tags
		return nil
	})
	return tags, err
}

// PutBucketTags replaces the bucket's tag set.
func (s *Service) PutBucketTags(ctx context.Context, p auth.Principal, bucket string, tags map[string]string) error {
	if err := validateTags(tags, maxBucketTags); err != nil {
		return err
	}
	// An empty set is still a set: S3 then answers GetBucketTagging with
	// an empty TagSet rather than NoSuchTagSet.
	stored := cloneMap(tags)
	if stored == nil {
		stored = map[string]string{}
	}
	return s.setBucketTags(ctx, p, bucket, stored)
}

// DeleteBucketTags removes the bucket's tag set.
func (s *Service) DeleteBucketTags(ctx context.Context, p auth.Principal, bucket string) error {
	return s.setBucketTags(ctx, p, bucket, nil)
}

func (s *Service) setBucketTags(ctx context.Context, p auth.Principal, bucket string, tags map[string]string) error {
	return s.cfg.Meta.Update(ctx, func(tx meta.Tx) error {
		if _, err := UsableBucket(tx, p, bucket); err != nil {
			return err
		}
		if err := tx.SetBucketTags(bucket, tags); err != nil {
			return fmt.Errorf("set tags of bucket %q: %w", bucket, err)
		}
		return nil
	})
}

// GetObjectTags returns the tags of a version (the latest when versionID is
// empty) and the version id they belong to.
func (s *Service) GetObjectTags(ctx context.Context, p auth.Principal, bucket, key, versionID string) (map[string]string, string, error) {
	var v *meta.Version
	err := s.cfg.Meta.View(ctx, func(tx meta.Tx) error {
		if _, err := UsableBucket(tx, p, bucket); err != nil {
			return err
		}
		var err error
		v, err = resolveVersion(tx, bucket, key, versionID)
		return err
	})
	if err != nil {
		return nil, "", err
	}
	return v.Tags, v.VersionID, nil
}

// PutObjectTags replaces a version's tags and returns its version id.
func (s *Service) PutObjectTags(ctx context.Context, p auth.Principal, bucket, key, versionID string, tags map[string]string) (string, error) {
	if err := validateTags(tags, maxObjectTags); err != nil {
		return "", err
	}
	return s.setObjectTags(ctx, p, bucket, key, versionID, cloneMap(tags))
}

// DeleteObjectTags removes a version's tags and returns its version id.
func (s *Service) DeleteObjectTags(ctx context.Context, p auth.Principal, bucket, key, versionID string) (string, error) {
	return s.setObjectTags(ctx, p, bucket, key, versionID, nil)
}

func (s *Service) setObjectTags(ctx context.Context, p auth.Principal, bucket, key, versionID string, tags map[string]string) (string, error) {
	var id string
	name := EventTaggingPut
	if tags == nil {
		name = EventTaggingDelete
	}
	err := s.commit(ctx, bucket, func(c *Change) error {
		b, err := UsableBucket(c.tx, p, bucket)
		if err != nil {
			return err
		}
		v, err := resolveVersion(c.tx, bucket, key, versionID)
		if err != nil {
			return err
		}
		if err := c.tx.SetVersionTags(bucket, key, v.VersionID, tags); err != nil {
			return fmt.Errorf("set tags of %s/%s %s: %w", bucket, key, v.VersionID, err)
		}
		id = v.VersionID
		return c.event(b, name, v, true)
	})
	return id, err
}

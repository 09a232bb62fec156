package object

import (
	"context"
	"errors"
	"fmt"

	"github.com/quarrylabs/quarry/internal/acl"
	"github.com/quarrylabs/quarry/internal/auth"
	"github.com/quarrylabs/quarry/internal/events"
	"github.com/quarrylabs/quarry/internal/meta"
)

// CreateBucket creates a private bucket owned by p.
func (s *Service) CreateBucket(ctx context.Context, p auth.Principal, name string) error {
	return s.CreateBucketWithACL(ctx, p, name, acl.Private)
}

// CreateBucketWithACL creates a bucket owned by p with the canned ACL a.
// Only a user may own a bucket: the anonymous principal gets AccessDenied.
func (s *Service) CreateBucketWithACL(ctx context.Context, p auth.Principal, name string, a acl.Canned) error {
	if p.IsAnonymous() {
		return fmt.Errorf("create bucket %q: an anonymous request: %w", name, ErrAccessDenied)
	}
	if err := validateBucketName(name); err != nil {
		return err
	}
	err := s.cfg.Meta.Update(ctx, func(tx meta.Tx) error {
		existing, err := tx.GetBucket(name)
		switch {
		case err == nil:
			return alreadyExists(p, existing)
		case !errors.Is(err, meta.ErrNotFound):
			return fmt.Errorf("get bucket %q: %w", name, err)
		}
		b := &meta.Bucket{Name: name, OwnerID: p.UserID, CreatedAt: s.now(), ACL: string(a)}
		err = tx.CreateBucket(b)
		if errors.Is(err, meta.ErrExists) {
			return fmt.Errorf("create bucket %q: %w", name, ErrBucketAlreadyExists)
		}
		if err != nil {
			return fmt.Errorf("create bucket %q: %w", name, err)
		}
		return events.Append(tx, events.Bucket(events.BucketCreated, b, p.Actor(), b.CreatedAt, "created"))
	})
	return err
}

func alreadyExists(p auth.Principal, b *meta.Bucket) error {
	if b.OwnerID == p.UserID {
		return fmt.Errorf("create bucket %q: %w", b.Name, ErrBucketAlreadyOwnedByYou)
	}
	return fmt.Errorf("create bucket %q: %w", b.Name, ErrBucketAlreadyExists)
}

// DeleteBucket deletes a bucket that holds no version and no delete marker.
// Multipart uploads in progress go with it, their parts trashed.
func (s *Service) DeleteBucket(ctx context.Context, p auth.Principal, name string) error {
	return s.commit(ctx, name, func(c *Change) error {
		b, err := UsableBucket(c.tx, p, name)
		if err != nil {
			return err
		}
		has, err := c.tx.HasVersions(name)
		if err != nil {
			return fmt.Errorf("check bucket %q is empty: %w", name, err)
		}
		if has {
			return fmt.Errorf("delete bucket %q: %w", name, ErrBucketNotEmpty)
		}
		if err := abortAllUploads(c, name); err != nil {
			return err
		}
		if err := c.tx.DeleteBucket(name); err != nil {
			return fmt.Errorf("delete bucket %q: %w", name, err)
		}
		return events.Append(c.tx, events.Bucket(events.BucketDeleted, b, p.Actor(), s.now(), "deleted"))
	})
}

// abortAllUploads discards every upload of the bucket and trashes its parts.
func abortAllUploads(c *Change, bucket string) error {
	for {
		uploads, err := c.tx.ListUploads(bucket, "", "", "", maxListing)
		if err != nil {
			return fmt.Errorf("list uploads of %q: %w", bucket, err)
		}
		for _, u := range uploads {
			if err := discardUpload(c, u.ID, nil); err != nil {
				return err
			}
		}
		if len(uploads) < maxListing {
			return nil
		}
	}
}

// HeadBucket returns the bucket if it exists and p may use it.
func (s *Service) HeadBucket(ctx context.Context, p auth.Principal, name string) (*meta.Bucket, error) {
	var b *meta.Bucket
	err := s.cfg.Meta.View(ctx, func(tx meta.Tx) error {
		var err error
		b, err = UsableBucket(tx, p, name)
		return err
	})
	return b, err
}

// ListBuckets lists p's buckets (every bucket for an admin).
func (s *Service) ListBuckets(ctx context.Context, p auth.Principal) ([]meta.Bucket, error) {
	owner, err := bucketLister(p)
	if err != nil {
		return nil, err
	}
	var buckets []meta.Bucket
	err = s.cfg.Meta.View(ctx, func(tx meta.Tx) error {
		var err error
		buckets, err = tx.ListBuckets(owner)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list buckets: %w", err)
	}
	return buckets, nil
}

// bucketLister is the owner whose buckets p lists: p's own, every bucket
// (0) for an admin. The anonymous principal owns nothing and may not list.
func bucketLister(p auth.Principal) (int64, error) {
	switch {
	case p.IsAnonymous():
		return 0, fmt.Errorf("list buckets: an anonymous request: %w", ErrAccessDenied)
	case p.Admin():
		return 0, nil
	}
	return p.UserID, nil
}

// ListBucketsInput is a page of ListBuckets.
type ListBucketsInput struct {
	Prefix string
	// After is the name the page starts after ("" from the start).
	After string
	// Limit is the most buckets returned; 0 returns every one.
	Limit int
}

// ListBucketsOutput is a page of p's buckets, by name.
type ListBucketsOutput struct {
	Buckets []meta.Bucket
	// IsTruncated: more buckets follow the last one returned.
	IsTruncated bool
}

// ListBucketsPage lists a page of p's buckets (of every bucket for an
// admin) whose names start with in.Prefix and sort after in.After.
func (s *Service) ListBucketsPage(ctx context.Context, p auth.Principal, in ListBucketsInput) (*ListBucketsOutput, error) {
	owner, err := bucketLister(p)
	if err != nil {
		return nil, err
	}
	if in.Limit < 0 {
		return nil, fmt.Errorf("list buckets: limit %d: %w", in.Limit, ErrInvalidArgument)
	}
	var page []meta.Bucket
	err = s.cfg.Meta.View(ctx, func(tx meta.Tx) error {
		limit := 0
		if in.Limit > 0 {
			limit = in.Limit + 1 // one more tells whether more follow
		}
		var err error
		page, err = tx.ListBucketsAfter(owner, in.Prefix, in.After, limit)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list buckets: %w", err)
	}
	out := &ListBucketsOutput{Buckets: page}
	if in.Limit > 0 && len(page) > in.Limit {
		out.Buckets, out.IsTruncated = page[:in.Limit], true
	}
	return out, nil
}

// SetVersioning sets Enabled or Suspended. A bucket cannot go back to never
// versioned, so any other state is malformed, as in S3. A bucket with a
// replication configuration cannot be suspended (ErrInvalidBucketState).
func (s *Service) SetVersioning(ctx context.Context, p auth.Principal, bucket string, v meta.Versioning) error {
	if v != meta.VersioningEnabled && v != meta.VersioningSuspended {
		return fmt.Errorf("versioning status %q: %w", v, ErrMalformedXML)
	}
	return s.cfg.Meta.Update(ctx, func(tx meta.Tx) error {
		b, err := UsableBucket(tx, p, bucket)
		if err != nil {
			return err
		}
		// Replication copies versions by id: it needs versioning on.
		if v == meta.VersioningSuspended && len(b.Replication) > 0 {
			return fmt.Errorf("suspend versioning of %q: the bucket has a replication configuration: %w", bucket, ErrInvalidBucketState)
		}
		if b.Versioning == v {
			return nil
		}
		if err := tx.SetBucketVersioning(bucket, v); err != nil {
			return fmt.Errorf("set versioning of %q: %w", bucket, err)
		}
		return events.Append(tx, events.Bucket(events.BucketVersioningChanged, b, p.Actor(), s.now(),
			"versioning set to "+string(v)))
	})
}

// Usage returns the bucket's usage counters.
func (s *Service) Usage(ctx context.Context, p auth.Principal, bucket string) (meta.Usage, error) {
	var u meta.Usage
	err := s.cfg.Meta.View(ctx, func(tx meta.Tx) error {
		if _, err := UsableBucket(tx, p, bucket); err != nil {
			return err
		}
		var err error
		u, err = tx.GetUsage(bucket)
		if err != nil {
			return fmt.Errorf("get usage of %q: %w", bucket, err)
		}
		return nil
	})
	return u, err
}

package object

import (
	"errors"
	"fmt"

	"github.com/quarrylabs/quarry/internal/meta"
)

// Begin opens a Change on bucket inside tx, for callers that change objects
// in a transaction of their own: a job's checkpoint, whose object changes
// and cursor advance must commit together so that a resumed job never acts
// twice. It reads the bucket (ErrNoSuchBucket when it is gone) and checks
// no access: the caller acts for the system (a job checked its bucket when
// it was created).
//
// The caller makes its changes, calls Finish before tx commits and
// Committed after.
func (s *Service) Begin(tx meta.Tx, bucket string) (*Change, error) {
	b, err := tx.GetBucket(bucket)
	if errors.Is(err, meta.ErrNotFound) {
		return nil, fmt.Errorf("bucket %s: %w", bucket, ErrNoSuchBucket)
	}
	if err != nil {
		return nil, fmt.Errorf("read bucket %s: %w", bucket, err)
	}
	c := newChange(tx, bucket, s)
	c.b = b
	return c, nil
}

// Bucket is the bucket the change is on, as read when it began.
func (c *Change) Bucket() *meta.Bucket { return c.b }

// Tx is the transaction the change is part of, for reads.
func (c *Change) Tx() meta.Tx { return c.tx }

// DeleteCurrent deletes key's current object as S3's DeleteObject without
// a version id does, under the bucket's versioning: a delete marker owned
// by owner in a versioned or suspended bucket (Suspended's has the null id
// and replaces the null version), removal in a never-versioned one. The
// marker is replicated where the bucket's configuration says so.
func (c *Change) DeleteCurrent(key string, owner int64) (DeleteResult, error) {
	res, err := c.s.deleteKey(c, owner, c.b, key, false)
	if err != nil {
		return DeleteResult{}, fmt.Errorf("delete %s/%s: %w", c.bucket, key, err)
	}
	return res, nil
}

// DeleteVersion removes one version (or delete marker) for good; the next
// newest version becomes the latest when it was. Deleting a missing version
// succeeds.
func (c *Change) DeleteVersion(key, versionID string) (DeleteResult, error) {
	res, err := deleteVersion(c, c.bucket, key, versionID)
	if err != nil {
		return DeleteResult{}, fmt.Errorf("delete %s/%s version %s: %w", c.bucket, key, versionID, err)
	}
	return res, nil
}

// AbortUpload discards a multipart upload of the bucket and frees its
// parts' data: ErrNoSuchUpload when it does not exist.
func (c *Change) AbortUpload(uploadID string) error {
	u, err := c.tx.GetUpload(uploadID)
	if errors.Is(err, meta.ErrNotFound) || err == nil && u.Bucket != c.bucket {
		return fmt.Errorf("upload %s: %w", uploadID, ErrNoSuchUpload)
	}
	if err != nil {
		return fmt.Errorf("read upload %s: %w", uploadID, err)
	}
	return discardUpload(c, uploadID, nil)
}

// Delta is how the change moved the bucket's usage counters so far: a
// caller reports bytes freed as -Delta().VersionBytes.
func (c *Change) Delta() meta.Usage { return c.delta }

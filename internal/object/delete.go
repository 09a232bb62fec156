package object

import (
	"context"
	"errors"
	"fmt"

	"github.com/quarrylabs/quarry/internal/acl"
	"github.com/quarrylabs/quarry/internal/auth"
	"github.com/quarrylabs/quarry/internal/meta"
)

// DeleteObject deletes a key (creating a delete marker when versioning is
// on) or, with a version id, that version. Deleting what does not exist
// succeeds.
func (s *Service) DeleteObject(ctx context.Context, p auth.Principal, bucket, key, versionID string) (DeleteResult, error) {
	return s.deleteObject(ctx, p, bucket, key, versionID, false)
}

// DeleteObjectReplica is DeleteObject for a delete that replication
// carries over from another bucket: a delete marker it creates is a
// replica, never replicated again (see PutInput.Replica).
func (s *Service) DeleteObjectReplica(ctx context.Context, p auth.Principal, bucket, key, versionID string) (DeleteResult, error) {
	return s.deleteObject(ctx, p, bucket, key, versionID, true)
}

func (s *Service) deleteObject(ctx context.Context, p auth.Principal, bucket, key, versionID string, replica bool) (DeleteResult, error) {
	var res DeleteResult
	err := s.commit(ctx, bucket, func(c *Change) error {
		b, err := bucketAllowing(c.tx, p, bucket, acl.Write)
		if err != nil {
			return err
		}
		c.b = b
		if versionID != "" {
			res, err = deleteVersion(c, bucket, key, versionID)
			return err
		}
		res, err = s.deleteKey(c, ownerOfWrite(p, b), b, key, replicaAllowed(p, b, replica))
		return err
	})
	if err != nil {
		return DeleteResult{}, fmt.Errorf("delete %s/%s: %w", bucket, key, err)
	}
	return res, nil
}

// deleteVersion removes one version; deleting a missing one succeeds.
func deleteVersion(c *Change, bucket, key, versionID string) (DeleteResult, error) {
	v, err := c.tx.GetVersion(bucket, key, versionID)
	if errors.Is(err, meta.ErrNotFound) {
		return DeleteResult{VersionID: versionID}, nil
	}
	if err != nil {
		return DeleteResult{}, fmt.Errorf("get version %s: %w", versionID, err)
	}
	if err := c.removeVersion(v); err != nil {
		return DeleteResult{}, err
	}
	b, err := c.bucketRow()
	if err != nil {
		return DeleteResult{}, err
	}
	if err := c.event(b, c.removedEvent(), v, false); err != nil {
		return DeleteResult{}, err
	}
	return DeleteResult{VersionID: versionID, DeleteMarker: v.DeleteMarker}, nil
}

// deleteKey deletes the current object under the bucket's versioning:
// never versioned removes the null version; Enabled and Suspended put a
// delete marker on top (Suspended's has the null id and replaces the null
// version).
func (s *Service) deleteKey(c *Change, owner int64, b *meta.Bucket, key string, replica bool) (DeleteResult, error) {
	if b.Versioning == meta.VersioningOff {
		v, err := c.tx.GetVersion(b.Name, key, meta.NullVersion)
		if errors.Is(err, meta.ErrNotFound) {
			return DeleteResult{}, nil
		}
		if err != nil {
			return DeleteResult{}, fmt.Errorf("get null version: %w", err)
		}
		if err := c.removeVersion(v); err != nil {
			return DeleteResult{}, err
		}
		return DeleteResult{}, c.event(b, c.removedEvent(), v, false)
	}
	marker := &meta.Version{Key: key, DeleteMarker: true, LastModified: s.now(), OwnerID: owner}
	markReplica(marker, replica)
	if err := c.putVersion(b, marker, c.markerEvent()); err != nil {
		return DeleteResult{}, err
	}
	return DeleteResult{VersionID: marker.VersionID, DeleteMarker: true}, nil
}

package object

import (
	"context"
	"errors"
	"fmt"

	"github.com/quarrylabs/quarry/internal/acl"
	"github.com/quarrylabs/quarry/internal/meta"
)

// Change is what one metadata transaction does to the objects of one
// bucket, with the bookkeeping that makes each change right: the usage
// counters it moves and the blobs it stops referring to, written in the
// same transaction by Finish, and the side effects it queues in the outbox
// (replication copies, event deliveries). Every object
// change goes through a Change: the service's own operations (what S3
// requests do) and jobs that change objects inside their checkpoint
// transaction (see Service.Begin), so that both keep the same books.
type Change struct {
	tx     meta.Tx
	bucket string
	delta  meta.Usage
	trash  []string
	// planner plans the replication of new versions; nil: none.
	planner ReplicationPlanner
	// events plans the notifications of changes; nil: none.
	events EventPlanner
	// outboxQueued: the change wrote outbox entries.
	outboxQueued bool
	// cause is why the change removes objects; origin who asked for it.
	cause  Cause
	origin Origin
	// s is the service the change belongs to: its clock and the
	// background work a commit wakes.
	s *Service
	// b is the bucket, once read (Begin reads it; service operations
	// read it with their access check).
	b *meta.Bucket
}

func newChange(tx meta.Tx, bucket string, s *Service) *Change {
	return &Change{tx: tx, bucket: bucket, planner: s.cfg.Replication, events: s.cfg.Events, s: s}
}

// usageOf is what one version contributes to the counters: every
// data-bearing version counts in Versions, the latest also in Objects.
func usageOf(v *meta.Version, latest bool) meta.Usage {
	if v.DeleteMarker {
		return meta.Usage{}
	}
	u := meta.Usage{Versions: 1, VersionBytes: v.Size}
	if latest {
		u.Objects, u.Bytes = 1, v.Size
	}
	return u
}

func negate(u meta.Usage) meta.Usage {
	return meta.Usage{Objects: -u.Objects, Bytes: -u.Bytes, Versions: -u.Versions, VersionBytes: -u.VersionBytes}
}

func (c *Change) add(u meta.Usage) { c.delta = c.delta.Add(u) }
func (c *Change) sub(u meta.Usage) { c.delta = c.delta.Add(negate(u)) }

// trashSegments queues the blobs of a version that is going away.
func (c *Change) trashSegments(v *meta.Version) {
	for _, seg := range v.Segments {
		c.trash = append(c.trash, seg.BlobID)
	}
}

// Finish writes the usage delta and queues the trashed blobs, in the
// change's transaction; call it once, after the last change, before the
// transaction commits.
func (c *Change) Finish() error {
	if c.delta != (meta.Usage{}) {
		if err := c.tx.AddUsage(c.bucket, c.delta); err != nil {
			return fmt.Errorf("add usage to %s: %w", c.bucket, err)
		}
	}
	if len(c.trash) > 0 {
		if err := c.tx.TrashBlobs(c.trash...); err != nil {
			return fmt.Errorf("trash blobs: %w", err)
		}
	}
	return nil
}

// replaceLatestWithACL is replaceLatest for a version that gets an ACL: a
// version is written private, so anything else is set right after, in the
// same transaction. The caller has read the key's latest version (old, nil
// when none) in the change's transaction.
func (c *Change) replaceLatestWithACL(b *meta.Bucket, v, old *meta.Version, a acl.Canned, name EventName) error {
	if err := c.replaceLatest(b, v, old, name); err != nil {
		return err
	}
	if a == acl.Private {
		return nil
	}
	if err := c.tx.SetVersionACL(b.Name, v.Key, v.VersionID, string(a)); err != nil {
		return fmt.Errorf("set acl of %s/%s: %w", b.Name, v.Key, err)
	}
	return nil
}

// putVersion makes v the latest version of its key under the bucket's
// versioning state: Enabled gives it a new version id; Off and Suspended
// give it the null id and replace an existing null version wherever it sits
// in the key's history. v.VersionID is set by putVersion. The replication
// the bucket's configuration asks for is queued with it, and the event
// name reports it to the bucket's notification targets.
func (c *Change) putVersion(b *meta.Bucket, v *meta.Version, name EventName) error {
	old, err := latestVersion(c.tx, b.Name, v.Key)
	if err != nil {
		return err
	}
	return c.replaceLatest(b, v, old, name)
}

// replaceLatest is putVersion for a caller that already read the key's
// latest version (old, nil when none) in the change's transaction. The
// version is inserted already marked latest: the flag of the version it
// replaces is cleared first, so that a PUT writes is_latest once.
func (c *Change) replaceLatest(b *meta.Bucket, v, old *meta.Version, name EventName) error {
	if old != nil {
		c.sub(usageOf(old, true))
		c.add(usageOf(old, false))
	}
	if b.Versioning == meta.VersioningEnabled {
		// Ids of a key's versions ascend with their Seq, so that a
		// version-id-marker keeps its place after its version is gone.
		v.VersionID = newVersionID(versionIDTimeAfter(v.LastModified, old))
	} else {
		v.VersionID = meta.NullVersion
		null, err := c.tx.GetVersion(b.Name, v.Key, meta.NullVersion)
		switch {
		case errors.Is(err, meta.ErrNotFound):
		case err != nil:
			return fmt.Errorf("get null version of %s/%s: %w", b.Name, v.Key, err)
		default:
			if err := c.tx.DeleteVersion(b.Name, v.Key, meta.NullVersion); err != nil {
				return fmt.Errorf("replace null version of %s/%s: %w", b.Name, v.Key, err)
			}
			c.sub(usageOf(null, false))
			c.trashSegments(null)
		}
	}
	v.Bucket = b.Name
	v.IsLatest = true
	tasks := c.planReplication(b, v)
	// A key without a latest version has no flag to clear.
	if old != nil {
		if err := c.tx.SetLatest(b.Name, v.Key, ""); err != nil {
			return fmt.Errorf("clear latest of %s/%s: %w", b.Name, v.Key, err)
		}
	}
	if err := c.tx.PutVersion(v); err != nil {
		return fmt.Errorf("put version %s/%s %s: %w", b.Name, v.Key, v.VersionID, err)
	}
	c.add(usageOf(v, true))
	if err := c.enqueueReplication(v, tasks); err != nil {
		return err
	}
	return c.event(b, name, v, true)
}

// removeVersion deletes one version. When it was the latest, the newest
// remaining version (if any) becomes the latest.
func (c *Change) removeVersion(v *meta.Version) error {
	if err := c.tx.DeleteVersion(v.Bucket, v.Key, v.VersionID); err != nil {
		return fmt.Errorf("delete version %s/%s %s: %w", v.Bucket, v.Key, v.VersionID, err)
	}
	c.sub(usageOf(v, v.IsLatest))
	c.trashSegments(v)
	if !v.IsLatest {
		return nil
	}
	next, err := c.tx.NewestVersion(v.Bucket, v.Key)
	if errors.Is(err, meta.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("newest version of %s/%s: %w", v.Bucket, v.Key, err)
	}
	if err := c.tx.SetLatest(v.Bucket, v.Key, next.VersionID); err != nil {
		return fmt.Errorf("promote %s/%s %s: %w", v.Bucket, v.Key, next.VersionID, err)
	}
	c.sub(usageOf(next, next.IsLatest))
	c.add(usageOf(next, true))
	return nil
}

// enqueue writes entries to the outbox in the change's transaction.
func (c *Change) enqueue(entries ...meta.OutboxEntry) error {
	ptrs := make([]*meta.OutboxEntry, len(entries))
	for i := range entries {
		ptrs[i] = &entries[i]
	}
	if err := c.tx.EnqueueOutbox(ptrs...); err != nil {
		return err
	}
	c.outboxQueued = true
	return nil
}

// Committed starts the background work a committed change needs: the
// blob collector when it trashed blobs, the outbox drainer when it queued
// entries. Call it after the transaction committed (calling it after a
// rollback only wakes them for nothing).
func (c *Change) Committed() {
	if len(c.trash) > 0 {
		c.s.wakeTrash()
	}
	if c.outboxQueued && c.s.cfg.Notify != nil {
		c.s.cfg.Notify()
	}
}

// commit runs fn in a metadata transaction on bucket and writes the change
// it gathered in the same transaction. After the commit, Committed wakes
// what the change needs.
func (s *Service) commit(ctx context.Context, bucket string, fn func(c *Change) error) error {
	var c *Change
	origin := OriginOf(ctx)
	err := s.cfg.Meta.Update(ctx, func(tx meta.Tx) error {
		c = newChange(tx, bucket, s)
		c.origin = origin
		if err := fn(c); err != nil {
			return err
		}
		return c.Finish()
	})
	if err == nil {
		c.Committed()
	}
	return err
}

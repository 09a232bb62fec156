package object

import (
	"fmt"

	"github.com/quarrylabs/quarry/internal/meta"
)

// ReplicationPlanner decides where new versions replicate to (implemented
// by *replication.Service). The object service asks it in the transaction
// that commits each new version and writes the entries it returns to the
// outbox in that same transaction, so a committed version never misses its
// replication and a rolled-back one never gets any.
type ReplicationPlanner interface {
	// Plan returns one outbox entry per destination that v must be copied
	// to under b's replication configuration (nil when none). It must be
	// pure and fast: it runs inside the write transaction, once v has its
	// version id.
	Plan(b *meta.Bucket, v *meta.Version) []meta.OutboxEntry
}

// uploadReplicaHeader marks, in a multipart upload's stored headers, an
// upload created as a replica, so that the object it completes into is a
// replica too. The upload row has no column of its own for it; the name
// cannot clash with a stored header (only five standard ones are kept) and
// it is removed before the headers reach the object.
const uploadReplicaHeader = "X-Quarry-Replica"

// markReplicaUpload records in u that it was created as a replica.
func markReplicaUpload(u *meta.Upload) {
	if u.Headers == nil {
		u.Headers = map[string]string{}
	}
	u.Headers[uploadReplicaHeader] = "true"
}

// takeReplicaMark removes the replica mark from headers copied from an
// upload and reports whether it was there.
func takeReplicaMark(headers map[string]string) (map[string]string, bool) {
	_, replica := headers[uploadReplicaHeader]
	if !replica {
		return headers, false
	}
	delete(headers, uploadReplicaHeader)
	if len(headers) == 0 {
		headers = nil
	}
	return headers, true
}

// markReplica makes v a replica when the write asked for it: its status
// says REPLICA and it is never planned for replication, so two buckets
// replicating to each other do not copy the same object back and forth.
func markReplica(v *meta.Version, replica bool) {
	if replica {
		v.ReplicationStatus = meta.ReplicationReplica
	}
}

// planReplication asks the planner for v's outbox entries before v is
// stored and marks v PENDING when there are any, so the version row is
// written with its status.
func (c *Change) planReplication(b *meta.Bucket, v *meta.Version) []meta.OutboxEntry {
	if c.planner == nil || v.ReplicationStatus == meta.ReplicationReplica {
		return nil
	}
	entries := c.planner.Plan(b, v)
	if len(entries) > 0 {
		v.ReplicationStatus = meta.ReplicationPending
	}
	return entries
}

// enqueueReplication writes the entries of the stored version v to the
// outbox and records v as PENDING at each destination.
func (c *Change) enqueueReplication(v *meta.Version, entries []meta.OutboxEntry) error {
	if len(entries) == 0 {
		return nil
	}
	if err := c.enqueue(entries...); err != nil {
		return fmt.Errorf("enqueue replication of %s/%s %s: %w", v.Bucket, v.Key, v.VersionID, err)
	}
	for _, e := range entries {
		err := c.tx.SetVersionReplication(meta.VersionReplication{
			Bucket: v.Bucket, Key: v.Key, VersionID: v.VersionID, TargetARN: e.Destination,
			Status: meta.ReplicationPending, Updated: v.LastModified,
		})
		if err != nil {
			return fmt.Errorf("set replication of %s/%s %s at %s: %w", v.Bucket, v.Key, v.VersionID, e.Destination, err)
		}
	}
	return nil
}

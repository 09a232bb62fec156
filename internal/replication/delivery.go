package replication

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/quarrylabs/quarry/internal/meta"
	"github.com/quarrylabs/quarry/internal/outbox"
)

// OutboxKind is the kind of the outbox entries that replicate a version or a
// delete marker to a target.
const OutboxKind = "replication"

// Task is one replication to carry out: copy a version (or replicate a
// delete marker) to a target. It is an outbox entry of kind OutboxKind,
// written in the same transaction as the change it replicates; the entry's
// destination is the target, so tasks of one key to one target run in the
// order they were written.
type Task struct {
	Bucket       string
	Key          string
	VersionID    string
	TargetARN    string
	DeleteMarker bool
}

// taskPayload is what an entry holds besides its columns.
type taskPayload struct {
	DeleteMarker bool `json:"deleteMarker,omitempty"`
}

// Entry is t as an outbox entry due at at.
func (t Task) Entry(at time.Time) meta.OutboxEntry {
	e := meta.OutboxEntry{
		Kind: OutboxKind, Destination: t.TargetARN, Bucket: t.Bucket, Key: t.Key, VersionID: t.VersionID,
		NextAttempt: at, CreatedAt: at,
	}
	if t.DeleteMarker {
		e.Payload, _ = json.Marshal(taskPayload{DeleteMarker: true}) // plain struct: cannot fail
	}
	return e
}

// TaskOf reads the task an outbox entry holds.
func TaskOf(e meta.OutboxEntry) (Task, error) {
	var p taskPayload
	if len(e.Payload) > 0 {
		if err := json.Unmarshal(e.Payload, &p); err != nil {
			return Task{}, fmt.Errorf("replication entry %d: corrupt payload: %w", e.ID, err)
		}
	}
	return Task{Bucket: e.Bucket, Key: e.Key, VersionID: e.VersionID, TargetARN: e.Destination, DeleteMarker: p.DeleteMarker}, nil
}

// Enqueue writes tasks to the outbox, due at at.
func Enqueue(tx meta.OutboxTx, at time.Time, tasks ...Task) error {
	entries := make([]*meta.OutboxEntry, len(tasks))
	for i, t := range tasks {
		e := t.Entry(at)
		entries[i] = &e
	}
	if err := tx.EnqueueOutbox(entries...); err != nil {
		return fmt.Errorf("enqueue replication: %w", err)
	}
	return nil
}

// Delivery is the live replicator: it carries out the outbox's replication
// entries through the copy routine BATCH_REPLICATE uses too, and records
// each version's final state at its target in the transaction that ends
// the entry.
type Delivery struct {
	copier ObjectCopier
}

var (
	_ outbox.Delivery = (*Delivery)(nil)
	_ outbox.Recorder = (*Delivery)(nil)
)

// ObjectCopier is what replication needs from a Copier.
type ObjectCopier interface {
	Copy(ctx context.Context, bucket, key, versionID, targetARN string, opts CopyOptions) (Outcome, error)
	ReplicateDeleteMarker(ctx context.Context, bucket, key, targetARN string) error
	CheckAccess(ctx context.Context, bucket, targetARN string) error
}

// NewDelivery returns the replication delivery for an outbox drainer.
func NewDelivery(c ObjectCopier) *Delivery { return &Delivery{copier: c} }

// Deliver implements outbox.Delivery.
func (d *Delivery) Deliver(ctx context.Context, e meta.OutboxEntry) error {
	t, err := TaskOf(e)
	if err != nil {
		return outbox.Permanent(err)
	}
	if t.DeleteMarker {
		err = d.copier.ReplicateDeleteMarker(ctx, t.Bucket, t.Key, t.TargetARN)
	} else {
		// A first attempt copies straight away: the version was just
		// written. A retry may find it in place (an earlier attempt
		// stored it but failed after), so it asks the destination first.
		_, err = d.copier.Copy(ctx, t.Bucket, t.Key, t.VersionID, t.TargetARN, CopyOptions{CheckExisting: e.Attempts > 0})
	}
	switch {
	case err == nil || errors.Is(err, ErrSuperseded):
		// A superseded version counts as replicated: the newer state of
		// its key is on its way to the destination by its own task.
		return nil
	case errors.Is(err, ErrSourceGone):
		return outbox.NothingToDo(err)
	case errors.Is(err, ErrTargetNotPermitted):
		// Not a fault a retry can cure: the bucket's owner lost (or never
		// had) the right to use the target. FAILED now, with the reason;
		// a BATCH_REPLICATE of FAILED objects copies it once granted.
		return outbox.Permanent(err)
	case isTransportError(err):
		return outbox.Unreachable(err)
	}
	return err
}

// Record implements outbox.Recorder: the version's state at the target,
// COMPLETED or FAILED with the reason. A version deleted since (or a task
// whose source was gone) leaves nothing to record.
func (d *Delivery) Record(tx meta.Tx, e meta.OutboxEntry, state meta.OutboxState, cause error) error {
	if errors.Is(cause, ErrSourceGone) {
		return nil
	}
	r := meta.VersionReplication{
		Bucket: e.Bucket, Key: e.Key, VersionID: e.VersionID, TargetARN: e.Destination,
		Status: meta.ReplicationCompleted, Updated: time.Now().UTC(),
	}
	if state == meta.OutboxFailed {
		r.Status = meta.ReplicationFailed
		if cause != nil {
			r.Error = cause.Error()
		}
	}
	if err := tx.SetVersionReplication(r); err != nil && !errors.Is(err, meta.ErrNotFound) {
		return fmt.Errorf("set replication state of %s/%s %s: %w", e.Bucket, e.Key, e.VersionID, err)
	}
	return nil
}

package object

import (
	"context"
	"fmt"
	"time"

	"github.com/quarrylabs/quarry/internal/meta"
)

// EventName names an object change as S3 event notifications do, without
// the "s3:" that configurations put before it.
type EventName string

// The changes the object service reports.
const (
	EventPut                          EventName = "ObjectCreated:Put"
	EventPost                         EventName = "ObjectCreated:Post"
	EventCopy                         EventName = "ObjectCreated:Copy"
	EventCompleteMultipartUpload      EventName = "ObjectCreated:CompleteMultipartUpload"
	EventDelete                       EventName = "ObjectRemoved:Delete"
	EventDeleteMarkerCreated          EventName = "ObjectRemoved:DeleteMarkerCreated"
	EventLifecycleDelete              EventName = "LifecycleExpiration:Delete"
	EventLifecycleDeleteMarkerCreated EventName = "LifecycleExpiration:DeleteMarkerCreated"
	EventTaggingPut                   EventName = "ObjectTagging:Put"
	EventTaggingDelete                EventName = "ObjectTagging:Delete"
)

// Cause is why a Change removes objects, which decides the events its
// removals report.
type Cause int

// Causes.
const (
	// CauseRequest: a client asked (ObjectRemoved events). The default.
	CauseRequest Cause = iota
	// CauseLifecycle: a lifecycle rule expired the object
	// (LifecycleExpiration events).
	CauseLifecycle
)

// Origin is who asked for a change, as events report it; empty for the
// changes Quarry makes on its own (lifecycle, jobs).
type Origin struct {
	RequestID string
	HostID    string
	SourceIP  string
	// Principal names the user who asked (its username).
	Principal string
}

type originKey struct{}

// WithOrigin returns ctx carrying o, for the object service's operations
// to put in the events of the changes they make.
func WithOrigin(ctx context.Context, o Origin) context.Context {
	return context.WithValue(ctx, originKey{}, o)
}

// OriginOf returns the origin ctx carries (zero when none).
func OriginOf(ctx context.Context) Origin {
	o, _ := ctx.Value(originKey{}).(Origin)
	return o
}

// Event is one change to one object, as bucket notifications report it.
type Event struct {
	Name EventName
	Key  string
	// VersionID is the version made, removed or tagged; empty for the
	// null version (which S3's messages do not name).
	VersionID string
	// Size and ETag (hex, no quotes) describe the object's data; HasData
	// says they are set (not for removals).
	Size    int64
	ETag    string
	HasData bool
	Time    time.Time
	Origin  Origin
}

// EventPlanner turns object changes into the outbox entries that deliver
// their events (implemented by *notify.Service). Like the replication
// planner it runs inside the change's transaction, so a committed change
// never misses its events and a rolled-back one never sends any.
type EventPlanner interface {
	// PlanEvent returns the entries that deliver ev under b's
	// notification configuration (nil when none). It must be pure and
	// fast.
	PlanEvent(b *meta.Bucket, ev Event) []meta.OutboxEntry
}

// SetCause says why the change's removals happen (CauseRequest when never
// set): a lifecycle job sets CauseLifecycle on the Change it expires
// objects with, so that they report LifecycleExpiration events.
func (c *Change) SetCause(cause Cause) { c.cause = cause }

// removedEvent and markerEvent are the names of a removal and of a delete
// marker's creation under the change's cause.
func (c *Change) removedEvent() EventName {
	if c.cause == CauseLifecycle {
		return EventLifecycleDelete
	}
	return EventDelete
}

func (c *Change) markerEvent() EventName {
	if c.cause == CauseLifecycle {
		return EventLifecycleDeleteMarkerCreated
	}
	return EventDeleteMarkerCreated
}

// event queues the notifications of a change to v in the change's
// transaction. withData puts v's size and ETag in.
func (c *Change) event(b *meta.Bucket, name EventName, v *meta.Version, withData bool) error {
	if c.events == nil || b == nil || len(b.Notification) == 0 {
		return nil
	}
	ev := Event{Name: name, Key: v.Key, Time: c.s.now(), Origin: c.origin}
	if v.VersionID != meta.NullVersion {
		ev.VersionID = v.VersionID
	}
	if withData && !v.DeleteMarker {
		ev.Size, ev.ETag, ev.HasData = v.Size, v.ETag, true
	}
	entries := c.events.PlanEvent(b, ev)
	if len(entries) == 0 {
		return nil
	}
	if err := c.enqueue(entries...); err != nil {
		return fmt.Errorf("enqueue %s event of %s/%s: %w", name, b.Name, v.Key, err)
	}
	return nil
}

// bucket returns the change's bucket, reading it once.
func (c *Change) bucketRow() (*meta.Bucket, error) {
	if c.b != nil {
		return c.b, nil
	}
	b, err := c.tx.GetBucket(c.bucket)
	if err != nil {
		return nil, fmt.Errorf("read bucket %s: %w", c.bucket, err)
	}
	c.b = b
	return b, nil
}

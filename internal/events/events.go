// Package events is Quarry's event log, which is also its audit log: what
// happened (jobs created and ended, users and keys created or revoked,
// targets and bucket configurations changed, logins refused), to what, by
// whom, and whom it concerns. The MAPI serves it as system/events and the
// CLI as `quarry events`.
//
// A change records its event with Append, inside the transaction that
// makes the change: the event commits exactly when the change does, so an
// event is never lost after a change nor written for a change that rolled
// back, and a store that retries a transaction cannot record it twice.
// Only what has no transaction of its own (a refused login) uses Record,
// or RecordFlood when a flood of the same event must not flood the log.
package events

import (
	"context"
	"fmt"
	"time"

	"github.com/quarrylabs/quarry/internal/meta"
)

// Actor is who did what an event records. The zero Actor is the server
// itself (a job ending, the first start) or an unauthenticated client.
type Actor struct {
	ID   int64
	Name string
}

// Event is one occurrence to record.
type Event struct {
	Type Type
	// Subject names what the event is about: "job/17", "user/alice",
	// "bucket/photos", "s3key/AKIA...", "replication_target/<arn>",
	// "login/alice".
	Subject string
	// Message says what happened, for people. Never a secret.
	Message string
	Actor   Actor
	// OwnerID is the user the event concerns (it sees the event even when
	// it is not an admin); 0 for admins only.
	OwnerID int64
	// Count is how many occurrences the event stands for (1 when zero).
	Count int64
	// Time defaults to now.
	Time time.Time
}

// Append records e in tx, the transaction of the change it describes.
func Append(tx meta.EventTx, e Event) error {
	row := e.row()
	if err := tx.AppendEvent(&row); err != nil {
		return fmt.Errorf("record event %s: %w", e.Type.Name, err)
	}
	return nil
}

func (e Event) row() meta.Event {
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	return meta.Event{
		Time:      e.Time.UTC(),
		TypeID:    e.Type.ID,
		Category:  e.Type.Category,
		Severity:  e.Type.Severity,
		GMS:       e.Type.GMS,
		Subject:   e.Subject,
		Message:   e.Message,
		ActorID:   e.Actor.ID,
		ActorName: e.Actor.Name,
		OwnerID:   e.OwnerID,
		Count:     max(e.Count, 1),
	}
}

type actorKey struct{}

// WithActor returns ctx carrying who makes the request, for the services
// whose methods name the user acted on but not the one acting (auth).
func WithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorFrom is the actor WithActor put in ctx; the zero Actor (the server)
// when none.
func ActorFrom(ctx context.Context) Actor {
	a, _ := ctx.Value(actorKey{}).(Actor)
	return a
}

// Bucket is the event of type t about bucket b, done by a (what says what
// happened: "created", "replication configuration removed"); it concerns
// the bucket's owner. Whatever sets a bucket's configuration records it in
// the same transaction:
//
//	events.Append(tx, events.Bucket(events.BucketLifecycleSet, b, p.Actor(), now, "lifecycle configuration set"))
func Bucket(t Type, b *meta.Bucket, a Actor, now time.Time, what string) Event {
	by := ""
	if a.Name != "" {
		by = " by " + a.Name
	}
	return Event{
		Type:    t,
		Subject: "bucket/" + b.Name,
		Message: fmt.Sprintf("bucket %s: %s%s", b.Name, what, by),
		Actor:   a,
		OwnerID: b.OwnerID,
		Time:    now,
	}
}

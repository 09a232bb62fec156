package notify

import (
	"context"
	"errors"
	"fmt"

	"github.com/quarrylabs/quarry/internal/grant"
	"github.com/quarrylabs/quarry/internal/meta"
	"github.com/quarrylabs/quarry/internal/outbox"
)

// Delivery is the outbox's notification delivery: it sends the event an
// entry holds to the entry's target. The drainer's claims keep a key's
// events in order and spread the work over targets; its retries and
// breaker handle targets that fail or do not answer.
type Delivery struct{ s *Service }

var _ outbox.Delivery = (*Delivery)(nil)

// Delivery returns the service's outbox delivery.
func (s *Service) Delivery() *Delivery { return &Delivery{s: s} }

// Deliver implements outbox.Delivery.
func (d *Delivery) Deliver(ctx context.Context, e meta.OutboxEntry) error {
	ev, err := decodeEvent(e)
	if err != nil {
		return outbox.Permanent(err)
	}
	dest, err := d.s.destination(ctx, e.Bucket, e.Destination)
	if err != nil {
		return err
	}
	return d.s.send(ctx, dest, e, ev)
}

// destination is a target as a delivery needs it: the target, and the
// owner of the bucket whose events go there, who may use it.
type destination struct {
	target *meta.NotificationTarget
	owner  string
}

// destination checks, before a delivery, that the target still exists and
// that the bucket's owner may use it now: a configuration whose target
// lost its grant stops sending at once. Refusals are permanent (FAILED
// with the reason); a bucket gone since has nothing left to report.
func (s *Service) destination(ctx context.Context, bucket, arn string) (destination, error) {
	var dest destination
	err := s.cfg.Meta.View(ctx, func(tx meta.Tx) error {
		b, err := tx.GetBucket(bucket)
		if errors.Is(err, meta.ErrNotFound) {
			return outbox.NothingToDo(fmt.Errorf("bucket %s no longer exists", bucket))
		}
		if err != nil {
			return fmt.Errorf("get bucket %s: %w", bucket, err)
		}
		t, err := getTarget(tx, arn)
		if errors.Is(err, ErrNoSuchTarget) {
			return outbox.Permanent(fmt.Errorf("notification target %s no longer exists", arn))
		}
		if err != nil {
			return err
		}
		ok, owner, err := grant.OwnerMayUse(tx, b.OwnerID, owned(t))
		if err != nil {
			return err
		}
		if !ok {
			return outbox.Permanent(&NotPermittedError{Owner: owner, ARN: arn})
		}
		dest = destination{target: t, owner: owner}
		return nil
	})
	return dest, err
}

// send renders and sends one event.
func (s *Service) send(ctx context.Context, dest destination, e meta.OutboxEntry, ev storedEvent) error {
	msg, err := s.message(e, ev, dest.owner)
	if err != nil {
		return outbox.Permanent(err)
	}
	sender, err := s.sender(dest.target)
	if err != nil {
		return outbox.Permanent(err)
	}
	if err := sender.Send(ctx, msg); err != nil {
		return fmt.Errorf("deliver event %s to %s: %w", ev.ID, dest.target.ARN, err)
	}
	return nil
}

package notify

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/quarrylabs/quarry/internal/auth"
	"github.com/quarrylabs/quarry/internal/events"
	"github.com/quarrylabs/quarry/internal/grant"
	"github.com/quarrylabs/quarry/internal/meta"
	"github.com/quarrylabs/quarry/internal/object"
)

// PutBucketNotification validates and stores a bucket's notification
// configuration (owner or admin of the bucket); an empty one removes every
// trigger. Every target it names must exist (ErrUnknownTarget) and be one
// the bucket's owner, whoever calls, may use (*NotPermittedError); for an
// owner who is not an admin a missing target is refused as one it may not
// use, so that the answer does not tell which ARNs exist. Other faults are
// ErrInvalidConfig. Triggers without an Id get one. cfg is not modified.
// The change is recorded in the event log in the same transaction.
func (s *Service) PutBucketNotification(ctx context.Context, p auth.Principal, bucket string, cfg *Config) error {
	c := &Config{Queues: make([]Queue, 0)}
	if cfg != nil {
		for _, q := range cfg.Queues {
			q.Events = append([]string(nil), q.Events...)
			c.Queues = append(c.Queues, q)
		}
	}
	if err := c.Validate(); err != nil {
		return err
	}
	var raw []byte
	if len(c.Queues) > 0 {
		var err error
		if raw, err = EncodeConfig(c); err != nil {
			return err
		}
	}
	arns := c.Targets()
	// One transaction: a target cannot be deleted, nor its grant withdrawn,
	// between the checks and the write.
	return s.cfg.Meta.Update(ctx, func(tx meta.Tx) error {
		b, err := object.UsableBucket(tx, p, bucket)
		if err != nil {
			return err
		}
		for _, arn := range arns {
			if err := ownerMayName(tx, b.OwnerID, arn); err != nil {
				return err
			}
		}
		if err := tx.SetBucketNotification(bucket, raw, arns); err != nil {
			return fmt.Errorf("set notification of bucket %q: %w", bucket, err)
		}
		switch {
		case len(c.Queues) > 0:
			return events.Append(tx, events.Bucket(events.BucketNotificationSet, b, p.Actor(), s.now(),
				fmt.Sprintf("notification configuration set, %d trigger(s) to %s", len(c.Queues), strings.Join(arns, ", "))))
		case len(b.Notification) > 0:
			return events.Append(tx, events.Bucket(events.BucketNotificationDeleted, b, p.Actor(), s.now(), "notification configuration removed"))
		}
		// An empty configuration on a bucket without one changes nothing.
		return nil
	})
}

// ownerMayName checks that the owner ownerID of a bucket may name the
// target arn in its configuration.
func ownerMayName(tx meta.Tx, ownerID int64, arn string) error {
	t, err := getTarget(tx, arn)
	if err == nil {
		return ownerMayUse(tx, ownerID, t)
	}
	if !errors.Is(err, ErrNoSuchTarget) {
		return err
	}
	owner, err := tx.GetUser(ownerID)
	if err != nil && !errors.Is(err, meta.ErrNotFound) {
		return fmt.Errorf("get user %d: %w", ownerID, err)
	}
	if err == nil && owner.Role == meta.RoleAdmin {
		return fmt.Errorf("%w: %s", ErrUnknownTarget, arn)
	}
	name := ""
	if owner != nil {
		name = owner.Username
	}
	return &NotPermittedError{Owner: grant.Label(ownerID, name), ARN: arn}
}

// GetBucketNotification returns the bucket's configuration (owner or
// admin of the bucket); an empty one when it has none, as S3 answers.
func (s *Service) GetBucketNotification(ctx context.Context, p auth.Principal, bucket string) (*Config, error) {
	var raw []byte
	err := s.cfg.Meta.View(ctx, func(tx meta.Tx) error {
		b, err := object.UsableBucket(tx, p, bucket)
		if err != nil {
			return err
		}
		raw = b.Notification
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(raw) == 0 {
		return &Config{}, nil
	}
	return DecodeConfig(raw)
}

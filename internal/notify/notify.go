// Package notify sends bucket events to notification targets: the
// targets themselves (owned and granted like replication targets), bucket
// notification configurations (AWS's QueueConfiguration, with event types
// and key filters), the events every matching object change writes to the
// outbox in its own transaction, their live delivery through the outbox
// drainer, and the TRIGGER_RECONCILIATION job that delivers what was missed
// and back-fills events for objects that predate a trigger.
//
// A target type (webhook) is a small interface, TargetType, implemented in a
// package beside this one; queue types (Kafka, NATS, Redis, AMQP) would be
// packages of their own.
package notify

import (
	"errors"
)

// OutboxKind is the kind of the outbox entries that deliver events.
const OutboxKind = "notification"

// arnPrefix starts every notification target ARN: arn:quarry:sqs:<region>:<id>:<type>.
const arnPrefix = "arn:quarry:sqs:"

// DefaultRegion is the region of a Service configured without one.
const DefaultRegion = "us-east-1"

// Errors of the control plane (possibly wrapped with a message that says
// what is wrong). The S3 layer and the MAPI map them to their own codes.
var (
	// ErrInvalidConfig: a notification configuration breaks a rule (S3
	// InvalidArgument with the message).
	ErrInvalidConfig = errors.New("invalid notification configuration")
	// ErrUnknownTarget: a configuration names an ARN no target has (S3
	// InvalidArgument, for an admin owner).
	ErrUnknownTarget = errors.New("unable to validate the destination configuration: no such notification target")
	// ErrTargetNotPermitted: the bucket's owner may not use the target its
	// configuration names (S3 AccessDenied; a delivery to it is FAILED).
	ErrTargetNotPermitted = errors.New("notification target not permitted")
	// ErrInvalidTarget: a target's fields are invalid (MAPI 400).
	ErrInvalidTarget = errors.New("invalid notification target")
	// ErrTargetExists: a target with that name already exists (MAPI 409).
	ErrTargetExists = errors.New("notification target already exists")
	// ErrNoSuchTarget: no target has that ARN, or none the caller may use
	// (MAPI 404).
	ErrNoSuchTarget = errors.New("no such notification target")
	// ErrTargetInUse: a bucket's configuration names the target (MAPI 409).
	ErrTargetInUse = errors.New("notification target is in use")
	// ErrTargetUnreachable: a test event could not be delivered (MAPI 400
	// with the reason).
	ErrTargetUnreachable = errors.New("notification target test failed")
	// ErrTargetForbidden: the caller may use the target but not do this
	// with it (MAPI 403).
	ErrTargetForbidden = errors.New("notification target action forbidden")
)

package notify

import (
	"context"

	"github.com/quarrylabs/quarry/internal/meta"
)

// Message is one delivery to a target: an event message (or a test
// event) and its id, stable across retries and re-deliveries so that
// consumers can drop duplicates.
type Message struct {
	ID   string
	Body []byte
}

// Sender sends messages to one target.
type Sender interface {
	// Send delivers m once. An error wrapping outbox.ErrUnreachable says
	// the target did not answer (it counts against the target's breaker);
	// any error is retried.
	Send(ctx context.Context, m Message) error
}

// TargetType is a kind of target (webhook). A new kind is a package that
// implements it, registered in the Service's Types.
type TargetType interface {
	// Check validates a new target's endpoint and options; its error's
	// text says what is wrong (the Service wraps it in ErrInvalidTarget).
	Check(in TargetInput) error
	// Open returns a Sender for a stored target, given its secret in clear
	// ("" when it has none).
	Open(t *meta.NotificationTarget, secret string) (Sender, error)
}

// Package outbox carries out the side effects of committed changes that
// happen somewhere else: copies to replication targets, event deliveries to
// notification targets. Each is an entry in the metadata store's outbox
// (meta.OutboxTx), written in the same transaction as the change; a Drainer
// claims due entries under a lease, hands each to the Delivery of its kind,
// retries failures with backoff and jitter, stops trying a destination that
// cannot be reached for a while (a Breaker per destination), and records
// every outcome: DONE, or FAILED with the reason once the retry budget is
// spent.
//
// Ordering and fairness are the store's claim rules (see meta.OutboxTx):
// entries of one key and destination are carried out one at a time in the
// order they were written, across every node sharing the store, and a claim
// spreads over destinations so that a flood for one never starves the
// others. The Drainer adds a cap on how many entries of one destination it
// works on at once, so that a slow destination cannot hold every worker.
package outbox

import (
	"context"
	"errors"

	"github.com/quarrylabs/quarry/internal/meta"
)

// Delivery carries out the entries of one kind.
type Delivery interface {
	// Deliver carries out e once. nil means done. An error wrapping
	// ErrNothingToDo also ends the entry DONE (there was nothing left to
	// do: its source is gone, say); one wrapping ErrPermanent ends it
	// FAILED at once, with the error as the reason. Any other error is
	// retried while the budget lasts; one wrapping ErrUnreachable also
	// counts against the destination's breaker. Deliver must be safe to
	// run again for the same entry (at-least-once).
	Deliver(ctx context.Context, e meta.OutboxEntry) error
}

// Recorder is a Delivery that keeps state of its own about entries (a
// version's replication status): Record runs in the transaction that ends
// an entry, DONE or FAILED, so the two never disagree. cause is what
// Deliver returned (nil for a plain success).
type Recorder interface {
	Record(tx meta.Tx, e meta.OutboxEntry, state meta.OutboxState, cause error) error
}

// Errors a Delivery wraps to say what an attempt's failure means.
var (
	// ErrNothingToDo: the entry needs nothing done; it ends DONE.
	ErrNothingToDo = errors.New("nothing to do")
	// ErrPermanent: retrying cannot help; the entry ends FAILED now.
	ErrPermanent = errors.New("permanent failure")
	// ErrUnreachable: the destination did not answer (refused, reset,
	// timed out); the destination's breaker counts it.
	ErrUnreachable = errors.New("destination unreachable")
)

// Permanent marks err as a failure that a retry cannot cure.
func Permanent(err error) error { return &marked{err: err, mark: ErrPermanent} }

// Unreachable marks err as the destination's not answering.
func Unreachable(err error) error { return &marked{err: err, mark: ErrUnreachable} }

// NothingToDo marks err as meaning the entry needs nothing more.
func NothingToDo(err error) error { return &marked{err: err, mark: ErrNothingToDo} }

// marked is an error with a meaning for the drainer, its text unchanged.
type marked struct {
	err  error
	mark error
}

func (m *marked) Error() string        { return m.err.Error() }
func (m *marked) Unwrap() []error      { return []error{m.err, m.mark} }
func (m *marked) Is(target error) bool { return target == m.mark }

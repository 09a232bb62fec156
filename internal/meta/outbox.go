package meta

import (
	"errors"
	"time"
)

// ErrNotLeased is returned when an outbox entry's outcome is recorded by an
// owner that no longer holds its lease: another claimer took it over (its
// lease expired), and the entry is that claimer's to settle.
var ErrNotLeased = errors.New("meta: outbox entry not leased by this owner")

// OutboxState is where an outbox entry stands.
type OutboxState string

// Outbox states. An entry is written PENDING; DONE and FAILED are final
// (though a job may take a FAILED entry and try it again).
const (
	OutboxPending OutboxState = "PENDING"
	OutboxDone    OutboxState = "DONE"
	OutboxFailed  OutboxState = "FAILED"
)

// OutboxEntry is a side effect of a committed change still to be carried out
// somewhere else: a version to copy to a replication target, an event to
// deliver to a notification target. Entries are written in the same
// transaction as the change they follow, so none is lost and none is made
// for a change that rolled back; carrying them out is at-least-once.
//
// The store knows nothing of what an entry means: Kind says which delivery
// carries it out, Payload is that delivery's own document. Destination,
// Bucket and Key order the entries and spread the claims (see OutboxTx).
type OutboxEntry struct {
	// ID is set by the store on insert and grows with insertion, across
	// every kind: among entries, a higher ID was written later.
	ID   int64
	Kind string
	// Destination is where the entry goes (a target ARN). Destinations
	// are unique across kinds: they name the service in them.
	Destination  string
	Bucket       string
	Key          string
	VersionID    string
	Payload      []byte
	State        OutboxState
	Attempts     int
	NextAttempt  time.Time
	LastError    string
	LeaseOwner   string
	LeaseExpires time.Time
	CreatedAt    time.Time
	// UpdatedAt is when the entry last changed state (set by SettleOutbox).
	UpdatedAt time.Time
}

// OutboxClaim asks ClaimOutbox for work.
type OutboxClaim struct {
	// Owner names the claimer; it must not be empty.
	Owner string
	// Now is the claimer's clock; Until is when the leases it takes expire.
	Now, Until time.Time
	// Limit is how many entries to lease at most (<= 0: no limit).
	Limit int
	// PerDestination, when positive, is how many entries of one
	// destination may be out with the claimer at once: Busy counts those
	// it holds already, and a destination at the cap is left out.
	PerDestination int
	Busy           map[string]int
}

// OutboxSettle is the outcome of an attempt, recorded by SettleOutbox.
type OutboxSettle struct {
	State       OutboxState
	Attempts    int
	NextAttempt time.Time
	LastError   string
	// At is the time of the outcome (the entry's UpdatedAt).
	At time.Time
}

// OutboxFilter selects entries of one kind for ListOutbox and CountOutbox.
// Other zero fields do not filter.
type OutboxFilter struct {
	// Kind is required.
	Kind string
	// Bucket selects one bucket's entries; empty: every bucket's.
	Bucket string
	// Prefix selects entries whose Key starts with it (byte-wise).
	Prefix string
	// States selects entries in any of these states (at most three);
	// empty: every state.
	States []OutboxState
	// AfterID selects entries with a higher ID.
	AfterID int64
	// Limit bounds a list (<= 0: no limit); CountOutbox ignores it.
	Limit int
}

// OutboxTx reads and writes the outbox.
//
// Claims follow three rules, which every backend keeps with several
// processes on one database (SQLite serialises writers; a PostgreSQL store
// selects the candidates FOR UPDATE SKIP LOCKED and re-checks the lease
// conditions in the UPDATE that takes them, so two claimers never both win):
//
//   - Due and free: an entry may be claimed when it is PENDING, its
//     NextAttempt is not after now, and it is not leased (LeaseOwner empty,
//     or LeaseExpires strictly before now, as job leases).
//   - Order per key: an entry may be claimed only when no older entry (lower
//     ID) of the same Destination, Bucket and Key is PENDING, whether that one
//     is leased, waiting for a retry or due. So at most one entry per key and
//     destination is out at a time, across every node, and a key's entries
//     are carried out in the order they were written. An entry that ends
//     FAILED no longer holds back the ones after it.
//   - Fair across destinations: a claim shares its limit between the
//     destinations that have claimable entries, so that a flood for one
//     destination (a dead one, say) never keeps the others waiting. Within a
//     destination, the most overdue entries go first (NextAttempt, then ID).
//
// Claims made at once, in separate Update transactions, never lease one
// entry to two owners, and never lease a key's newer entry while an older
// one is PENDING, whoever holds it. "Older" is by ID among the entries a
// claim can see: entries written by transactions still running are not
// there yet; writers of one key serialise on that key's version rows, so
// their entries' IDs follow the order they committed in.
type OutboxTx interface {
	// EnqueueOutbox inserts the entries in order and sets their ID (and
	// State PENDING when empty); every other field is stored as given
	// (the caller sets CreatedAt; NextAttempt zero is due at once). Kind
	// and Destination must not be empty. Ids are never reused, even after
	// the entries that had them were purged.
	EnqueueOutbox(entries ...*OutboxEntry) error
	// ReserveOutboxIDs sets aside the n (>= 1) consecutive ids first to
	// first+n-1, which no entry will ever be given, and returns first:
	// they sort after the ids of the entries enqueued before (committed or
	// not) and before those of the entries enqueued after, so that events
	// sent without an entry (a back-fill) order with those that have one.
	// PostgreSQL: advance the id sequence by n, with inserts held off
	// meanwhile (sequences are not transactional).
	ReserveOutboxIDs(n int) (first int64, err error)
	// ClaimOutbox leases up to c.Limit entries under the claim rules
	// above, and no more of one destination than c.PerDestination minus
	// c.Busy[destination] when PerDestination > 0: LeaseOwner = c.Owner,
	// LeaseExpires = c.Until; nothing else changes (Attempts is counted by
	// SettleOutbox). c.Owner must not be empty. The result is ordered by
	// ID; none claimable is an empty result, not an error.
	ClaimOutbox(c OutboxClaim) ([]OutboxEntry, error)
	// LeaseOutbox leases, for owner until until, those of the entries ids
	// that are not DONE and not leased by another owner at now (LeaseOwner
	// empty, owner itself, or LeaseExpires strictly before now), whatever
	// their state (PENDING or FAILED), due time or older entries: a job
	// that re-delivers what was missed takes them this way. Only the lease
	// changes. Ids that are DONE, leased by another owner or gone are
	// skipped, not an error. It returns the entries it leased, by ID; an
	// entry owner leases already is leased again (its lease extended).
	// owner must not be empty.
	LeaseOutbox(ids []int64, owner string, now, until time.Time) ([]OutboxEntry, error)
	// SettleOutbox records the outcome of an attempt on an entry owner
	// leases: State, Attempts, NextAttempt and LastError as s gives them
	// (absolute values, not increments), UpdatedAt = s.At, and the lease
	// released (LeaseOwner empty, LeaseExpires zero). The lease is checked
	// by owner alone, not by its expiry: an owner whose lease ran out may
	// still settle while nobody took the entry over. ErrNotLeased when
	// owner does not hold it, ErrNotFound when the entry is gone.
	SettleOutbox(id int64, owner string, s OutboxSettle) error
	// GetOutbox returns ErrNotFound when absent.
	GetOutbox(id int64) (*OutboxEntry, error)
	// ListOutbox lists up to f.Limit of the entries f selects, by ID
	// ascending.
	ListOutbox(f OutboxFilter) ([]OutboxEntry, error)
	// CountOutbox counts the entries f selects.
	CountOutbox(f OutboxFilter) (int64, error)
	// PurgeOutbox deletes up to limit DONE entries whose UpdatedAt is
	// strictly before `before`, oldest first, and returns how many it
	// deleted. PENDING and FAILED entries are never purged.
	PurgeOutbox(before time.Time, limit int) (int, error)
}

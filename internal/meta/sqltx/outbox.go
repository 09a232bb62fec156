package sqltx

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/quarrylabs/quarry/internal/meta"
	"github.com/quarrylabs/quarry/internal/meta/metasql"
)

var _ meta.OutboxTx = (*Tx)(nil)

// OutboxColumns are the columns of outbox entries in the order scanOutbox
// reads them and Enqueue writes them (without the id).
const OutboxColumns = `id, kind, destination, bucket, object_key, version_id, payload, state,
		attempts, next_attempt, last_error, lease_owner, lease_expires, created_at, updated_at`

// OutboxQueries are the statements of the outbox.
type OutboxQueries struct {
	// Enqueue inserts OutboxColumns but the id, RETURNING id.
	Enqueue string
	// Get (id) selects OutboxColumns.
	Get string
	// PrepareReserve () runs before Reserve (n), which sets n ids aside
	// and selects the last of them.
	PrepareReserve, Reserve string
	// NextDestination (after) selects the smallest destination after after
	// that has a pending entry, NULL when none has.
	NextDestination string
	// ClaimDestination (owner, until, destination, now, limit) leases up to
	// limit due entries of a destination whose lease is free (the oldest
	// pending entry of their key), RETURNING OutboxColumns.
	ClaimDestination string
	// Lease (owner, until, id, now) leases an entry not done that is free
	// or owner's, RETURNING OutboxColumns.
	Lease string
	// Settle (state, attempts, next_attempt, last_error, at, id, owner).
	Settle string
	// Exists (id) selects whether the entry exists, as a boolean.
	Exists string
	// List, ListBucket, Count and CountBucket take (kind, afterID, lower,
	// upper, state, state, state, then bucket for the bucket forms, then
	// the limit for the lists): entries of a kind after afterID with a key
	// from lower to upper (NULL: no upper end) in one of the states. The
	// lists select OutboxColumns by id, the counts the count.
	List, ListBucket, Count, CountBucket string
	// Purge (before, limit) deletes up to limit entries done before before,
	// oldest first.
	Purge string
}

func (t *Tx) EnqueueOutbox(entries ...*meta.OutboxEntry) error {
	for _, e := range entries {
		if e.Kind == "" || e.Destination == "" {
			return fmt.Errorf("enqueue outbox entry for %s/%s: kind and destination are required", e.Bucket, e.Key)
		}
		if e.State == "" {
			e.State = meta.OutboxPending
		}
		e.LastError = t.freeText(e.LastError)
		err := t.c.QueryRow(t.d.Outbox.Enqueue, e.Kind, e.Destination, e.Bucket, e.Key, e.VersionID, e.Payload,
			string(e.State), e.Attempts, metasql.Nanos(e.NextAttempt), e.LastError, e.LeaseOwner,
			metasql.Nanos(e.LeaseExpires), metasql.Nanos(e.CreatedAt), metasql.Nanos(e.UpdatedAt),
		).Scan(&e.ID)
		if err != nil {
			return fmt.Errorf("enqueue %s of %s/%s to %s: %w", e.Kind, e.Bucket, e.Key, e.Destination, t.c.Classify(err))
		}
	}
	return nil
}

func (t *Tx) ReserveOutboxIDs(n int) (int64, error) {
	if n < 1 {
		return 0, fmt.Errorf("reserve %d outbox ids: want at least one", n)
	}
	if _, err := t.c.Exec(t.d.Outbox.PrepareReserve); err != nil {
		return 0, fmt.Errorf("reserve %d outbox ids: prepare: %w", n, err)
	}
	var last int64
	if err := t.c.QueryRow(t.d.Outbox.Reserve, int64(n)).Scan(&last); err != nil {
		return 0, fmt.Errorf("reserve %d outbox ids: %w", n, err)
	}
	return last - int64(n) + 1, nil
}

// ClaimOutbox shares the limit between the destinations with pending
// entries as meta.ShareClaim does.
func (t *Tx) ClaimOutbox(c meta.OutboxClaim) ([]meta.OutboxEntry, error) {
	if c.Owner == "" {
		// An empty owner would leave the entries looking free.
		return nil, errors.New("claim outbox entries: a claimer needs a non-empty owner name")
	}
	dests, err := t.outboxDestinations()
	if err != nil {
		return nil, fmt.Errorf("claim outbox entries for %s: %w", c.Owner, err)
	}
	return meta.ShareClaim(c, dests, func(dest string, n int) ([]meta.OutboxEntry, error) {
		return t.claimDestination(c, dest, n)
	})
}

// outboxDestinations lists the destinations that have a pending entry.
func (t *Tx) outboxDestinations() ([]string, error) {
	var (
		out  []string
		last string
	)
	for {
		var d *string
		if err := t.c.QueryRow(t.d.Outbox.NextDestination, last).Scan(&d); err != nil {
			return nil, fmt.Errorf("destinations: %w", err)
		}
		if d == nil {
			return out, nil
		}
		out = append(out, *d)
		last = *d
	}
}

func (t *Tx) claimDestination(c meta.OutboxClaim, dest string, n int) ([]meta.OutboxEntry, error) {
	rows, err := t.c.Query(t.d.Outbox.ClaimDestination, c.Owner, metasql.Nanos(c.Until), dest, metasql.Nanos(c.Now), limit(n))
	if err != nil {
		return nil, err
	}
	return collect(nil, rows, scanOutbox)
}

func (t *Tx) LeaseOutbox(ids []int64, owner string, now, until time.Time) ([]meta.OutboxEntry, error) {
	if owner == "" {
		return nil, errors.New("lease outbox entries: a non-empty owner name is required")
	}
	var out []meta.OutboxEntry
	for _, id := range ids {
		e, err := scanOutbox(t.c.QueryRow(t.d.Outbox.Lease, owner, metasql.Nanos(until), id, metasql.Nanos(now)))
		if err != nil && errors.Is(t.c.Classify(err), meta.ErrNotFound) {
			continue // done, gone, or leased by another owner
		}
		if err != nil {
			return nil, fmt.Errorf("lease outbox entry %d for %s: %w", id, owner, err)
		}
		out = append(out, *e)
	}
	slices.SortFunc(out, func(a, b meta.OutboxEntry) int { return cmp.Compare(a.ID, b.ID) })
	return out, nil
}

func (t *Tx) SettleOutbox(id int64, owner string, s meta.OutboxSettle) error {
	// LastError may quote what a remote server answered.
	found, err := t.execOne(t.d.Outbox.Settle, string(s.State), s.Attempts, metasql.Nanos(s.NextAttempt),
		t.freeText(s.LastError), metasql.Nanos(s.At), id, owner)
	if err != nil {
		return fmt.Errorf("settle outbox entry %d: %w", id, err)
	}
	if found {
		return nil
	}
	var exists bool
	if err := t.c.QueryRow(t.d.Outbox.Exists, id).Scan(&exists); err != nil {
		return fmt.Errorf("settle outbox entry %d: %w", id, err)
	}
	if !exists {
		return fmt.Errorf("settle outbox entry %d: %w", id, meta.ErrNotFound)
	}
	return fmt.Errorf("settle outbox entry %d for %s: %w", id, owner, meta.ErrNotLeased)
}

func (t *Tx) GetOutbox(id int64) (*meta.OutboxEntry, error) {
	e, err := scanOutbox(t.c.QueryRow(t.d.Outbox.Get, id))
	if err != nil {
		return nil, fmt.Errorf("get outbox entry %d: %w", id, t.c.Classify(err))
	}
	return e, nil
}

// errNoEntries says that a filter selects no entry: a prefix no key can
// have, or a kind or bucket no entry can have.
var errNoEntries = errors.New("the filter selects no entry")

// outboxArgs are the arguments of the list and count queries for f, the
// bucket last when f names one. A filter without states matches every
// state; one without a prefix every key.
func (t *Tx) outboxArgs(f meta.OutboxFilter) ([]any, error) {
	if f.Kind == "" {
		return nil, errors.New("an outbox filter needs a kind")
	}
	states := f.States
	if len(states) == 0 {
		states = []meta.OutboxState{meta.OutboxPending, meta.OutboxDone, meta.OutboxFailed}
	}
	if len(states) > 3 {
		return nil, fmt.Errorf("an outbox filter selects at most 3 states, not %d", len(states))
	}
	in := []any{"", "", ""}
	for i, st := range states {
		in[i] = string(st)
	}
	// A prefix that is not text itself may still begin keys (one that ends
	// inside a character's encoding), so the range is moved, not refused.
	r := t.textRange(meta.RangeFor(f.Prefix, ""))
	if r.Empty || !t.storable(f.Kind) || !t.storable(f.Bucket) {
		return nil, errNoEntries
	}
	var upper *string
	if r.Bounded {
		upper = &r.Upper
	}
	args := []any{f.Kind, f.AfterID, r.Lower, upper, in[0], in[1], in[2]}
	if f.Bucket != "" {
		args = append(args, f.Bucket)
	}
	return args, nil
}

func (t *Tx) ListOutbox(f meta.OutboxFilter) ([]meta.OutboxEntry, error) {
	args, err := t.outboxArgs(f)
	if errors.Is(err, errNoEntries) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list outbox entries: %w", err)
	}
	query := t.d.Outbox.List
	if f.Bucket != "" {
		query = t.d.Outbox.ListBucket
	}
	out, err := queryAll(t.c, scanOutbox, query, append(args, limit(f.Limit))...)
	if err != nil {
		return nil, fmt.Errorf("list outbox entries: %w", err)
	}
	return out, nil
}

func (t *Tx) CountOutbox(f meta.OutboxFilter) (int64, error) {
	args, err := t.outboxArgs(f)
	if errors.Is(err, errNoEntries) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("count outbox entries: %w", err)
	}
	query := t.d.Outbox.Count
	if f.Bucket != "" {
		query = t.d.Outbox.CountBucket
	}
	var n int64
	if err := t.c.QueryRow(query, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("count outbox entries: %w", err)
	}
	return n, nil
}

func (t *Tx) PurgeOutbox(before time.Time, n int) (int, error) {
	purged, err := t.c.Exec(t.d.Outbox.Purge, metasql.Nanos(before), limit(n))
	if err != nil {
		return 0, fmt.Errorf("purge outbox: %w", err)
	}
	return int(purged), nil
}

func scanOutbox(r Row) (*meta.OutboxEntry, error) {
	var (
		e                                    meta.OutboxEntry
		state                                string
		next, leaseExpires, created, updated int64
	)
	err := r.Scan(&e.ID, &e.Kind, &e.Destination, &e.Bucket, &e.Key, &e.VersionID, &e.Payload, &state,
		&e.Attempts, &next, &e.LastError, &e.LeaseOwner, &leaseExpires, &created, &updated)
	if err != nil {
		return nil, err
	}
	e.State = meta.OutboxState(state)
	e.NextAttempt = metasql.Time(next)
	e.LeaseExpires = metasql.Time(leaseExpires)
	e.CreatedAt = metasql.Time(created)
	e.UpdatedAt = metasql.Time(updated)
	return &e, nil
}

package postgres

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/quarrylabs/quarry/internal/meta"
	"github.com/quarrylabs/quarry/internal/meta/metasql"
)

var _ meta.OutboxTx = (*tx)(nil)

const (
	outboxCols = `id, kind, destination, bucket, object_key, version_id, payload, state,
		attempts, next_attempt, last_error, lease_owner, lease_expires, created_at, updated_at`

	qEnqueueOutbox = `INSERT INTO outbox (kind, destination, bucket, object_key, version_id, payload,
		state, attempts, next_attempt, last_error, lease_owner, lease_expires, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id`
	qGetOutbox = `SELECT ` + outboxCols + ` FROM outbox WHERE id = $1`

	// Setting ids aside moves the outbox_ids sequence on by n. Sequences
	// are not transactional, so an insert drawing an id between the two
	// steps would get one inside the block: the lock keeps inserts out
	// meanwhile (an INSERT takes ROW EXCLUSIVE on the table before it draws
	// its id, and waits) and waits for the transactions that have inserted
	// already, whose ids are below the block. Reservations are rare (a
	// back-fill sets aside pages of ids at once), so the pause is short.
	qLockOutboxIDs    = `LOCK TABLE outbox IN SHARE ROW EXCLUSIVE MODE`
	qReserveOutboxIDs = `SELECT setval('outbox_ids', nextval('outbox_ids') + $1 - 1)`

	// The next destination, in order, that has a pending entry: a walk
	// over outbox_due that costs one index seek per destination, however
	// many entries each holds.
	qNextOutboxDestination = `SELECT MIN(destination) FROM outbox WHERE state = 'PENDING' AND destination > $1`
	// The claimable entries of one destination (see meta.OutboxTx): due,
	// free, and the oldest pending entry of their key. The candidates are
	// locked FOR UPDATE SKIP LOCKED, so that claimers on other nodes pass
	// over the entries one of them is taking instead of waiting for it;
	// the UPDATE repeats the lease conditions, which a claim committed
	// since this transaction's snapshot may have changed. Order per key
	// needs no lock: the older entry's state is what holds back the newer,
	// and leasing it does not change that.
	qClaimOutboxDestination = `WITH candidates AS (
			SELECT o.id FROM outbox o
			WHERE o.state = 'PENDING' AND o.destination = $3 AND o.next_attempt <= $4
				AND (o.lease_owner = '' OR o.lease_expires < $4)
				AND NOT EXISTS (SELECT 1 FROM outbox p WHERE p.state = 'PENDING'
					AND p.destination = o.destination AND p.bucket = o.bucket
					AND p.object_key = o.object_key AND p.id < o.id)
			ORDER BY o.next_attempt, o.id LIMIT $5
			FOR UPDATE OF o SKIP LOCKED)
		UPDATE outbox SET lease_owner = $1, lease_expires = $2
		FROM candidates
		WHERE outbox.id = candidates.id
			AND outbox.state = 'PENDING' AND (outbox.lease_owner = '' OR outbox.lease_expires < $4)
		RETURNING ` + qualifiedOutboxCols
	qualifiedOutboxCols = `outbox.id, outbox.kind, outbox.destination, outbox.bucket, outbox.object_key,
		outbox.version_id, outbox.payload, outbox.state, outbox.attempts, outbox.next_attempt,
		outbox.last_error, outbox.lease_owner, outbox.lease_expires, outbox.created_at, outbox.updated_at`
	qLeaseOutbox = `UPDATE outbox SET lease_owner = $1, lease_expires = $2
		WHERE id = $3 AND state <> 'DONE' AND (lease_owner = '' OR lease_owner = $1 OR lease_expires < $4)
		RETURNING ` + outboxCols
	qSettleOutbox = `UPDATE outbox SET state = $1, attempts = $2, next_attempt = $3, last_error = $4,
		lease_owner = '', lease_expires = 0, updated_at = $5
		WHERE id = $6 AND lease_owner = $7`
	qOutboxExists = `SELECT EXISTS (SELECT 1 FROM outbox WHERE id = $1)`
	// Lists and counts, of one bucket (outbox_bucket) or of all
	// (outbox_kind). The arguments are those of outboxArgs; $4, the upper
	// end of the prefix range, is NULL when there is none.
	outboxSelected = `kind = $1 AND id > $2 AND object_key >= $3 AND ($4::text IS NULL OR object_key < $4)
		AND state IN ($5, $6, $7)`
	qListBucketOutbox  = `SELECT ` + outboxCols + ` FROM outbox WHERE bucket = $8 AND ` + outboxSelected + ` ORDER BY id LIMIT $9`
	qListOutbox        = `SELECT ` + outboxCols + ` FROM outbox WHERE ` + outboxSelected + ` ORDER BY id LIMIT $8`
	qCountBucketOutbox = `SELECT COUNT(*) FROM outbox WHERE bucket = $8 AND ` + outboxSelected
	qCountOutbox       = `SELECT COUNT(*) FROM outbox WHERE ` + outboxSelected
	qPurgeOutbox       = `DELETE FROM outbox WHERE id IN (SELECT id FROM outbox
		WHERE state = 'DONE' AND updated_at < $1 ORDER BY updated_at LIMIT $2)`
)

func (t *tx) EnqueueOutbox(entries ...*meta.OutboxEntry) error {
	for _, e := range entries {
		if e.Kind == "" || e.Destination == "" {
			return fmt.Errorf("enqueue outbox entry for %s/%s: kind and destination are required", e.Bucket, e.Key)
		}
		if e.State == "" {
			e.State = meta.OutboxPending
		}
		e.LastError = freeText(e.LastError)
		err := t.queryRow(qEnqueueOutbox, e.Kind, e.Destination, e.Bucket, e.Key, e.VersionID, e.Payload,
			string(e.State), e.Attempts, metasql.Nanos(e.NextAttempt), e.LastError, e.LeaseOwner,
			metasql.Nanos(e.LeaseExpires), metasql.Nanos(e.CreatedAt), metasql.Nanos(e.UpdatedAt),
		).Scan(&e.ID)
		if err != nil {
			return fmt.Errorf("enqueue %s of %s/%s to %s: %w", e.Kind, e.Bucket, e.Key, e.Destination, classify(err))
		}
	}
	return nil
}

func (t *tx) ReserveOutboxIDs(n int) (int64, error) {
	if n < 1 {
		return 0, fmt.Errorf("reserve %d outbox ids: want at least one", n)
	}
	if _, err := t.exec(qLockOutboxIDs); err != nil {
		return 0, fmt.Errorf("reserve %d outbox ids: lock: %w", n, err)
	}
	var last int64
	if err := t.queryRow(qReserveOutboxIDs, int64(n)).Scan(&last); err != nil {
		return 0, fmt.Errorf("reserve %d outbox ids: %w", n, err)
	}
	return last - int64(n) + 1, nil
}

// ClaimOutbox shares the limit between the destinations with pending
// entries as meta.ShareClaim does.
func (t *tx) ClaimOutbox(c meta.OutboxClaim) ([]meta.OutboxEntry, error) {
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
func (t *tx) outboxDestinations() ([]string, error) {
	var (
		out  []string
		last string
	)
	for {
		var d *string
		if err := t.queryRow(qNextOutboxDestination, last).Scan(&d); err != nil {
			return nil, fmt.Errorf("destinations: %w", err)
		}
		if d == nil {
			return out, nil
		}
		out = append(out, *d)
		last = *d
	}
}

func (t *tx) claimDestination(c meta.OutboxClaim, dest string, n int) ([]meta.OutboxEntry, error) {
	rows, err := t.query(qClaimOutboxDestination, c.Owner, metasql.Nanos(c.Until), dest, metasql.Nanos(c.Now), sqlLimit(n))
	if err != nil {
		return nil, err
	}
	return scanOutboxRows(rows)
}

func (t *tx) LeaseOutbox(ids []int64, owner string, now, until time.Time) ([]meta.OutboxEntry, error) {
	if owner == "" {
		return nil, errors.New("lease outbox entries: a non-empty owner name is required")
	}
	var out []meta.OutboxEntry
	for _, id := range ids {
		e, err := scanOutbox(t.queryRow(qLeaseOutbox, owner, metasql.Nanos(until), id, metasql.Nanos(now)))
		if errors.Is(err, pgx.ErrNoRows) {
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

func (t *tx) SettleOutbox(id int64, owner string, s meta.OutboxSettle) error {
	// LastError may quote what a remote server answered.
	found, err := t.execOne(qSettleOutbox, string(s.State), s.Attempts, metasql.Nanos(s.NextAttempt), freeText(s.LastError),
		metasql.Nanos(s.At), id, owner)
	if err != nil {
		return fmt.Errorf("settle outbox entry %d: %w", id, err)
	}
	if found {
		return nil
	}
	var exists bool
	if err := t.queryRow(qOutboxExists, id).Scan(&exists); err != nil {
		return fmt.Errorf("settle outbox entry %d: %w", id, err)
	}
	if !exists {
		return fmt.Errorf("settle outbox entry %d: %w", id, meta.ErrNotFound)
	}
	return fmt.Errorf("settle outbox entry %d for %s: %w", id, owner, meta.ErrNotLeased)
}

func (t *tx) GetOutbox(id int64) (*meta.OutboxEntry, error) {
	e, err := scanOutbox(t.queryRow(qGetOutbox, id))
	if err != nil {
		return nil, fmt.Errorf("get outbox entry %d: %w", id, classify(err))
	}
	return e, nil
}

// outboxArgs are the arguments of the list and count queries for f, the
// bucket last when f names one. A filter without states matches every
// state; one without a prefix every key.
func outboxArgs(f meta.OutboxFilter) ([]any, error) {
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
	lower, upper, empty := prefixRange(f.Prefix)
	if empty || !allStorable(f.Kind, f.Bucket) {
		return nil, errNoEntries
	}
	args := []any{f.Kind, f.AfterID, lower, upper, in[0], in[1], in[2]}
	if f.Bucket != "" {
		args = append(args, f.Bucket)
	}
	return args, nil
}

// errNoEntries says that a filter selects no entry: a prefix no key can
// have, or a kind or bucket no entry can have.
var errNoEntries = errors.New("the filter selects no entry")

func (t *tx) ListOutbox(f meta.OutboxFilter) ([]meta.OutboxEntry, error) {
	args, err := outboxArgs(f)
	if errors.Is(err, errNoEntries) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list outbox entries: %w", err)
	}
	query := qListOutbox
	if f.Bucket != "" {
		query = qListBucketOutbox
	}
	rows, err := t.query(query, append(args, sqlLimit(f.Limit))...)
	if err != nil {
		return nil, fmt.Errorf("list outbox entries: %w", err)
	}
	out, err := scanOutboxRows(rows)
	if err != nil {
		return nil, fmt.Errorf("list outbox entries: %w", err)
	}
	return out, nil
}

func (t *tx) CountOutbox(f meta.OutboxFilter) (int64, error) {
	args, err := outboxArgs(f)
	if errors.Is(err, errNoEntries) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("count outbox entries: %w", err)
	}
	query := qCountOutbox
	if f.Bucket != "" {
		query = qCountBucketOutbox
	}
	var n int64
	if err := t.queryRow(query, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("count outbox entries: %w", err)
	}
	return n, nil
}

func (t *tx) PurgeOutbox(before time.Time, limit int) (int, error) {
	tag, err := t.exec(qPurgeOutbox, metasql.Nanos(before), sqlLimit(limit))
	if err != nil {
		return 0, fmt.Errorf("purge outbox: %w", err)
	}
	return int(tag.RowsAffected()), nil
}

// scanOutboxRows reads every row of rows and closes it.
func scanOutboxRows(rows pgx.Rows) ([]meta.OutboxEntry, error) {
	defer rows.Close()
	var out []meta.OutboxEntry
	for rows.Next() {
		e, err := scanOutbox(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *e)
	}
	return out, rows.Err()
}

func scanOutbox(s pgx.Row) (*meta.OutboxEntry, error) {
	var (
		e                                    meta.OutboxEntry
		state                                string
		next, leaseExpires, created, updated int64
	)
	err := s.Scan(&e.ID, &e.Kind, &e.Destination, &e.Bucket, &e.Key, &e.VersionID, &e.Payload, &state,
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

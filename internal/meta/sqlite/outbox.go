package sqlite

import (
	"cmp"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/quarrylabs/quarry/internal/meta"
	"github.com/quarrylabs/quarry/internal/meta/metasql"
)

var _ meta.OutboxTx = (*tx)(nil)

const (
	outboxCols = `id, kind, destination, bucket, object_key, version_id, payload, state,
		attempts, next_attempt, last_error, lease_owner, lease_expires, created_at, updated_at`

	qEnqueueOutbox = `INSERT INTO outbox (kind, destination, bucket, object_key, version_id, payload,
		state, attempts, next_attempt, last_error, lease_owner, lease_expires, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`
	qGetOutbox = `SELECT ` + outboxCols + ` FROM outbox WHERE id = ?`
	// AUTOINCREMENT keeps the largest id handed out in sqlite_sequence:
	// moving it on sets ids aside (PostgreSQL: advance the sequence). The
	// row exists once the table had an insert; the first statement makes
	// sure of it.
	qSeedOutboxSequence = `INSERT INTO sqlite_sequence (name, seq)
		SELECT 'outbox', COALESCE((SELECT MAX(id) FROM outbox), 0)
		WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'outbox')`
	qReserveOutboxIDs = `UPDATE sqlite_sequence SET seq = seq + ? WHERE name = 'outbox' RETURNING seq`

	// The next destination, in order, that has a pending entry: a walk
	// over outbox_due that costs one index seek per destination, however
	// many entries each holds.
	qNextOutboxDestination = `SELECT MIN(destination) FROM outbox WHERE state = 'PENDING' AND destination > ?`
	// The claimable entries of one destination (see meta.OutboxTx): due,
	// free, and the oldest pending entry of their key. The leasing UPDATE
	// repeats the conditions a concurrent claimer could have changed, so
	// that on a store without a single writer it takes only what is
	// still free (PostgreSQL: the SELECT is FOR UPDATE SKIP LOCKED).
	qClaimOutboxDestination = `UPDATE outbox SET lease_owner = ?, lease_expires = ?
		WHERE id IN (SELECT o.id FROM outbox o
			WHERE o.state = 'PENDING' AND o.destination = ? AND o.next_attempt <= ?
				AND (o.lease_owner = '' OR o.lease_expires < ?)
				AND NOT EXISTS (SELECT 1 FROM outbox p WHERE p.state = 'PENDING'
					AND p.destination = o.destination AND p.bucket = o.bucket
					AND p.object_key = o.object_key AND p.id < o.id)
			ORDER BY o.next_attempt, o.id LIMIT ?)
			AND state = 'PENDING' AND (lease_owner = '' OR lease_expires < ?)
		RETURNING ` + outboxCols
	qLeaseOutbox = `UPDATE outbox SET lease_owner = ?, lease_expires = ?
		WHERE id = ? AND state <> 'DONE' AND (lease_owner = '' OR lease_owner = ? OR lease_expires < ?)
		RETURNING ` + outboxCols
	qSettleOutbox = `UPDATE outbox SET state = ?, attempts = ?, next_attempt = ?, last_error = ?,
		lease_owner = '', lease_expires = 0, updated_at = ?
		WHERE id = ? AND lease_owner = ?`
	qOutboxExists = `SELECT COUNT(*) FROM outbox WHERE id = ?`
	// Lists and counts, of one bucket (outbox_bucket) or of all. The
	// arguments are those of outboxArgs.
	outboxSelected      = `kind = ? AND id > ? AND object_key >= ? AND object_key < ? AND state IN (?, ?, ?)`
	qListBucketOutbox   = `SELECT ` + outboxCols + ` FROM outbox WHERE bucket = ? AND ` + outboxSelected + ` ORDER BY id LIMIT ?`
	qListOutbox         = `SELECT ` + outboxCols + ` FROM outbox WHERE ` + outboxSelected + ` ORDER BY id LIMIT ?`
	qCountBucketOutbox  = `SELECT COUNT(*) FROM outbox WHERE bucket = ? AND ` + outboxSelected
	qCountOutbox        = `SELECT COUNT(*) FROM outbox WHERE ` + outboxSelected
	qPurgeOutbox        = `DELETE FROM outbox WHERE id IN (SELECT id FROM outbox WHERE state = 'DONE' AND updated_at < ? ORDER BY updated_at LIMIT ?)`
	qDeleteBucketOutbox = `DELETE FROM outbox WHERE bucket = ?`
)

func (t *tx) EnqueueOutbox(entries ...*meta.OutboxEntry) error {
	for _, e := range entries {
		if e.Kind == "" || e.Destination == "" {
			return fmt.Errorf("enqueue outbox entry for %s/%s: kind and destination are required", e.Bucket, e.Key)
		}
		if e.State == "" {
			e.State = meta.OutboxPending
		}
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
	if _, err := t.exec(qSeedOutboxSequence); err != nil {
		return 0, fmt.Errorf("reserve outbox ids: %w", err)
	}
	var last int64
	if err := t.queryRow(qReserveOutboxIDs, n).Scan(&last); err != nil {
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
	now := metasql.Nanos(c.Now)
	rows, err := t.query(qClaimOutboxDestination, c.Owner, metasql.Nanos(c.Until), dest, now, now, sqlLimit(n), now)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return scanOutboxRows(rows)
}

func (t *tx) LeaseOutbox(ids []int64, owner string, now, until time.Time) ([]meta.OutboxEntry, error) {
	if owner == "" {
		return nil, errors.New("lease outbox entries: a non-empty owner name is required")
	}
	var out []meta.OutboxEntry
	for _, id := range ids {
		e, err := scanOutbox(t.queryRow(qLeaseOutbox, owner, metasql.Nanos(until), id, owner, metasql.Nanos(now)))
		if errors.Is(err, sql.ErrNoRows) {
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
	found, err := t.execOne(qSettleOutbox, string(s.State), s.Attempts, metasql.Nanos(s.NextAttempt), s.LastError,
		metasql.Nanos(s.At), id, owner)
	if err != nil {
		return fmt.Errorf("settle outbox entry %d: %w", id, err)
	}
	if found {
		return nil
	}
	var n int
	if err := t.queryRow(qOutboxExists, id).Scan(&n); err != nil {
		return fmt.Errorf("settle outbox entry %d: %w", id, err)
	}
	if n == 0 {
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
// bucket first when f names one. A filter without states matches every
// state; one without a prefix every key ("\xff" sorts after every UTF-8
// key, since no UTF-8 string holds that byte).
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
	upper, bounded := meta.PrefixUpperBound(f.Prefix)
	if !bounded {
		upper = "\xff"
	}
	args := []any{f.Kind, f.AfterID, f.Prefix, upper, in[0], in[1], in[2]}
	if f.Bucket != "" {
		args = append([]any{f.Bucket}, args...)
	}
	return args, nil
}

func (t *tx) ListOutbox(f meta.OutboxFilter) ([]meta.OutboxEntry, error) {
	args, err := outboxArgs(f)
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
	defer rows.Close()
	out, err := scanOutboxRows(rows)
	if err != nil {
		return nil, fmt.Errorf("list outbox entries: %w", err)
	}
	return out, nil
}

func (t *tx) CountOutbox(f meta.OutboxFilter) (int64, error) {
	args, err := outboxArgs(f)
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
	res, err := t.exec(qPurgeOutbox, metasql.Nanos(before), sqlLimit(limit))
	if err != nil {
		return 0, fmt.Errorf("purge outbox: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("purge outbox: %w", err)
	}
	return int(n), nil
}

func scanOutboxRows(rows interface {
	scanner
	Next() bool
	Err() error
}) ([]meta.OutboxEntry, error) {
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

func scanOutbox(s scanner) (*meta.OutboxEntry, error) {
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

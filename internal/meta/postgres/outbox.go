package postgres

import "github.com/quarrylabs/quarry/internal/meta/sqltx"

const (
	// Lists and counts, of one bucket (outbox_bucket) or of all
	// (outbox_kind). The arguments are those of OutboxQueries.List; $4, the
	// upper end of the prefix range, is NULL when there is none.
	outboxSelected = `kind = $1 AND id > $2 AND object_key >= $3 AND ($4::text IS NULL OR object_key < $4)
		AND state IN ($5, $6, $7)`

	qualifiedOutboxCols = `outbox.id, outbox.kind, outbox.destination, outbox.bucket, outbox.object_key,
		outbox.version_id, outbox.payload, outbox.state, outbox.attempts, outbox.next_attempt,
		outbox.last_error, outbox.lease_owner, outbox.lease_expires, outbox.created_at, outbox.updated_at`
)

var outboxQueries = sqltx.OutboxQueries{
	Enqueue: `INSERT INTO outbox (kind, destination, bucket, object_key, version_id, payload,
		state, attempts, next_attempt, last_error, lease_owner, lease_expires, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id`,
	Get: `SELECT ` + sqltx.OutboxColumns + ` FROM outbox WHERE id = $1`,

	// Setting ids aside moves the outbox_ids sequence on by n. Sequences
	// are not transactional, so an insert drawing an id between the two
	// steps would get one inside the block: the lock keeps inserts out
	// meanwhile (an INSERT takes ROW EXCLUSIVE on the table before it draws
	// its id, and waits) and waits for the transactions that have inserted
	// already, whose ids are below the block. Reservations are rare (a
	// back-fill sets aside pages of ids at once), so the pause is short.
	PrepareReserve: `LOCK TABLE outbox IN SHARE ROW EXCLUSIVE MODE`,
	Reserve:        `SELECT setval('outbox_ids', nextval('outbox_ids') + $1 - 1)`,

	// The next destination, in order, that has a pending entry: a walk
	// over outbox_due that costs one index seek per destination, however
	// many entries each holds.
	NextDestination: `SELECT MIN(destination) FROM outbox WHERE state = 'PENDING' AND destination > $1`,
	// The claimable entries of one destination (see meta.OutboxTx): due,
	// free, and the oldest pending entry of their key. The candidates are
	// locked FOR UPDATE SKIP LOCKED, so that claimers on other nodes pass
	// over the entries one of them is taking instead of waiting for it;
	// the UPDATE repeats the lease conditions, which a claim committed
	// since this transaction's snapshot may have changed. Order per key
	// needs no lock: the older entry's state is what holds back the newer,
	// and leasing it does not change that.
	ClaimDestination: `WITH candidates AS (
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
		RETURNING ` + qualifiedOutboxCols,
	Lease: `UPDATE outbox SET lease_owner = $1, lease_expires = $2
		WHERE id = $3 AND state <> 'DONE' AND (lease_owner = '' OR lease_owner = $1 OR lease_expires < $4)
		RETURNING ` + sqltx.OutboxColumns,
	Settle: `UPDATE outbox SET state = $1, attempts = $2, next_attempt = $3, last_error = $4,
		lease_owner = '', lease_expires = 0, updated_at = $5
		WHERE id = $6 AND lease_owner = $7`,
	Exists:      `SELECT EXISTS (SELECT 1 FROM outbox WHERE id = $1)`,
	ListBucket:  `SELECT ` + sqltx.OutboxColumns + ` FROM outbox WHERE bucket = $8 AND ` + outboxSelected + ` ORDER BY id LIMIT $9`,
	List:        `SELECT ` + sqltx.OutboxColumns + ` FROM outbox WHERE ` + outboxSelected + ` ORDER BY id LIMIT $8`,
	CountBucket: `SELECT COUNT(*) FROM outbox WHERE bucket = $8 AND ` + outboxSelected,
	Count:       `SELECT COUNT(*) FROM outbox WHERE ` + outboxSelected,
	Purge: `DELETE FROM outbox WHERE id IN (SELECT id FROM outbox
		WHERE state = 'DONE' AND updated_at < $1 ORDER BY updated_at LIMIT $2)`,
}

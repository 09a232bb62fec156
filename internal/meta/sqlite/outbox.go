package sqlite

import "github.com/quarrylabs/quarry/internal/meta/sqltx"

const (
	qDeleteBucketOutbox = `DELETE FROM outbox WHERE bucket = ?1`

	// Lists and counts, of one bucket (outbox_bucket) or of all. The
	// arguments are those of OutboxQueries.List; with no upper end, keys
	// stop below x'ff', which sorts after every UTF-8 key since no UTF-8
	// string holds that byte.
	outboxSelected = `kind = ?1 AND id > ?2 AND object_key >= ?3 AND object_key < COALESCE(?4, CAST(x'ff' AS TEXT))
		AND state IN (?5, ?6, ?7)`
)

var outboxQueries = sqltx.OutboxQueries{
	Enqueue: `INSERT INTO outbox (kind, destination, bucket, object_key, version_id, payload,
		state, attempts, next_attempt, last_error, lease_owner, lease_expires, created_at, updated_at)
		VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14) RETURNING id`,
	Get: `SELECT ` + sqltx.OutboxColumns + ` FROM outbox WHERE id = ?1`,
	// AUTOINCREMENT keeps the largest id handed out in sqlite_sequence:
	// moving it on sets ids aside (PostgreSQL: advance the sequence). The
	// row exists once the table had an insert; the first statement makes
	// sure of it.
	PrepareReserve: `INSERT INTO sqlite_sequence (name, seq)
		SELECT 'outbox', COALESCE((SELECT MAX(id) FROM outbox), 0)
		WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'outbox')`,
	Reserve: `UPDATE sqlite_sequence SET seq = seq + ?1 WHERE name = 'outbox' RETURNING seq`,

	// The next destination, in order, that has a pending entry: a walk
	// over outbox_due that costs one index seek per destination, however
	// many entries each holds.
	NextDestination: `SELECT MIN(destination) FROM outbox WHERE state = 'PENDING' AND destination > ?1`,
	// The claimable entries of one destination (see meta.OutboxTx): due,
	// free, and the oldest pending entry of their key. The leasing UPDATE
	// repeats the conditions a concurrent claimer could have changed, so
	// that on a store without a single writer it takes only what is
	// still free (PostgreSQL: the SELECT is FOR UPDATE SKIP LOCKED).
	ClaimDestination: `UPDATE outbox SET lease_owner = ?1, lease_expires = ?2
		WHERE id IN (SELECT o.id FROM outbox o
			WHERE o.state = 'PENDING' AND o.destination = ?3 AND o.next_attempt <= ?4
				AND (o.lease_owner = '' OR o.lease_expires < ?4)
				AND NOT EXISTS (SELECT 1 FROM outbox p WHERE p.state = 'PENDING'
					AND p.destination = o.destination AND p.bucket = o.bucket
					AND p.object_key = o.object_key AND p.id < o.id)
			ORDER BY o.next_attempt, o.id LIMIT ?5)
			AND state = 'PENDING' AND (lease_owner = '' OR lease_expires < ?4)
		RETURNING ` + sqltx.OutboxColumns,
	Lease: `UPDATE outbox SET lease_owner = ?1, lease_expires = ?2
		WHERE id = ?3 AND state <> 'DONE' AND (lease_owner = '' OR lease_owner = ?1 OR lease_expires < ?4)
		RETURNING ` + sqltx.OutboxColumns,
	Settle: `UPDATE outbox SET state = ?1, attempts = ?2, next_attempt = ?3, last_error = ?4,
		lease_owner = '', lease_expires = 0, updated_at = ?5
		WHERE id = ?6 AND lease_owner = ?7`,
	Exists:      `SELECT EXISTS (SELECT 1 FROM outbox WHERE id = ?1)`,
	ListBucket:  `SELECT ` + sqltx.OutboxColumns + ` FROM outbox WHERE bucket = ?8 AND ` + outboxSelected + ` ORDER BY id LIMIT ?9`,
	List:        `SELECT ` + sqltx.OutboxColumns + ` FROM outbox WHERE ` + outboxSelected + ` ORDER BY id LIMIT ?8`,
	CountBucket: `SELECT COUNT(*) FROM outbox WHERE bucket = ?8 AND ` + outboxSelected,
	Count:       `SELECT COUNT(*) FROM outbox WHERE ` + outboxSelected,
	Purge: `DELETE FROM outbox WHERE id IN (SELECT id FROM outbox
		WHERE state = 'DONE' AND updated_at < ?1 ORDER BY updated_at LIMIT ?2)`,
}

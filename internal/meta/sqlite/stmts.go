package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/quarrylabs/quarry/internal/meta/sqltx"
)

// statements, dialect's and the store's own, are prepared on each pool at
// Open. They must be prepared up front: the writer pool has one connection,
// and preparing on the pool while a transaction holds that connection would
// wait forever.
var statements = append(sqltx.Statements(&dialect),
	// bucket.go
	qNextBucketID, qCreateBucket, qCreateUsage, qGetUsage, qAddUsage, qSetUsage,
	// version.go
	qMarkLatest, qUnmarkOthers, qUnmarkAll,
	// job.go
	qLastJobID, qSetLastJobID, qCreateJob, qActiveJobID,
	// usage.go
	qCountUsage, qBucketExists, qCountVersionsFrom, qCountVersionsBounded,
	// replication_version.go
	qVersionExists, qUpsertVersionReplication, qSumVersionReplication,
)

// stmtCache holds one pool's prepared statements by query text. The map is
// filled at Open and only read afterwards, so it needs no lock.
type stmtCache struct {
	byQuery map[string]*sql.Stmt
	// unprepared counts queries run that were missing from statements: they
	// still work (prepared on the transaction) but cost a prepare each time.
	unprepared atomic.Int64
}

func prepareAll(ctx context.Context, db *sql.DB) (*stmtCache, error) {
	c := &stmtCache{byQuery: make(map[string]*sql.Stmt, len(statements))}
	for _, q := range statements {
		if _, dup := c.byQuery[q]; dup {
			continue
		}
		s, err := db.PrepareContext(ctx, q)
		if err != nil {
			_ = c.close()
			return nil, fmt.Errorf("prepare %q: %w", q, err)
		}
		c.byQuery[q] = s
	}
	return c, nil
}

func (c *stmtCache) close() error {
	var errs []error
	for _, s := range c.byQuery {
		errs = append(errs, s.Close())
	}
	return errors.Join(errs...)
}

package postgres

import (
	"fmt"
	"math"

	"github.com/quarrylabs/quarry/internal/meta"
)

// ListJobs has one statement per leading filter, so that each can walk its
// own index newest first (bucket, owner or state, then id); the other
// filters are optional terms that a zero value switches off. They share the
// numbered parameters of jobFilterTail, cast to their types so that none is
// inferred from a column (id is an INTEGER, but the first page starts below
// 2^31).
const (
	jobFilterTail = ` id < $1::bigint AND ($2::text = '' OR bucket = $2) AND ($3::bigint = 0 OR owner_id = $3)
		AND ($4::bigint = 0 OR user_id = $4) AND ($5::text = '' OR type = $5) AND ($6::text = '' OR state = $6)
		ORDER BY id DESC LIMIT $7`
	qListJobs         = `SELECT ` + jobCols + ` FROM jobs WHERE` + jobFilterTail
	qListJobsByBucket = `SELECT ` + jobCols + ` FROM jobs WHERE bucket = $2 AND` + jobFilterTail
	qListJobsByOwner  = `SELECT ` + jobCols + ` FROM jobs WHERE owner_id = $3 AND` + jobFilterTail
	qListJobsByState  = `SELECT ` + jobCols + ` FROM jobs WHERE state = $6 AND` + jobFilterTail
)

func (t *tx) ListJobs(f meta.JobFilter) ([]meta.Job, error) {
	if !allStorable(f.Bucket, f.Type, string(f.State)) {
		return nil, nil // no job has such a bucket, type or state
	}
	query := qListJobs
	switch {
	case f.Bucket != "":
		query = qListJobsByBucket
	case f.OwnerID != 0:
		query = qListJobsByOwner
	case f.State != "":
		query = qListJobsByState
	}
	before := int64(f.BeforeID)
	if before <= 0 {
		before = math.MaxInt32 + 1
	}
	jobs, err := t.queryJobs(query, before, f.Bucket, f.OwnerID, f.UserID, f.Type, string(f.State), sqlLimit(f.Limit))
	if err != nil {
		return nil, fmt.Errorf("list jobs: %w", err)
	}
	return jobs, nil
}

package sqlite

import (
	"fmt"

	"github.com/quarrylabs/quarry/internal/meta"
)

const qCountJobs = `SELECT type, state, COUNT(*) FROM jobs GROUP BY type, state ORDER BY type, state`

func (t *tx) CountJobs() ([]meta.JobCount, error) {
	rows, err := t.query(qCountJobs)
	if err != nil {
		return nil, fmt.Errorf("count jobs: %w", classify(err))
	}
	defer rows.Close()
	var out []meta.JobCount
	for rows.Next() {
		var c meta.JobCount
		if err := rows.Scan(&c.Type, &c.State, &c.Count); err != nil {
			return nil, fmt.Errorf("count jobs: %w", classify(err))
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("count jobs: %w", classify(err))
	}
	return out, nil
}

package sqltx

import (
	"fmt"

	"github.com/quarrylabs/quarry/internal/meta"
)

// GrantQueries are the statements of a grant table, which grants a target
// (a replication or notification target, by ARN) to users.
type GrantQueries struct {
	// Add (arn, userID) grants, keeping an existing grant.
	Add string
	// Delete (arn) removes the target's grants.
	Delete string
	// List (arn) selects user_id of the target's grants, ascending.
	List string
	// ListAll () selects arn, user_id of every grant, by ARN and user id.
	ListAll string
}

// addGrants grants the target arn to users.
func (t *Tx) addGrants(q *GrantQueries, arn string, users []int64) error {
	for _, id := range users {
		if _, err := t.c.Exec(q.Add, arn, id); err != nil {
			return fmt.Errorf("grant to user %d: %w", id, t.c.Classify(err))
		}
	}
	return nil
}

// grantsOf are the user ids granted arn, ascending; nil when none.
func (t *Tx) grantsOf(q *GrantQueries, arn string) ([]int64, error) {
	rows, err := t.c.Query(q.List, arn)
	if err != nil {
		return nil, fmt.Errorf("grants: %w", err)
	}
	ids, err := collect(nil, rows, func(r Row) (*int64, error) {
		var id int64
		return &id, r.Scan(&id)
	})
	if err != nil {
		return nil, fmt.Errorf("grants: %w", err)
	}
	return ids, nil
}

// allGrants are the granted user ids of every target, by ARN.
func (t *Tx) allGrants(q *GrantQueries) (map[string][]int64, error) {
	rows, err := t.c.Query(q.ListAll)
	if err != nil {
		return nil, fmt.Errorf("grants: %w", err)
	}
	defer rows.Close()
	out := map[string][]int64{}
	for rows.Next() {
		var (
			arn string
			id  int64
		)
		if err := rows.Scan(&arn, &id); err != nil {
			return nil, fmt.Errorf("grants: %w", err)
		}
		out[arn] = append(out[arn], id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("grants: %w", err)
	}
	return out, nil
}

// queryStrings runs a query of one text column and returns its values; nil
// when there are none.
func (t *Tx) queryStrings(query string, args ...any) ([]string, error) {
	rows, err := t.c.Query(query, args...)
	if err != nil {
		return nil, err
	}
	return collect(nil, rows, func(r Row) (*string, error) {
		var s string
		return &s, r.Scan(&s)
	})
}

// setAccess sets whether every user may use the target arn (setAllUsers
// (allUsers, arn)) and replaces its grants with users. what names the
// kind of target in errors.
func (t *Tx) setAccess(what, setAllUsers string, q *GrantQueries, arn string, allUsers bool, users []int64) error {
	if !t.storable(arn) {
		return fmt.Errorf("set access of %s %q: %w", what, arn, meta.ErrNotFound)
	}
	found, err := t.execOne(setAllUsers, allUsers, arn)
	if err != nil {
		return fmt.Errorf("set access of %s %s: %w", what, arn, err)
	}
	if !found {
		return fmt.Errorf("set access of %s %s: %w", what, arn, meta.ErrNotFound)
	}
	if _, err := t.c.Exec(q.Delete, arn); err != nil {
		return fmt.Errorf("set access of %s %s: clear grants: %w", what, arn, err)
	}
	if err := t.addGrants(q, arn, users); err != nil {
		return fmt.Errorf("set access of %s %s: %w", what, arn, err)
	}
	return nil
}

// deleteGranted deletes the target arn (del (arn)) and its grants.
func (t *Tx) deleteGranted(what, del string, q *GrantQueries, arn string) error {
	if !t.storable(arn) {
		return fmt.Errorf("delete %s %q: %w", what, arn, meta.ErrNotFound)
	}
	found, err := t.execOne(del, arn)
	if err != nil {
		return fmt.Errorf("delete %s %s: %w", what, arn, err)
	}
	if !found {
		return fmt.Errorf("delete %s %s: %w", what, arn, meta.ErrNotFound)
	}
	if _, err := t.c.Exec(q.Delete, arn); err != nil {
		return fmt.Errorf("delete %s %s: grants: %w", what, arn, err)
	}
	return nil
}

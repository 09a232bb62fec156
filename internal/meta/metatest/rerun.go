package metatest

import (
	"context"
	"errors"

	"github.com/quarrylabs/quarry/internal/meta"
)

// Rerun returns a store whose Update runs fn twice, as a store with
// concurrent writers may (meta.Store.Update): first in a transaction that
// is rolled back once fn succeeded, as PostgreSQL aborts one that lost a
// serialisation conflict, then in a new one, whose outcome Update returns.
// Tests of Update's callers run on it to check that fn has no effect
// outside its transaction and carries nothing over from one run to the
// next.
func Rerun(s meta.Store) meta.Store { return rerun{s} }

type rerun struct{ meta.Store }

// errRolledBack ends the first run.
var errRolledBack = errors.New("metatest: the first run is rolled back")

func (r rerun) Update(ctx context.Context, fn func(meta.Tx) error) error {
	err := r.Store.Update(ctx, func(tx meta.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		return errRolledBack
	})
	if !errors.Is(err, errRolledBack) {
		return err // fn failed: a store does not run it again for that
	}
	return r.Store.Update(ctx, fn)
}

package postgres

import (
	"fmt"

	"github.com/quarrylabs/quarry/internal/meta"
)

// PostgreSQL refuses a text parameter that is not valid UTF-8 or holds a
// NUL byte, and the refusal aborts the whole transaction. Names and keys
// that come from clients (a version id, an upload id, an access key, a
// username) may be anything, so lookups check them first: a string that
// a text column cannot hold names no row, which is ErrNotFound, and the
// transaction goes on.

// noText returns an ErrNotFound error for what when one of ss is not valid
// text, and nil otherwise.
func noText(what string, ss ...string) error {
	for _, s := range ss {
		if !meta.ValidText(s) {
			return fmt.Errorf("%s %q: %w", what, s, meta.ErrNotFound)
		}
	}
	return nil
}

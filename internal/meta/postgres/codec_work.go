package postgres

import (
	"github.com/quarrylabs/quarry/internal/meta"
	"github.com/quarrylabs/quarry/internal/meta/metasql"
)

// The work tables keep values as the core tables do (package metasql):
// times BIGINT unix nanoseconds, string maps JSON text. What follows is
// about text parameters, which PostgreSQL takes only as valid UTF-8
// without NUL (see text.go).

// storable reports whether s can be a text parameter.
func storable(s string) bool { return meta.ValidText(s) }

// allStorable reports whether every one of ss can be a text parameter.
func allStorable(ss ...string) bool {
	for _, s := range ss {
		if !storable(s) {
			return false
		}
	}
	return true
}

// freeText makes a message storable (see metasql.FreeText).
func freeText(s string) string { return metasql.FreeText(s) }

// prefixRange is the range of keys that start with prefix, as ends a text
// parameter can hold (meta.KeyRange.Text): from lower inclusive to upper
// exclusive, upper nil when unbounded; empty when no key can start with
// prefix. A prefix that is not text itself may still begin keys (one that
// ends inside a character's encoding), so it is moved, not refused.
func prefixRange(prefix string) (lower string, upper *string, empty bool) {
	r := meta.RangeFor(prefix, "").Text()
	if r.Empty {
		return "", nil, true
	}
	if r.Bounded {
		upper = &r.Upper
	}
	return r.Lower, upper, false
}

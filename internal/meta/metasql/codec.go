// Package metasql holds what Quarry's SQL metadata stores (SQLite and
// PostgreSQL) share about how model values sit in columns, so that the two
// schemas read and write them the same way: times as BIGINT unix
// nanoseconds, maps and segment lists as JSON text (NULL for none), and
// empty byte strings as NULL.
package metasql

import (
	"database/sql"
	"encoding/json"
	"strings"
	"time"

	"github.com/quarrylabs/quarry/internal/meta"
)

// Nanos is how a time is stored: unix nanoseconds, and the zero time as 0,
// since time.Time{}.UnixNano() is out of range.
func Nanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

// Time reads back what Nanos stored, in UTC.
func Time(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

// EncodeMap stores a map as JSON text; a nil map is NULL so that "none" and
// "empty" stay distinct where the model cares (a bucket without a tag set).
func EncodeMap(m map[string]string) (any, error) {
	if m == nil {
		return nil, nil
	}
	b, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	return string(b), nil
}

// DecodeMap reads back what EncodeMap stored.
func DecodeMap(s sql.NullString) (map[string]string, error) {
	if !s.Valid {
		return nil, nil
	}
	m := map[string]string{}
	if err := json.Unmarshal([]byte(s.String), &m); err != nil {
		return nil, err
	}
	return m, nil
}

// EncodeMaps encodes several maps, stopping at the first error.
func EncodeMaps(ms ...map[string]string) ([]any, error) {
	out := make([]any, len(ms))
	for i, m := range ms {
		v, err := EncodeMap(m)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

// EncodeSegments stores a version's segments as JSON text; nil is NULL.
func EncodeSegments(segs []meta.Segment) (any, error) {
	if segs == nil {
		return nil, nil
	}
	b, err := json.Marshal(segs)
	if err != nil {
		return nil, err
	}
	return string(b), nil
}

// DecodeSegments reads back what EncodeSegments stored.
func DecodeSegments(s sql.NullString) ([]meta.Segment, error) {
	if !s.Valid {
		return nil, nil
	}
	var segs []meta.Segment
	if err := json.Unmarshal([]byte(s.String), &segs); err != nil {
		return nil, err
	}
	return segs, nil
}

// NullBytes stores an empty byte string as NULL, so that "none" has one
// spelling in a table.
func NullBytes(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	return b
}

// FreeText makes a message (an error text, which may quote what a remote
// server sent) valid text (meta.ValidText) for a store whose text columns
// take nothing else: invalid bytes and NULs become U+FFFD.
func FreeText(s string) string {
	if meta.ValidText(s) {
		return s
	}
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
}

// NotNull stores a nil byte string as empty, for a NOT NULL column.
func NotNull(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

package sqlite

import (
	"database/sql"
	"encoding/json"
	"time"

	"github.com/quarrylabs/quarry/internal/meta"
)

// Times are stored as INTEGER unix nanoseconds; the zero time as 0, since
// time.Time{}.UnixNano() is out of range.
func toNanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromNanos(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

// Booleans are INTEGER 0/1.
func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Maps are JSON TEXT; a nil map is NULL so that "none" and "empty" stay
// distinct where the model cares (a bucket without a tag set).
func encodeMap(m map[string]string) (any, error) {
	if m == nil {
		return nil, nil
	}
	b, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	return string(b), nil
}

func decodeMap(s sql.NullString) (map[string]string, error) {
	if !s.Valid {
		return nil, nil
	}
	m := map[string]string{}
	if err := json.Unmarshal([]byte(s.String), &m); err != nil {
		return nil, err
	}
	return m, nil
}

func encodeSegments(segs []meta.Segment) (any, error) {
	if segs == nil {
		return nil, nil
	}
	b, err := json.Marshal(segs)
	if err != nil {
		return nil, err
	}
	return string(b), nil
}

func decodeSegments(s sql.NullString) ([]meta.Segment, error) {
	if !s.Valid {
		return nil, nil
	}
	var segs []meta.Segment
	if err := json.Unmarshal([]byte(s.String), &segs); err != nil {
		return nil, err
	}
	return segs, nil
}

// encodeMaps encodes several maps, stopping at the first error.
func encodeMaps(ms ...map[string]string) ([]any, error) {
	out := make([]any, len(ms))
	for i, m := range ms {
		v, err := encodeMap(m)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

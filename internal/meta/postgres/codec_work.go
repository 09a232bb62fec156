package postgres

import (
	"encoding/json"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/quarrylabs/quarry/internal/meta"
)

// How the work tables' values sit in columns: times as BIGINT unix
// nanoseconds (the zero time as 0, since time.Time{}.UnixNano() is out of
// range), string maps as JSON text (NULL for none).

func nanosOf(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func timeOf(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

// jsonMap encodes m as JSON text, or NULL for a nil map so that "none" and
// "empty" stay distinct.
func jsonMap(m map[string]string) (any, error) {
	if m == nil {
		return nil, nil
	}
	b, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	return string(b), nil
}

// mapOf decodes what jsonMap stored.
func mapOf(s *string) (map[string]string, error) {
	if s == nil {
		return nil, nil
	}
	m := map[string]string{}
	if err := json.Unmarshal([]byte(*s), &m); err != nil {
		return nil, err
	}
	return m, nil
}

// textUpperBound is meta.PrefixUpperBound for text columns: the smallest
// valid UTF-8 string sorting (byte-wise, as COLLATE "C" does) after every
// string that starts with prefix. PostgreSQL refuses a text parameter that
// is not valid UTF-8, which the byte-wise bound may be ("\x7f" becomes
// "\x80"), so this increments the last code point instead: UTF-8 sorts
// byte-wise in code point order, so the two bounds select the same valid
// keys. ok is false when no bound exists (an empty prefix, or one made only
// of U+10FFFF).
func textUpperBound(prefix string) (bound string, ok bool) {
	for end := len(prefix); end > 0; {
		r, size := utf8.DecodeLastRuneInString(prefix[:end])
		end -= size
		if r == utf8.MaxRune || r == utf8.RuneError && size == 1 {
			continue
		}
		r++
		if r >= 0xD800 && r <= 0xDFFF { // surrogates are not characters
			r = 0xE000
		}
		return prefix[:end] + string(r), true
	}
	return "", false
}

// storable reports whether s can be a text parameter (see text.go).
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

// freeText makes a message (an error text, which may quote what a remote
// server sent) storable: invalid bytes and NULs become U+FFFD.
func freeText(s string) string {
	if storable(s) {
		return s
	}
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
}

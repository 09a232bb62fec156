package meta

import (
	"strings"
	"unicode/utf8"
)

// PrefixUpperBound returns the smallest string that sorts (byte-wise) after
// every string starting with prefix, so that "key starts with prefix" can be
// asked of an index as the range key >= prefix AND key < bound instead of a
// LIKE, which databases cannot always serve from an index and which treats
// '%' and '_' in keys as wildcards.
//
// It increments the last byte that is not 0xFF and drops the 0xFF bytes
// after it. ok is false when no bound exists (an empty prefix, or one made
// only of 0xFF bytes): every key at or after prefix then matches.
func PrefixUpperBound(prefix string) (bound string, ok bool) {
	b := []byte(prefix)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] != 0xFF {
			b[i]++
			return string(b[:i+1]), true
		}
	}
	return "", false
}

// KeyRange is the range of keys a listing scans, as one index range: a
// lower end (from the prefix inclusive, or after the position exclusive,
// whichever is later) and an upper end from PrefixUpperBound. Both SQL
// stores turn it into a WHERE clause.
type KeyRange struct {
	Lower     string
	Exclusive bool // Lower itself is excluded
	Upper     string
	Bounded   bool // keys must sort below Upper
	Empty     bool // nothing can match
}

// RangeFor returns the keys that start with prefix and sort after `after`
// (an empty after means from the start).
func RangeFor(prefix, after string) KeyRange {
	r := KeyRange{Lower: prefix}
	if after != "" && after >= prefix {
		r.Lower, r.Exclusive = after, true
	}
	r.Upper, r.Bounded = PrefixUpperBound(prefix)
	if r.Bounded && r.Lower >= r.Upper {
		r.Empty = true
	}
	return r
}

// Pick chooses among the four forms of a listing's query for r (lower end
// inclusive or exclusive, upper end or none) and returns it with the
// range's arguments, in the order lower, upper.
func (r KeyRange) Pick(from, fromBounded, after, afterBounded string) (query string, args []any) {
	switch {
	case r.Exclusive && r.Bounded:
		return afterBounded, []any{r.Lower, r.Upper}
	case r.Exclusive:
		return after, []any{r.Lower}
	case r.Bounded:
		return fromBounded, []any{r.Lower, r.Upper}
	default:
		return from, []any{r.Lower}
	}
}

// ResumeRange plans a page of a listing ordered by key and then by a second
// column (versions by Seq, uploads by id), resuming after a position in key
// afterKey. inKey says the position is inside afterKey (a Seq or id was
// given): the rest of afterKey's rows come first, from the key alone, when
// restOfKey is true; then the keys of rest, which are strictly after
// afterKey. Reading two plain index ranges beats one OR that a planner may
// not serve from the index.
func ResumeRange(prefix, afterKey string, inKey bool) (restOfKey bool, rest KeyRange) {
	restOfKey = inKey && strings.HasPrefix(afterKey, prefix)
	rest = RangeFor(prefix, afterKey)
	if inKey && afterKey == "" && prefix == "" {
		// Position ("", x): the rows of the empty key are done.
		rest.Exclusive = true
	}
	return restOfKey, rest
}

// Remaining is the limit left for the next part of a page once n rows are
// read: a limit of zero or less means no limit, and stays so. Callers stop
// before asking when n has reached limit, since 0 would mean no limit.
func Remaining(limit, n int) int {
	if limit <= 0 {
		return limit
	}
	return limit - n
}

// Databases whose text columns hold valid UTF-8 only (PostgreSQL) refuse a
// parameter that is not, yet listings ask for byte-wise ranges whose ends
// come from clients (a prefix, a marker) or from PrefixUpperBound ("a\x7f"
// gives "a\x80"). Keys are valid UTF-8 without NUL bytes (package object
// checks), so a range's ends can be moved to the nearest such strings
// without changing which keys it holds.

// ValidText reports whether s is valid UTF-8 without a NUL byte: a string
// a key can be, and a text column can hold.
func ValidText(s string) bool {
	return utf8.ValidString(s) && !strings.Contains(s, "\x00")
}

// TextCeil returns the smallest string that is ValidText and sorts
// (byte-wise) at or after s; ok is false when none does (s starts with a
// byte above 0xF4, or with a run of such bytes after the last byte it can
// increment).
func TextCeil(s string) (ceil string, ok bool) {
	i := badText(s)
	if i < 0 {
		return s, true
	}
	head, rest := s[:i], s[i:]
	// Encodings sort as their runes do, so the first rune whose encoding
	// sorts after rest is found by bisection. rest begins with no valid
	// rune, so no encoding equals a prefix of it.
	lo, hi := rune(1), rune(utf8.MaxRune)+1
	for lo < hi {
		mid := lo + (hi-lo)/2
		if encodeRune(mid) > rest {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	if lo <= utf8.MaxRune {
		return head + encodeRune(lo), true
	}
	// No rune continues head past rest: the next text is after every
	// string starting with head.
	bound, ok := PrefixUpperBound(head)
	if !ok {
		return "", false
	}
	return TextCeil(bound)
}

// encodeRune is the UTF-8 encoding of r, with the surrogates (which have
// none) standing for the first rune after them, so that the encoding grows
// with r.
func encodeRune(r rune) string {
	if r >= 0xD800 && r <= 0xDFFF {
		r = 0xE000
	}
	return string(r)
}

// badText returns the index of the first byte of s that is not part of a
// valid rune, or is NUL; -1 when s is ValidText.
func badText(s string) int {
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == 0 || (r == utf8.RuneError && size == 1) {
			return i
		}
		i += size
	}
	return -1
}

// Text returns the range holding the same keys as r whose ends are
// ValidText, for a database that takes only valid text: an end that is not
// becomes the TextCeil of it (inclusive, since the ceiling, unlike the end,
// can be a key).
func (r KeyRange) Text() KeyRange {
	if r.Empty {
		return r
	}
	if !ValidText(r.Lower) {
		lower, ok := TextCeil(r.Lower)
		if !ok {
			return KeyRange{Empty: true}
		}
		r.Lower, r.Exclusive = lower, false
	}
	if r.Bounded && !ValidText(r.Upper) {
		r.Upper, r.Bounded = TextCeil(r.Upper)
	}
	if r.Bounded && r.Lower >= r.Upper {
		r.Empty = true
	}
	return r
}

package meta

import (
	"strings"
	"testing"
)

func TestPrefixUpperBound(t *testing.T) {
	tests := []struct {
		name   string
		prefix string
		bound  string
		ok     bool
	}{
		{"an empty prefix has no bound", "", "", false},
		{"a plain prefix increments its last byte", "photos/", "photos0", true},
		{"a single byte increments", "a", "b", true},
		{"trailing 0xFF bytes are dropped before incrementing", "a\xff\xff", "b", true},
		{"a prefix of only 0xFF bytes has no bound", "\xff\xff", "", false},
		{"a multi-byte rune increments its last byte", "é", "\xc3\xaa", true},
		{"0x7F increments past ASCII", "a\x7f", "a\x80", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bound, ok := PrefixUpperBound(tt.prefix)
			if bound != tt.bound || ok != tt.ok {
				t.Fatalf("PrefixUpperBound(%q) = %q, %v; want %q, %v", tt.prefix, bound, ok, tt.bound, tt.ok)
			}
		})
	}
}

func TestPrefixUpperBoundSeparatesMatchesFromTheRest(t *testing.T) {
	keys := []string{"", "a", "a\x7f", "a\x7f\xff", "a\x80", "ab", "a\xff", "a\xff\xff", "b", "é", "éa", "ê", "\xff", "\xff\xff\x00"}
	prefixes := []string{"", "a", "a\x7f", "a\xff", "é", "\xff", "\xff\xff"}
	for _, p := range prefixes {
		bound, ok := PrefixUpperBound(p)
		for _, k := range keys {
			inRange := k >= p && (!ok || k < bound)
			if inRange != strings.HasPrefix(k, p) {
				t.Errorf("prefix %q bound %q (ok %v): key %q in range = %v, has prefix = %v",
					p, bound, ok, k, inRange, strings.HasPrefix(k, p))
			}
		}
	}
}

func TestRangeFor(t *testing.T) {
	tests := []struct {
		name, prefix, after string
		want                KeyRange
	}{
		{"no prefix, no position", "", "", KeyRange{}},
		{"a prefix bounds both ends", "a/", "", KeyRange{Lower: "a/", Upper: "a0", Bounded: true}},
		{"a position inside the prefix starts after it", "a/", "a/x", KeyRange{Lower: "a/x", Exclusive: true, Upper: "a0", Bounded: true}},
		{"a position before the prefix is ignored", "b", "a", KeyRange{Lower: "b", Upper: "c", Bounded: true}},
		{"a position past the prefix matches nothing", "a/", "b", KeyRange{Lower: "b", Exclusive: true, Upper: "a0", Bounded: true, Empty: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := RangeFor(tt.prefix, tt.after); got != tt.want {
				t.Fatalf("RangeFor(%q, %q) = %+v, want %+v", tt.prefix, tt.after, got, tt.want)
			}
		})
	}
}

func TestResumeRange(t *testing.T) {
	if rest, r := ResumeRange("a/", "a/k", true); !rest || r.Lower != "a/k" || !r.Exclusive {
		t.Errorf("inside a key of the prefix: rest of key %v, range %+v", rest, r)
	}
	if rest, _ := ResumeRange("a/", "0", true); rest {
		t.Error("a key outside the prefix has no rest to read")
	}
	if rest, r := ResumeRange("", "", true); !rest || !r.Exclusive {
		t.Errorf("position in the empty key: rest of key %v, range %+v; want both", rest, r)
	}
	if rest, r := ResumeRange("", "", false); rest || r.Exclusive {
		t.Errorf("no position: rest of key %v, range %+v; want neither", rest, r)
	}
}

func TestTextRangeHoldsTheSameKeys(t *testing.T) {
	keys := []string{"a", "a\u007f", "a\u0080", "a\u07ff", "ab", "b", "é", "éa", "ê", "\ud7ff", "\ue000", "\U0010ffff", "\U0010ffffa", "z"}
	ends := []string{"", "a", "a\x7f", "a\x80", "a\xc3", "a\xff", "\x00", "a\x00b", "é", "\xc3", "\xc3\xbf", "\xed\xa0\x80", "\xf4\x8f\xbf\xbf", "\xf4\x90", "\xff", "\xff\xff"}
	for _, p := range ends {
		for _, after := range ends {
			r := RangeFor(p, after)
			tr := r.Text()
			if !tr.Empty && (!ValidText(tr.Lower) || tr.Bounded && !ValidText(tr.Upper)) {
				t.Fatalf("RangeFor(%q, %q).Text() = %+v: an end is not valid text", p, after, tr)
			}
			for _, k := range keys {
				if in(r, k) != in(tr, k) {
					t.Errorf("prefix %q after %q: key %q in %+v = %v, in %+v = %v", p, after, k, r, in(r, k), tr, in(tr, k))
				}
			}
		}
	}
}

func in(r KeyRange, k string) bool {
	if r.Empty {
		return false
	}
	if r.Exclusive && k <= r.Lower || !r.Exclusive && k < r.Lower {
		return false
	}
	return !r.Bounded || k < r.Upper
}

package metatest

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/quarrylabs/quarry/internal/meta"
)

// listKeys sort differently byte-wise than by code point in UTF-16 (U+FF5E
// before U+1F600), by case-folding ("B" before "a") or by locale ("é" after
// "z"), and sit next to the bytes where a prefix's upper bound is computed
// (0x7F, 0xBF, the last code point).
var listKeys = []string{
	"B", "a", "a/b", "a/b/c", "a/c", "a\x7f", "a\x7fz", "a\u0080", "a\u00ff", "a\U0010FFFF",
	"b", "z", "é", "éa", "日本/1", "日本/2", "\uff5e", "\U0001F600", "100%_sure", "100%",
}

// listPrefixes include ones no valid key can start with ("a\xff", "\xff").
var listPrefixes = []string{
	"", "a", "a/", "a/b", "a\x7f", "a\u00ff", "a\U0010FFFF", "é", "日本/", "\uff5e", "\U0001F600",
	"100%", "100%_", "a\xff", "\xff", "zzz",
}

var listLimits = []int{0, 1, 2, 1000}

// seedListing fills bucket "b" so that every key in listKeys is current,
// alongside keys that must not be listed as current: one whose latest is a
// delete marker, one whose versions are all non-latest. Bucket "other" holds
// the same keys to show that listings stay within their bucket.
func seedListing(t *testing.T, s meta.Store) (current []string, all []meta.Version) {
	t.Helper()
	createBucket(t, s, "b")
	createBucket(t, s, "other")
	update(t, s, func(tx meta.Tx) error {
		putv := func(v meta.Version) error {
			if err := tx.PutVersion(&v); err != nil {
				return err
			}
			if v.Bucket == "b" {
				all = append(all, v)
			}
			return nil
		}
		for i, k := range listKeys {
			if i%3 == 0 { // some keys have history
				if err := putv(meta.Version{Bucket: "b", Key: k, VersionID: "old"}); err != nil {
					return err
				}
			}
			if err := putv(meta.Version{Bucket: "b", Key: k, VersionID: "cur", IsLatest: true}); err != nil {
				return err
			}
			if err := putv(meta.Version{Bucket: "other", Key: k, VersionID: "cur", IsLatest: true}); err != nil {
				return err
			}
		}
		for _, v := range []meta.Version{
			{Bucket: "b", Key: "a/deleted", VersionID: "data"},
			{Bucket: "b", Key: "a/deleted", VersionID: "marker", DeleteMarker: true, IsLatest: true},
			{Bucket: "b", Key: "a/unflagged", VersionID: "data"},
		} {
			if err := putv(v); err != nil {
				return err
			}
		}
		return nil
	})
	current = slices.Clone(listKeys)
	slices.Sort(current) // Go compares strings byte-wise, as S3 does
	slices.SortStableFunc(all, func(a, b meta.Version) int {
		if c := strings.Compare(a.Key, b.Key); c != 0 {
			return c
		}
		return int(b.Seq - a.Seq) // newest first
	})
	return current, all
}

func testListLatest(t *testing.T, open func(t *testing.T) meta.Store) {
	s := open(t)
	current, _ := seedListing(t, s)

	t.Run("keys come in byte-wise order", func(t *testing.T) {
		want := []string{"100%", "100%_sure", "B", "a", "a/b", "a/b/c", "a/c", "a\x7f", "a\x7fz", "a\u0080",
			"a\u00ff", "a\U0010FFFF", "b", "z", "é", "éa", "日本/1", "日本/2", "\uff5e", "\U0001F600"}
		view(t, s, func(tx meta.Tx) error {
			got, err := tx.ListLatest("b", "", "", 0)
			wantErr(t, "list", err, nil)
			assertNames(t, "keys", versionKeys(got), want)
			for _, v := range got {
				if v.VersionID != "cur" || !v.IsLatest {
					t.Errorf("listed %q version %s latest %v, want the current version", v.Key, v.VersionID, v.IsLatest)
				}
			}
			return nil
		})
	})

	t.Run("every prefix, position and limit lists what a filter of all keys would", func(t *testing.T) {
		afters := append([]string{"", "a/b0", "a\x7f\x7f", "\xff", "0"}, listKeys...)
		view(t, s, func(tx meta.Tx) error {
			for _, prefix := range listPrefixes {
				for _, after := range afters {
					for _, limit := range listLimits {
						got, err := tx.ListLatest("b", prefix, after, limit)
						wantErr(t, "list", err, nil)
						want := latestModel(current, prefix, after, limit)
						assertNames(t, fmt.Sprintf("prefix %q after %q limit %d", prefix, after, limit), versionKeys(got), want)
						keys, err := tx.ListLatestKeys("b", prefix, after, limit)
						wantErr(t, "list keys", err, nil)
						assertNames(t, fmt.Sprintf("keys only: prefix %q after %q limit %d", prefix, after, limit), keys, want)
					}
				}
			}
			return nil
		})
	})

	t.Run("paging by the last key returns every key once", func(t *testing.T) {
		for _, prefix := range []string{"", "a", "日本/"} {
			var got []string
			after := ""
			view(t, s, func(tx meta.Tx) error {
				for range 100 {
					page, err := tx.ListLatest("b", prefix, after, 3)
					wantErr(t, "list page", err, nil)
					if len(page) == 0 {
						return nil
					}
					got = append(got, versionKeys(page)...)
					after = page[len(page)-1].Key
				}
				t.Fatal("paging did not end")
				return nil
			})
			assertNames(t, fmt.Sprintf("pages of prefix %q", prefix), got, latestModel(current, prefix, "", 0))
		}
	})

	t.Run("a missing bucket lists nothing", func(t *testing.T) {
		view(t, s, func(tx meta.Tx) error {
			got, err := tx.ListLatest("none", "", "", 10)
			wantErr(t, "list", err, nil)
			if len(got) != 0 {
				t.Errorf("listed %d versions of a missing bucket", len(got))
			}
			return nil
		})
	})
}

func testListVersions(t *testing.T, open func(t *testing.T) meta.Store) {
	s := open(t)
	_, all := seedListing(t, s)

	t.Run("versions come by key, newest first, markers included", func(t *testing.T) {
		view(t, s, func(tx meta.Tx) error {
			got, err := tx.ListVersions("b", "a/", "", 0, 0)
			wantErr(t, "list", err, nil)
			want := []string{"a/b cur", "a/b/c cur", "a/b/c old", "a/c cur", "a/deleted marker", "a/deleted data", "a/unflagged data"}
			assertNames(t, "versions", versionIDs(got), want)
			for i := 1; i < len(got); i++ {
				if got[i].Key == got[i-1].Key && got[i].Seq >= got[i-1].Seq {
					t.Errorf("%q: seq %d listed after %d, want newest first", got[i].Key, got[i].Seq, got[i-1].Seq)
				}
			}
			return nil
		})
	})

	t.Run("every prefix, position and limit lists what a filter of all versions would", func(t *testing.T) {
		type pos struct {
			key string
			seq int64
		}
		positions := []pos{{"", 0}, {"a/b0", 0}, {"a/b0", 5}, {"\xff", 0}, {"a/deleted", 1 << 62}}
		for _, v := range all {
			positions = append(positions, pos{v.Key, v.Seq}, pos{v.Key, 0})
		}
		view(t, s, func(tx meta.Tx) error {
			for _, prefix := range listPrefixes {
				for _, p := range positions {
					for _, limit := range listLimits {
						got, err := tx.ListVersions("b", prefix, p.key, p.seq, limit)
						wantErr(t, "list", err, nil)
						want := versionModel(all, prefix, p.key, p.seq, limit)
						assertNames(t, fmt.Sprintf("prefix %q after (%q, %d) limit %d", prefix, p.key, p.seq, limit),
							versionIDs(got), versionIDs(want))
					}
				}
			}
			return nil
		})
	})

	t.Run("paging by the last version returns every version once", func(t *testing.T) {
		var got []meta.Version
		key, seq := "", int64(0)
		view(t, s, func(tx meta.Tx) error {
			for range 100 {
				page, err := tx.ListVersions("b", "", key, seq, 2)
				wantErr(t, "list page", err, nil)
				if len(page) == 0 {
					return nil
				}
				got = append(got, page...)
				last := page[len(page)-1]
				key, seq = last.Key, last.Seq
			}
			t.Fatal("paging did not end")
			return nil
		})
		assertNames(t, "pages", versionIDs(got), versionIDs(all))
	})
}

// latestModel is ListLatest over a sorted slice of current keys.
func latestModel(current []string, prefix, after string, limit int) []string {
	var out []string
	for _, k := range current {
		if strings.HasPrefix(k, prefix) && k > after && (limit <= 0 || len(out) < limit) {
			out = append(out, k)
		}
	}
	return out
}

// versionModel is ListVersions over all versions sorted by key, newest first.
func versionModel(all []meta.Version, prefix, afterKey string, afterSeq int64, limit int) []meta.Version {
	var out []meta.Version
	for _, v := range all {
		after := v.Key > afterKey || (v.Key == afterKey && afterSeq != 0 && v.Seq < afterSeq)
		if strings.HasPrefix(v.Key, prefix) && after && (limit <= 0 || len(out) < limit) {
			out = append(out, v)
		}
	}
	return out
}

func versionKeys(vs []meta.Version) []string {
	var out []string
	for _, v := range vs {
		out = append(out, v.Key)
	}
	return out
}

func versionIDs(vs []meta.Version) []string {
	var out []string
	for _, v := range vs {
		out = append(out, v.Key+" "+v.VersionID)
	}
	return out
}

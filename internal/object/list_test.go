package object

import (
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/quarrylabs/quarry/internal/meta"
)

// listingKeys is a key set with nested "directories" and keys that sort
// around the delimiter.
var listingKeys = func() []string {
	var keys []string
	for _, dir := range []string{"a/", "a/b/", "b/", "c-", "d/"} {
		for i := range 7 {
			keys = append(keys, fmt.Sprintf("%s%02d", dir, i))
		}
	}
	return append(keys, "a", "a.", "a0", "b", "é/x", "z")
}()

// expectedListing computes a listing's entries (keys and "prefix/" entries
// marked with a trailing "*") from the key set, the slow way.
func expectedListing(keys []string, prefix, delimiter, after string) []string {
	var out []string
	seen := map[string]bool{}
	sorted := append([]string(nil), keys...)
	sort.Strings(sorted)
	for _, k := range sorted {
		if !strings.HasPrefix(k, prefix) {
			continue
		}
		if delimiter != "" {
			if i := strings.Index(k[len(prefix):], delimiter); i >= 0 {
				cp := k[:len(prefix)+i+len(delimiter)]
				if cp > after && !seen[cp] {
					seen[cp] = true
					out = append(out, cp+"*")
				}
				continue
			}
		}
		if k > after {
			out = append(out, k)
		}
	}
	return out
}

func TestListObjectsPagesMatchTheWholeListing(t *testing.T) {
	h := newHarness(t)
	h.bucket("bkt", meta.VersioningEnabled)
	for _, k := range listingKeys {
		h.put("bkt", k, "x")
	}
	// Deleted keys and old versions must not show.
	h.put("bkt", "a/00", "newer")
	h.put("bkt", "gone/1", "x")
	h.del("bkt", "gone/1", "")

	for _, tt := range []struct{ prefix, delimiter string }{
		{"", ""}, {"", "/"}, {"a/", "/"}, {"a", "/"}, {"", "-"}, {"a/", ""}, {"", "0"}, {"nope", "/"},
	} {
		want := expectedListing(listingKeys, tt.prefix, tt.delimiter, "")
		for _, pageSize := range []int{1, 2, 3, 7, 1000} {
			t.Run(fmt.Sprintf("prefix %q delimiter %q pages of %d", tt.prefix, tt.delimiter, pageSize), func(t *testing.T) {
				var got []string
				marker := ""
				for page := 0; ; page++ {
					out, err := h.svc.ListObjects(h.ctx, alice, ListInput{Bucket: "bkt", Prefix: tt.prefix, Delimiter: tt.delimiter, StartAfter: marker, MaxKeys: pageSize})
					if err != nil {
						t.Fatal(err)
					}
					entries := pageEntries(out)
					if len(entries) > pageSize {
						t.Fatalf("page of %d entries, max %d", len(entries), pageSize)
					}
					got = append(got, entries...)
					if !out.IsTruncated {
						break
					}
					if len(entries) == 0 || page > 100 {
						t.Fatal("truncated page without entries")
					}
					marker = out.NextMarker
				}
				if fmt.Sprint(got) != fmt.Sprint(want) {
					t.Fatalf("got  %v\nwant %v", got, want)
				}
			})
		}
	}
}

// pageEntries merges a page's keys and prefixes in listing order.
func pageEntries(out *ListOutput) []string {
	var entries []string
	for _, o := range out.Objects {
		entries = append(entries, o.Key)
	}
	for _, p := range out.CommonPrefixes {
		entries = append(entries, p+"*")
	}
	sort.Slice(entries, func(i, j int) bool { return strings.TrimSuffix(entries[i], "*") < strings.TrimSuffix(entries[j], "*") })
	return entries
}

func TestListObjectsLimits(t *testing.T) {
	h := newHarness(t)
	h.bucket("bkt", meta.VersioningOff)
	// Rows written straight to the metadata store: only the listing matters.
	err := h.meta.Update(h.ctx, func(tx meta.Tx) error {
		for i := range 1002 {
			v := &meta.Version{Bucket: "bkt", Key: fmt.Sprintf("k%04d", i), VersionID: meta.NullVersion, IsLatest: true, LastModified: time.Now()}
			if err := tx.PutVersion(v); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	out, err := h.svc.ListObjects(h.ctx, alice, ListInput{Bucket: "bkt", MaxKeys: 0})
	if err != nil || len(out.Objects) != 0 || out.IsTruncated {
		t.Fatalf("max keys 0: %+v %v", out, err)
	}
	out, err = h.svc.ListObjects(h.ctx, alice, ListInput{Bucket: "bkt", MaxKeys: 5000})
	if err != nil || len(out.Objects) != 1000 || !out.IsTruncated || out.NextMarker != "k0999" {
		t.Fatalf("max keys 5000: %d objects, truncated %v, next %q, %v", len(out.Objects), out.IsTruncated, out.NextMarker, err)
	}
	out, err = h.svc.ListObjects(h.ctx, alice, ListInput{Bucket: "bkt", MaxKeys: 2, StartAfter: "k0999"})
	if err != nil || len(out.Objects) != 2 || out.IsTruncated {
		t.Fatalf("exact last page: %+v %v", out, err)
	}
	_, err = h.svc.ListObjects(h.ctx, alice, ListInput{Bucket: "bkt", MaxKeys: -1})
	wantErr(t, err, ErrInvalidArgument)
	_, err = h.svc.ListObjects(h.ctx, bob, ListInput{Bucket: "bkt", MaxKeys: 1})
	wantErr(t, err, ErrAccessDenied)
}

func TestListVersionsPages(t *testing.T) {
	h := newHarness(t)
	h.bucket("bkt", meta.VersioningOff)
	h.put("bkt", "a/1", "null")
	h.versioning("bkt", meta.VersioningEnabled)
	for _, k := range []string{"a/1", "a/2", "b", "a/1", "c", "b"} {
		h.put("bkt", k, "x")
	}
	h.del("bkt", "c", "")

	all, err := h.svc.ListVersions(h.ctx, alice, ListVersionsInput{Bucket: "bkt", MaxKeys: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, v := range all.Versions {
		want = append(want, v.Key+"@"+v.VersionID)
	}
	if len(want) != 8 || !strings.HasPrefix(want[2], "a/1@null") {
		t.Fatalf("whole listing %v", want)
	}
	for _, pageSize := range []int{1, 2, 4} {
		t.Run(fmt.Sprintf("pages of %d", pageSize), func(t *testing.T) {
			var got []string
			keyMarker, idMarker := "", ""
			for {
				out, err := h.svc.ListVersions(h.ctx, alice, ListVersionsInput{Bucket: "bkt", KeyMarker: keyMarker, VersionIDMarker: idMarker, MaxKeys: pageSize})
				if err != nil {
					t.Fatal(err)
				}
				for _, v := range out.Versions {
					got = append(got, v.Key+"@"+v.VersionID)
				}
				if !out.IsTruncated {
					break
				}
				keyMarker, idMarker = out.NextKeyMarker, out.NextVersionIDMarker
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("got  %v\nwant %v", got, want)
			}
		})
	}
	t.Run("common prefixes roll up versions", func(t *testing.T) {
		out, err := h.svc.ListVersions(h.ctx, alice, ListVersionsInput{Bucket: "bkt", Delimiter: "/", MaxKeys: 2})
		if err != nil || fmt.Sprint(out.CommonPrefixes) != "[a/]" || len(out.Versions) != 1 || !out.IsTruncated {
			t.Fatalf("%+v %v", out, err)
		}
	})
	t.Run("the null version id is a valid marker", func(t *testing.T) {
		out, err := h.svc.ListVersions(h.ctx, alice, ListVersionsInput{Bucket: "bkt", KeyMarker: "a/1", VersionIDMarker: "null", MaxKeys: 1})
		if err != nil || len(out.Versions) != 1 || out.Versions[0].Key != "a/2" {
			t.Fatalf("%+v %v", out, err)
		}
	})
	t.Run("an unknown version id marker is an invalid argument", func(t *testing.T) {
		_, err := h.svc.ListVersions(h.ctx, alice, ListVersionsInput{Bucket: "bkt", KeyMarker: "a/1", VersionIDMarker: "nope", MaxKeys: 1})
		wantErr(t, err, ErrInvalidArgument)
	})
}

func TestVersionMarkersArePositions(t *testing.T) {
	h := newHarness(t)
	h.bucket("bkt", meta.VersioningEnabled)
	var ids []string // a's versions, oldest first
	for range 5 {
		ids = append(ids, h.put("bkt", "a", "x").VersionID)
	}
	h.put("bkt", "b", "x")
	list := func(keyMarker, idMarker string) []string {
		t.Helper()
		out, err := h.svc.ListVersions(h.ctx, alice, ListVersionsInput{Bucket: "bkt", KeyMarker: keyMarker, VersionIDMarker: idMarker, MaxKeys: 1000})
		if err != nil {
			t.Fatalf("list after %s@%s: %v", keyMarker, idMarker, err)
		}
		var got []string
		for _, v := range out.Versions {
			got = append(got, v.Key+"@"+v.VersionID)
		}
		return got
	}
	// Delete a's newest version but one and continue after it.
	gone := ids[3]
	h.del("bkt", "a", gone)
	want := []string{"a@" + ids[2], "a@" + ids[1], "a@" + ids[0]}
	if got := list("a", gone); len(got) != 4 || fmt.Sprint(got[:3]) != fmt.Sprint(want) || !strings.HasPrefix(got[3], "b@") {
		t.Errorf("after the deleted marker %s: %v, want %v then b", gone, got, want)
	}
	// An id of the right form that never existed is placed by its time.
	between := newVersionID(positionTimeOf(t, ids[1]).Add(time.Nanosecond))
	if got := list("a", between); len(got) != 3 || got[0] != "a@"+ids[1] {
		t.Errorf("after a never-seen id between %s and %s: %v", ids[1], ids[2], got)
	}
	// Older than every version: after all of a.
	if got := list("a", newVersionID(time.Unix(0, 1))); len(got) != 1 || !strings.HasPrefix(got[0], "b@") {
		t.Errorf("after an id older than all of a: %v, want b only", got)
	}
	// A gone null version: every remaining version of its key follows.
	if got := list("a", meta.NullVersion); len(got) != 5 || got[0] != "a@"+ids[4] {
		t.Errorf("after a null version a does not have: %v, want all of a then b", got)
	}
}

func positionTimeOf(t *testing.T, id string) time.Time {
	t.Helper()
	at, ok := versionIDTime(id)
	if !ok {
		t.Fatalf("%q is no version id", id)
	}
	return at
}

func TestVersionIDsAscendWithinAKeyWhenTheClockGoesBack(t *testing.T) {
	clock := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	h := newHarness(t, func(c *Config) { c.Now = func() time.Time { return clock } })
	h.bucket("bkt", meta.VersioningEnabled)
	first := h.put("bkt", "k", "x")
	clock = clock.Add(-time.Hour)
	second := h.put("bkt", "k", "y")
	if !positionTimeOf(t, second.VersionID).After(positionTimeOf(t, first.VersionID)) {
		t.Fatalf("id %s of the newer version is placed before %s", second.VersionID, first.VersionID)
	}
	h.del("bkt", "k", second.VersionID)
	out, err := h.svc.ListVersions(h.ctx, alice, ListVersionsInput{Bucket: "bkt", KeyMarker: "k", VersionIDMarker: second.VersionID, MaxKeys: 10})
	if err != nil || len(out.Versions) != 1 || out.Versions[0].VersionID != first.VersionID {
		t.Fatalf("after the deleted newest version: %+v %v, want %s", out, err, first.VersionID)
	}
}

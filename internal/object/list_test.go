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

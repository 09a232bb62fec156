package metatest

import (
	"bytes"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/quarrylabs/quarry/internal/meta"
)

func testUploads(t *testing.T, open func(t *testing.T) meta.Store) {
	t.Run("a created upload reads back as written", func(t *testing.T) {
		s := open(t)
		createBucket(t, s, "b")
		want := meta.Upload{ID: "u1", Bucket: "b", Key: "big/file", Initiated: at(3), OwnerID: 9,
			ContentType: "video/mp4", Headers: map[string]string{"Content-Disposition": "inline"},
			UserMeta: map[string]string{"m": "1"}, Tags: map[string]string{"t": "2"},
			ChecksumAlgorithm: "CRC32C", ChecksumType: "COMPOSITE", SSE: meta.SSEAES256}
		update(t, s, func(tx meta.Tx) error { u := want; return tx.CreateUpload(&u) })
		view(t, s, func(tx meta.Tx) error {
			got, err := tx.GetUpload("u1")
			wantErr(t, "get upload", err, nil)
			if got.ID != want.ID || got.Bucket != want.Bucket || got.Key != want.Key ||
				!sameTime(got.Initiated, want.Initiated) || got.OwnerID != want.OwnerID ||
				got.ContentType != want.ContentType || !maps.Equal(got.Headers, want.Headers) ||
				!maps.Equal(got.UserMeta, want.UserMeta) || !maps.Equal(got.Tags, want.Tags) ||
				got.ChecksumAlgorithm != want.ChecksumAlgorithm || got.ChecksumType != want.ChecksumType ||
				got.SSE != want.SSE {
				t.Errorf("upload = %+v, want %+v", *got, want)
			}
			return nil
		})
	})

	t.Run("upload ids are unique and missing uploads are ErrNotFound", func(t *testing.T) {
		s := open(t)
		createBucket(t, s, "b")
		update(t, s, func(tx meta.Tx) error { return tx.CreateUpload(&meta.Upload{ID: "u", Bucket: "b", Key: "k"}) })
		err := s.Update(ctx(), func(tx meta.Tx) error { return tx.CreateUpload(&meta.Upload{ID: "u", Bucket: "b", Key: "other"}) })
		wantErr(t, "create again", err, meta.ErrExists)
		wantErr(t, "get missing", s.View(ctx(), func(tx meta.Tx) error { _, err := tx.GetUpload("x"); return err }), meta.ErrNotFound)
		wantErr(t, "delete missing", s.Update(ctx(), func(tx meta.Tx) error { return tx.DeleteUpload("x") }), meta.ErrNotFound)
		err = s.Update(ctx(), func(tx meta.Tx) error { return tx.CreateUpload(&meta.Upload{ID: "v", Bucket: "none", Key: "k"}) })
		wantErr(t, "create in a missing bucket", err, meta.ErrNotFound)
		_, err = putPart(s, meta.Part{UploadID: "x", Number: 1})
		wantErr(t, "part of a missing upload", err, meta.ErrNotFound)
	})

	t.Run("putting a part returns the part it replaced", func(t *testing.T) {
		s := open(t)
		createBucket(t, s, "b")
		update(t, s, func(tx meta.Tx) error { return tx.CreateUpload(&meta.Upload{ID: "u", Bucket: "b", Key: "k"}) })
		first := meta.Part{UploadID: "u", Number: 1, Size: 5, ETag: "e1", BlobID: "blob-1", LastModified: at(1),
			Checksums: map[string]string{"SHA256": "x"}}
		old, err := putPart(s, first)
		wantErr(t, "first put", err, nil)
		if old != nil {
			t.Fatalf("first put replaced %+v, want nil", *old)
		}
		old, err = putPart(s, meta.Part{UploadID: "u", Number: 1, Size: 6, ETag: "e2", BlobID: "blob-2", LastModified: at(2)})
		wantErr(t, "second put", err, nil)
		if old == nil {
			t.Fatal("second put replaced nothing, want the first part")
		}
		assertPart(t, *old, first)
		view(t, s, func(tx meta.Tx) error {
			parts, err := tx.ListParts("u", 0, 0)
			wantErr(t, "list parts", err, nil)
			if len(parts) != 1 || parts[0].BlobID != "blob-2" || parts[0].Size != 6 || parts[0].Checksums != nil {
				t.Errorf("parts after replace = %+v, want only the second", parts)
			}
			return nil
		})
	})

	t.Run("parts list in number order after a number, up to a limit", func(t *testing.T) {
		s := open(t)
		createBucket(t, s, "b")
		update(t, s, func(tx meta.Tx) error {
			if err := tx.CreateUpload(&meta.Upload{ID: "u", Bucket: "b", Key: "k"}); err != nil {
				return err
			}
			if err := tx.CreateUpload(&meta.Upload{ID: "other", Bucket: "b", Key: "k"}); err != nil {
				return err
			}
			for _, n := range []int{10, 2, 7, 1, 10000} {
				if _, err := tx.PutPart(&meta.Part{UploadID: "u", Number: n, BlobID: fmt.Sprint("blob-", n)}); err != nil {
					return err
				}
			}
			_, err := tx.PutPart(&meta.Part{UploadID: "other", Number: 3})
			return err
		})
		tests := []struct {
			after, limit int
			want         []int
		}{
			{0, 0, []int{1, 2, 7, 10, 10000}},
			{0, 2, []int{1, 2}},
			{2, 2, []int{7, 10}},
			{10, 100, []int{10000}},
			{10000, 0, nil},
		}
		view(t, s, func(tx meta.Tx) error {
			for _, tt := range tests {
				parts, err := tx.ListParts("u", tt.after, tt.limit)
				wantErr(t, "list parts", err, nil)
				var got []int
				for _, p := range parts {
					got = append(got, p.Number)
				}
				if !slices.Equal(got, tt.want) {
					t.Errorf("parts after %d limit %d = %v, want %v", tt.after, tt.limit, got, tt.want)
				}
			}
			return nil
		})
	})

	t.Run("deleting an upload deletes its parts", func(t *testing.T) {
		s := open(t)
		createBucket(t, s, "b")
		update(t, s, func(tx meta.Tx) error {
			if err := tx.CreateUpload(&meta.Upload{ID: "u", Bucket: "b", Key: "k"}); err != nil {
				return err
			}
			_, err := tx.PutPart(&meta.Part{UploadID: "u", Number: 1})
			return err
		})
		update(t, s, func(tx meta.Tx) error { return tx.DeleteUpload("u") })
		view(t, s, func(tx meta.Tx) error {
			_, err := tx.GetUpload("u")
			wantErr(t, "get", err, meta.ErrNotFound)
			parts, err := tx.ListParts("u", 0, 0)
			wantErr(t, "list parts", err, nil)
			if len(parts) != 0 {
				t.Errorf("%d parts survived their upload", len(parts))
			}
			return nil
		})
		// The id is free again, with no stale part behind it.
		update(t, s, func(tx meta.Tx) error { return tx.CreateUpload(&meta.Upload{ID: "u", Bucket: "b", Key: "k"}) })
		old, err := putPart(s, meta.Part{UploadID: "u", Number: 1})
		wantErr(t, "put part", err, nil)
		if old != nil {
			t.Errorf("new upload's part replaced %+v", *old)
		}
	})
}

func testListUploads(t *testing.T, open func(t *testing.T) meta.Store) {
	s := open(t)
	createBucket(t, s, "b")
	createBucket(t, s, "other")
	type up struct{ key, id string }
	var all []up
	update(t, s, func(tx meta.Tx) error {
		for i, k := range listKeys {
			ids := []string{"m"}
			if i%2 == 0 {
				ids = []string{"z", "a", "m"}
			}
			for _, id := range ids {
				if err := tx.CreateUpload(&meta.Upload{ID: k + "#" + id, Bucket: "b", Key: k}); err != nil {
					return err
				}
				all = append(all, up{k, k + "#" + id})
			}
			if err := tx.CreateUpload(&meta.Upload{ID: "other/" + k, Bucket: "other", Key: k}); err != nil {
				return err
			}
		}
		return nil
	})
	slices.SortFunc(all, func(a, b up) int {
		if c := strings.Compare(a.key, b.key); c != 0 {
			return c
		}
		return strings.Compare(a.id, b.id)
	})
	model := func(prefix, afterKey, afterID string, limit int) []string {
		var out []string
		for _, u := range all {
			after := u.key > afterKey || (u.key == afterKey && afterID != "" && u.id > afterID)
			if strings.HasPrefix(u.key, prefix) && after && (limit <= 0 || len(out) < limit) {
				out = append(out, u.id)
			}
		}
		return out
	}
	ids := func(us []meta.Upload) []string {
		var out []string
		for _, u := range us {
			out = append(out, u.ID)
		}
		return out
	}

	t.Run("every prefix, position and limit lists what a filter of all uploads would", func(t *testing.T) {
		positions := []up{{"", ""}, {"a/b0", ""}, {"a/b0", "x"}, {"\xff", ""}}
		for _, u := range all {
			positions = append(positions, u, up{u.key, ""})
		}
		view(t, s, func(tx meta.Tx) error {
			for _, prefix := range listPrefixes {
				for _, p := range positions {
					for _, limit := range listLimits {
						got, err := tx.ListUploads("b", prefix, p.key, p.id, limit)
						wantErr(t, "list", err, nil)
						assertNames(t, fmt.Sprintf("prefix %q after (%q, %q) limit %d", prefix, p.key, p.id, limit),
							ids(got), model(prefix, p.key, p.id, limit))
					}
				}
			}
			return nil
		})
	})

	t.Run("paging by the last upload returns every upload once", func(t *testing.T) {
		var got []string
		key, id := "", ""
		view(t, s, func(tx meta.Tx) error {
			for range 100 {
				page, err := tx.ListUploads("b", "", key, id, 2)
				wantErr(t, "list page", err, nil)
				if len(page) == 0 {
					return nil
				}
				got = append(got, ids(page)...)
				key, id = page[len(page)-1].Key, page[len(page)-1].ID
			}
			t.Fatal("paging did not end")
			return nil
		})
		assertNames(t, "pages", got, model("", "", "", 0))
	})
}

func putPart(s meta.Store, p meta.Part) (*meta.Part, error) {
	var old *meta.Part
	err := s.Update(ctx(), func(tx meta.Tx) error {
		var err error
		old, err = tx.PutPart(&p)
		return err
	})
	return old, err
}

func assertPart(t *testing.T, got, want meta.Part) {
	t.Helper()
	if got.UploadID != want.UploadID || got.Number != want.Number || got.Size != want.Size ||
		got.ETag != want.ETag || got.BlobID != want.BlobID || !sameTime(got.LastModified, want.LastModified) ||
		!maps.Equal(got.Checksums, want.Checksums) || !bytes.Equal(got.SealedKey, want.SealedKey) {
		t.Errorf("part = %+v, want %+v", got, want)
	}
}

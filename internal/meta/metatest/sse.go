package metatest

import (
	"bytes"
	"slices"
	"testing"

	"github.com/quarrylabs/quarry/internal/meta"
)

func testSSE(t *testing.T, open func(t *testing.T) meta.Store) {
	t.Run("a bucket's encryption is stored, read back and removed", func(t *testing.T) {
		s := open(t)
		createBucket(t, s, "b")
		doc := []byte(`{"algorithm":"AES256"}`)
		update(t, s, func(tx meta.Tx) error { return tx.SetBucketEncryption("b", doc) })
		view(t, s, func(tx meta.Tx) error {
			b, err := tx.GetBucket("b")
			wantErr(t, "get bucket", err, nil)
			if !bytes.Equal(b.Encryption, doc) {
				t.Errorf("encryption = %q, want %q", b.Encryption, doc)
			}
			return nil
		})
		update(t, s, func(tx meta.Tx) error { return tx.SetBucketEncryption("b", nil) })
		view(t, s, func(tx meta.Tx) error {
			b, err := tx.GetBucket("b")
			wantErr(t, "get bucket", err, nil)
			if b.Encryption != nil {
				t.Errorf("encryption after removal = %q, want nil", b.Encryption)
			}
			return nil
		})
		err := s.Update(ctx(), func(tx meta.Tx) error { return tx.SetBucketEncryption("nope", doc) })
		wantErr(t, "set on a missing bucket", err, meta.ErrNotFound)
	})

	t.Run("creating a bucket ignores its encryption field", func(t *testing.T) {
		s := open(t)
		update(t, s, func(tx meta.Tx) error {
			return tx.CreateBucket(&meta.Bucket{Name: "b", OwnerID: 1, CreatedAt: at(0), Encryption: []byte("x")})
		})
		view(t, s, func(tx meta.Tx) error {
			b, err := tx.GetBucket("b")
			wantErr(t, "get bucket", err, nil)
			if b.Encryption != nil {
				t.Errorf("encryption = %q, want nil", b.Encryption)
			}
			return nil
		})
	})

	t.Run("key-encryption keys list in id order and the newest is last", func(t *testing.T) {
		s := open(t)
		view(t, s, func(tx meta.Tx) error {
			keys, err := tx.SSEKeys()
			wantErr(t, "list none", err, nil)
			if keys == nil || len(keys) != 0 {
				t.Errorf("keys of an empty store = %#v, want an empty list", keys)
			}
			return nil
		})
		var ids []int64
		for i, sealed := range [][]byte{[]byte("first"), []byte("second"), []byte("third")} {
			k := meta.SSEKey{Sealed: sealed, CreatedAt: at(int64(i))}
			update(t, s, func(tx meta.Tx) error { return tx.AddSSEKey(&k) })
			if len(ids) > 0 && k.ID <= ids[len(ids)-1] {
				t.Fatalf("key %d got id %d, not above %d", i, k.ID, ids[len(ids)-1])
			}
			ids = append(ids, k.ID)
		}
		update(t, s, func(tx meta.Tx) error { return tx.DeleteSSEKey(ids[2]) })
		// A deleted id is never handed out again.
		k := meta.SSEKey{Sealed: []byte("fourth"), CreatedAt: at(9)}
		update(t, s, func(tx meta.Tx) error { return tx.AddSSEKey(&k) })
		if k.ID <= ids[2] {
			t.Errorf("a key added after deleting id %d got id %d", ids[2], k.ID)
		}
		view(t, s, func(tx meta.Tx) error {
			keys, err := tx.SSEKeys()
			wantErr(t, "list", err, nil)
			var got []string
			for _, k := range keys {
				got = append(got, string(k.Sealed))
			}
			if want := []string{"first", "second", "fourth"}; !slices.Equal(got, want) {
				t.Errorf("keys = %q, want %q", got, want)
			}
			if !sameTime(keys[0].CreatedAt, at(0)) {
				t.Errorf("created at = %v, want %v", keys[0].CreatedAt, at(0))
			}
			return nil
		})
		err := s.Update(ctx(), func(tx meta.Tx) error { return tx.DeleteSSEKey(ids[2]) })
		wantErr(t, "delete again", err, meta.ErrNotFound)
	})

	t.Run("events list newest first, up to the limit", func(t *testing.T) {
		s := open(t)
		for i, code := range []string{"MODE_CHANGED", "KEY_ROTATED", "MODE_CHANGED"} {
			e := meta.SSEEvent{User: "admin", Time: at(int64(i)), Code: code, Message: "m" + code}
			update(t, s, func(tx meta.Tx) error { return tx.AddSSEEvent(&e) })
			if e.ID <= 0 {
				t.Fatalf("event id %d, want > 0", e.ID)
			}
		}
		view(t, s, func(tx meta.Tx) error {
			all, err := tx.ListSSEEvents(0)
			wantErr(t, "list", err, nil)
			if len(all) != 3 || !sameTime(all[0].Time, at(2)) || all[1].Code != "KEY_ROTATED" ||
				all[2].User != "admin" || all[2].Message != "mMODE_CHANGED" {
				t.Errorf("events = %+v", all)
			}
			two, err := tx.ListSSEEvents(2)
			wantErr(t, "list 2", err, nil)
			if len(two) != 2 || two[0].ID != all[0].ID {
				t.Errorf("limited events = %+v", two)
			}
			return nil
		})
	})

	t.Run("sealed versions list by seq and their segments are replaced", func(t *testing.T) {
		s := open(t)
		createBucket(t, s, "b")
		plain := fullVersion("b", "plain", "v1")
		plain.SSE, plain.Segments = "", []meta.Segment{{BlobID: "p", Size: 3}}
		put(t, s, plain)
		first := put(t, s, fullVersion("b", "k1", "v1"))
		second := put(t, s, fullVersion("b", "k2", "v1"))
		view(t, s, func(tx meta.Tx) error {
			got, err := tx.ListSealedVersions(0, 0)
			wantErr(t, "list", err, nil)
			if len(got) != 2 || got[0].Key != "k1" || got[1].Key != "k2" || got[0].Seq != first.Seq ||
				got[0].Bucket != "b" || got[0].VersionID != "v1" ||
				!slices.EqualFunc(got[0].Segments, first.Segments, sameSegment) {
				t.Errorf("sealed versions = %+v", got)
			}
			after, err := tx.ListSealedVersions(first.Seq, 1)
			wantErr(t, "list after", err, nil)
			if len(after) != 1 || after[0].Seq != second.Seq {
				t.Errorf("after %d = %+v", first.Seq, after)
			}
			return nil
		})
		rewrapped := []meta.Segment{{BlobID: "blob-1", Size: 1000, SealedKey: []byte("new-1")}, {BlobID: "blob-2", Size: 234, SealedKey: []byte("new-2")}}
		update(t, s, func(tx meta.Tx) error { return tx.SetVersionSegments("b", "k1", "v1", rewrapped) })
		view(t, s, func(tx meta.Tx) error {
			got, err := tx.GetVersion("b", "k1", "v1")
			wantErr(t, "get", err, nil)
			want := first
			want.Segments = rewrapped
			assertVersion(t, *got, want)
			return nil
		})
		err := s.Update(ctx(), func(tx meta.Tx) error { return tx.SetVersionSegments("b", "nope", "v1", rewrapped) })
		wantErr(t, "set on a missing version", err, meta.ErrNotFound)
	})

	t.Run("sealed parts list by upload and number and their keys are replaced", func(t *testing.T) {
		s := open(t)
		createBucket(t, s, "b")
		update(t, s, func(tx meta.Tx) error {
			for _, id := range []string{"u1", "u2"} {
				if err := tx.CreateUpload(&meta.Upload{ID: id, Bucket: "b", Key: "k", SSE: meta.SSEAES256}); err != nil {
					return err
				}
			}
			return nil
		})
		parts := []meta.Part{
			{UploadID: "u1", Number: 1, Size: 5, ETag: "e", BlobID: "b11", LastModified: at(1), SealedKey: []byte("k11")},
			{UploadID: "u1", Number: 2, Size: 5, ETag: "e", BlobID: "b12", LastModified: at(1)},
			{UploadID: "u1", Number: 3, Size: 5, ETag: "e", BlobID: "b13", LastModified: at(1), SealedKey: []byte("k13")},
			{UploadID: "u2", Number: 1, Size: 5, ETag: "e", BlobID: "b21", LastModified: at(1), SealedKey: []byte("k21")},
		}
		for _, p := range parts {
			_, err := putPart(s, p)
			wantErr(t, "put part", err, nil)
		}
		view(t, s, func(tx meta.Tx) error {
			all, err := tx.ListSealedParts("", 0, 0)
			wantErr(t, "list", err, nil)
			if len(all) != 3 {
				t.Fatalf("sealed parts = %+v, want 3", all)
			}
			assertPart(t, all[0], parts[0])
			assertPart(t, all[1], parts[2])
			assertPart(t, all[2], parts[3])
			page, err := tx.ListSealedParts("u1", 1, 1)
			wantErr(t, "list after u1#1", err, nil)
			if len(page) != 1 || page[0].BlobID != "b13" {
				t.Errorf("after u1#1 = %+v", page)
			}
			page, err = tx.ListSealedParts("u1", 3, 0)
			wantErr(t, "list after u1#3", err, nil)
			if len(page) != 1 || page[0].BlobID != "b21" {
				t.Errorf("after u1#3 = %+v", page)
			}
			return nil
		})
		update(t, s, func(tx meta.Tx) error { return tx.SetPartSealedKey("u1", 3, []byte("rewrapped")) })
		view(t, s, func(tx meta.Tx) error {
			got, err := tx.ListParts("u1", 2, 1)
			wantErr(t, "list parts", err, nil)
			want := parts[2]
			want.SealedKey = []byte("rewrapped")
			assertPart(t, got[0], want)
			return nil
		})
		err := s.Update(ctx(), func(tx meta.Tx) error { return tx.SetPartSealedKey("u1", 9, []byte("x")) })
		wantErr(t, "set on a missing part", err, meta.ErrNotFound)
	})
}

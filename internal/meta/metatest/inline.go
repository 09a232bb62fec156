package metatest

import (
	"bytes"
	"errors"
	"fmt"
	"testing"

	"github.com/quarrylabs/quarry/internal/meta"
)

var errRollback = errors.New("roll back")

// inlineVersion is a small object whose data the store holds.
func inlineVersion(bucket, key, id string, data []byte) meta.Version {
	return meta.Version{
		Bucket: bucket, Key: key, VersionID: id, IsLatest: true, Size: int64(len(data)),
		ETag: "0123456789abcdef0123456789abcdef", LastModified: at(3), ContentType: "text/plain",
		Checksums: map[string]string{"CRC32C": "yZRlqg=="}, OwnerID: 7,
		Inline: true, InlineData: data,
	}
}

// inlineData is n bytes that are not all alike, so that a truncation or a
// shifted read shows.
func inlineData(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*31 + i/251)
	}
	return b
}

func testInlineVersions(t *testing.T, open func(t *testing.T) meta.Store) {
	t.Run("inline data reads back by seq, and the row says inline without carrying it", func(t *testing.T) {
		s := open(t)
		createBucket(t, s, "b")
		data := inlineData(4096)
		want := put(t, s, inlineVersion("b", "small", "v1", data))
		view(t, s, func(tx meta.Tx) error {
			for name, get := range map[string]func() (*meta.Version, error){
				"GetVersion":    func() (*meta.Version, error) { return tx.GetVersion("b", "small", "v1") },
				"GetLatest":     func() (*meta.Version, error) { return tx.GetLatest("b", "small") },
				"NewestVersion": func() (*meta.Version, error) { return tx.NewestVersion("b", "small") },
			} {
				got, err := get()
				wantErr(t, name, err, nil)
				assertVersion(t, *got, want)
				if !got.Inline || got.InlineData != nil || got.Segments != nil {
					t.Errorf("%s: Inline %v, %d bytes of data, segments %v; want inline, no data, no segments",
						name, got.Inline, len(got.InlineData), got.Segments)
				}
			}
			got, err := tx.GetInline(want.Seq)
			wantErr(t, "get inline", err, nil)
			if !bytes.Equal(got, data) {
				t.Errorf("GetInline returned %d bytes, want the %d put", len(got), len(data))
			}
			return nil
		})
	})

	t.Run("an empty inline object reads back as zero bytes, not nil", func(t *testing.T) {
		s := open(t)
		createBucket(t, s, "b")
		v := put(t, s, inlineVersion("b", "empty", "v1", nil))
		view(t, s, func(tx meta.Tx) error {
			got, err := tx.GetInline(v.Seq)
			wantErr(t, "get inline", err, nil)
			if got == nil || len(got) != 0 {
				t.Errorf("GetInline = %v, want empty non-nil", got)
			}
			return nil
		})
	})

	t.Run("128 KiB and more round-trip byte for byte", func(t *testing.T) {
		s := open(t)
		createBucket(t, s, "b")
		for _, n := range []int{128 << 10, 128<<10 + 1, 1 << 20} {
			data := inlineData(n)
			// A key of its own each: a key has one latest version.
			v := put(t, s, inlineVersion("b", fmt.Sprint("big", n), "v", data))
			view(t, s, func(tx meta.Tx) error {
				got, err := tx.GetInline(v.Seq)
				wantErr(t, "get inline", err, nil)
				if !bytes.Equal(got, data) {
					t.Errorf("%d bytes: GetInline returned %d bytes that differ", n, len(got))
				}
				return nil
			})
		}
	})

	t.Run("a version put without Inline stores no inline data, whatever InlineData holds", func(t *testing.T) {
		s := open(t)
		createBucket(t, s, "b")
		v := meta.Version{Bucket: "b", Key: "k", VersionID: "v1", Size: 3,
			Segments: []meta.Segment{{BlobID: "blob", Size: 3}}, InlineData: []byte("abc")}
		v = put(t, s, v)
		view(t, s, func(tx meta.Tx) error {
			got, err := tx.GetVersion("b", "k", "v1")
			wantErr(t, "get version", err, nil)
			if got.Inline {
				t.Errorf("a version put with Inline false reads back inline")
			}
			_, err = tx.GetInline(v.Seq)
			wantErr(t, "get inline of a blob version", err, meta.ErrNotFound)
			_, err = tx.GetInline(v.Seq + 1000)
			wantErr(t, "get inline of no version", err, meta.ErrNotFound)
			return nil
		})
	})

	t.Run("lists return the flag and never the data", func(t *testing.T) {
		s := open(t)
		createBucket(t, s, "b")
		put(t, s, inlineVersion("b", "a", "v1", inlineData(100)))
		put(t, s, inlineVersion("b", "b", "v1", inlineData(200)))
		put(t, s, meta.Version{Bucket: "b", Key: "c", VersionID: "v1", IsLatest: true, Size: 1,
			Segments: []meta.Segment{{BlobID: "x", Size: 1}}})
		view(t, s, func(tx meta.Tx) error {
			latest, err := tx.ListLatest("b", "", "", 0)
			wantErr(t, "list latest", err, nil)
			versions, err := tx.ListVersions("b", "", "", 0, 0)
			wantErr(t, "list versions", err, nil)
			for name, vs := range map[string][]meta.Version{"ListLatest": latest, "ListVersions": versions} {
				if len(vs) != 3 {
					t.Fatalf("%s returned %d versions, want 3", name, len(vs))
				}
				for _, v := range vs {
					if v.Inline != (v.Key != "c") || v.InlineData != nil {
						t.Errorf("%s: %s Inline %v with %d bytes of data", name, v.Key, v.Inline, len(v.InlineData))
					}
				}
			}
			return nil
		})
	})

	t.Run("deleting an inline version removes its data", func(t *testing.T) {
		s := open(t)
		createBucket(t, s, "b")
		older := inlineVersion("b", "k", "v1", inlineData(10))
		older.IsLatest = false // a key has one latest version
		v := put(t, s, older)
		keep := put(t, s, inlineVersion("b", "k", "v2", inlineData(20)))
		update(t, s, func(tx meta.Tx) error { return tx.DeleteVersion("b", "k", "v1") })
		view(t, s, func(tx meta.Tx) error {
			_, err := tx.GetInline(v.Seq)
			wantErr(t, "get inline of a deleted version", err, meta.ErrNotFound)
			got, err := tx.GetInline(keep.Seq)
			wantErr(t, "get inline of the other version", err, nil)
			if !bytes.Equal(got, inlineData(20)) {
				t.Errorf("the other version's data changed")
			}
			return nil
		})
	})

	t.Run("a rolled-back put leaves no inline data", func(t *testing.T) {
		s := open(t)
		createBucket(t, s, "b")
		var seq int64
		err := s.Update(ctx(), func(tx meta.Tx) error {
			v := inlineVersion("b", "k", "v1", inlineData(10))
			if err := tx.PutVersion(&v); err != nil {
				return err
			}
			seq = v.Seq
			return errRollback
		})
		wantErr(t, "rolled-back update", err, errRollback)
		view(t, s, func(tx meta.Tx) error {
			_, err := tx.GetInline(seq)
			wantErr(t, "get inline after rollback", err, meta.ErrNotFound)
			return nil
		})
	})
}

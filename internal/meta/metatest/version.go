package metatest

import (
	"bytes"
	"maps"
	"slices"
	"testing"

	"github.com/quarrylabs/quarry/internal/meta"
)

// fullVersion has every field set, to catch one a backend forgets.
func fullVersion(bucket, key, id string) meta.Version {
	return meta.Version{
		Bucket: bucket, Key: key, VersionID: id, IsLatest: true, Size: 1234,
		ETag: "0123456789abcdef0123456789abcdef-2", LastModified: at(5), ContentType: "image/png",
		Headers:   map[string]string{"Cache-Control": "no-cache", "Content-Language": "fr"},
		UserMeta:  map[string]string{"colour": "blue", "ünï": "ç"},
		Checksums: map[string]string{"CRC32C": "yZRlqg==-2"},
		Tags:      map[string]string{"a": "1"},
		Segments: []meta.Segment{
			{BlobID: "blob-1", Size: 1000, SealedKey: []byte{1, 0, 0, 0, 7, 0xfe}, Checksum: "Ahg8yQ=="},
			{BlobID: "blob-2", Size: 234, SealedKey: []byte{1, 0, 0, 0, 7, 0xff}, Checksum: "mZ7cWw=="},
		},
		OwnerID:           42,
		ReplicationStatus: meta.ReplicationPending,
		SSE:               meta.SSEAES256,
	}
}

// put inserts v in its own Update and returns it with its Seq.
func put(t *testing.T, s meta.Store, v meta.Version) meta.Version {
	t.Helper()
	update(t, s, func(tx meta.Tx) error { return tx.PutVersion(&v) })
	return v
}

func testVersions(t *testing.T, open func(t *testing.T) meta.Store) {
	t.Run("a put version reads back as written, every field", func(t *testing.T) {
		s := open(t)
		createBucket(t, s, "b")
		want := put(t, s, fullVersion("b", "dir/file.png", "v1"))
		if want.Seq <= 0 {
			t.Fatalf("PutVersion set Seq %d, want > 0", want.Seq)
		}
		view(t, s, func(tx meta.Tx) error {
			got, err := tx.GetVersion("b", "dir/file.png", "v1")
			wantErr(t, "get version", err, nil)
			assertVersion(t, *got, want)
			return nil
		})
	})

	t.Run("a delete marker with no data reads back with nil maps", func(t *testing.T) {
		s := open(t)
		createBucket(t, s, "b")
		want := put(t, s, meta.Version{Bucket: "b", Key: "k", VersionID: "m", IsLatest: true, DeleteMarker: true, LastModified: at(1)})
		view(t, s, func(tx meta.Tx) error {
			got, err := tx.GetLatest("b", "k")
			wantErr(t, "get latest", err, nil)
			assertVersion(t, *got, want)
			if got.Headers != nil || got.UserMeta != nil || got.Checksums != nil || got.Tags != nil || got.Segments != nil {
				t.Errorf("marker has non-nil maps: %+v", got)
			}
			return nil
		})
	})

	t.Run("seq grows strictly, across keys and after deletes", func(t *testing.T) {
		s := open(t)
		createBucket(t, s, "b")
		a := put(t, s, meta.Version{Bucket: "b", Key: "x", VersionID: "1"})
		b := put(t, s, meta.Version{Bucket: "b", Key: "y", VersionID: "1"})
		update(t, s, func(tx meta.Tx) error { return tx.DeleteVersion("b", "y", "1") })
		c := put(t, s, meta.Version{Bucket: "b", Key: "x", VersionID: "2"})
		if a.Seq >= b.Seq || b.Seq >= c.Seq {
			t.Errorf("seqs %d, %d, %d do not grow strictly", a.Seq, b.Seq, c.Seq)
		}
	})

	t.Run("putting an existing version id fails with ErrExists", func(t *testing.T) {
		s := open(t)
		createBucket(t, s, "b")
		put(t, s, meta.Version{Bucket: "b", Key: "k", VersionID: meta.NullVersion})
		err := s.Update(ctx(), func(tx meta.Tx) error {
			return tx.PutVersion(&meta.Version{Bucket: "b", Key: "k", VersionID: meta.NullVersion})
		})
		wantErr(t, "put again", err, meta.ErrExists)
	})

	t.Run("the same version id may exist under other keys and buckets", func(t *testing.T) {
		s := open(t)
		createBucket(t, s, "a")
		createBucket(t, s, "b")
		put(t, s, meta.Version{Bucket: "a", Key: "k", VersionID: "v"})
		put(t, s, meta.Version{Bucket: "a", Key: "k2", VersionID: "v"})
		put(t, s, meta.Version{Bucket: "b", Key: "k", VersionID: "v"})
	})

	t.Run("missing versions are ErrNotFound", func(t *testing.T) {
		s := open(t)
		createBucket(t, s, "b")
		put(t, s, meta.Version{Bucket: "b", Key: "k", VersionID: "v", IsLatest: false})
		view(t, s, func(tx meta.Tx) error {
			_, err := tx.GetVersion("b", "k", "other")
			wantErr(t, "get version", err, meta.ErrNotFound)
			_, err = tx.GetLatest("b", "k")
			wantErr(t, "get latest of a key with no latest", err, meta.ErrNotFound)
			_, err = tx.GetLatest("b", "none")
			wantErr(t, "get latest of a missing key", err, meta.ErrNotFound)
			_, err = tx.NewestVersion("b", "none")
			wantErr(t, "newest of a missing key", err, meta.ErrNotFound)
			return nil
		})
		for name, fn := range map[string]func(meta.Tx) error{
			"delete":     func(tx meta.Tx) error { return tx.DeleteVersion("b", "k", "other") },
			"set tags":   func(tx meta.Tx) error { return tx.SetVersionTags("b", "k", "other", nil) },
			"set latest": func(tx meta.Tx) error { return tx.SetLatest("b", "k", "other") },
		} {
			wantErr(t, name, s.Update(ctx(), fn), meta.ErrNotFound)
		}
	})

	t.Run("a version in a missing bucket is ErrNotFound", func(t *testing.T) {
		s := open(t)
		err := s.Update(ctx(), func(tx meta.Tx) error {
			return tx.PutVersion(&meta.Version{Bucket: "none", Key: "k", VersionID: "v"})
		})
		wantErr(t, "put", err, meta.ErrNotFound)
	})

	t.Run("set latest moves the flag to one version", func(t *testing.T) {
		s := open(t)
		createBucket(t, s, "b")
		put(t, s, meta.Version{Bucket: "b", Key: "k", VersionID: "1", IsLatest: true})
		put(t, s, meta.Version{Bucket: "b", Key: "k", VersionID: "2"})
		put(t, s, meta.Version{Bucket: "b", Key: "other", VersionID: "1", IsLatest: true})
		update(t, s, func(tx meta.Tx) error { return tx.SetLatest("b", "k", "2") })
		assertLatestFlags(t, s, "b", "k", map[string]bool{"1": false, "2": true})
		update(t, s, func(tx meta.Tx) error { return tx.SetLatest("b", "k", "1") })
		assertLatestFlags(t, s, "b", "k", map[string]bool{"1": true, "2": false})
		assertLatestFlags(t, s, "b", "other", map[string]bool{"1": true})
	})

	t.Run("set latest to a missing version changes nothing", func(t *testing.T) {
		s := open(t)
		createBucket(t, s, "b")
		put(t, s, meta.Version{Bucket: "b", Key: "k", VersionID: "1", IsLatest: true})
		// The error is swallowed so the transaction commits: nothing may
		// have changed even so.
		update(t, s, func(tx meta.Tx) error {
			wantErr(t, "set latest", tx.SetLatest("b", "k", "missing"), meta.ErrNotFound)
			return nil
		})
		assertLatestFlags(t, s, "b", "k", map[string]bool{"1": true})
	})

	t.Run("set latest with an empty id clears the flag", func(t *testing.T) {
		s := open(t)
		createBucket(t, s, "b")
		put(t, s, meta.Version{Bucket: "b", Key: "k", VersionID: "1", IsLatest: true})
		update(t, s, func(tx meta.Tx) error {
			wantErr(t, "clear", tx.SetLatest("b", "k", ""), nil)
			wantErr(t, "clear a key without versions", tx.SetLatest("b", "none", ""), nil)
			return nil
		})
		assertLatestFlags(t, s, "b", "k", map[string]bool{"1": false})
		view(t, s, func(tx meta.Tx) error {
			_, err := tx.GetLatest("b", "k")
			wantErr(t, "get latest", err, meta.ErrNotFound)
			return nil
		})
	})

	t.Run("get latest returns a delete marker and newest ignores the flag", func(t *testing.T) {
		s := open(t)
		createBucket(t, s, "b")
		put(t, s, meta.Version{Bucket: "b", Key: "k", VersionID: "data"})
		put(t, s, meta.Version{Bucket: "b", Key: "k", VersionID: "marker", DeleteMarker: true, IsLatest: true})
		put(t, s, meta.Version{Bucket: "b", Key: "k", VersionID: "unflagged"})
		view(t, s, func(tx meta.Tx) error {
			latest, err := tx.GetLatest("b", "k")
			wantErr(t, "get latest", err, nil)
			if latest.VersionID != "marker" || !latest.DeleteMarker {
				t.Errorf("latest = %s (marker %v), want the delete marker", latest.VersionID, latest.DeleteMarker)
			}
			newest, err := tx.NewestVersion("b", "k")
			wantErr(t, "newest", err, nil)
			if newest.VersionID != "unflagged" {
				t.Errorf("newest = %s, want unflagged", newest.VersionID)
			}
			return nil
		})
	})

	t.Run("a deleted version is gone and others stay", func(t *testing.T) {
		s := open(t)
		createBucket(t, s, "b")
		put(t, s, meta.Version{Bucket: "b", Key: "k", VersionID: "1"})
		put(t, s, meta.Version{Bucket: "b", Key: "k", VersionID: "2"})
		update(t, s, func(tx meta.Tx) error { return tx.DeleteVersion("b", "k", "2") })
		view(t, s, func(tx meta.Tx) error {
			_, err := tx.GetVersion("b", "k", "2")
			wantErr(t, "get deleted", err, meta.ErrNotFound)
			_, err = tx.GetVersion("b", "k", "1")
			wantErr(t, "get kept", err, nil)
			newest, err := tx.NewestVersion("b", "k")
			wantErr(t, "newest", err, nil)
			if newest.VersionID != "1" {
				t.Errorf("newest after delete = %s, want 1", newest.VersionID)
			}
			return nil
		})
	})

	t.Run("version tags are replaced and removed", func(t *testing.T) {
		s := open(t)
		createBucket(t, s, "b")
		put(t, s, meta.Version{Bucket: "b", Key: "k", VersionID: "1", Tags: map[string]string{"old": "1"}})
		update(t, s, func(tx meta.Tx) error { return tx.SetVersionTags("b", "k", "1", map[string]string{"new": "2"}) })
		assertTags(t, s, map[string]string{"new": "2"})
		update(t, s, func(tx meta.Tx) error { return tx.SetVersionTags("b", "k", "1", nil) })
		assertTags(t, s, nil)
	})

	t.Run("has versions counts markers and ignores other buckets", func(t *testing.T) {
		s := open(t)
		createBucket(t, s, "empty")
		createBucket(t, s, "marked")
		put(t, s, meta.Version{Bucket: "marked", Key: "k", VersionID: "m", DeleteMarker: true})
		view(t, s, func(tx meta.Tx) error {
			has, err := tx.HasVersions("empty")
			wantErr(t, "has versions", err, nil)
			if has {
				t.Error("empty bucket reports versions")
			}
			has, err = tx.HasVersions("marked")
			wantErr(t, "has versions", err, nil)
			if !has {
				t.Error("bucket with a delete marker reports none")
			}
			return nil
		})
	})
}

func assertTags(t *testing.T, s meta.Store, want map[string]string) {
	t.Helper()
	view(t, s, func(tx meta.Tx) error {
		v, err := tx.GetVersion("b", "k", "1")
		wantErr(t, "get", err, nil)
		if !maps.Equal(v.Tags, want) || (want == nil) != (v.Tags == nil) {
			t.Errorf("tags = %v, want %v", v.Tags, want)
		}
		return nil
	})
}

// assertLatestFlags checks the IsLatest flag of each named version of key.
func assertLatestFlags(t *testing.T, s meta.Store, bucket, key string, want map[string]bool) {
	t.Helper()
	view(t, s, func(tx meta.Tx) error {
		for id, latest := range want {
			v, err := tx.GetVersion(bucket, key, id)
			wantErr(t, "get "+id, err, nil)
			if v.IsLatest != latest {
				t.Errorf("%s/%s %s: IsLatest = %v, want %v", bucket, key, id, v.IsLatest, latest)
			}
		}
		return nil
	})
}

func assertVersion(t *testing.T, got, want meta.Version) {
	t.Helper()
	same := got.Bucket == want.Bucket && got.Key == want.Key && got.VersionID == want.VersionID &&
		got.Seq == want.Seq && got.IsLatest == want.IsLatest && got.DeleteMarker == want.DeleteMarker &&
		got.Size == want.Size && got.ETag == want.ETag && sameTime(got.LastModified, want.LastModified) &&
		got.ContentType == want.ContentType && maps.Equal(got.Headers, want.Headers) &&
		maps.Equal(got.UserMeta, want.UserMeta) && maps.Equal(got.Checksums, want.Checksums) &&
		maps.Equal(got.Tags, want.Tags) && slices.EqualFunc(got.Segments, want.Segments, sameSegment) && got.OwnerID == want.OwnerID &&
		got.ReplicationStatus == want.ReplicationStatus && got.SSE == want.SSE &&
		got.Inline == want.Inline
	if !same {
		t.Errorf("version =\n  %+v\nwant\n  %+v", got, want)
	}
}

// sameSegment compares segments field by field: a sealed key is a slice.
func sameSegment(a, b meta.Segment) bool {
	return a.BlobID == b.BlobID && a.Size == b.Size && bytes.Equal(a.SealedKey, b.SealedKey) && a.Checksum == b.Checksum
}

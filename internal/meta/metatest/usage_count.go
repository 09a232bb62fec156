package metatest

import (
	"testing"

	"github.com/quarrylabs/quarry/internal/meta"
)

func countUsage(s meta.Store, bucket string) (meta.Usage, error) {
	var u meta.Usage
	err := s.View(ctx(), func(tx meta.Tx) error {
		var err error
		u, err = tx.CountUsage(bucket)
		return err
	})
	return u, err
}

func testCountUsage(t *testing.T, open func(t *testing.T) meta.Store) {
	t.Run("an empty bucket counts zero and a missing one is ErrNotFound", func(t *testing.T) {
		s := open(t)
		createBucket(t, s, "b")
		u, err := countUsage(s, "b")
		wantErr(t, "count", err, nil)
		if u != (meta.Usage{}) {
			t.Errorf("usage of an empty bucket = %+v, want zero", u)
		}
		_, err = countUsage(s, "missing")
		wantErr(t, "count missing", err, meta.ErrNotFound)
	})

	t.Run("the recount follows the rows, not drifted counters, and repairs them", func(t *testing.T) {
		s := open(t)
		createBucket(t, s, "b")
		createBucket(t, s, "other")
		for _, v := range []meta.Version{
			{Key: "a", VersionID: "1", Size: 10},
			{Key: "a", VersionID: "2", Size: 20, IsLatest: true},
			{Key: "deleted", VersionID: "1", Size: 5},
			{Key: "deleted", VersionID: "m", DeleteMarker: true, IsLatest: true},
			{Key: "c", VersionID: meta.NullVersion, Size: 7, IsLatest: true},
			{Key: "old-marker", VersionID: "m", DeleteMarker: true},
			{Key: "old-marker", VersionID: "2", Size: 100, IsLatest: true},
		} {
			v.Bucket = "b"
			put(t, s, v)
		}
		put(t, s, meta.Version{Bucket: "other", Key: "x", VersionID: "1", Size: 1000, IsLatest: true})
		// Counters that drifted from the rows.
		update(t, s, func(tx meta.Tx) error { return tx.AddUsage("b", meta.Usage{Objects: 9, Bytes: -3, Versions: 1}) })

		want := meta.Usage{Objects: 3, Bytes: 127, Versions: 5, VersionBytes: 142}
		got, err := countUsage(s, "b")
		wantErr(t, "count", err, nil)
		if got != want {
			t.Fatalf("CountUsage = %+v, want %+v", got, want)
		}
		assertUsage(t, s, "b", meta.Usage{Objects: 9, Bytes: -3, Versions: 1})
		update(t, s, func(tx meta.Tx) error { return tx.SetUsage("b", got) })
		assertUsage(t, s, "b", want)
	})
}

func countVersions(s meta.Store, bucket, prefix string) (int64, error) {
	var n int64
	err := s.View(ctx(), func(tx meta.Tx) error {
		var err error
		n, err = tx.CountVersions(bucket, prefix)
		return err
	})
	return n, err
}

func testCountVersions(t *testing.T, open func(t *testing.T) meta.Store) {
	s := open(t)
	createBucket(t, s, "b")
	createBucket(t, s, "other")
	for _, v := range []meta.Version{
		{Key: "a/1", VersionID: "1", Size: 10},
		{Key: "a/1", VersionID: "2", Size: 20, IsLatest: true},
		{Key: "a/2", VersionID: "m", DeleteMarker: true, IsLatest: true},
		// Keys are valid UTF-8; U+10FFFF is the last rune, past which a
		// prefix of it has no text bound.
		{Key: "a\U0010ffff", VersionID: meta.NullVersion, Size: 1, IsLatest: true},
		{Key: "b", VersionID: meta.NullVersion, Size: 7, IsLatest: true},
	} {
		v.Bucket = "b"
		put(t, s, v)
	}
	put(t, s, meta.Version{Bucket: "other", Key: "a/1", VersionID: "1", Size: 1, IsLatest: true})
	for _, tt := range []struct {
		prefix string
		want   int64
	}{{"", 5}, {"a", 4}, {"a/", 3}, {"a/1", 2}, {"a\U0010ffff", 1}, {"a\xff", 0}, {"c", 0}} {
		n, err := countVersions(s, "b", tt.prefix)
		wantErr(t, "count versions", err, nil)
		if n != tt.want {
			t.Errorf("CountVersions(b, %q) = %d, want %d (delete markers and every version count)", tt.prefix, n, tt.want)
		}
	}
	n, err := countVersions(s, "empty-but-missing", "")
	wantErr(t, "count versions of a missing bucket", err, meta.ErrNotFound)
	if n != 0 {
		t.Errorf("a missing bucket counts %d", n)
	}
	createBucket(t, s, "empty")
	if n, err := countVersions(s, "empty", ""); err != nil || n != 0 {
		t.Errorf("an empty bucket counts %d, %v; want 0, nil", n, err)
	}
}

package metatest

import (
	"bytes"
	"maps"
	"testing"

	"github.com/quarrylabs/quarry/internal/meta"
)

func testBuckets(t *testing.T, open func(t *testing.T) meta.Store) {
	t.Run("a created bucket reads back as written", func(t *testing.T) {
		s := open(t)
		want := meta.Bucket{Name: "photos", OwnerID: 7, CreatedAt: at(1),
			Versioning: meta.VersioningEnabled, Tags: map[string]string{"team": "a", "ünï": "cödé"}}
		update(t, s, func(tx meta.Tx) error { b := want; return tx.CreateBucket(&b) })
		view(t, s, func(tx meta.Tx) error {
			got, err := tx.GetBucket("photos")
			wantErr(t, "get bucket", err, nil)
			assertBucket(t, *got, want)
			return nil
		})
	})

	t.Run("a bucket without tags has nil tags", func(t *testing.T) {
		s := open(t)
		createBucket(t, s, "b")
		view(t, s, func(tx meta.Tx) error {
			got, err := tx.GetBucket("b")
			wantErr(t, "get bucket", err, nil)
			if got.Tags != nil || got.Versioning != meta.VersioningOff {
				t.Errorf("tags %v versioning %q, want nil and off", got.Tags, got.Versioning)
			}
			return nil
		})
	})

	t.Run("creating a taken name fails with ErrExists", func(t *testing.T) {
		s := open(t)
		createBucket(t, s, "b")
		err := s.Update(ctx(), func(tx meta.Tx) error { return tx.CreateBucket(&meta.Bucket{Name: "b", OwnerID: 2}) })
		wantErr(t, "create again", err, meta.ErrExists)
	})

	t.Run("missing buckets are ErrNotFound everywhere", func(t *testing.T) {
		s := open(t)
		view(t, s, func(tx meta.Tx) error {
			_, err := tx.GetBucket("nope")
			wantErr(t, "get", err, meta.ErrNotFound)
			return nil
		})
		for name, fn := range map[string]func(meta.Tx) error{
			"delete":         func(tx meta.Tx) error { return tx.DeleteBucket("nope") },
			"set versioning": func(tx meta.Tx) error { return tx.SetBucketVersioning("nope", meta.VersioningEnabled) },
			"set tags":       func(tx meta.Tx) error { return tx.SetBucketTags("nope", map[string]string{"a": "b"}) },
			"set lifecycle":  func(tx meta.Tx) error { return tx.SetBucketLifecycle("nope", []byte("{}")) },
		} {
			wantErr(t, name, s.Update(ctx(), fn), meta.ErrNotFound)
		}
	})

	t.Run("buckets list by name, all or by owner", func(t *testing.T) {
		s := open(t)
		update(t, s, func(tx meta.Tx) error {
			for _, b := range []meta.Bucket{{Name: "c", OwnerID: 1}, {Name: "a", OwnerID: 2}, {Name: "b", OwnerID: 1}} {
				if err := tx.CreateBucket(&b); err != nil {
					return err
				}
			}
			return nil
		})
		view(t, s, func(tx meta.Tx) error {
			all, err := tx.ListBuckets(0)
			wantErr(t, "list all", err, nil)
			assertNames(t, "all", bucketNames(all), []string{"a", "b", "c"})
			mine, err := tx.ListBuckets(1)
			wantErr(t, "list owner 1", err, nil)
			assertNames(t, "owner 1", bucketNames(mine), []string{"b", "c"})
			none, err := tx.ListBuckets(99)
			wantErr(t, "list owner 99", err, nil)
			assertNames(t, "owner 99", bucketNames(none), nil)
			return nil
		})
	})

	t.Run("versioning and tags can be changed and tags removed", func(t *testing.T) {
		s := open(t)
		createBucket(t, s, "b")
		update(t, s, func(tx meta.Tx) error {
			wantErr(t, "set versioning", tx.SetBucketVersioning("b", meta.VersioningSuspended), nil)
			wantErr(t, "set tags", tx.SetBucketTags("b", map[string]string{"k": "v"}), nil)
			return nil
		})
		view(t, s, func(tx meta.Tx) error {
			got, err := tx.GetBucket("b")
			wantErr(t, "get", err, nil)
			if got.Versioning != meta.VersioningSuspended || !maps.Equal(got.Tags, map[string]string{"k": "v"}) {
				t.Errorf("got versioning %q tags %v", got.Versioning, got.Tags)
			}
			return nil
		})
		update(t, s, func(tx meta.Tx) error { return tx.SetBucketTags("b", nil) })
		view(t, s, func(tx meta.Tx) error {
			got, err := tx.GetBucket("b")
			wantErr(t, "get", err, nil)
			if got.Tags != nil {
				t.Errorf("tags after removal = %v, want nil", got.Tags)
			}
			return nil
		})
	})

	t.Run("every bucket gets its own positive number, read back everywhere", func(t *testing.T) {
		s := open(t)
		ids := map[string]int64{}
		update(t, s, func(tx meta.Tx) error {
			for _, name := range []string{"c", "a", "b"} {
				b := meta.Bucket{Name: name, OwnerID: 1, ID: 42} // the caller's ID is ignored
				if err := tx.CreateBucket(&b); err != nil {
					return err
				}
				ids[name] = b.ID
			}
			return nil
		})
		seen := map[int64]bool{}
		for _, id := range ids {
			if id <= 0 || seen[id] {
				t.Fatalf("bucket numbers %v: want positive and distinct", ids)
			}
			seen[id] = true
		}
		view(t, s, func(tx meta.Tx) error {
			for name, id := range ids {
				got, err := tx.GetBucket(name)
				wantErr(t, "get "+name, err, nil)
				if got.ID != id {
					t.Errorf("GetBucket(%s).ID = %d, CreateBucket set %d", name, got.ID, id)
				}
			}
			for _, owner := range []int64{0, 1} {
				list, err := tx.ListBuckets(owner)
				wantErr(t, "list", err, nil)
				for _, b := range list {
					if b.ID != ids[b.Name] {
						t.Errorf("ListBuckets(%d): %s has ID %d, CreateBucket set %d", owner, b.Name, b.ID, ids[b.Name])
					}
				}
			}
			return nil
		})
	})

	t.Run("a bucket number is never reused, not even for the same name", func(t *testing.T) {
		s := open(t)
		var first, second meta.Bucket
		update(t, s, func(tx meta.Tx) error {
			first = meta.Bucket{Name: "b", OwnerID: 1}
			return tx.CreateBucket(&first)
		})
		update(t, s, func(tx meta.Tx) error { return tx.DeleteBucket("b") })
		update(t, s, func(tx meta.Tx) error {
			second = meta.Bucket{Name: "b", OwnerID: 1}
			return tx.CreateBucket(&second)
		})
		if second.ID <= first.ID {
			t.Errorf("recreated bucket got number %d after %d, want a new, higher one", second.ID, first.ID)
		}
	})

	t.Run("a deleted bucket and its usage are gone and its name is free", func(t *testing.T) {
		s := open(t)
		createBucket(t, s, "b")
		update(t, s, func(tx meta.Tx) error { return tx.DeleteBucket("b") })
		view(t, s, func(tx meta.Tx) error {
			_, err := tx.GetBucket("b")
			wantErr(t, "get", err, meta.ErrNotFound)
			_, err = tx.GetUsage("b")
			wantErr(t, "usage", err, meta.ErrNotFound)
			return nil
		})
		createBucket(t, s, "b")
		view(t, s, func(tx meta.Tx) error {
			u, err := tx.GetUsage("b")
			wantErr(t, "usage of recreated bucket", err, nil)
			if u != (meta.Usage{}) {
				t.Errorf("usage of recreated bucket = %+v, want zero", u)
			}
			return nil
		})
	})
}

func testUsage(t *testing.T, open func(t *testing.T) meta.Store) {
	t.Run("a new bucket has zero usage", func(t *testing.T) {
		s := open(t)
		createBucket(t, s, "b")
		assertUsage(t, s, "b", meta.Usage{})
	})

	t.Run("deltas add up, negative ones included", func(t *testing.T) {
		s := open(t)
		createBucket(t, s, "b")
		update(t, s, func(tx meta.Tx) error {
			wantErr(t, "add", tx.AddUsage("b", meta.Usage{Objects: 2, Bytes: 100, Versions: 3, VersionBytes: 150}), nil)
			wantErr(t, "add", tx.AddUsage("b", meta.Usage{Objects: -1, Bytes: -40, Versions: 1, VersionBytes: 10}), nil)
			return nil
		})
		assertUsage(t, s, "b", meta.Usage{Objects: 1, Bytes: 60, Versions: 4, VersionBytes: 160})
	})

	t.Run("set overwrites the counters", func(t *testing.T) {
		s := open(t)
		createBucket(t, s, "b")
		update(t, s, func(tx meta.Tx) error {
			wantErr(t, "add", tx.AddUsage("b", meta.Usage{Objects: 5, Bytes: 5}), nil)
			return tx.SetUsage("b", meta.Usage{Objects: 1, Bytes: 2, Versions: 3, VersionBytes: 4})
		})
		assertUsage(t, s, "b", meta.Usage{Objects: 1, Bytes: 2, Versions: 3, VersionBytes: 4})
	})

	t.Run("usage of buckets kept apart", func(t *testing.T) {
		s := open(t)
		createBucket(t, s, "a")
		createBucket(t, s, "b")
		update(t, s, func(tx meta.Tx) error { return tx.AddUsage("a", meta.Usage{Objects: 1}) })
		assertUsage(t, s, "b", meta.Usage{})
	})

	t.Run("usage of a missing bucket is ErrNotFound", func(t *testing.T) {
		s := open(t)
		wantErr(t, "add", s.Update(ctx(), func(tx meta.Tx) error { return tx.AddUsage("x", meta.Usage{Objects: 1}) }), meta.ErrNotFound)
		wantErr(t, "set", s.Update(ctx(), func(tx meta.Tx) error { return tx.SetUsage("x", meta.Usage{}) }), meta.ErrNotFound)
		wantErr(t, "get", s.View(ctx(), func(tx meta.Tx) error { _, err := tx.GetUsage("x"); return err }), meta.ErrNotFound)
	})
}

func assertUsage(t *testing.T, s meta.Store, bucket string, want meta.Usage) {
	t.Helper()
	view(t, s, func(tx meta.Tx) error {
		got, err := tx.GetUsage(bucket)
		wantErr(t, "get usage", err, nil)
		if got != want {
			t.Errorf("usage of %s = %+v, want %+v", bucket, got, want)
		}
		return nil
	})
}

func assertBucket(t *testing.T, got, want meta.Bucket) {
	t.Helper()
	if got.Name != want.Name || got.OwnerID != want.OwnerID || !sameTime(got.CreatedAt, want.CreatedAt) ||
		got.Versioning != want.Versioning || !maps.Equal(got.Tags, want.Tags) ||
		!bytes.Equal(got.Replication, want.Replication) || !bytes.Equal(got.Lifecycle, want.Lifecycle) ||
		!bytes.Equal(got.Encryption, want.Encryption) || !bytes.Equal(got.Notification, want.Notification) {
		t.Errorf("bucket = %+v, want %+v", got, want)
	}
}

func bucketNames(bs []meta.Bucket) []string {
	var names []string
	for _, b := range bs {
		names = append(names, b.Name)
	}
	return names
}

func assertNames(t *testing.T, what string, got, want []string) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s = %q, want %q", what, got, want)
		return
	}
	for i := range got {
		if got[i] != want[i] {
			t.Errorf("%s = %q, want %q", what, got, want)
			return
		}
	}
}

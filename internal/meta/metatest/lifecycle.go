package metatest

import (
	"bytes"
	"testing"

	"github.com/quarrylabs/quarry/internal/meta"
)

func testBucketLifecycle(t *testing.T, open func(t *testing.T) meta.Store) {
	doc := []byte(`{"rules":[{"id":"r","enabled":true}]}`)
	lifecycleOf := func(t *testing.T, s meta.Store, bucket string) []byte {
		t.Helper()
		var got []byte
		view(t, s, func(tx meta.Tx) error {
			b, err := tx.GetBucket(bucket)
			wantErr(t, "get bucket", err, nil)
			got = b.Lifecycle
			return nil
		})
		return got
	}

	t.Run("a new bucket has no lifecycle configuration", func(t *testing.T) {
		s := open(t)
		createBucket(t, s, "b")
		if got := lifecycleOf(t, s, "b"); got != nil {
			t.Errorf("lifecycle of a new bucket = %q, want nil", got)
		}
	})

	t.Run("a set configuration reads back byte for byte, by get and by list", func(t *testing.T) {
		s := open(t)
		createBucket(t, s, "b")
		update(t, s, func(tx meta.Tx) error { return tx.SetBucketLifecycle("b", doc) })
		if got := lifecycleOf(t, s, "b"); !bytes.Equal(got, doc) {
			t.Errorf("lifecycle = %q, want %q", got, doc)
		}
		view(t, s, func(tx meta.Tx) error {
			all, err := tx.ListBuckets(0)
			wantErr(t, "list buckets", err, nil)
			if len(all) != 1 || !bytes.Equal(all[0].Lifecycle, doc) {
				t.Errorf("listed buckets %+v, want one with the lifecycle set", all)
			}
			return nil
		})
	})

	t.Run("setting again replaces, and nil or empty removes", func(t *testing.T) {
		s := open(t)
		createBucket(t, s, "b")
		other := []byte(`{"rules":[]}`)
		update(t, s, func(tx meta.Tx) error { return tx.SetBucketLifecycle("b", doc) })
		update(t, s, func(tx meta.Tx) error { return tx.SetBucketLifecycle("b", other) })
		if got := lifecycleOf(t, s, "b"); !bytes.Equal(got, other) {
			t.Errorf("lifecycle after replace = %q, want %q", got, other)
		}
		for _, none := range [][]byte{nil, {}} {
			update(t, s, func(tx meta.Tx) error { return tx.SetBucketLifecycle("b", doc) })
			update(t, s, func(tx meta.Tx) error { return tx.SetBucketLifecycle("b", none) })
			if got := lifecycleOf(t, s, "b"); got != nil {
				t.Errorf("lifecycle after setting %q = %q, want nil", none, got)
			}
		}
	})

	t.Run("the configuration outlives other changes to the bucket", func(t *testing.T) {
		s := open(t)
		createBucket(t, s, "b")
		update(t, s, func(tx meta.Tx) error {
			wantErr(t, "set lifecycle", tx.SetBucketLifecycle("b", doc), nil)
			wantErr(t, "set versioning", tx.SetBucketVersioning("b", meta.VersioningEnabled), nil)
			wantErr(t, "set tags", tx.SetBucketTags("b", map[string]string{"k": "v"}), nil)
			return tx.SetBucketReplication("b", []byte(`{}`), nil)
		})
		if got := lifecycleOf(t, s, "b"); !bytes.Equal(got, doc) {
			t.Errorf("lifecycle after other changes = %q, want %q", got, doc)
		}
	})

	t.Run("CreateBucket ignores a lifecycle in its argument", func(t *testing.T) {
		s := open(t)
		update(t, s, func(tx meta.Tx) error {
			return tx.CreateBucket(&meta.Bucket{Name: "b", OwnerID: 1, CreatedAt: at(0), Lifecycle: doc})
		})
		if got := lifecycleOf(t, s, "b"); got != nil {
			t.Errorf("lifecycle after CreateBucket = %q, want nil", got)
		}
	})

	t.Run("a missing bucket is ErrNotFound", func(t *testing.T) {
		s := open(t)
		err := s.Update(ctx(), func(tx meta.Tx) error { return tx.SetBucketLifecycle("nope", doc) })
		wantErr(t, "set lifecycle of a missing bucket", err, meta.ErrNotFound)
	})

	t.Run("a deleted and recreated bucket has none", func(t *testing.T) {
		s := open(t)
		createBucket(t, s, "b")
		update(t, s, func(tx meta.Tx) error { return tx.SetBucketLifecycle("b", doc) })
		update(t, s, func(tx meta.Tx) error { return tx.DeleteBucket("b") })
		createBucket(t, s, "b")
		if got := lifecycleOf(t, s, "b"); got != nil {
			t.Errorf("lifecycle of the recreated bucket = %q, want nil", got)
		}
	})
}

package metatest

import (
	"bytes"
	"fmt"
	"slices"
	"testing"

	"github.com/quarrylabs/quarry/internal/meta"
)

func testBucketACL(t *testing.T, open func(t *testing.T) meta.Store) {
	aclOf := func(t *testing.T, s meta.Store, bucket string) string {
		t.Helper()
		var got string
		view(t, s, func(tx meta.Tx) error {
			b, err := tx.GetBucket(bucket)
			wantErr(t, "get bucket", err, nil)
			got = b.ACL
			return nil
		})
		return got
	}

	t.Run("a bucket is created with the ACL it is given, empty by default", func(t *testing.T) {
		s := open(t)
		createBucket(t, s, "plain")
		update(t, s, func(tx meta.Tx) error {
			return tx.CreateBucket(&meta.Bucket{Name: "public", OwnerID: 1, ACL: "public-read"})
		})
		if got := aclOf(t, s, "plain"); got != "" {
			t.Errorf("ACL of a bucket created without one = %q, want empty", got)
		}
		if got := aclOf(t, s, "public"); got != "public-read" {
			t.Errorf("ACL of a bucket created public-read = %q", got)
		}
	})

	t.Run("a set ACL reads back by get and by both listings, and outlives other changes", func(t *testing.T) {
		s := open(t)
		createBucket(t, s, "b")
		update(t, s, func(tx meta.Tx) error {
			wantErr(t, "set acl", tx.SetBucketACL("b", "public-read-write"), nil)
			wantErr(t, "set versioning", tx.SetBucketVersioning("b", meta.VersioningEnabled), nil)
			wantErr(t, "set tags", tx.SetBucketTags("b", map[string]string{"k": "v"}), nil)
			return tx.SetBucketLifecycle("b", []byte(`{}`))
		})
		if got := aclOf(t, s, "b"); got != "public-read-write" {
			t.Errorf("ACL = %q, want public-read-write", got)
		}
		view(t, s, func(tx meta.Tx) error {
			all, err := tx.ListBuckets(0)
			wantErr(t, "list buckets", err, nil)
			page, err := tx.ListBucketsAfter(0, "", "", 0)
			wantErr(t, "list buckets after", err, nil)
			for _, list := range [][]meta.Bucket{all, page} {
				if len(list) != 1 || list[0].ACL != "public-read-write" {
					t.Errorf("listed %+v, want one bucket with the ACL set", list)
				}
			}
			return nil
		})
		update(t, s, func(tx meta.Tx) error { return tx.SetBucketACL("b", "") })
		if got := aclOf(t, s, "b"); got != "" {
			t.Errorf("ACL after setting it empty = %q", got)
		}
	})

	t.Run("a deleted and recreated bucket has the new bucket's ACL", func(t *testing.T) {
		s := open(t)
		createBucket(t, s, "b")
		update(t, s, func(tx meta.Tx) error { return tx.SetBucketACL("b", "public-read") })
		update(t, s, func(tx meta.Tx) error { return tx.DeleteBucket("b") })
		createBucket(t, s, "b")
		if got := aclOf(t, s, "b"); got != "" {
			t.Errorf("ACL of the recreated bucket = %q, want empty", got)
		}
	})

	t.Run("a missing bucket is ErrNotFound", func(t *testing.T) {
		s := open(t)
		err := s.Update(ctx(), func(tx meta.Tx) error { return tx.SetBucketACL("nope", "public-read") })
		wantErr(t, "set acl of a missing bucket", err, meta.ErrNotFound)
	})
}

func testBucketCORS(t *testing.T, open func(t *testing.T) meta.Store) {
	doc := []byte(`{"rules":[{"origins":["*"],"methods":["GET"]}]}`)
	corsOf := func(t *testing.T, s meta.Store, bucket string) []byte {
		t.Helper()
		var got []byte
		view(t, s, func(tx meta.Tx) error {
			b, err := tx.GetBucket(bucket)
			wantErr(t, "get bucket", err, nil)
			got = b.CORS
			return nil
		})
		return got
	}

	t.Run("a new bucket has no CORS configuration, whatever CreateBucket is given", func(t *testing.T) {
		s := open(t)
		update(t, s, func(tx meta.Tx) error {
			return tx.CreateBucket(&meta.Bucket{Name: "b", OwnerID: 1, CORS: doc})
		})
		if got := corsOf(t, s, "b"); got != nil {
			t.Errorf("CORS of a new bucket = %q, want nil", got)
		}
	})

	t.Run("a set configuration reads back byte for byte; setting again replaces; nil or empty removes", func(t *testing.T) {
		s := open(t)
		createBucket(t, s, "b")
		update(t, s, func(tx meta.Tx) error { return tx.SetBucketCORS("b", doc) })
		if got := corsOf(t, s, "b"); !bytes.Equal(got, doc) {
			t.Errorf("CORS = %q, want %q", got, doc)
		}
		other := []byte(`{"rules":[]}`)
		update(t, s, func(tx meta.Tx) error { return tx.SetBucketCORS("b", other) })
		if got := corsOf(t, s, "b"); !bytes.Equal(got, other) {
			t.Errorf("CORS after replace = %q, want %q", got, other)
		}
		for _, none := range [][]byte{nil, {}} {
			update(t, s, func(tx meta.Tx) error { return tx.SetBucketCORS("b", doc) })
			update(t, s, func(tx meta.Tx) error { return tx.SetBucketCORS("b", none) })
			if got := corsOf(t, s, "b"); got != nil {
				t.Errorf("CORS after setting %q = %q, want nil", none, got)
			}
		}
	})

	t.Run("the configuration outlives other changes and goes with the bucket", func(t *testing.T) {
		s := open(t)
		createBucket(t, s, "b")
		update(t, s, func(tx meta.Tx) error {
			wantErr(t, "set cors", tx.SetBucketCORS("b", doc), nil)
			wantErr(t, "set acl", tx.SetBucketACL("b", "public-read"), nil)
			return tx.SetBucketLifecycle("b", []byte(`{}`))
		})
		if got := corsOf(t, s, "b"); !bytes.Equal(got, doc) {
			t.Errorf("CORS after other changes = %q, want %q", got, doc)
		}
		update(t, s, func(tx meta.Tx) error { return tx.DeleteBucket("b") })
		createBucket(t, s, "b")
		if got := corsOf(t, s, "b"); got != nil {
			t.Errorf("CORS of the recreated bucket = %q, want nil", got)
		}
	})

	t.Run("a missing bucket is ErrNotFound", func(t *testing.T) {
		s := open(t)
		err := s.Update(ctx(), func(tx meta.Tx) error { return tx.SetBucketCORS("nope", doc) })
		wantErr(t, "set cors of a missing bucket", err, meta.ErrNotFound)
	})
}

func testVersionACL(t *testing.T, open func(t *testing.T) meta.Store) {
	aclOf := func(s meta.Store, key, versionID string) (string, error) {
		var got string
		err := s.View(ctx(), func(tx meta.Tx) error {
			var err error
			got, err = tx.GetVersionACL("b", key, versionID)
			return err
		})
		return got, err
	}

	t.Run("a version is written private and its ACL set on its own, per version", func(t *testing.T) {
		s := open(t)
		createBucket(t, s, "b")
		update(t, s, func(tx meta.Tx) error {
			for _, id := range []string{"v1", "v2"} {
				if err := tx.PutVersion(&meta.Version{Bucket: "b", Key: "k", VersionID: id}); err != nil {
					return err
				}
			}
			return tx.SetVersionACL("b", "k", "v2", "public-read")
		})
		for id, want := range map[string]string{"v1": "", "v2": "public-read"} {
			got, err := aclOf(s, "k", id)
			wantErr(t, "get acl of "+id, err, nil)
			if got != want {
				t.Errorf("ACL of %s = %q, want %q", id, got, want)
			}
		}
	})

	t.Run("the ACL survives tag and latest changes and goes with its version", func(t *testing.T) {
		s := open(t)
		createBucket(t, s, "b")
		update(t, s, func(tx meta.Tx) error {
			wantErr(t, "put", tx.PutVersion(&meta.Version{Bucket: "b", Key: "k", VersionID: "null"}), nil)
			wantErr(t, "set acl", tx.SetVersionACL("b", "k", "null", "authenticated-read"), nil)
			wantErr(t, "set tags", tx.SetVersionTags("b", "k", "null", map[string]string{"a": "b"}), nil)
			return tx.SetLatest("b", "k", "null")
		})
		if got, err := aclOf(s, "k", "null"); err != nil || got != "authenticated-read" {
			t.Errorf("ACL after other changes = %q, %v", got, err)
		}
		// A replaced null version is deleted and written again: private.
		update(t, s, func(tx meta.Tx) error {
			wantErr(t, "delete", tx.DeleteVersion("b", "k", "null"), nil)
			return tx.PutVersion(&meta.Version{Bucket: "b", Key: "k", VersionID: "null"})
		})
		if got, err := aclOf(s, "k", "null"); err != nil || got != "" {
			t.Errorf("ACL of the rewritten version = %q, %v; want empty", got, err)
		}
	})

	t.Run("a missing version is ErrNotFound for both", func(t *testing.T) {
		s := open(t)
		createBucket(t, s, "b")
		_, err := aclOf(s, "k", "v")
		wantErr(t, "get acl of a missing version", err, meta.ErrNotFound)
		err = s.Update(ctx(), func(tx meta.Tx) error { return tx.SetVersionACL("b", "k", "v", "public-read") })
		wantErr(t, "set acl of a missing version", err, meta.ErrNotFound)
	})
}

func testUploadACL(t *testing.T, open func(t *testing.T) meta.Store) {
	t.Run("an upload keeps its ACL, read back by get and by list", func(t *testing.T) {
		s := open(t)
		createBucket(t, s, "b")
		update(t, s, func(tx meta.Tx) error {
			wantErr(t, "create", tx.CreateUpload(&meta.Upload{ID: "u1", Bucket: "b", Key: "k", ACL: "public-read"}), nil)
			return tx.CreateUpload(&meta.Upload{ID: "u2", Bucket: "b", Key: "k"})
		})
		view(t, s, func(tx meta.Tx) error {
			u, err := tx.GetUpload("u1")
			wantErr(t, "get", err, nil)
			if u.ACL != "public-read" {
				t.Errorf("ACL of u1 = %q", u.ACL)
			}
			list, err := tx.ListUploads("b", "", "", "", 0)
			wantErr(t, "list", err, nil)
			got := map[string]string{}
			for _, u := range list {
				got[u.ID] = u.ACL
			}
			if got["u1"] != "public-read" || got["u2"] != "" || len(got) != 2 {
				t.Errorf("listed ACLs %v, want u1 public-read and u2 empty", got)
			}
			return nil
		})
	})
}

func testListBucketsAfter(t *testing.T, open func(t *testing.T) meta.Store) {
	s := open(t)
	// Owner 1 holds every other bucket; names share prefixes and sit next
	// to the bytes where a prefix's upper bound is computed.
	var names []string
	for i := range 12 {
		names = append(names, fmt.Sprintf("team-%02d", i))
	}
	names = append(names, "team", "teams", "tea", "other", "z")
	update(t, s, func(tx meta.Tx) error {
		for i, n := range names {
			if err := tx.CreateBucket(&meta.Bucket{Name: n, OwnerID: int64(1 + i%2)}); err != nil {
				return err
			}
		}
		return nil
	})
	sorted := slices.Sorted(slices.Values(names))
	owners := map[string]int64{}
	for i, n := range names {
		owners[n] = int64(1 + i%2)
	}
	model := func(owner int64, prefix, after string, limit int) []string {
		var out []string
		for _, n := range sorted {
			if (owner == 0 || owners[n] == owner) && len(n) >= len(prefix) && n[:len(prefix)] == prefix && n > after {
				if limit > 0 && len(out) == limit {
					break
				}
				out = append(out, n)
			}
		}
		return out
	}
	for _, owner := range []int64{0, 1, 2, 99} {
		for _, prefix := range []string{"", "team", "team-", "team-0", "tea", "zz", "\xff"} {
			for _, after := range []string{"", "a", "team", "team-05", "teams", "zzz"} {
				for _, limit := range []int{0, 1, 3, 100} {
					name := fmt.Sprintf("owner %d prefix %q after %q limit %d", owner, prefix, after, limit)
					view(t, s, func(tx meta.Tx) error {
						got, err := tx.ListBucketsAfter(owner, prefix, after, limit)
						wantErr(t, name, err, nil)
						assertNames(t, name, bucketNames(got), model(owner, prefix, after, limit))
						return nil
					})
				}
			}
		}
	}

	t.Run("paging with the last name returned lists every bucket once", func(t *testing.T) {
		var got []string
		after := ""
		for {
			var page []meta.Bucket
			view(t, s, func(tx meta.Tx) error {
				var err error
				page, err = tx.ListBucketsAfter(0, "team-", after, 5)
				return err
			})
			got = append(got, bucketNames(page)...)
			if len(page) < 5 {
				break
			}
			after = page[len(page)-1].Name
		}
		assertNames(t, "paged", got, model(0, "team-", "", 0))
	})
}

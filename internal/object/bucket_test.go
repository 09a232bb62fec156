package object

import (
	"io"
	"testing"

	"github.com/quarrylabs/quarry/internal/auth"
	"github.com/quarrylabs/quarry/internal/meta"
)

func TestCreateBucket(t *testing.T) {
	h := newHarness(t)
	h.bucket("shared", meta.VersioningOff)

	wantErr(t, h.svc.CreateBucket(h.ctx, alice, "shared"), ErrBucketAlreadyOwnedByYou)
	wantErr(t, h.svc.CreateBucket(h.ctx, bob, "shared"), ErrBucketAlreadyExists)
	wantErr(t, h.svc.CreateBucket(h.ctx, alice, "Bad_Name"), ErrInvalidBucketName)

	b, err := h.svc.HeadBucket(h.ctx, alice, "shared")
	if err != nil || b.OwnerID != alice.UserID {
		t.Fatalf("head bucket: %+v, %v", b, err)
	}
}

func TestBucketAccess(t *testing.T) {
	h := newHarness(t)
	h.bucket("alices", meta.VersioningOff)
	h.put("alices", "k", "data")

	t.Run("another user is denied a bucket that exists", func(t *testing.T) {
		_, err := h.svc.HeadBucket(h.ctx, bob, "alices")
		wantErr(t, err, ErrAccessDenied)
		_, err = h.svc.GetObject(h.ctx, bob, GetInput{Bucket: "alices", Key: "k"})
		wantErr(t, err, ErrAccessDenied)
		_, err = h.svc.PutObject(h.ctx, bob, PutInput{Bucket: "alices", Key: "k", Body: nil, Size: 0})
		wantErr(t, err, ErrAccessDenied)
		_, err = h.svc.CreateMultipartUpload(h.ctx, bob, "alices", "k", ObjectAttrs{}, "", "")
		wantErr(t, err, ErrAccessDenied)
	})
	t.Run("a missing bucket is reported as missing, not denied", func(t *testing.T) {
		_, err := h.svc.HeadBucket(h.ctx, bob, "nobodys")
		wantErr(t, err, ErrNoSuchBucket)
		_, err = h.svc.GetObject(h.ctx, bob, GetInput{Bucket: "nobodys", Key: "k"})
		wantErr(t, err, ErrNoSuchBucket)
	})
	t.Run("an admin may use any bucket", func(t *testing.T) {
		if got := h.mustGetAs(admin, "alices", "k"); got != "data" {
			t.Fatalf("admin read %q", got)
		}
	})
	t.Run("users list their own buckets, admins every bucket", func(t *testing.T) {
		if err := h.svc.CreateBucket(h.ctx, bob, "bobs"); err != nil {
			t.Fatal(err)
		}
		for _, tt := range []struct {
			who  string
			list func() ([]meta.Bucket, error)
			want int
		}{
			{"alice", func() ([]meta.Bucket, error) { return h.svc.ListBuckets(h.ctx, alice) }, 1},
			{"bob", func() ([]meta.Bucket, error) { return h.svc.ListBuckets(h.ctx, bob) }, 1},
			{"admin", func() ([]meta.Bucket, error) { return h.svc.ListBuckets(h.ctx, admin) }, 2},
		} {
			bs, err := tt.list()
			if err != nil || len(bs) != tt.want {
				t.Errorf("%s lists %v (%v), want %d buckets", tt.who, bs, err, tt.want)
			}
		}
	})
}

func (h *harness) mustGetAs(p auth.Principal, bucket, key string) string {
	h.t.Helper()
	out, err := h.svc.GetObject(h.ctx, p, GetInput{Bucket: bucket, Key: key})
	if err != nil {
		h.t.Fatalf("get: %v", err)
	}
	defer out.Body.Close()
	data, err := io.ReadAll(out.Body)
	if err != nil {
		h.t.Fatalf("read: %v", err)
	}
	return string(data)
}

func TestDeleteBucket(t *testing.T) {
	t.Run("a bucket with a version is not empty", func(t *testing.T) {
		h := newHarness(t)
		h.bucket("bkt", meta.VersioningOff)
		h.put("bkt", "k", "x")
		wantErr(t, h.svc.DeleteBucket(h.ctx, alice, "bkt"), ErrBucketNotEmpty)
	})
	t.Run("a bucket holding only a delete marker is not empty", func(t *testing.T) {
		h := newHarness(t)
		h.bucket("bkt", meta.VersioningEnabled)
		h.del("bkt", "k", "")
		wantErr(t, h.svc.DeleteBucket(h.ctx, alice, "bkt"), ErrBucketNotEmpty)
	})
	t.Run("only the owner or an admin may delete a bucket", func(t *testing.T) {
		h := newHarness(t)
		h.bucket("bkt", meta.VersioningOff)
		wantErr(t, h.svc.DeleteBucket(h.ctx, bob, "bkt"), ErrAccessDenied)
		if err := h.svc.DeleteBucket(h.ctx, admin, "bkt"); err != nil {
			t.Fatal(err)
		}
		_, err := h.svc.HeadBucket(h.ctx, alice, "bkt")
		wantErr(t, err, ErrNoSuchBucket)
	})
	t.Run("uploads in progress are aborted with the bucket", func(t *testing.T) {
		h := newHarness(t)
		h.bucket("bkt", meta.VersioningOff)
		u, err := h.svc.CreateMultipartUpload(h.ctx, alice, "bkt", "k", ObjectAttrs{}, "", "")
		if err != nil {
			t.Fatal(err)
		}
		h.uploadPart("bkt", "k", u.ID, 1, "part one")
		if got := len(h.storedBlobs()); got != 1 {
			t.Fatalf("%d blobs before delete, want 1", got)
		}
		if err := h.svc.DeleteBucket(h.ctx, alice, "bkt"); err != nil {
			t.Fatal(err)
		}
		if got := h.storedBlobs(); len(got) != 0 {
			t.Fatalf("blobs left after delete: %v", got)
		}
		// The name is free again.
		if err := h.svc.CreateBucket(h.ctx, bob, "bkt"); err != nil {
			t.Fatal(err)
		}
	})
}

func TestSetVersioning(t *testing.T) {
	h := newHarness(t)
	h.bucket("bkt", meta.VersioningOff)
	wantErr(t, h.svc.SetVersioning(h.ctx, alice, "bkt", meta.VersioningOff), ErrMalformedXML)
	wantErr(t, h.svc.SetVersioning(h.ctx, alice, "bkt", "Sideways"), ErrMalformedXML)
	wantErr(t, h.svc.SetVersioning(h.ctx, bob, "bkt", meta.VersioningEnabled), ErrAccessDenied)
	h.versioning("bkt", meta.VersioningEnabled)
	h.versioning("bkt", meta.VersioningSuspended)
	b, err := h.svc.HeadBucket(h.ctx, alice, "bkt")
	if err != nil || b.Versioning != meta.VersioningSuspended {
		t.Fatalf("versioning %q, %v", b.Versioning, err)
	}
}

package object

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/quarrylabs/quarry/internal/acl"
	"github.com/quarrylabs/quarry/internal/auth"
	"github.com/quarrylabs/quarry/internal/events"
	"github.com/quarrylabs/quarry/internal/meta"
)

// TestOperationsFollowTheACLs runs each operation that an ACL governs as
// the owner, another user and an anonymous request against buckets and
// objects with each canned ACL, and checks who is let through.
func TestOperationsFollowTheACLs(t *testing.T) {
	h := newHarness(t)
	anon := auth.Anonymous()
	buckets := map[acl.Canned]string{
		acl.Private: "private", acl.PublicRead: "public-read",
		acl.PublicReadWrite: "public-read-write", acl.AuthenticatedRead: "authenticated-read",
	}
	for a, name := range buckets {
		if err := h.svc.CreateBucketWithACL(h.ctx, alice, name, a); err != nil {
			t.Fatalf("create %s: %v", name, err)
		}
		h.put(name, "obj", "data")
	}
	h.bucket("objects", meta.VersioningOff)
	for a, key := range buckets {
		if _, err := h.svc.PutObject(h.ctx, alice, PutInput{Bucket: "objects", Key: key, Body: bytes.NewReader([]byte("x")), Size: 1, Attrs: ObjectAttrs{ACL: a}}); err != nil {
			t.Fatalf("put %s: %v", key, err)
		}
	}

	get := func(p auth.Principal, bucket, key string) error {
		_, err := h.svc.HeadObject(h.ctx, p, GetInput{Bucket: bucket, Key: key})
		return err
	}
	list := func(p auth.Principal, bucket string) error {
		_, err := h.svc.ListObjects(h.ctx, p, ListInput{Bucket: bucket, MaxKeys: 10})
		return err
	}
	put := func(p auth.Principal, bucket string) error {
		_, err := h.svc.PutObject(h.ctx, p, PutInput{Bucket: bucket, Key: "new", Body: bytes.NewReader(nil)})
		return err
	}
	del := func(p auth.Principal, bucket string) error {
		_, err := h.svc.DeleteObject(h.ctx, p, bucket, "new", "")
		return err
	}
	tests := []struct {
		name string
		call func() error
		want error
	}{
		{"anyone may read an object of a public-read bucket", func() error { return get(anon, "public-read", "obj") }, nil},
		{"anyone may list a public-read bucket", func() error { return list(anon, "public-read") }, nil},
		{"nobody else may write to a public-read bucket", func() error { return put(anon, "public-read") }, ErrAccessDenied},
		{"a user may not write to a public-read bucket", func() error { return put(bob, "public-read") }, ErrAccessDenied},
		{"anyone may write to a public-read-write bucket", func() error { return put(anon, "public-read-write") }, nil},
		{"anyone may delete from a public-read-write bucket", func() error { return del(anon, "public-read-write") }, nil},
		{"a user may write to a public-read-write bucket", func() error { return put(bob, "public-read-write") }, nil},
		{"an anonymous request may not read from a private bucket", func() error { return get(anon, "private", "obj") }, ErrAccessDenied},
		{"an anonymous request may not list a private bucket", func() error { return list(anon, "private") }, ErrAccessDenied},
		{"a user may read an authenticated-read bucket", func() error { return get(bob, "authenticated-read", "obj") }, nil},
		{"a user may list an authenticated-read bucket", func() error { return list(bob, "authenticated-read") }, nil},
		{"an anonymous request may not read an authenticated-read bucket", func() error { return get(anon, "authenticated-read", "obj") }, ErrAccessDenied},
		{"anyone may read a public-read object of a private bucket", func() error { return get(anon, "objects", "public-read") }, nil},
		{"a public-read object does not open its bucket's listing", func() error { return list(anon, "objects") }, ErrAccessDenied},
		{"a user may read an authenticated-read object", func() error { return get(bob, "objects", "authenticated-read") }, nil},
		{"an anonymous request may not read an authenticated-read object", func() error { return get(anon, "objects", "authenticated-read") }, ErrAccessDenied},
		{"a private object is nobody else's", func() error { return get(bob, "objects", "private") }, ErrAccessDenied},
		{"a missing key is NoSuchKey to who may list", func() error { return get(anon, "public-read", "missing") }, ErrNoSuchKey},
		{"a missing key is AccessDenied to who may not list", func() error { return get(anon, "objects", "missing") }, ErrAccessDenied},
		{"a missing bucket is NoSuchBucket to anyone", func() error { return get(anon, "no-such-bucket", "obj") }, ErrNoSuchBucket},
		{"an admin reads a private object of any bucket", func() error { return get(admin, "objects", "private") }, nil},
		{"nobody else reads a bucket's ACL", func() error { _, _, err := h.svc.BucketACL(h.ctx, bob, "public-read-write"); return err }, ErrAccessDenied},
		{"nobody else changes an object's ACL", func() error {
			_, err := h.svc.SetObjectACL(h.ctx, anon, "public-read-write", "obj", "", acl.Private)
			return err
		}, ErrAccessDenied},
		{"nobody else sets a bucket's tags", func() error {
			return h.svc.PutBucketTags(h.ctx, anon, "public-read-write", map[string]string{"a": "b"})
		}, ErrAccessDenied},
		{"nobody else deletes a bucket, even a public-read-write one", func() error { return h.svc.DeleteBucket(h.ctx, bob, "public-read-write") }, ErrAccessDenied},
		{"an anonymous request may not create a bucket", func() error { return h.svc.CreateBucket(h.ctx, anon, "anonymous-bucket") }, ErrAccessDenied},
		{"an anonymous request may not list buckets", func() error { _, err := h.svc.ListBuckets(h.ctx, anon); return err }, ErrAccessDenied},
	}
	for _, tt := range tests {
		err := tt.call()
		if (tt.want == nil) != (err == nil) || (tt.want != nil && !errors.Is(err, tt.want)) {
			t.Errorf("%s: %v, want %v", tt.name, err, tt.want)
		}
	}
}

func TestWhatOthersWriteBelongsToTheBucketOwner(t *testing.T) {
	h := newHarness(t)
	if err := h.svc.CreateBucketWithACL(h.ctx, alice, "drop", acl.PublicReadWrite); err != nil {
		t.Fatal(err)
	}
	if err := h.svc.SetVersioning(h.ctx, alice, "drop", meta.VersioningEnabled); err != nil {
		t.Fatal(err)
	}
	for _, p := range []auth.Principal{auth.Anonymous(), bob} {
		v, err := h.svc.PutObject(h.ctx, p, PutInput{Bucket: "drop", Key: "k", Body: bytes.NewReader([]byte("x")), Size: 1})
		if err != nil {
			t.Fatalf("put: %v", err)
		}
		if v.OwnerID != alice.UserID {
			t.Errorf("owner of an object written by %+v = %d, want the bucket owner %d", p, v.OwnerID, alice.UserID)
		}
	}
	res, err := h.svc.DeleteObject(h.ctx, auth.Anonymous(), "drop", "k", "")
	if err != nil || !res.DeleteMarker {
		t.Fatalf("anonymous delete: %+v, %v", res, err)
	}
	out, err := h.svc.ListVersions(h.ctx, alice, ListVersionsInput{Bucket: "drop", MaxKeys: 10})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range out.Versions {
		if v.OwnerID != alice.UserID {
			t.Errorf("version %s (marker %v) owned by %d, want %d", v.VersionID, v.DeleteMarker, v.OwnerID, alice.UserID)
		}
	}
	// The owner's own writes stay the owner's; an admin's stay the admin's.
	v, err := h.svc.PutObject(h.ctx, admin, PutInput{Bucket: "drop", Key: "a", Body: bytes.NewReader(nil)})
	if err != nil || v.OwnerID != admin.UserID {
		t.Errorf("admin's put: owner %v, %v; want %d", v, err, admin.UserID)
	}
}

func TestObjectACLsArePerVersionAndCopiesStartPrivate(t *testing.T) {
	h := newHarness(t)
	h.bucket("bkt", meta.VersioningEnabled)
	v1, err := h.svc.PutObject(h.ctx, alice, PutInput{Bucket: "bkt", Key: "k", Body: bytes.NewReader([]byte("one")), Size: 3, Attrs: ObjectAttrs{ACL: acl.PublicRead}})
	if err != nil {
		t.Fatal(err)
	}
	v2 := h.put("bkt", "k", "two")
	anon := auth.Anonymous()
	if _, err := h.svc.HeadObject(h.ctx, anon, GetInput{Bucket: "bkt", Key: "k"}); !errors.Is(err, ErrAccessDenied) {
		t.Errorf("anonymous HEAD of the private latest version: %v, want AccessDenied", err)
	}
	if _, err := h.svc.HeadObject(h.ctx, anon, GetInput{Bucket: "bkt", Key: "k", VersionID: v1.VersionID}); err != nil {
		t.Errorf("anonymous HEAD of the public-read older version: %v", err)
	}
	if _, a, err := h.svc.ObjectACL(h.ctx, alice, "bkt", "k", ""); err != nil || a != acl.Private {
		t.Errorf("ACL of the latest version = %q, %v; want private", a, err)
	}
	if _, err := h.svc.SetObjectACL(h.ctx, alice, "bkt", "k", v2.VersionID, acl.AuthenticatedRead); err != nil {
		t.Fatal(err)
	}
	if _, a, err := h.svc.ObjectACL(h.ctx, alice, "bkt", "k", v2.VersionID); err != nil || a != acl.AuthenticatedRead {
		t.Errorf("ACL after SetObjectACL = %q, %v", a, err)
	}
	if _, a, _ := h.svc.ObjectACL(h.ctx, alice, "bkt", "k", v1.VersionID); a != acl.PublicRead {
		t.Errorf("ACL of the older version after setting the latest's = %q, want public-read", a)
	}
	res, err := h.svc.CopyObject(h.ctx, alice, CopyInput{SrcBucket: "bkt", SrcKey: "k", SrcVersionID: v1.VersionID, Bucket: "bkt", Key: "copy"})
	if err != nil {
		t.Fatal(err)
	}
	if _, a, _ := h.svc.ObjectACL(h.ctx, alice, "bkt", "copy", res.Version.VersionID); a != acl.Private {
		t.Errorf("ACL of a copy of a public-read version = %q, want private", a)
	}
	if _, err := h.svc.CopyObject(h.ctx, alice, CopyInput{SrcBucket: "bkt", SrcKey: "k", Bucket: "bkt", Key: "copy2", Attrs: ObjectAttrs{ACL: acl.PublicRead}}); err != nil {
		t.Fatal(err)
	}
	if _, a, _ := h.svc.ObjectACL(h.ctx, alice, "bkt", "copy2", ""); a != acl.PublicRead {
		t.Errorf("ACL of a copy asked public-read = %q", a)
	}
}

func TestAMultipartUploadCompletesWithItsACL(t *testing.T) {
	h := newHarness(t)
	h.bucket("bkt", meta.VersioningOff)
	u, err := h.svc.CreateMultipartUpload(h.ctx, alice, "bkt", "k", ObjectAttrs{ACL: acl.PublicRead}, "", "")
	if err != nil {
		t.Fatal(err)
	}
	part, err := h.svc.UploadPart(h.ctx, alice, PartInput{Bucket: "bkt", Key: "k", UploadID: u.ID, Number: 1, Body: bytes.NewReader([]byte("data")), Size: 4})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.svc.CompleteMultipartUpload(h.ctx, alice, "bkt", "k", u.ID, []CompletePart{{Number: 1, ETag: part.ETag}}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.svc.HeadObject(h.ctx, auth.Anonymous(), GetInput{Bucket: "bkt", Key: "k"}); err != nil {
		t.Errorf("anonymous HEAD of a completed public-read upload: %v", err)
	}
}

func TestListBucketsPage(t *testing.T) {
	h := newHarness(t)
	for _, name := range []string{"a-1", "a-2", "a-3", "b-1"} {
		if err := h.svc.CreateBucket(h.ctx, alice, name); err != nil {
			t.Fatal(err)
		}
	}
	if err := h.svc.CreateBucket(h.ctx, bob, "a-bob"); err != nil {
		t.Fatal(err)
	}
	names := func(out *ListBucketsOutput) []string {
		var n []string
		for _, b := range out.Buckets {
			n = append(n, b.Name)
		}
		return n
	}
	tests := []struct {
		name      string
		p         auth.Principal
		in        ListBucketsInput
		want      []string
		truncated bool
	}{
		{"a user lists its own buckets only", alice, ListBucketsInput{Limit: 10}, []string{"a-1", "a-2", "a-3", "b-1"}, false},
		{"an admin lists every bucket", admin, ListBucketsInput{Limit: 10}, []string{"a-1", "a-2", "a-3", "a-bob", "b-1"}, false},
		{"a page that is full says more follow", alice, ListBucketsInput{Limit: 2}, []string{"a-1", "a-2"}, true},
		{"a page goes on after the name given", alice, ListBucketsInput{Limit: 2, After: "a-2"}, []string{"a-3", "b-1"}, false},
		{"a prefix filters the names", alice, ListBucketsInput{Limit: 10, Prefix: "a-"}, []string{"a-1", "a-2", "a-3"}, false},
		{"exactly a page is not truncated", alice, ListBucketsInput{Limit: 3, Prefix: "a-"}, []string{"a-1", "a-2", "a-3"}, false},
	}
	for _, tt := range tests {
		out, err := h.svc.ListBucketsPage(h.ctx, tt.p, tt.in)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if got := names(out); !equalStrings(got, tt.want) || out.IsTruncated != tt.truncated {
			t.Errorf("%s: %v truncated %v, want %v truncated %v", tt.name, got, out.IsTruncated, tt.want, tt.truncated)
		}
	}
	if _, err := h.svc.ListBucketsPage(h.ctx, auth.Anonymous(), ListBucketsInput{Limit: 10}); !errors.Is(err, ErrAccessDenied) {
		t.Errorf("anonymous page: %v, want AccessDenied", err)
	}
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestOnlyTheOwnerMarksAWriteAsAReplica(t *testing.T) {
	h := newHarness(t)
	if err := h.svc.CreateBucketWithACL(h.ctx, alice, "drop", acl.PublicReadWrite); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		p    auth.Principal
		want meta.ReplicationStatus
	}{
		{alice, meta.ReplicationReplica},
		{bob, meta.ReplicationNone},
		{auth.Anonymous(), meta.ReplicationNone},
	} {
		v, err := h.svc.PutObject(h.ctx, tt.p, PutInput{Bucket: "drop", Key: "k", Body: bytes.NewReader(nil), Replica: true})
		if err != nil {
			t.Fatal(err)
		}
		if v.ReplicationStatus != tt.want {
			t.Errorf("a replica write by %+v has status %q, want %q", tt.p, v.ReplicationStatus, tt.want)
		}
		if tt.p.IsAnonymous() {
			continue // anonymous multipart uploads are refused by the protocol layer
		}
		u, err := h.svc.CreateMultipartUpload(h.ctx, tt.p, "drop", "mp", ObjectAttrs{Replica: true}, "", "")
		if err != nil {
			t.Fatal(err)
		}
		if _, marked := u.Headers[uploadReplicaHeader]; marked != (tt.want == meta.ReplicationReplica) {
			t.Errorf("an upload by %+v marked a replica: %v", tt.p, marked)
		}
	}
}

func TestBucketACLChangesAreRecordedInTheEventLog(t *testing.T) {
	h := newHarness(t)
	h.bucket("logged", meta.VersioningOff)
	if err := h.svc.SetBucketACL(h.ctx, alice, "logged", acl.PublicRead); err != nil {
		t.Fatal(err)
	}
	if err := h.svc.SetBucketACL(h.ctx, admin, "logged", acl.Private); err != nil {
		t.Fatal(err)
	}
	if err := h.svc.SetBucketACL(h.ctx, bob, "logged", acl.PublicReadWrite); !errors.Is(err, ErrAccessDenied) {
		t.Fatalf("bob's SetBucketACL = %v, want AccessDenied", err)
	}
	var evs []meta.Event
	err := h.meta.View(h.ctx, func(tx meta.Tx) error {
		var err error
		evs, err = tx.ListEvents(meta.EventFilter{TypeID: events.BucketACLSet.ID})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 2 ||
		evs[1].ActorName != "alice" || evs[1].Subject != "bucket/logged" || !strings.Contains(evs[1].Message, "public-read") ||
		evs[0].ActorName != "root" || !strings.Contains(evs[0].Message, "private") || evs[0].OwnerID != alice.UserID {
		t.Fatalf("events %+v, want alice's public-read then root's private, both owned by alice, none of bob's refusal", evs)
	}
}

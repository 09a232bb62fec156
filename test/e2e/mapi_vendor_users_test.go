package e2e

import (
	"fmt"
	"net/http"
	"strconv"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// The user endpoints exactly as the vendor's Ansible collection calls them
// (shared/spec/VENDOR-CLIENTS.md): bearer token, X-XSRF-TOKEN and both
// cookies, a serial_number/get before every call, and the bodies its
// modules build.

// vendorPost is one call of the vendor's client: serial_number/get first
// (whose failure the client ignores), then the call itself.
func vendorPost(c *mapiClient, endpoint string, body any) mapiResponse {
	c.t.Helper()
	c.post("serial_number/get", nil)
	return c.post(endpoint, body)
}

// wantS3Works fails t unless c can list its buckets.
func wantS3Works(t *testing.T, what string, c *s3.Client) {
	t.Helper()
	if _, err := c.ListBuckets(t.Context(), &s3.ListBucketsInput{}); err != nil {
		t.Fatalf("%s: ListBuckets: %v", what, err)
	}
}

// wantS3Revoked fails t unless c's access key is refused.
func wantS3Revoked(t *testing.T, what string, c *s3.Client) {
	t.Helper()
	_, err := c.ListBuckets(t.Context(), &s3.ListBucketsInput{})
	wantErr(t, what+": ListBuckets", err, http.StatusForbidden, "InvalidAccessKeyId")
}

// An admin revoking a user's keys the vendor's way ({"id": <MAPI id>})
// revokes that user's keys, never the admin's own (the root key included).
// Its own server: a regression would revoke the root key every other test
// uses.
func TestVendorRevokeCredentialsByIDRevokesThatUsersKeys(t *testing.T) {
	t.Parallel()
	srv := startServer(t, serverOptions{})
	root := mapiRoot(t, srv)
	rootS3 := s3Client(srv.S3URL, srv.AccessKey, srv.SecretKey)
	alice := newMAPIUser(t, srv, root, "vendor-alice")
	bob := newMAPIUser(t, srv, root, "vendor-bob")
	ak2, sk2 := alice.MAPI.generateCredentials()
	alice2 := s3Client(srv.S3URL, ak2, sk2)

	if r := vendorPost(root, "user/revoke_credentials", map[string]any{"id": alice.ID}); r.Status < 200 || r.Status > 299 {
		t.Fatalf("revoke_credentials {id: %d}: %s", alice.ID, r)
	}
	wantS3Revoked(t, "alice's first key", alice.S3)
	wantS3Revoked(t, "alice's second key", alice2)
	wantS3Works(t, "the root key", rootS3)
	wantS3Works(t, "bob's key", bob.S3)

	t.Run("an unknown or negative id is 404 and revokes nothing", func(t *testing.T) {
		root := root.as(t)
		for _, id := range []any{int64(-618195248), int64(987654321), "987654321"} {
			wantMAPIError(t, fmt.Sprintf("revoke id %v", id), vendorPost(root, "user/revoke_credentials", map[string]any{"id": id}),
				http.StatusNotFound, "NOT_FOUND", "")
		}
		wantS3Works(t, "the root key", rootS3)
		wantS3Works(t, "bob's key", bob.S3)
	})

	t.Run("a user naming another user's id is refused", func(t *testing.T) {
		bob := bob.as(t)
		wantMAPIError(t, "bob revoking root's keys", vendorPost(bob.MAPI, "user/revoke_credentials", map[string]any{"id": rootID(t, root)}),
			http.StatusForbidden, "FORBIDDEN", "")
		wantS3Works(t, "the root key", rootS3)
	})

	t.Run("a field Quarry does not know is a 400 and revokes nothing", func(t *testing.T) {
		root := root.as(t)
		r := vendorPost(root, "user/revoke_credentials", map[string]any{"id": bob.ID, "userName": "vendor-bob"})
		wantMAPIError(t, "revoke with userName", r, http.StatusBadRequest, "INVALID_REQUEST", "userName")
		wantS3Works(t, "bob's key", bob.S3)
	})

	t.Run("one key by id and accessKey, a string id, only if it is that user's", func(t *testing.T) {
		root := root.as(t)
		keep, keepSecret := bob.MAPI.generateCredentials()
		drop, dropSecret := bob.MAPI.generateCredentials()
		wantMAPIError(t, "revoke root's key under bob's id",
			vendorPost(root, "user/revoke_credentials", map[string]any{"id": bob.ID, "accessKey": srv.AccessKey}),
			http.StatusNotFound, "NOT_FOUND", "")
		wantS3Works(t, "the root key", rootS3)
		r := vendorPost(root, "user/revoke_credentials", map[string]any{"id": strconv.FormatInt(bob.ID, 10), "accessKey": drop})
		if r.Status != http.StatusOK {
			t.Fatalf("revoke one key: %s", r)
		}
		wantS3Revoked(t, "the revoked key", s3Client(srv.S3URL, drop, dropSecret))
		wantS3Works(t, "bob's other key", s3Client(srv.S3URL, keep, keepSecret))
	})

	t.Run("a user revokes its own keys by its own id, or with no body", func(t *testing.T) {
		bob := bob.as(t)
		if r := vendorPost(bob.MAPI, "user/revoke_credentials", map[string]any{"id": bob.ID}); r.Status != http.StatusOK {
			t.Fatalf("bob revoking his own keys: %s", r)
		}
		wantS3Revoked(t, "bob's key", bob.S3)
		ak, sk := bob.MAPI.generateCredentials()
		if r := vendorPost(bob.MAPI, "user/revoke_credentials", nil); r.Status != http.StatusOK {
			t.Fatalf("revoke with no body: %s", r)
		}
		wantS3Revoked(t, "bob's new key", s3Client(srv.S3URL, ak, sk))
		wantS3Works(t, "the root key", rootS3)
	})
}

// rootID is the numeric id of the user c is logged in as.
func rootID(t *testing.T, c *mapiClient) int64 {
	t.Helper()
	var info struct {
		ID struct {
			ID int64 `json:"id"`
		} `json:"id"`
	}
	c.as(t).must("user/info", nil, &info)
	return info.ID.ID
}

// vendorBucket is a user/list_buckets item with the fields the vendor's
// client documents, and Quarry's own.
type vendorBucket struct {
	BucketID    *int64 `json:"bucketId"`
	BucketName  string `json:"bucketName"`
	Name        string `json:"name"`
	ObjectCount int64  `json:"objectCount"`
}

func TestVendorListBucketsByIDListsThatUsersBuckets(t *testing.T) {
	t.Parallel()
	root := mapiRoot(t, sharedSrv)
	seq := bucketSeq.Add(1)
	u := newMAPIUser(t, sharedSrv, root, fmt.Sprintf("vendor-lb-%d", seq))
	other := newMAPIUser(t, sharedSrv, root, fmt.Sprintf("vendor-lb-other-%d", seq))
	second := u.Bucket + "-b"
	if _, err := u.S3.CreateBucket(t.Context(), &s3.CreateBucketInput{Bucket: aws.String(second)}); err != nil {
		t.Fatal(err)
	}
	putObject(t, u.S3, second, "k", []byte("data"))

	list := func(t *testing.T, c *mapiClient, body any) []vendorBucket {
		t.Helper()
		r := vendorPost(c, "user/list_buckets", body)
		var out struct {
			Buckets []vendorBucket `json:"buckets"`
		}
		if r.Status != http.StatusOK || decodeInto(r, &out) != nil {
			t.Fatalf("list_buckets %v: %s", body, r)
		}
		return out.Buckets
	}

	// What the vendor's module sends: id as a string, count 1000.
	got := list(t, root.as(t), map[string]any{"id": strconv.FormatInt(u.ID, 10), "count": 1000})
	if len(got) != 2 || got[0].BucketName != u.Bucket || got[1].BucketName != second ||
		got[0].Name != u.Bucket || got[1].ObjectCount != 1 {
		t.Fatalf("the admin listing %s's buckets got %+v, want %s and %s", u.Name, got, u.Bucket, second)
	}
	if got[0].BucketID == nil || got[1].BucketID == nil || *got[0].BucketID <= 0 || *got[0].BucketID == *got[1].BucketID {
		t.Fatalf("bucketIds %+v: want a positive integer per bucket", got)
	}
	ids := map[string]int64{got[0].BucketName: *got[0].BucketID, got[1].BucketName: *got[1].BucketID}

	t.Run("an integer id, count as the page size, and the ids stay put", func(t *testing.T) {
		page := list(t, root.as(t), map[string]any{"id": u.ID, "count": 1})
		if len(page) != 1 || page[0].BucketName != u.Bucket || *page[0].BucketID != ids[u.Bucket] {
			t.Fatalf("count 1 gave %+v, want only %s with bucketId %d", page, u.Bucket, ids[u.Bucket])
		}
	})

	t.Run("a user names its own id", func(t *testing.T) {
		mine := list(t, u.MAPI.as(t), map[string]any{"id": strconv.FormatInt(u.ID, 10), "count": 1000})
		if len(mine) != 2 {
			t.Fatalf("%s listing its own id: %+v", u.Name, mine)
		}
	})

	t.Run("a user naming another user's id is refused", func(t *testing.T) {
		r := vendorPost(other.MAPI.as(t), "user/list_buckets", map[string]any{"id": strconv.FormatInt(u.ID, 10), "count": 1000})
		wantMAPIError(t, "another user's buckets", r, http.StatusForbidden, "FORBIDDEN", "")
	})

	t.Run("an unknown id and a bad count are refused", func(t *testing.T) {
		root := root.as(t)
		wantMAPIError(t, "unknown id", vendorPost(root, "user/list_buckets", map[string]any{"id": "987654321", "count": 1000}),
			http.StatusNotFound, "NOT_FOUND", "")
		wantMAPIError(t, "count 0", vendorPost(root, "user/list_buckets", map[string]any{"id": strconv.FormatInt(u.ID, 10), "count": 0}),
			http.StatusBadRequest, "INVALID_REQUEST", "")
	})

	t.Run("bucketId survives a restart", func(t *testing.T) {
		srv := startServer(t, serverOptions{})
		root := mapiRoot(t, srv)
		b := newBucket(t, s3Client(srv.S3URL, srv.AccessKey, srv.SecretKey))
		before := list(t, root, nil)
		srv.Stop(t)
		srv.Restart(t)
		root = mapiRoot(t, srv)
		after := list(t, root, nil)
		if len(before) != 1 || len(after) != 1 || before[0].BucketName != b || *before[0].BucketID != *after[0].BucketID {
			t.Fatalf("before restart %+v, after %+v: want %s with the same bucketId", before, after, b)
		}
	})
}

package s3api

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

func TestPostObjectWithoutAPolicyIsAnonymousAndFollowsTheBucketACL(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	alice := ts.client(ts.alice)
	for name, a := range map[string]types.BucketCannedACL{
		"drop": types.BucketCannedACLPublicReadWrite, "site": types.BucketCannedACLPublicRead, "vault": types.BucketCannedACLPrivate,
	} {
		if _, err := alice.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name), ACL: a}); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		name, bucket string
		fields       []formField
		status       int
		code         string
	}{
		{"into a public-read-write bucket", "drop", []formField{{"key", "in/plain"}}, http.StatusNoContent, ""},
		{"with a canned ACL into a public-read-write bucket", "drop", []formField{{"key", "in/public"}, {"acl", "public-read"}}, http.StatusNoContent, ""},
		{"with a status and metadata", "drop", []formField{{"key", "in/meta"}, {"x-amz-meta-from", "a form"}, {"success_action_status", "201"}},
			http.StatusCreated, ""},
		{"with a canned ACL Quarry does not have", "drop", []formField{{"key", "in/nope"}, {"acl", "log-delivery-write"}}, http.StatusNotImplemented, "NotImplemented"},
		{"into a public-read bucket", "site", []formField{{"key", "in/plain"}}, http.StatusForbidden, "AccessDenied"},
		{"into a private bucket", "vault", []formField{{"key", "in/plain"}}, http.StatusForbidden, "AccessDenied"},
		{"into a bucket that does not exist", "nowhere", []formField{{"key", "in/plain"}}, http.StatusNotFound, "NoSuchBucket"},
		{"with SigV4 fields but no policy", "drop", []formField{{"key", "in/signed"}, {"x-amz-algorithm", "AWS4-HMAC-SHA256"},
			{"x-amz-credential", ts.alice.accessKey + "/20260101/us-east-1/s3/aws4_request"}, {"x-amz-date", "20260101T000000Z"},
			{"x-amz-signature", strings.Repeat("0", 64)}}, http.StatusBadRequest, "InvalidArgument"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			body, ctype := browserForm(t, tc.fields, "f.txt", []byte("anonymous form"))
			status, _, resp := ts.post(tc.bucket, body, ctype)
			if status != tc.status || (tc.code != "" && !strings.Contains(resp, "<Code>"+tc.code+"</Code>")) {
				t.Fatalf("got %d %s, want %d %s", status, resp, tc.status, tc.code)
			}
		})
	}
	owner := strconv.FormatInt(ts.alice.principal.UserID, 10)
	for _, key := range []string{"in/plain", "in/public", "in/meta"} {
		if got := ts.mustGet(ts.alice, "drop", key); got != "anonymous form" {
			t.Errorf("drop/%s holds %q", key, got)
		}
		out, err := alice.GetObjectAcl(ctx, &s3.GetObjectAclInput{Bucket: aws.String("drop"), Key: aws.String(key)})
		if err != nil || aws.ToString(out.Owner.ID) != owner {
			t.Errorf("drop/%s is owned by %v (%v), want the bucket's owner alice", key, out, err)
		}
	}
	out, err := alice.GetObjectAcl(ctx, &s3.GetObjectAclInput{Bucket: aws.String("drop"), Key: aws.String("in/public")})
	if err != nil || grantsString(out.Grants) != "CanonicalUser "+owner+":FULL_CONTROL Group "+allUsers+":READ" {
		t.Errorf("the form's acl public-read gave %v (%v)", out, err)
	}
	head, err := alice.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("drop"), Key: aws.String("in/meta")})
	if err != nil || head.Metadata["from"] != "a form" {
		t.Errorf("in/meta metadata %v (%v)", head, err)
	}
	ts.assertMissing("drop", "in/nope")
	ts.assertMissing("drop", "in/signed")
	for _, b := range []string{"site", "vault"} {
		ts.assertMissing(b, "in/plain")
	}
}

func grantsString(grants []types.Grant) string { return strings.Join(grantsOf(grants), " ") }

func TestPostObjectGivesTheObjectTheFormsCannedACL(t *testing.T) {
	ts := newTestServer(t)
	ts.mustCreateBucket(ts.alice, "acl-forms")
	ctx := context.Background()
	owner := strconv.FormatInt(ts.alice.principal.UserID, 10)
	for _, tc := range []struct {
		acl    string
		grants string
	}{
		{"private", "CanonicalUser " + owner + ":FULL_CONTROL"},
		{"public-read", "CanonicalUser " + owner + ":FULL_CONTROL Group " + allUsers + ":READ"},
		{"public-read-write", "CanonicalUser " + owner + ":FULL_CONTROL Group " + allUsers + ":READ Group " + allUsers + ":WRITE"},
		{"authenticated-read", "CanonicalUser " + owner + ":FULL_CONTROL Group " + authUsers + ":READ"},
	} {
		t.Run(tc.acl, func(t *testing.T) {
			key := "k-" + tc.acl
			fields := append([]formField{{"key", key}, {"acl", tc.acl}}, sigV4PostFields(ts.alice, time.Now(), time.Now().Add(time.Hour),
				`{"bucket": "acl-forms"}`, `["starts-with", "$key", "k-"]`, `{"acl": "`+tc.acl+`"}`)...)
			body, ctype := browserForm(t, fields, "f", []byte("x"))
			if status, _, resp := ts.post("acl-forms", body, ctype); status != http.StatusNoContent {
				t.Fatalf("POST: %d %s", status, resp)
			}
			out, err := ts.client(ts.alice).GetObjectAcl(ctx, &s3.GetObjectAclInput{Bucket: aws.String("acl-forms"), Key: aws.String(key)})
			if err != nil || grantsString(out.Grants) != tc.grants {
				t.Fatalf("GetObjectAcl = %v (%v), want %s", out, err, tc.grants)
			}
		})
	}
	req, _ := http.NewRequest(http.MethodGet, ts.srv.URL+"/acl-forms/k-public-read", nil)
	if status, _, body := ts.do(req); status != http.StatusOK || body != "x" {
		t.Errorf("anonymous GET of the public-read form upload: %d %s", status, body)
	}
	req, _ = http.NewRequest(http.MethodGet, ts.srv.URL+"/acl-forms/k-private", nil)
	if status, _, _ := ts.do(req); status != http.StatusForbidden {
		t.Errorf("anonymous GET of the private form upload: %d, want 403", status)
	}
}

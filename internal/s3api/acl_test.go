package s3api

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

const xsi = `xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"`

// aclDoc is an AccessControlPolicy of owner and grants (Grant elements).
func aclDoc(owner string, grants ...string) string {
	return `<AccessControlPolicy xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Owner><ID>` + owner +
		`</ID></Owner><AccessControlList>` + strings.Join(grants, "") + `</AccessControlList></AccessControlPolicy>`
}

func userGrant(id, perm string) string {
	return `<Grant><Grantee ` + xsi + ` xsi:type="CanonicalUser"><ID>` + id + `</ID></Grantee><Permission>` + perm + `</Permission></Grant>`
}

func groupGrant(uri, perm string) string {
	return `<Grant><Grantee ` + xsi + ` xsi:type="Group"><URI>` + uri + `</URI></Grantee><Permission>` + perm + `</Permission></Grant>`
}

const (
	allUsers  = "http://acs.amazonaws.com/groups/global/AllUsers"
	authUsers = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"
)

// bucketGrants summarises GetBucketAcl as "grantee:permission" strings.
func grantsOf(grants []types.Grant) []string {
	var out []string
	for _, g := range grants {
		who := aws.ToString(g.Grantee.ID)
		if g.Grantee.URI != nil {
			who = aws.ToString(g.Grantee.URI)
		}
		out = append(out, string(g.Grantee.Type)+" "+who+":"+string(g.Permission))
	}
	return out
}

func TestPutBucketACL(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	ts.mustCreateBucket(ts.alice, "acls")
	owner := strconv.FormatInt(ts.alice.principal.UserID, 10)
	other := strconv.FormatInt(ts.bob.principal.UserID, 10)
	full := userGrant(owner, "FULL_CONTROL")
	tests := []struct {
		name    string
		headers map[string]string
		body    string
		status  int
		code    string
		want    []string // the grants GetBucketAcl answers after a success
	}{
		{"x-amz-acl public-read", map[string]string{"x-amz-acl": "public-read"}, "", 200, "",
			[]string{"CanonicalUser " + owner + ":FULL_CONTROL", "Group " + allUsers + ":READ"}},
		{"x-amz-acl private", map[string]string{"x-amz-acl": "private"}, "", 200, "",
			[]string{"CanonicalUser " + owner + ":FULL_CONTROL"}},
		{"a document of public-read-write's grants", nil, aclDoc(owner, full, groupGrant(allUsers, "READ"), groupGrant(allUsers, "WRITE")), 200, "",
			[]string{"CanonicalUser " + owner + ":FULL_CONTROL", "Group " + allUsers + ":READ", "Group " + allUsers + ":WRITE"}},
		{"a document of authenticated-read's grants, in another order", nil, aclDoc(owner, groupGrant(authUsers, "READ"), full), 200, "",
			[]string{"CanonicalUser " + owner + ":FULL_CONTROL", "Group " + authUsers + ":READ"}},
		{"a grant header to everyone", map[string]string{"x-amz-grant-read": `uri="` + allUsers + `"`}, "", 200, "",
			[]string{"CanonicalUser " + owner + ":FULL_CONTROL", "Group " + allUsers + ":READ"}},
		{"a document granting another user answers NotImplemented", nil, aclDoc(owner, full, userGrant(other, "READ")), 501, "NotImplemented", nil},
		{"a document granting the log delivery group answers NotImplemented", nil,
			aclDoc(owner, full, groupGrant("http://acs.amazonaws.com/groups/s3/LogDelivery", "WRITE")), 501, "NotImplemented", nil},
		{"a document granting by email answers NotImplemented", nil,
			aclDoc(owner, full, `<Grant><Grantee `+xsi+` xsi:type="AmazonCustomerByEmail"><EmailAddress>a@example.com</EmailAddress></Grantee><Permission>READ</Permission></Grant>`), 501, "NotImplemented", nil},
		{"a document without the owner's full control answers NotImplemented", nil, aclDoc(owner, groupGrant(allUsers, "READ")), 501, "NotImplemented", nil},
		{"a grant header to a user answers NotImplemented", map[string]string{"x-amz-grant-read": `id="` + other + `"`}, "", 501, "NotImplemented", nil},
		{"log-delivery-write answers NotImplemented", map[string]string{"x-amz-acl": "log-delivery-write"}, "", 501, "NotImplemented", nil},
		{"bucket-owner-full-control answers NotImplemented", map[string]string{"x-amz-acl": "bucket-owner-full-control"}, "", 501, "NotImplemented", nil},
		{"an unknown canned ACL is InvalidArgument", map[string]string{"x-amz-acl": "public"}, "", 400, "InvalidArgument", nil},
		{"a canned ACL with grant headers is InvalidRequest", map[string]string{"x-amz-acl": "private", "x-amz-grant-read": `uri="` + allUsers + `"`}, "", 400, "InvalidRequest", nil},
		{"a canned ACL with a document is UnexpectedContent", map[string]string{"x-amz-acl": "private"}, aclDoc(owner, full), 400, "UnexpectedContent", nil},
		{"neither is MalformedACLError", nil, "", 400, "MalformedACLError", nil},
		{"a document that is not XML is MalformedACLError", nil, "<AccessControlPolicy><Owner>", 400, "MalformedACLError", nil},
		{"a document without an owner is MalformedACLError", nil, `<AccessControlPolicy><AccessControlList>` + full + `</AccessControlList></AccessControlPolicy>`, 400, "MalformedACLError", nil},
		{"an unknown permission is MalformedACLError", nil, aclDoc(owner, full, groupGrant(allUsers, "LIST")), 400, "MalformedACLError", nil},
		{"a document naming another owner is AccessDenied", nil, aclDoc(other, userGrant(other, "FULL_CONTROL")), 403, "AccessDenied", nil},
	}
	last := []string{"CanonicalUser " + owner + ":FULL_CONTROL"}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := ts.signedRequest(ts.alice, http.MethodPut, "/acls?acl", []byte(tt.body))
			for k, v := range tt.headers {
				req.Header.Set(k, v)
			}
			ts.sign(ts.alice, req, req.Header.Get("X-Amz-Content-Sha256"))
			status, _, body := ts.do(req)
			if status != tt.status || (tt.code != "" && !strings.Contains(body, "<Code>"+tt.code+"</Code>")) {
				t.Fatalf("PutBucketAcl: %d %s, want %d %s", status, body, tt.status, tt.code)
			}
			out, err := ts.client(ts.alice).GetBucketAcl(ctx, &s3.GetBucketAclInput{Bucket: aws.String("acls")})
			if err != nil {
				t.Fatal(err)
			}
			want := tt.want
			if tt.status != 200 {
				want = last // a refused request changes nothing
			}
			if got := grantsOf(out.Grants); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("grants after: %v, want %v", got, want)
			}
			if aws.ToString(out.Owner.ID) != owner {
				t.Errorf("owner %q, want %s", aws.ToString(out.Owner.ID), owner)
			}
			last = want
		})
	}
}

func TestACLsCanOnlyBeReadAndSetByTheOwner(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	ts.mustCreateBucket(ts.alice, "shared")
	alice, bob := ts.client(ts.alice), ts.client(ts.bob)
	if _, err := alice.PutBucketAcl(ctx, &s3.PutBucketAclInput{Bucket: aws.String("shared"), ACL: types.BucketCannedACLPublicReadWrite}); err != nil {
		t.Fatal(err)
	}
	ts.mustPut(ts.alice, "shared", "k", "v")
	_, err := bob.GetBucketAcl(ctx, &s3.GetBucketAclInput{Bucket: aws.String("shared")})
	wantCode(t, err, "AccessDenied", http.StatusForbidden)
	_, err = bob.PutBucketAcl(ctx, &s3.PutBucketAclInput{Bucket: aws.String("shared"), ACL: types.BucketCannedACLPrivate})
	wantCode(t, err, "AccessDenied", http.StatusForbidden)
	_, err = bob.PutObjectAcl(ctx, &s3.PutObjectAclInput{Bucket: aws.String("shared"), Key: aws.String("k"), ACL: types.ObjectCannedACLPrivate})
	wantCode(t, err, "AccessDenied", http.StatusForbidden)
	// Bob may write to the bucket, and what he writes is alice's.
	if _, err := bob.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("shared"), Key: aws.String("bobs"), Body: strings.NewReader("x")}); err != nil {
		t.Fatalf("bob's put into a public-read-write bucket: %v", err)
	}
	out, err := alice.GetObjectAcl(ctx, &s3.GetObjectAclInput{Bucket: aws.String("shared"), Key: aws.String("bobs")})
	if err != nil {
		t.Fatal(err)
	}
	if id := aws.ToString(out.Owner.ID); id != strconv.FormatInt(ts.alice.principal.UserID, 10) {
		t.Errorf("owner of bob's object = %s, want alice", id)
	}
}

func TestPutObjectACLAndObjectACLHeaders(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	ts.mustCreateBucket(ts.alice, "objs")
	alice := ts.client(ts.alice)
	owner := strconv.FormatInt(ts.alice.principal.UserID, 10)
	_, err := alice.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("objs"), Key: aws.String("k"), Body: strings.NewReader("v"), ACL: types.ObjectCannedACLPublicRead})
	if err != nil {
		t.Fatal(err)
	}
	out, err := alice.GetObjectAcl(ctx, &s3.GetObjectAclInput{Bucket: aws.String("objs"), Key: aws.String("k")})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"CanonicalUser " + owner + ":FULL_CONTROL", "Group " + allUsers + ":READ"}
	if got := grantsOf(out.Grants); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("object grants %v, want %v", got, want)
	}
	_, err = alice.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("objs"), Key: aws.String("x"), Body: strings.NewReader("v"), ACL: types.ObjectCannedACLBucketOwnerFullControl})
	wantCode(t, err, "NotImplemented", http.StatusNotImplemented)
	ts.assertMissing("objs", "x")
	_, err = alice.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String("objs"), Key: aws.String("c"), CopySource: aws.String("objs/k"), ACL: types.ObjectCannedACLAwsExecRead})
	wantCode(t, err, "NotImplemented", http.StatusNotImplemented)
	_, err = alice.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String("objs"), Key: aws.String("m"), GrantRead: aws.String(`id="` + owner + `"`)})
	wantCode(t, err, "NotImplemented", http.StatusNotImplemented)

	doc := aclDoc(owner, userGrant(owner, "FULL_CONTROL"), groupGrant(authUsers, "READ"))
	status, _, body := ts.do(ts.signedRequest(ts.alice, http.MethodPut, "/objs/k?acl", []byte(doc)))
	if status != 200 {
		t.Fatalf("PutObjectAcl: %d %s", status, body)
	}
	out, err = alice.GetObjectAcl(ctx, &s3.GetObjectAclInput{Bucket: aws.String("objs"), Key: aws.String("k")})
	if err != nil {
		t.Fatal(err)
	}
	want = []string{"CanonicalUser " + owner + ":FULL_CONTROL", "Group " + authUsers + ":READ"}
	if got := grantsOf(out.Grants); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("object grants after PutObjectAcl %v, want %v", got, want)
	}
	_, err = alice.GetObjectAcl(ctx, &s3.GetObjectAclInput{Bucket: aws.String("objs"), Key: aws.String("missing")})
	wantCode(t, err, "NoSuchKey", http.StatusNotFound)
}

func TestIsAnonymous(t *testing.T) {
	tests := []struct {
		name   string
		target string
		header map[string]string
		want   bool
	}{
		{"a plain request is anonymous", "/b/k", nil, true},
		{"a request with other query parameters is anonymous", "/b?list-type=2&prefix=a", nil, true},
		{"an Authorization header is not", "/b/k", map[string]string{"Authorization": "AWS4-HMAC-SHA256 Credential=x"}, false},
		{"a SigV2 Authorization header is not", "/b/k", map[string]string{"Authorization": "AWS AK:sig"}, false},
		{"an empty Authorization header is not", "/b/k", map[string]string{"Authorization": ""}, false},
		{"a SigV4 presigned URL is not", "/b/k?X-Amz-Signature=abc", nil, false},
		{"a SigV4 presigned URL without its signature is not", "/b/k?X-Amz-Credential=abc", nil, false},
		{"a SigV2 presigned URL is not", "/b/k?AWSAccessKeyId=AK&Signature=s&Expires=1", nil, false},
	}
	for _, tt := range tests {
		r, _ := http.NewRequest(http.MethodGet, "http://s3.example"+tt.target, nil)
		for k, v := range tt.header {
			r.Header[k] = []string{v}
		}
		if got := isAnonymous(r); got != tt.want {
			t.Errorf("%s: isAnonymous = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestAnonymousRequests(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	alice := ts.client(ts.alice)
	for name, a := range map[string]types.BucketCannedACL{"open": types.BucketCannedACLPublicReadWrite, "closed": types.BucketCannedACLPrivate} {
		if _, err := alice.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name), ACL: a}); err != nil {
			t.Fatal(err)
		}
		ts.mustPut(ts.alice, name, "k", "v")
	}
	anon := func(method, target, body string, header map[string]string) (int, string) {
		req, _ := http.NewRequest(method, ts.srv.URL+target, strings.NewReader(body))
		for k, v := range header {
			req.Header.Set(k, v)
		}
		status, _, b := ts.do(req)
		return status, b
	}
	tests := []struct {
		name, method, target, body string
		header                     map[string]string
		status                     int
		code                       string
	}{
		{"GET of a public-read-write bucket's object", "GET", "/open/k", "", nil, 200, ""},
		{"PUT into a public-read-write bucket", "PUT", "/open/new", "data", nil, 200, ""},
		{"PUT with its payload hash", "PUT", "/open/hashed", "data", map[string]string{"X-Amz-Content-Sha256": "3a6eb0790f39ac87c94f3856b2dd2c5d110e6811602261a9a923d3bb23adc8b7"}, 200, ""},
		{"PUT with a wrong payload hash", "PUT", "/open/badhash", "data", map[string]string{"X-Amz-Content-Sha256": strings.Repeat("0", 64)}, 400, "XAmzContentSHA256Mismatch"},
		{"PUT with signed chunks but no signature", "PUT", "/open/chunked", "data",
			map[string]string{"X-Amz-Content-Sha256": "STREAMING-AWS4-HMAC-SHA256-PAYLOAD", "X-Amz-Decoded-Content-Length": "4"}, 400, "InvalidRequest"},
		{"GET with a response header override", "GET", "/open/k?response-content-type=text/html", "", nil, 400, "InvalidRequest"},
		{"a multipart upload", "POST", "/open/mp?uploads", "", nil, 403, "AccessDenied"},
		{"a copy", "PUT", "/open/copy", "", map[string]string{"X-Amz-Copy-Source": "open/k"}, 403, "AccessDenied"},
		{"ListBuckets", "GET", "/", "", nil, 403, "AccessDenied"},
		{"CreateBucket", "PUT", "/anonymous-bucket", "", nil, 403, "AccessDenied"},
		{"GET of a private bucket's object", "GET", "/closed/k", "", nil, 403, "AccessDenied"},
		{"GET of a missing bucket", "GET", "/no-such-bucket/k", "", nil, 404, "NoSuchBucket"},
		{"PUT of a public-read-write bucket's ACL", "PUT", "/open?acl", "", map[string]string{"x-amz-acl": "private"}, 403, "AccessDenied"},
		{"DELETE of a public-read-write bucket", "DELETE", "/open", "", nil, 403, "AccessDenied"},
	}
	for _, tt := range tests {
		status, body := anon(tt.method, tt.target, tt.body, tt.header)
		if status != tt.status || (tt.code != "" && !strings.Contains(body, "<Code>"+tt.code+"</Code>")) {
			t.Errorf("anonymous %s: %d %s, want %d %s", tt.name, status, body, tt.status, tt.code)
		}
	}
	if got := ts.mustGet(ts.alice, "open", "new"); got != "data" {
		t.Errorf("the anonymous PUT stored %q", got)
	}
	for _, key := range []string{"badhash", "chunked", "copy"} {
		ts.assertMissing("open", key)
	}
	h := New(Config{Objects: ts.objects})
	if err := h.anonymousMayWrite(ctx, "open"); err != nil {
		t.Errorf("anonymousMayWrite(public-read-write bucket) = %v", err)
	}
	if err := h.anonymousMayWrite(ctx, "closed"); sdkLikeCode(err) != codeAccessDenied {
		t.Errorf("anonymousMayWrite(private bucket) = %v, want AccessDenied", err)
	}
	if err := h.anonymousMayWrite(ctx, "no-such-bucket"); sdkLikeCode(err) != codeNoSuchBucket {
		t.Errorf("anonymousMayWrite(missing bucket) = %v, want NoSuchBucket", err)
	}
}

// sdkLikeCode is the S3 code an error becomes.
func sdkLikeCode(err error) errorCode {
	if err == nil {
		return ""
	}
	return toAPIError(err).code
}

func TestCreatingAnOwnBucketAgainResetsItsACL(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	alice := ts.client(ts.alice)
	owner := strconv.FormatInt(ts.alice.principal.UserID, 10)
	create := func(c *s3.Client, a types.BucketCannedACL) error {
		_, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("again"), ACL: a})
		return err
	}
	grants := func() string {
		out, err := alice.GetBucketAcl(ctx, &s3.GetBucketAclInput{Bucket: aws.String("again")})
		if err != nil {
			t.Fatal(err)
		}
		return grantsString(out.Grants)
	}
	if err := create(alice, types.BucketCannedACLPublicRead); err != nil {
		t.Fatal(err)
	}
	ts.mustPut(ts.alice, "again", "k", "kept")
	publicRead := "CanonicalUser " + owner + ":FULL_CONTROL Group " + allUsers + ":READ"
	private := "CanonicalUser " + owner + ":FULL_CONTROL"
	steps := []struct {
		name string
		by   *s3.Client
		acl  types.BucketCannedACL
		code string
		want string
	}{
		{"again without an ACL is private again", alice, "", "", private},
		{"again with public-read-write", alice, types.BucketCannedACLPublicReadWrite, "",
			"CanonicalUser " + owner + ":FULL_CONTROL Group " + allUsers + ":READ Group " + allUsers + ":WRITE"},
		{"again with public-read", alice, types.BucketCannedACLPublicRead, "", publicRead},
		{"by another user changes nothing", ts.client(ts.bob), types.BucketCannedACLPrivate, "BucketAlreadyExists", publicRead},
		{"with an ACL Quarry does not have changes nothing", alice, types.BucketCannedACL("log-delivery-write"), "NotImplemented", publicRead},
	}
	for _, s := range steps {
		err := create(s.by, s.acl)
		if s.code == "" && err != nil || s.code != "" && sdkCode(err) != s.code {
			t.Fatalf("CreateBucket %s: %v, want %q", s.name, err, s.code)
		}
		if got := grants(); got != s.want {
			t.Fatalf("CreateBucket %s: the ACL is %s, want %s", s.name, got, s.want)
		}
	}
	if got := ts.mustGet(ts.alice, "again", "k"); got != "kept" {
		t.Errorf("the bucket's object after creating it again: %q", got)
	}
}

package e2e

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/quarrylabs/quarry/internal/meta"
)

const (
	allUsersURI           = "http://acs.amazonaws.com/groups/global/AllUsers"
	authenticatedUsersURI = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"
)

// anonymous sends a request without credentials to the shared server.
func anonymous(t *testing.T, method, target string, body []byte) rawResponse {
	t.Helper()
	return do(t, sharedSrv, rawRequest{Method: method, Target: target, Body: body, Anonymous: true})
}

// grantList summarises an ACL as "Type grantee:PERMISSION" strings.
func grantList(grants []types.Grant) string {
	var out []string
	for _, g := range grants {
		who := aws.ToString(g.Grantee.ID)
		if g.Grantee.URI != nil {
			who = aws.ToString(g.Grantee.URI)
		}
		out = append(out, fmt.Sprintf("%s %s:%s", g.Grantee.Type, who, g.Permission))
	}
	return strings.Join(out, ", ")
}

func bucketGrants(t *testing.T, c *s3.Client, bucket string) (owner, grants string) {
	t.Helper()
	out, err := c.GetBucketAcl(t.Context(), &s3.GetBucketAclInput{Bucket: aws.String(bucket)})
	if err != nil {
		t.Fatalf("GetBucketAcl %s: %v", bucket, err)
	}
	return aws.ToString(out.Owner.ID), grantList(out.Grants)
}

func TestAPublicReadBucketServesAStaticSiteToAnyone(t *testing.T) {
	t.Parallel()
	c := rootClient()
	ctx := t.Context()
	bucket := bucketName(t)
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket), ACL: types.BucketCannedACLPublicRead}); err != nil {
		t.Fatalf("CreateBucket public-read: %v", err)
	}
	page := []byte("<html><body>hello, world</body></html>")
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("index.html"),
		Body: bytes.NewReader(page), ContentType: aws.String("text/html")}); err != nil {
		t.Fatal(err)
	}
	owner, grants := bucketGrants(t, c, bucket)
	if want := "CanonicalUser " + owner + ":FULL_CONTROL, Group " + allUsersURI + ":READ"; grants != want {
		t.Errorf("GetBucketAcl = %s, want %s", grants, want)
	}

	get := anonymous(t, http.MethodGet, "/"+bucket+"/index.html", nil)
	if get.Status != http.StatusOK || !bytes.Equal(get.Body, page) || get.Header.Get("Content-Type") != "text/html" {
		t.Errorf("anonymous GET of index.html: %s (%s)", get, get.Header.Get("Content-Type"))
	}
	if head := anonymous(t, http.MethodHead, "/"+bucket+"/index.html", nil); head.Status != http.StatusOK || head.Header.Get("Content-Length") != fmt.Sprint(len(page)) {
		t.Errorf("anonymous HEAD: %d, Content-Length %s", head.Status, head.Header.Get("Content-Length"))
	}
	for _, target := range []string{"/" + bucket + "?list-type=2", "/" + bucket} {
		list := anonymous(t, http.MethodGet, target, nil)
		if list.Status != http.StatusOK || !bytes.Contains(list.Body, []byte("<Key>index.html</Key>")) {
			t.Errorf("anonymous listing %s: %s", target, list)
		}
	}
	wantRaw(t, "anonymous GET of a missing page (the bucket may be listed)", anonymous(t, http.MethodGet, "/"+bucket+"/missing.html", nil), http.StatusNotFound, "NoSuchKey")
	wantRaw(t, "anonymous PUT into a public-read bucket", anonymous(t, http.MethodPut, "/"+bucket+"/defaced.html", []byte("x")), http.StatusForbidden, "AccessDenied")
	wantRaw(t, "anonymous DELETE from a public-read bucket", anonymous(t, http.MethodDelete, "/"+bucket+"/index.html", nil), http.StatusForbidden, "AccessDenied")
	wantRaw(t, "anonymous GetBucketAcl", anonymous(t, http.MethodGet, "/"+bucket+"?acl", nil), http.StatusForbidden, "AccessDenied")
	if _, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("defaced.html")}); errStatus(err) != http.StatusNotFound {
		t.Errorf("the refused anonymous PUT left an object: %v", err)
	}
	mustGet(t, c, bucket, "index.html", "") // the refused DELETE removed nothing

	// Made private again, it serves nobody anonymously.
	if _, err := c.PutBucketAcl(ctx, &s3.PutBucketAclInput{Bucket: aws.String(bucket), ACL: types.BucketCannedACLPrivate}); err != nil {
		t.Fatalf("PutBucketAcl private: %v", err)
	}
	if _, grants := bucketGrants(t, c, bucket); grants != "CanonicalUser "+owner+":FULL_CONTROL" {
		t.Errorf("GetBucketAcl after private = %s", grants)
	}
	wantRaw(t, "anonymous GET after PutBucketAcl private", anonymous(t, http.MethodGet, "/"+bucket+"/index.html", nil), http.StatusForbidden, "AccessDenied")
	wantRaw(t, "anonymous listing after PutBucketAcl private", anonymous(t, http.MethodGet, "/"+bucket+"?list-type=2", nil), http.StatusForbidden, "AccessDenied")
	wantRaw(t, "anonymous GET of a missing page of a private bucket", anonymous(t, http.MethodGet, "/"+bucket+"/missing.html", nil), http.StatusForbidden, "AccessDenied")
}

func TestAPublicReadWriteBucketTakesAnonymousWrites(t *testing.T) {
	t.Parallel()
	c := rootClient()
	ctx := t.Context()
	bucket := newBucket(t, c)
	if _, err := c.PutBucketAcl(ctx, &s3.PutBucketAclInput{Bucket: aws.String(bucket), ACL: types.BucketCannedACLPublicReadWrite}); err != nil {
		t.Fatalf("PutBucketAcl public-read-write: %v", err)
	}
	owner, grants := bucketGrants(t, c, bucket)
	if want := "CanonicalUser " + owner + ":FULL_CONTROL, Group " + allUsersURI + ":READ, Group " + allUsersURI + ":WRITE"; grants != want {
		t.Errorf("GetBucketAcl = %s, want %s", grants, want)
	}
	body := []byte("dropped off anonymously")
	wantRaw(t, "anonymous PUT", anonymous(t, http.MethodPut, "/"+bucket+"/drop", body), http.StatusOK, "")
	if got, _ := mustGet(t, c, bucket, "drop", ""); !bytes.Equal(got, body) {
		t.Errorf("the owner reads %q, want %q", got, body)
	}
	acl, err := c.GetObjectAcl(ctx, &s3.GetObjectAclInput{Bucket: aws.String(bucket), Key: aws.String("drop")})
	if err != nil {
		t.Fatal(err)
	}
	if got := aws.ToString(acl.Owner.ID); got != owner {
		t.Errorf("owner of the anonymous upload = %s, want the bucket owner %s", got, owner)
	}
	if got := anonymous(t, http.MethodGet, "/"+bucket+"/drop", nil); got.Status != http.StatusOK || !bytes.Equal(got.Body, body) {
		t.Errorf("anonymous GET back: %s", got)
	}
	wantRaw(t, "anonymous DELETE", anonymous(t, http.MethodDelete, "/"+bucket+"/drop", nil), http.StatusNoContent, "")
	if _, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("drop")}); errStatus(err) != http.StatusNotFound {
		t.Errorf("HeadObject after the anonymous DELETE: %v, want 404", err)
	}
	// What only a user may do stays refused, whatever the ACL.
	wantRaw(t, "anonymous CreateMultipartUpload", anonymous(t, http.MethodPost, "/"+bucket+"/big?uploads", nil), http.StatusForbidden, "AccessDenied")
	wantRaw(t, "anonymous PutBucketAcl", do(t, sharedSrv, rawRequest{Method: http.MethodPut, Target: "/" + bucket + "?acl",
		Header: map[string]string{"x-amz-acl": "private"}, Anonymous: true}), http.StatusForbidden, "AccessDenied")
	wantRaw(t, "anonymous DeleteBucket", anonymous(t, http.MethodDelete, "/"+bucket, nil), http.StatusForbidden, "AccessDenied")
	wantRaw(t, "anonymous ListBuckets", anonymous(t, http.MethodGet, "/", nil), http.StatusForbidden, "AccessDenied")
	wantRaw(t, "anonymous CreateBucket", anonymous(t, http.MethodPut, "/"+bucketName(t), nil), http.StatusForbidden, "AccessDenied")
}

func TestAPublicReadObjectOfAPrivateBucket(t *testing.T) {
	t.Parallel()
	c := rootClient()
	ctx := t.Context()
	bucket := newBucket(t, c)
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("shared.txt"),
		Body: strings.NewReader("for everyone"), ACL: types.ObjectCannedACLPublicRead}); err != nil {
		t.Fatalf("PutObject public-read: %v", err)
	}
	putObject(t, c, bucket, "private.txt", []byte("for me"))
	acl, err := c.GetObjectAcl(ctx, &s3.GetObjectAclInput{Bucket: aws.String(bucket), Key: aws.String("shared.txt")})
	if err != nil {
		t.Fatal(err)
	}
	owner := aws.ToString(acl.Owner.ID)
	if got, want := grantList(acl.Grants), "CanonicalUser "+owner+":FULL_CONTROL, Group "+allUsersURI+":READ"; got != want {
		t.Errorf("GetObjectAcl = %s, want %s", got, want)
	}
	if got := anonymous(t, http.MethodGet, "/"+bucket+"/shared.txt", nil); got.Status != http.StatusOK || string(got.Body) != "for everyone" {
		t.Errorf("anonymous GET of the public-read object: %s", got)
	}
	wantRaw(t, "anonymous GET of the private object", anonymous(t, http.MethodGet, "/"+bucket+"/private.txt", nil), http.StatusForbidden, "AccessDenied")
	wantRaw(t, "anonymous listing of the private bucket", anonymous(t, http.MethodGet, "/"+bucket+"?list-type=2", nil), http.StatusForbidden, "AccessDenied")
	wantRaw(t, "anonymous GetObjectAcl", anonymous(t, http.MethodGet, "/"+bucket+"/shared.txt?acl", nil), http.StatusForbidden, "AccessDenied")

	// PutObjectAcl changes who may read.
	if _, err := c.PutObjectAcl(ctx, &s3.PutObjectAclInput{Bucket: aws.String(bucket), Key: aws.String("private.txt"), ACL: types.ObjectCannedACLPublicRead}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutObjectAcl(ctx, &s3.PutObjectAclInput{Bucket: aws.String(bucket), Key: aws.String("shared.txt"), ACL: types.ObjectCannedACLPrivate}); err != nil {
		t.Fatal(err)
	}
	wantRaw(t, "anonymous GET after PutObjectAcl public-read", anonymous(t, http.MethodGet, "/"+bucket+"/private.txt", nil), http.StatusOK, "")
	wantRaw(t, "anonymous GET after PutObjectAcl private", anonymous(t, http.MethodGet, "/"+bucket+"/shared.txt", nil), http.StatusForbidden, "AccessDenied")

	// The ACL document GetObjectAcl answers can be put back as is.
	acl, err = c.GetObjectAcl(ctx, &s3.GetObjectAclInput{Bucket: aws.String(bucket), Key: aws.String("private.txt")})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.PutObjectAcl(ctx, &s3.PutObjectAclInput{Bucket: aws.String(bucket), Key: aws.String("private.txt"),
		AccessControlPolicy: &types.AccessControlPolicy{Owner: acl.Owner, Grants: acl.Grants}})
	if err != nil {
		t.Errorf("PutObjectAcl with the document GetObjectAcl answered: %v", err)
	}
	wantRaw(t, "anonymous GET after putting the same document back", anonymous(t, http.MethodGet, "/"+bucket+"/private.txt", nil), http.StatusOK, "")

	// A copy is private unless the copy asks otherwise.
	if _, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(bucket), Key: aws.String("copy.txt"), CopySource: aws.String(bucket + "/private.txt")}); err != nil {
		t.Fatal(err)
	}
	wantRaw(t, "anonymous GET of a copy of a public-read object", anonymous(t, http.MethodGet, "/"+bucket+"/copy.txt", nil), http.StatusForbidden, "AccessDenied")
	if _, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(bucket), Key: aws.String("copy2.txt"), CopySource: aws.String(bucket + "/private.txt"),
		ACL: types.ObjectCannedACLPublicRead}); err != nil {
		t.Fatal(err)
	}
	wantRaw(t, "anonymous GET of a copy made public-read", anonymous(t, http.MethodGet, "/"+bucket+"/copy2.txt", nil), http.StatusOK, "")

	// A multipart upload gets its ACL when it completes.
	mp, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String("big.bin"),
		ACL: types.ObjectCannedACLPublicRead})
	if err != nil {
		t.Fatal(err)
	}
	part, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String(bucket), Key: aws.String("big.bin"), UploadId: mp.UploadId,
		PartNumber: aws.Int32(1), Body: strings.NewReader("one part")})
	if err != nil {
		t.Fatal(err)
	}
	wantRaw(t, "anonymous GET while the upload is in progress", anonymous(t, http.MethodGet, "/"+bucket+"/big.bin", nil), http.StatusForbidden, "AccessDenied")
	if _, err := c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String("big.bin"), UploadId: mp.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{{PartNumber: aws.Int32(1), ETag: part.ETag, ChecksumCRC32: part.ChecksumCRC32}}}}); err != nil {
		t.Fatal(err)
	}
	if got := anonymous(t, http.MethodGet, "/"+bucket+"/big.bin", nil); got.Status != http.StatusOK || string(got.Body) != "one part" {
		t.Errorf("anonymous GET of a completed public-read upload: %s", got)
	}
}

func TestAuthenticatedReadLetsEveryUserRead(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	run := bucketSeq.Add(1)
	aliceAK, aliceSK := createUser(t, sharedSrv, fmt.Sprintf("aclalice%d", run), meta.RoleUser)
	bobAK, bobSK := createUser(t, sharedSrv, fmt.Sprintf("aclbob%d", run), meta.RoleUser)
	alice := s3Client(sharedSrv.S3URL, aliceAK, aliceSK)
	bob := s3Client(sharedSrv.S3URL, bobAK, bobSK)

	bucket := bucketName(t)
	if _, err := alice.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket), ACL: types.BucketCannedACLAuthenticatedRead}); err != nil {
		t.Fatalf("CreateBucket authenticated-read: %v", err)
	}
	putObject(t, alice, bucket, "memo", []byte("for colleagues"))
	owner, grants := bucketGrants(t, alice, bucket)
	if want := "CanonicalUser " + owner + ":FULL_CONTROL, Group " + authenticatedUsersURI + ":READ"; grants != want {
		t.Errorf("GetBucketAcl = %s, want %s", grants, want)
	}
	if got, _ := mustGet(t, bob, bucket, "memo", ""); string(got) != "for colleagues" {
		t.Errorf("bob reads %q", got)
	}
	list, err := bob.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
	if err != nil || len(list.Contents) != 1 {
		t.Errorf("bob's listing: %v, %v", list, err)
	}
	_, err = bob.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("bobs"), Body: strings.NewReader("x")})
	wantErr(t, "bob writing to an authenticated-read bucket", err, http.StatusForbidden, "AccessDenied")
	_, err = bob.GetBucketAcl(ctx, &s3.GetBucketAclInput{Bucket: aws.String(bucket)})
	wantErr(t, "bob reading the bucket's ACL", err, http.StatusForbidden, "AccessDenied")
	wantRaw(t, "anonymous GET of an authenticated-read bucket's object", anonymous(t, http.MethodGet, "/"+bucket+"/memo", nil), http.StatusForbidden, "AccessDenied")
	wantRaw(t, "anonymous listing of an authenticated-read bucket", anonymous(t, http.MethodGet, "/"+bucket+"?list-type=2", nil), http.StatusForbidden, "AccessDenied")

	// The same at object level, in a private bucket.
	private := newBucket(t, alice)
	if _, err := alice.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(private), Key: aws.String("memo"),
		Body: strings.NewReader("one memo"), ACL: types.ObjectCannedACLAuthenticatedRead}); err != nil {
		t.Fatal(err)
	}
	putObject(t, alice, private, "diary", []byte("mine"))
	if got, _ := mustGet(t, bob, private, "memo", ""); string(got) != "one memo" {
		t.Errorf("bob reads the authenticated-read object: %q", got)
	}
	_, err = bob.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(private), Key: aws.String("diary")})
	wantErr(t, "bob reading a private object", err, http.StatusForbidden, "AccessDenied")
	_, err = bob.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(private)})
	wantErr(t, "bob listing the private bucket", err, http.StatusForbidden, "AccessDenied")
	wantRaw(t, "anonymous GET of the authenticated-read object", anonymous(t, http.MethodGet, "/"+private+"/memo", nil), http.StatusForbidden, "AccessDenied")
}

func TestACLsThatCannotBeHonouredAnswerNotImplemented(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	run := bucketSeq.Add(1)
	bobAK, bobSK := createUser(t, sharedSrv, fmt.Sprintf("aclni%d", run), meta.RoleUser)
	bob := s3Client(sharedSrv.S3URL, bobAK, bobSK)
	bobBucket := newBucket(t, bob)
	bobID, _ := bucketGrants(t, bob, bobBucket)

	c := rootClient()
	bucket := newBucket(t, c)
	putObject(t, c, bucket, "k", []byte("v"))
	owner, before := bucketGrants(t, c, bucket)
	ownerGrant := types.Grant{Grantee: &types.Grantee{Type: types.TypeCanonicalUser, ID: aws.String(owner)}, Permission: types.PermissionFullControl}
	policy := func(extra ...types.Grant) *types.AccessControlPolicy {
		return &types.AccessControlPolicy{Owner: &types.Owner{ID: aws.String(owner)}, Grants: append([]types.Grant{ownerGrant}, extra...)}
	}
	calls := []struct {
		name string
		call func() error
	}{
		{"PutBucketAcl granting another user READ", func() error {
			_, err := c.PutBucketAcl(ctx, &s3.PutBucketAclInput{Bucket: aws.String(bucket), AccessControlPolicy: policy(types.Grant{
				Grantee: &types.Grantee{Type: types.TypeCanonicalUser, ID: aws.String(bobID)}, Permission: types.PermissionRead})})
			return err
		}},
		{"PutBucketAcl granting the log delivery group WRITE", func() error {
			_, err := c.PutBucketAcl(ctx, &s3.PutBucketAclInput{Bucket: aws.String(bucket), AccessControlPolicy: policy(types.Grant{
				Grantee: &types.Grantee{Type: types.TypeGroup, URI: aws.String("http://acs.amazonaws.com/groups/s3/LogDelivery")}, Permission: types.PermissionWrite})})
			return err
		}},
		{"PutBucketAcl granting everyone READ_ACP", func() error {
			_, err := c.PutBucketAcl(ctx, &s3.PutBucketAclInput{Bucket: aws.String(bucket), AccessControlPolicy: policy(types.Grant{
				Grantee: &types.Grantee{Type: types.TypeGroup, URI: aws.String(allUsersURI)}, Permission: types.PermissionReadAcp})})
			return err
		}},
		{"PutBucketAcl with x-amz-grant-read for a user", func() error {
			_, err := c.PutBucketAcl(ctx, &s3.PutBucketAclInput{Bucket: aws.String(bucket), GrantRead: aws.String(`id="` + bobID + `"`)})
			return err
		}},
		{"PutBucketAcl log-delivery-write", func() error {
			_, err := c.PutBucketAcl(ctx, &s3.PutBucketAclInput{Bucket: aws.String(bucket), ACL: types.BucketCannedACL("log-delivery-write")})
			return err
		}},
		{"PutObject bucket-owner-full-control", func() error {
			_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("refused"), Body: strings.NewReader("x"),
				ACL: types.ObjectCannedACLBucketOwnerFullControl})
			return err
		}},
		{"PutObject with x-amz-grant-full-control for a user", func() error {
			_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("refused"), Body: strings.NewReader("x"),
				GrantFullControl: aws.String(`id="` + bobID + `"`)})
			return err
		}},
		{"PutObjectAcl aws-exec-read", func() error {
			_, err := c.PutObjectAcl(ctx, &s3.PutObjectAclInput{Bucket: aws.String(bucket), Key: aws.String("k"), ACL: types.ObjectCannedACLAwsExecRead})
			return err
		}},
		{"CreateBucket bucket-owner-read", func() error {
			_, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucketName(t)), ACL: types.BucketCannedACL("bucket-owner-read")})
			return err
		}},
	}
	for _, call := range calls {
		wantErr(t, call.name, call.call(), http.StatusNotImplemented, "NotImplemented")
	}
	if _, after := bucketGrants(t, c, bucket); after != before {
		t.Errorf("bucket ACL after refused calls = %s, want %s", after, before)
	}
	objectACL, err := c.GetObjectAcl(ctx, &s3.GetObjectAclInput{Bucket: aws.String(bucket), Key: aws.String("k")})
	if err != nil || grantList(objectACL.Grants) != "CanonicalUser "+owner+":FULL_CONTROL" {
		t.Errorf("object ACL after refused calls = %v, %v", grantList(objectACL.Grants), err)
	}
	if _, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("refused")}); errStatus(err) != http.StatusNotFound {
		t.Errorf("a refused PutObject stored an object: %v", err)
	}
	// Bob's bucket still belongs to bob alone: the refused grant gave him nothing.
	_, err = bob.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("k")})
	wantErr(t, "bob reading after the refused grant", err, http.StatusForbidden, "AccessDenied")
}

// TestACLsAndCORSChangesAreRecordedInTheEventLog: setting a bucket's ACL
// (PutBucketAcl, or creating an own bucket again in us-east-1) and setting
// or removing its CORS configuration are bucket configuration changes,
// which system/events shows with who made them.
func TestACLsAndCORSChangesAreRecordedInTheEventLog(t *testing.T) {
	t.Parallel()
	c := rootClient()
	ctx := t.Context()
	bucket := newBucket(t, c)
	if _, err := c.PutBucketAcl(ctx, &s3.PutBucketAclInput{Bucket: aws.String(bucket), ACL: types.BucketCannedACLPublicRead}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket), ACL: types.BucketCannedACLAuthenticatedRead}); err != nil {
		t.Fatalf("CreateBucket of an own bucket again: %v", err)
	}
	putCORS(t, c, bucket, types.CORSRule{AllowedMethods: []string{"GET"}, AllowedOrigins: []string{"*"}})
	if _, err := c.DeleteBucketCors(ctx, &s3.DeleteBucketCorsInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteBucketCors(ctx, &s3.DeleteBucketCorsInput{Bucket: aws.String(bucket)}); err != nil { // none left: nothing recorded
		t.Fatal(err)
	}
	root := mapiRoot(t, sharedSrv)
	subject := "bucket/" + bucket
	of := func(typeID string) []vendorEvent {
		var out []vendorEvent
		for _, e := range root.events("system/events", "eventTypeId="+typeID+"&count=1000") {
			if e.Subject == subject {
				out = append(out, e)
			}
		}
		return out
	}
	acls := of("20512")
	if len(acls) != 2 || !strings.Contains(acls[0].Message, "authenticated-read") || !strings.Contains(acls[1].Message, "public-read") {
		t.Fatalf("BUCKET_ACL_SET events of %s: %+v, want the CreateBucket's authenticated-read after the PutBucketAcl's public-read", bucket, acls)
	}
	for _, w := range []struct {
		typeID string
		events []vendorEvent
		count  int
	}{{"20512", acls, 2}, {"20513", of("20513"), 1}, {"20514", of("20514"), 1}} {
		if len(w.events) != w.count {
			t.Errorf("events %s about %s: %+v, want %d", w.typeID, subject, w.events, w.count)
			continue
		}
		for _, e := range w.events {
			if e.Actor != rootUser || e.Category != "BUCKET" || e.Severity != "INFO" || e.Message == "" {
				t.Errorf("event %+v: want done by %s, BUCKET, INFO, with a message", e, rootUser)
			}
		}
	}
}

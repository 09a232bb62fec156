package e2e

import (
	"bytes"
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/quarrylabs/quarry/internal/meta"
)

// TestCreatingAnOwnBucketAgain follows S3: in us-east-1 creating a bucket
// one already owns answers 200 and leaves its objects and configuration as
// they were, but resets its ACL to the request's (S3's legacy behaviour
// there); another user gets BucketAlreadyExists and changes nothing.
func TestCreatingAnOwnBucketAgain(t *testing.T) {
	t.Parallel()
	c := rootClient()
	ctx := t.Context()
	bucket := newBucket(t, c)
	setVersioning(t, c, bucket, types.BucketVersioningStatusEnabled)
	putObject(t, c, bucket, "kept", []byte("still here"))

	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatalf("CreateBucket of an own bucket in us-east-1: %v, want 200", err)
	}
	if got, _ := mustGet(t, c, bucket, "kept", ""); !bytes.Equal(got, []byte("still here")) {
		t.Errorf("the bucket's object after creating it again: %q", got)
	}
	v, err := c.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: aws.String(bucket)})
	if err != nil || v.Status != types.BucketVersioningStatusEnabled {
		t.Errorf("versioning after creating the bucket again: %q %v, want Enabled", v.Status, err)
	}

	if _, err := c.PutBucketAcl(ctx, &s3.PutBucketAclInput{Bucket: aws.String(bucket), ACL: types.BucketCannedACLPublicRead}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatalf("CreateBucket again without an ACL: %v", err)
	}
	owner, grants := bucketGrants(t, c, bucket)
	if want := "CanonicalUser " + owner + ":FULL_CONTROL"; grants != want {
		t.Errorf("ACL after creating the bucket again without one: %s, want it reset to private (%s)", grants, want)
	}
	wantRaw(t, "anonymous GET once the ACL is reset", anonymous(t, http.MethodGet, "/"+bucket+"/kept", nil), http.StatusForbidden, "AccessDenied")
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket), ACL: types.BucketCannedACLPublicRead}); err != nil {
		t.Fatalf("CreateBucket again with public-read: %v", err)
	}
	publicRead := "CanonicalUser " + owner + ":FULL_CONTROL, Group " + allUsersURI + ":READ"
	if _, grants := bucketGrants(t, c, bucket); grants != publicRead {
		t.Errorf("ACL after creating the bucket again with public-read: %s, want %s", grants, publicRead)
	}
	if r := anonymous(t, http.MethodGet, "/"+bucket+"/kept", nil); r.Status != http.StatusOK || string(r.Body) != "still here" {
		t.Errorf("anonymous GET once the bucket is public-read again: %s", r)
	}

	ak, sk := createUser(t, sharedSrv, "recreator", meta.RoleUser)
	_, err = s3Client(sharedSrv.S3URL, ak, sk).CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)})
	wantErr(t, "CreateBucket of another user's bucket", err, http.StatusConflict, "BucketAlreadyExists")
	if _, grants := bucketGrants(t, c, bucket); grants != publicRead {
		t.Errorf("ACL after another user's CreateBucket: %s, want it unchanged (%s)", grants, publicRead)
	}
}

// TestBucketsInAnotherRegion runs a server for eu-west-1: there creating an
// own bucket again is BucketAlreadyOwnedByYou (and leaves its ACL), and a
// LocationConstraint naming the server's region (or its AWS alias) is
// accepted.
func TestBucketsInAnotherRegion(t *testing.T) {
	t.Parallel()
	srv := startServer(t, serverOptions{Args: []string{"--region", "eu-west-1"}})
	c := s3Client(srv.S3URL, srv.AccessKey, srv.SecretKey, func(o *s3.Options) { o.Region = "eu-west-1" })
	ctx := t.Context()
	create := func(name string, constraint types.BucketLocationConstraint) error {
		in := &s3.CreateBucketInput{Bucket: aws.String(name)}
		if constraint != "" {
			in.CreateBucketConfiguration = &types.CreateBucketConfiguration{LocationConstraint: constraint}
		}
		_, err := c.CreateBucket(ctx, in)
		return err
	}
	for _, tt := range []struct {
		name       string
		constraint types.BucketLocationConstraint
	}{
		{"plain", ""}, {"own-region", "eu-west-1"}, {"alias", "EU"},
	} {
		bucket := "region-" + tt.name
		if err := create(bucket, tt.constraint); err != nil {
			t.Fatalf("CreateBucket with constraint %q on an eu-west-1 server: %v", tt.constraint, err)
		}
		wantErr(t, "creating "+bucket+" again", create(bucket, tt.constraint), http.StatusConflict, "BucketAlreadyOwnedByYou")
		loc, err := c.GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: aws.String(bucket)})
		if err != nil || loc.LocationConstraint != "eu-west-1" {
			t.Errorf("GetBucketLocation %s: %q %v, want eu-west-1", bucket, loc.LocationConstraint, err)
		}
	}
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("region-public"), ACL: types.BucketCannedACLPublicRead}); err != nil {
		t.Fatal(err)
	}
	_, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("region-public"), ACL: types.BucketCannedACLPrivate})
	wantErr(t, "creating region-public again as private", err, http.StatusConflict, "BucketAlreadyOwnedByYou")
	if owner, grants := bucketGrants(t, c, "region-public"); grants != "CanonicalUser "+owner+":FULL_CONTROL, Group "+allUsersURI+":READ" {
		t.Errorf("ACL after BucketAlreadyOwnedByYou: %s, want public-read kept", grants)
	}
	wantErr(t, "CreateBucket for us-west-2 on an eu-west-1 server", create("region-elsewhere", "us-west-2"), http.StatusBadRequest, "IllegalLocationConstraintException")
}

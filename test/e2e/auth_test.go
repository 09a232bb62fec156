package e2e

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/quarrylabs/quarry/internal/meta"
)

func TestPresignedURLsWorkWithPlainHTTP(t *testing.T) {
	t.Parallel()
	c := rootClient()
	ctx := t.Context()
	bucket := newBucket(t, c)
	presign := s3.NewPresignClient(c)
	body := []byte("uploaded through a presigned URL")

	put, err := presign.PresignPutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("pre")},
		s3.WithPresignExpires(5*time.Minute))
	if err != nil {
		t.Fatalf("PresignPutObject: %v", err)
	}
	req, err := http.NewRequestWithContext(ctx, put.Method, put.URL, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, vs := range put.SignedHeader {
		if !strings.EqualFold(k, "Host") {
			req.Header[k] = vs
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("presigned PUT: %v", err)
	}
	msg, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("presigned PUT: %d %s", resp.StatusCode, msg)
	}
	if got, _ := mustGet(t, c, bucket, "pre", ""); !bytes.Equal(got, body) {
		t.Errorf("object from presigned PUT = %q, want %q", got, body)
	}

	get, err := presign.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("pre")},
		s3.WithPresignExpires(5*time.Minute))
	if err != nil {
		t.Fatalf("PresignGetObject: %v", err)
	}
	resp, err = http.Get(get.URL)
	if err != nil {
		t.Fatalf("presigned GET: %v", err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !bytes.Equal(got, body) {
		t.Errorf("presigned GET: %d %q, want 200 %q", resp.StatusCode, got, body)
	}

	// A presigned URL is for one key: changing the path breaks it.
	resp, err = http.Get(strings.Replace(get.URL, "/pre?", "/other?", 1))
	if err != nil {
		t.Fatalf("tampered presigned GET: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("presigned GET for another key: %d, want 403", resp.StatusCode)
	}

	expiring, err := presign.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("pre")},
		s3.WithPresignExpires(time.Second))
	if err != nil {
		t.Fatalf("PresignGetObject: %v", err)
	}
	time.Sleep(2100 * time.Millisecond)
	resp, err = http.Get(expiring.URL)
	if err != nil {
		t.Fatalf("expired presigned GET: %v", err)
	}
	msg, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("expired presigned GET: %d %s, want 403", resp.StatusCode, msg)
	}
}

func TestBadCredentialsAreRefused(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	_, err := s3Client(sharedSrv.S3URL, rootAccessKey, "not-the-secret").ListBuckets(ctx, &s3.ListBucketsInput{})
	wantErr(t, "ListBuckets with a wrong secret key", err, http.StatusForbidden, "SignatureDoesNotMatch")
	_, err = s3Client(sharedSrv.S3URL, "NOSUCHACCESSKEY00000", "whatever").ListBuckets(ctx, &s3.ListBucketsInput{})
	wantErr(t, "ListBuckets with an unknown access key", err, http.StatusForbidden, "InvalidAccessKeyId")

	c := rootClient()
	bucket := newBucket(t, c)
	putObject(t, c, bucket, "private", []byte("secret"))
	for _, target := range []string{"/", "/" + bucket, "/" + bucket + "/private"} {
		r := do(t, sharedSrv, rawRequest{Method: http.MethodGet, Target: target, Anonymous: true})
		wantRaw(t, "anonymous GET "+target, r, http.StatusForbidden, "AccessDenied")
	}
	r := do(t, sharedSrv, rawRequest{Method: http.MethodPut, Target: "/" + bucket + "/anon", Body: []byte("x"), Anonymous: true})
	wantRaw(t, "anonymous PUT", r, http.StatusForbidden, "AccessDenied")

	skewed := do(t, sharedSrv, rawRequest{Method: http.MethodGet, Target: "/" + bucket + "/private", SignTime: time.Now().Add(-20 * time.Minute)})
	wantRaw(t, "request signed 20 minutes ago", skewed, http.StatusForbidden, "RequestTimeTooSkewed")
	future := do(t, sharedSrv, rawRequest{Method: http.MethodGet, Target: "/" + bucket + "/private", SignTime: time.Now().Add(20 * time.Minute)})
	wantRaw(t, "request signed 20 minutes ahead", future, http.StatusForbidden, "RequestTimeTooSkewed")

	// A body that differs from the signed payload hash.
	req := rawRequest{Method: http.MethodPut, Target: "/" + bucket + "/tampered", Body: []byte("signed body")}
	httpReq, err := buildRaw(ctx, sharedSrv.S3URL, req)
	if err != nil {
		t.Fatal(err)
	}
	httpReq.Body = io.NopCloser(strings.NewReader("other body!"))
	resp, err := http.DefaultClient.Do(httpReq)
	if err != nil {
		t.Fatalf("PUT with a body that does not match its hash: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode < 400 || resp.StatusCode >= 500 {
		t.Errorf("PUT with a body that does not match its signed hash: %d, want a 4xx", resp.StatusCode)
	}
	_, err = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("tampered")})
	wantErr(t, "HeadObject of a tampered upload", err, http.StatusNotFound, "")
}

func TestUsersCannotUseEachOthersBuckets(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	// Unique names, so that -count=N can run this again on the same server.
	run := bucketSeq.Add(1)
	aliceAK, aliceSK := createUser(t, sharedSrv, fmt.Sprintf("alice%d", run), meta.RoleUser)
	bobAK, bobSK := createUser(t, sharedSrv, fmt.Sprintf("bob%d", run), meta.RoleUser)
	alice := s3Client(sharedSrv.S3URL, aliceAK, aliceSK)
	bob := s3Client(sharedSrv.S3URL, bobAK, bobSK)
	root := rootClient()

	aliceBucket := newBucket(t, alice)
	putObject(t, alice, aliceBucket, "diary", []byte("dear diary"))
	b := aws.String(aliceBucket)
	denied := []struct {
		name string
		call func() error
	}{
		{"GetObject", func() error {
			_, err := bob.GetObject(ctx, &s3.GetObjectInput{Bucket: b, Key: aws.String("diary")})
			return err
		}},
		{"PutObject", func() error {
			_, err := bob.PutObject(ctx, &s3.PutObjectInput{Bucket: b, Key: aws.String("graffiti"), Body: strings.NewReader("x")})
			return err
		}},
		{"ListObjectsV2", func() error { _, err := bob.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: b}); return err }},
		{"ListObjectVersions", func() error {
			_, err := bob.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: b})
			return err
		}},
		{"DeleteObject", func() error {
			_, err := bob.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: b, Key: aws.String("diary")})
			return err
		}},
		{"DeleteObjects", func() error {
			_, err := bob.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: b, Delete: &types.Delete{Objects: []types.ObjectIdentifier{{Key: aws.String("diary")}}}})
			return err
		}},
		{"DeleteBucket", func() error { _, err := bob.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: b}); return err }},
		{"PutBucketVersioning", func() error {
			_, err := bob.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: b, VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}})
			return err
		}},
		{"CopyObject from it", func() error {
			_, err := bob.CopyObject(ctx, &s3.CopyObjectInput{Bucket: b, Key: aws.String("copy"), CopySource: aws.String(aliceBucket + "/diary")})
			return err
		}},
		{"CreateMultipartUpload", func() error {
			_, err := bob.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: b, Key: aws.String("mp")})
			return err
		}},
	}
	for _, d := range denied {
		wantErr(t, "bob's "+d.name+" on alice's bucket", d.call(), http.StatusForbidden, "AccessDenied")
	}
	_, err := bob.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: b})
	wantErr(t, "bob's HeadBucket on alice's bucket", err, http.StatusForbidden, "")
	_, err = bob.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: b})
	wantErr(t, "bob creating alice's bucket name", err, http.StatusConflict, "BucketAlreadyExists")

	bobBucket := newBucket(t, bob)
	// Bob may not copy alice's object into his own bucket either.
	_, err = bob.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(bobBucket), Key: aws.String("stolen"), CopySource: aws.String(aliceBucket + "/diary")})
	wantErr(t, "bob copying from alice's bucket into his", err, http.StatusForbidden, "AccessDenied")

	list, err := bob.ListBuckets(ctx, &s3.ListBucketsInput{})
	if err != nil {
		t.Fatalf("bob's ListBuckets: %v", err)
	}
	var names []string
	for _, bk := range list.Buckets {
		names = append(names, aws.ToString(bk.Name))
	}
	if !slices.Equal(names, []string{bobBucket}) {
		t.Errorf("bob's ListBuckets = %v, want only %s", names, bobBucket)
	}
	if got, _ := mustGet(t, alice, aliceBucket, "diary", ""); string(got) != "dear diary" {
		t.Errorf("alice's object after bob's attempts = %q", got)
	}

	// Root is an admin and may use bob's bucket.
	putObject(t, root, bobBucket, "from-root", []byte("hi bob"))
	if got, _ := mustGet(t, root, bobBucket, "from-root", ""); string(got) != "hi bob" {
		t.Errorf("root reading bob's bucket = %q", got)
	}
	if keys := listKeys(t, root, bobBucket, ""); !slices.Equal(keys, []string{"from-root"}) {
		t.Errorf("root listing bob's bucket = %v", keys)
	}
	rootList, err := root.ListBuckets(ctx, &s3.ListBucketsInput{})
	if err != nil {
		t.Fatalf("root ListBuckets: %v", err)
	}
	seen := 0
	for _, bk := range rootList.Buckets {
		if n := aws.ToString(bk.Name); n == bobBucket || n == aliceBucket {
			seen++
		}
	}
	if seen != 2 {
		t.Errorf("root's ListBuckets shows %d of alice's and bob's buckets, want 2", seen)
	}
}

func TestEveryResponseCarriesARequestID(t *testing.T) {
	t.Parallel()
	c := rootClient()
	bucket := newBucket(t, c)
	putObject(t, c, bucket, "k", []byte("v"))
	tests := []struct {
		name   string
		req    rawRequest
		status int
	}{
		{"ListBuckets", rawRequest{Method: http.MethodGet, Target: "/"}, 200},
		{"GetObject", rawRequest{Method: http.MethodGet, Target: "/" + bucket + "/k"}, 200},
		{"HeadObject", rawRequest{Method: http.MethodHead, Target: "/" + bucket + "/k"}, 200},
		{"HeadObject of a missing key", rawRequest{Method: http.MethodHead, Target: "/" + bucket + "/missing"}, 404},
		{"GetObject of a missing key", rawRequest{Method: http.MethodGet, Target: "/" + bucket + "/missing"}, 404},
		{"GetObject of a missing bucket", rawRequest{Method: http.MethodGet, Target: "/no-such-bucket-zz/k"}, 404},
		{"anonymous request", rawRequest{Method: http.MethodGet, Target: "/" + bucket, Anonymous: true}, 403},
		{"invalid bucket name", rawRequest{Method: http.MethodPut, Target: "/Bad_Name"}, 400},
		{"bad signature", rawRequest{Method: http.MethodGet, Target: "/", SecretKey: "wrong", AccessKey: rootAccessKey}, 403},
	}
	for _, tt := range tests {
		r := do(t, sharedSrv, tt.req)
		wantRaw(t, tt.name, r, tt.status, "")
		if tt.status >= 400 && tt.req.Method != http.MethodHead && !bytes.Contains(r.Body, []byte("<RequestId>")) {
			t.Errorf("%s: error body has no <RequestId>: %s", tt.name, r.Body)
		}
	}
}

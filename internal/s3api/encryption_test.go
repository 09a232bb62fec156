package s3api

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

func TestBucketEncryptionRoundTripsAsAWSWritesIt(t *testing.T) {
	ts := newTestServer(t)
	ts.mustCreateBucket(ts.alice, "vault")
	c := ts.client(ts.alice)
	ctx := context.Background()

	_, err := c.GetBucketEncryption(ctx, &s3.GetBucketEncryptionInput{Bucket: aws.String("vault")})
	wantCode(t, err, "ServerSideEncryptionConfigurationNotFoundError", http.StatusNotFound)

	_, err = c.PutBucketEncryption(ctx, &s3.PutBucketEncryptionInput{
		Bucket: aws.String("vault"),
		ServerSideEncryptionConfiguration: &types.ServerSideEncryptionConfiguration{Rules: []types.ServerSideEncryptionRule{{
			ApplyServerSideEncryptionByDefault: &types.ServerSideEncryptionByDefault{SSEAlgorithm: types.ServerSideEncryptionAes256},
			BucketKeyEnabled:                   aws.Bool(true),
		}}},
	})
	if err != nil {
		t.Fatalf("put bucket encryption: %v", err)
	}
	out, err := c.GetBucketEncryption(ctx, &s3.GetBucketEncryptionInput{Bucket: aws.String("vault")})
	if err != nil {
		t.Fatalf("get bucket encryption: %v", err)
	}
	rules := out.ServerSideEncryptionConfiguration.Rules
	if len(rules) != 1 || rules[0].ApplyServerSideEncryptionByDefault.SSEAlgorithm != types.ServerSideEncryptionAes256 ||
		!aws.ToBool(rules[0].BucketKeyEnabled) {
		t.Fatalf("rules = %+v", rules)
	}

	put := ts.mustPut(ts.alice, "vault", "k", "by default")
	if put.ServerSideEncryption != types.ServerSideEncryptionAes256 {
		t.Errorf("PUT into a bucket with a default answers encryption %q", put.ServerSideEncryption)
	}

	_, err = ts.client(ts.bob).GetBucketEncryption(ctx, &s3.GetBucketEncryptionInput{Bucket: aws.String("vault")})
	wantCode(t, err, "AccessDenied", http.StatusForbidden)

	if _, err := c.DeleteBucketEncryption(ctx, &s3.DeleteBucketEncryptionInput{Bucket: aws.String("vault")}); err != nil {
		t.Fatalf("delete bucket encryption: %v", err)
	}
	_, err = c.GetBucketEncryption(ctx, &s3.GetBucketEncryptionInput{Bucket: aws.String("vault")})
	wantCode(t, err, "ServerSideEncryptionConfigurationNotFoundError", http.StatusNotFound)
	if put := ts.mustPut(ts.alice, "vault", "k2", "plain"); put.ServerSideEncryption != "" {
		t.Errorf("PUT after the default was removed answers encryption %q", put.ServerSideEncryption)
	}
}

func TestBadBucketEncryptionDocumentsAreRefused(t *testing.T) {
	ts := newTestServer(t)
	ts.mustCreateBucket(ts.alice, "vault")
	for _, tc := range []struct {
		name, doc, code string
		status          int
	}{
		{"KMS", `<ServerSideEncryptionConfiguration><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>aws:kms</SSEAlgorithm></ApplyServerSideEncryptionByDefault></Rule></ServerSideEncryptionConfiguration>`, "NotImplemented", 501},
		{"an unknown algorithm", `<ServerSideEncryptionConfiguration><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>ROT13</SSEAlgorithm></ApplyServerSideEncryptionByDefault></Rule></ServerSideEncryptionConfiguration>`, "MalformedXML", 400},
		{"no rule", `<ServerSideEncryptionConfiguration></ServerSideEncryptionConfiguration>`, "MalformedXML", 400},
		{"two rules", `<ServerSideEncryptionConfiguration><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>AES256</SSEAlgorithm></ApplyServerSideEncryptionByDefault></Rule><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>AES256</SSEAlgorithm></ApplyServerSideEncryptionByDefault></Rule></ServerSideEncryptionConfiguration>`, "MalformedXML", 400},
		{"a rule without a default", `<ServerSideEncryptionConfiguration><Rule><BucketKeyEnabled>true</BucketKeyEnabled></Rule></ServerSideEncryptionConfiguration>`, "MalformedXML", 400},
		{"a KMS key with AES256", `<ServerSideEncryptionConfiguration><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>AES256</SSEAlgorithm><KMSMasterKeyID>k</KMSMasterKeyID></ApplyServerSideEncryptionByDefault></Rule></ServerSideEncryptionConfiguration>`, "InvalidArgument", 400},
		{"not XML", `AES256`, "MalformedXML", 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, _, body := ts.do(ts.signedRequest(ts.alice, http.MethodPut, "/vault?encryption", []byte(tc.doc)))
			if status != tc.status || !strings.Contains(body, "<Code>"+tc.code+"</Code>") {
				t.Fatalf("status %d body %s, want %d %s", status, body, tc.status, tc.code)
			}
			_, err := ts.client(ts.alice).GetBucketEncryption(context.Background(), &s3.GetBucketEncryptionInput{Bucket: aws.String("vault")})
			wantCode(t, err, "ServerSideEncryptionConfigurationNotFoundError", http.StatusNotFound)
		})
	}
}

func TestTheEncryptionHeaderIsHonouredAndAnswered(t *testing.T) {
	ts := newTestServer(t)
	ts.mustCreateBucket(ts.alice, "bkt")
	c := ts.client(ts.alice)
	ctx := context.Background()
	put, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("bkt"), Key: aws.String("k"), Body: strings.NewReader("secret"),
		ServerSideEncryption: types.ServerSideEncryptionAes256})
	if err != nil || put.ServerSideEncryption != types.ServerSideEncryptionAes256 {
		t.Fatalf("put: %v, encryption %q", err, put.ServerSideEncryption)
	}
	head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("bkt"), Key: aws.String("k")})
	if err != nil || head.ServerSideEncryption != types.ServerSideEncryptionAes256 {
		t.Fatalf("head: %v, encryption %q", err, head.ServerSideEncryption)
	}
	if got := ts.mustGet(ts.alice, "bkt", "k"); got != "secret" {
		t.Fatalf("get = %q", got)
	}
	cp, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String("bkt"), Key: aws.String("copy"), CopySource: aws.String("bkt/k")})
	if err != nil || cp.ServerSideEncryption != "" {
		t.Fatalf("copy to a plain bucket without asking: %v, encryption %q", err, cp.ServerSideEncryption)
	}
	cp, err = c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String("bkt"), Key: aws.String("copy"), CopySource: aws.String("bkt/copy"),
		ServerSideEncryption: types.ServerSideEncryptionAes256})
	if err != nil || cp.ServerSideEncryption != types.ServerSideEncryptionAes256 {
		t.Fatalf("copy onto itself asking for AES256: %v, encryption %q", err, cp.ServerSideEncryption)
	}

	partOne := strings.Repeat("1", testMinPartSize)
	up, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String("bkt"), Key: aws.String("mp"),
		ServerSideEncryption: types.ServerSideEncryptionAes256})
	if err != nil || up.ServerSideEncryption != types.ServerSideEncryptionAes256 {
		t.Fatalf("create upload: %v, encryption %q", err, up.ServerSideEncryption)
	}
	part, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String("bkt"), Key: aws.String("mp"), UploadId: up.UploadId,
		PartNumber: aws.Int32(1), Body: strings.NewReader(partOne)})
	if err != nil || part.ServerSideEncryption != types.ServerSideEncryptionAes256 {
		t.Fatalf("upload part: %v, encryption %q", err, part.ServerSideEncryption)
	}
	pc, err := c.UploadPartCopy(ctx, &s3.UploadPartCopyInput{Bucket: aws.String("bkt"), Key: aws.String("mp"), UploadId: up.UploadId,
		PartNumber: aws.Int32(2), CopySource: aws.String("bkt/k")})
	if err != nil || pc.ServerSideEncryption != types.ServerSideEncryptionAes256 {
		t.Fatalf("upload part copy: %v, encryption %q", err, pc.ServerSideEncryption)
	}
	done, err := c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String("bkt"), Key: aws.String("mp"), UploadId: up.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{{PartNumber: aws.Int32(1), ETag: part.ETag}, {PartNumber: aws.Int32(2), ETag: pc.CopyPartResult.ETag}}}})
	if err != nil {
		t.Fatalf("complete: %v", err)
	}
	if done.ServerSideEncryption != types.ServerSideEncryptionAes256 {
		t.Fatalf("complete answers encryption %q", done.ServerSideEncryption)
	}
	if got := ts.mustGet(ts.alice, "bkt", "mp"); got != partOne+"secret" {
		t.Fatalf("get multipart = %q", got)
	}
	plain := ts.mustPut(ts.alice, "bkt", "plain", "x")
	if plain.ServerSideEncryption != "" {
		t.Errorf("a plain PUT answers encryption %q", plain.ServerSideEncryption)
	}
}

func TestUnsupportedEncryptionIsRefusedAndStoresNothing(t *testing.T) {
	ts := newTestServer(t)
	ts.mustCreateBucket(ts.alice, "bkt")
	c := ts.client(ts.alice)
	ctx := context.Background()
	_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("bkt"), Key: aws.String("kms"), Body: strings.NewReader("x"),
		ServerSideEncryption: types.ServerSideEncryptionAwsKms})
	wantCode(t, err, "NotImplemented", http.StatusNotImplemented)
	ts.assertMissing("bkt", "kms")
	_, err = c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String("bkt"), Key: aws.String("kms"),
		ServerSideEncryption: types.ServerSideEncryptionAwsKmsDsse})
	wantCode(t, err, "NotImplemented", http.StatusNotImplemented)

	for _, tc := range []struct {
		name    string
		headers map[string]string
		status  int
		code    string
	}{
		{"an unknown algorithm", map[string]string{"X-Amz-Server-Side-Encryption": "ROT13"}, 400, "InvalidArgument"},
		{"a KMS key id", map[string]string{"X-Amz-Server-Side-Encryption-Aws-Kms-Key-Id": "key"}, 501, "NotImplemented"},
		{"a customer key", map[string]string{
			"X-Amz-Server-Side-Encryption-Customer-Algorithm": "AES256",
			"X-Amz-Server-Side-Encryption-Customer-Key":       "a2V5",
		}, 501, "NotImplemented"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := ts.signedRequest(ts.alice, http.MethodPut, "/bkt/raw", []byte("x"))
			for k, v := range tc.headers {
				req.Header.Set(k, v)
			}
			ts.sign(ts.alice, req, req.Header.Get("X-Amz-Content-Sha256"))
			status, _, body := ts.do(req)
			if status != tc.status || !strings.Contains(body, "<Code>"+tc.code+"</Code>") {
				t.Fatalf("status %d body %s, want %d %s", status, body, tc.status, tc.code)
			}
			ts.assertMissing("bkt", "raw")
		})
	}
	ts.mustPut(ts.alice, "bkt", "k", "x")
	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("bkt"), Key: aws.String("k"),
		SSECustomerAlgorithm: aws.String("AES256"), SSECustomerKey: aws.String("MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTIzNDU2Nzg5MDE="),
		SSECustomerKeyMD5: aws.String("x")})
	wantCode(t, err, "NotImplemented", http.StatusNotImplemented)
}

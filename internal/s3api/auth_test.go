package s3api

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

func TestAuthentication(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	ts.mustCreateBucket(ts.alice, "private")
	ts.mustPut(ts.alice, "private", "secret.txt", "top secret")

	_, err := ts.clientWith(ts.alice.accessKey, "wrong-secret-wrong-secret-wrong-secret00").
		GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("private"), Key: aws.String("secret.txt")})
	wantCode(t, err, "SignatureDoesNotMatch", http.StatusForbidden)

	_, err = ts.clientWith("AKIANOSUCHKEY0000000", "whatever-secret-whatever-secret-whatever").
		GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("private"), Key: aws.String("secret.txt")})
	wantCode(t, err, "InvalidAccessKeyId", http.StatusForbidden)

	resp, err := http.Get(ts.srv.URL + "/private/secret.txt")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(string(body), "<Code>AccessDenied</Code>") {
		t.Errorf("anonymous GET: %d %s, want 403 AccessDenied", resp.StatusCode, body)
	}
	req, _ := http.NewRequest(http.MethodPut, ts.srv.URL+"/private/planted", strings.NewReader("x"))
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusForbidden {
		t.Errorf("anonymous PUT: %v %v, want 403", resp, err)
	}
	ts.assertMissing("private", "planted")
}

func TestAnotherUsersBucketIsDenied(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	ts.mustCreateBucket(ts.alice, "mine")
	ts.mustPut(ts.alice, "mine", "k", "alice's")
	bob := ts.client(ts.bob)

	calls := map[string]func() error{
		"GetObject": func() error {
			_, err := bob.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("mine"), Key: aws.String("k")})
			return err
		},
		"PutObject": func() error {
			_, err := bob.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("mine"), Key: aws.String("k"), Body: strings.NewReader("bob's")})
			return err
		},
		"DeleteObject": func() error {
			_, err := bob.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("mine"), Key: aws.String("k")})
			return err
		},
		"ListObjectsV2": func() error {
			_, err := bob.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("mine")})
			return err
		},
		"DeleteBucket": func() error {
			_, err := bob.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String("mine")})
			return err
		},
		"CopyObject from it": func() error {
			ts.mustCreateBucket(ts.bob, "bobs")
			_, err := bob.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String("bobs"), Key: aws.String("stolen"), CopySource: aws.String("mine/k")})
			return err
		},
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			wantCode(t, call(), "AccessDenied", http.StatusForbidden)
		})
	}
	if got := ts.mustGet(ts.alice, "mine", "k"); got != "alice's" {
		t.Errorf("alice's object is now %q", got)
	}
}

func TestPresignedURLs(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	ts.mustCreateBucket(ts.alice, "shared")
	presign := s3.NewPresignClient(ts.client(ts.alice))

	put, err := presign.PresignPutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("shared"), Key: aws.String("up load")}, s3.WithPresignExpires(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(put.Method, put.URL, strings.NewReader("via presign"))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("presigned PUT: %d", resp.StatusCode)
	}

	get, err := presign.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("shared"), Key: aws.String("up load")})
	if err != nil {
		t.Fatal(err)
	}
	resp, err = http.Get(get.URL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || string(body) != "via presign" {
		t.Errorf("presigned GET: %d %q", resp.StatusCode, body)
	}
}

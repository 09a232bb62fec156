package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// conditionalPut is PutObject of body with If-None-Match and If-Match as
// given ("" for absent).
func conditionalPut(ctx context.Context, c *s3.Client, bucket, key string, body []byte, ifNoneMatch, ifMatch string) (*s3.PutObjectOutput, error) {
	in := &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(body)}
	if ifNoneMatch != "" {
		in.IfNoneMatch = aws.String(ifNoneMatch)
	}
	if ifMatch != "" {
		in.IfMatch = aws.String(ifMatch)
	}
	return c.PutObject(ctx, in)
}

// wantBody fails t unless bucket/key reads as want.
func wantBody(t *testing.T, c *s3.Client, what, bucket, key string, want []byte) {
	t.Helper()
	got, _, err := getBody(t.Context(), c, bucket, key, "")
	if err != nil || !bytes.Equal(got, want) {
		t.Errorf("%s: %s/%s reads %q (%v), want %q", what, bucket, key, got, err, want)
	}
}

func TestPutObjectWithIfNoneMatchCreatesOnlyKeysWithoutACurrentObject(t *testing.T) {
	t.Parallel()
	c := rootClient()
	ctx := t.Context()
	for _, versioned := range []bool{false, true} {
		t.Run(fmt.Sprintf("versioned %v", versioned), func(t *testing.T) {
			bucket := newBucket(t, c)
			if versioned {
				setVersioning(t, c, bucket, types.BucketVersioningStatusEnabled)
			}
			if _, err := conditionalPut(ctx, c, bucket, "k", []byte("first"), "*", ""); err != nil {
				t.Fatalf("If-None-Match * on a new key: %v", err)
			}
			_, err := conditionalPut(ctx, c, bucket, "k", []byte("second"), "*", "")
			wantErr(t, "If-None-Match * on an existing key", err, http.StatusPreconditionFailed, "PreconditionFailed")
			wantBody(t, c, "after the refused write", bucket, "k", []byte("first"))

			etag := md5Hex([]byte("first"))
			_, err = conditionalPut(ctx, c, bucket, "k", []byte("second"), quoted(etag), "")
			wantErr(t, "If-None-Match with an ETag", err, http.StatusNotImplemented, "NotImplemented")
			_, err = conditionalPut(ctx, c, bucket, "k", []byte("second"), "*", quoted(etag))
			wantErr(t, "If-None-Match together with If-Match", err, http.StatusNotImplemented, "NotImplemented")
			wantBody(t, c, "after the refused writes", bucket, "k", []byte("first"))

			// A deleted key (a delete marker on a versioned bucket) has no
			// current object: it may be created again.
			if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String("k")}); err != nil {
				t.Fatal(err)
			}
			if _, err := conditionalPut(ctx, c, bucket, "k", []byte("third"), "*", ""); err != nil {
				t.Fatalf("If-None-Match * after a delete: %v", err)
			}
			wantBody(t, c, "after the write over the deleted key", bucket, "k", []byte("third"))
		})
	}
}

func TestPutObjectWithIfMatchNeedsTheCurrentETag(t *testing.T) {
	t.Parallel()
	c := rootClient()
	ctx := t.Context()
	bucket := newBucket(t, c)
	setVersioning(t, c, bucket, types.BucketVersioningStatusEnabled)
	first := putObject(t, c, bucket, "k", []byte("first"))
	second, err := conditionalPut(ctx, c, bucket, "k", []byte("second"), "", aws.ToString(first.ETag))
	if err != nil {
		t.Fatalf("If-Match with the current ETag: %v", err)
	}
	_, err = conditionalPut(ctx, c, bucket, "k", []byte("third"), "", aws.ToString(first.ETag))
	wantErr(t, "If-Match with a replaced ETag", err, http.StatusPreconditionFailed, "PreconditionFailed")
	wantBody(t, c, "after the refused write", bucket, "k", []byte("second"))
	// Quotes are optional, as with If-Match on GET.
	if _, err := conditionalPut(ctx, c, bucket, "k", []byte("third"), "", md5Hex([]byte("second"))); err != nil {
		t.Errorf("If-Match with the current ETag unquoted: %v", err)
	}

	_, err = conditionalPut(ctx, c, bucket, "missing", []byte("x"), "", aws.ToString(second.ETag))
	wantErr(t, "If-Match on a key that never existed", err, http.StatusNotFound, "NoSuchKey")
	if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String("k")}); err != nil {
		t.Fatal(err)
	}
	_, err = conditionalPut(ctx, c, bucket, "k", []byte("x"), "", md5Hex([]byte("third")))
	wantErr(t, "If-Match on a key whose current version is a delete marker", err, http.StatusNotFound, "NoSuchKey")
}

func TestCompleteMultipartUploadIsConditional(t *testing.T) {
	t.Parallel()
	c := rootClient()
	ctx := t.Context()
	bucket := newBucket(t, c)
	existing := putObject(t, c, bucket, "exists", []byte("old"))
	complete := func(key, ifNoneMatch, ifMatch string) error {
		t.Helper()
		id := createUpload(t, c, bucket, key)
		part := uploadPart(t, c, bucket, key, id, 1, []byte("new data of "+key))
		in := &s3.CompleteMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String(key), UploadId: aws.String(id),
			MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{part}}}
		if ifNoneMatch != "" {
			in.IfNoneMatch = aws.String(ifNoneMatch)
		}
		if ifMatch != "" {
			in.IfMatch = aws.String(ifMatch)
		}
		_, err := c.CompleteMultipartUpload(ctx, in)
		if err != nil {
			// A refused completion leaves the upload as it was.
			if _, lerr := c.ListParts(ctx, &s3.ListPartsInput{Bucket: aws.String(bucket), Key: aws.String(key), UploadId: aws.String(id)}); lerr != nil {
				t.Errorf("ListParts after a refused completion: %v", lerr)
			}
		}
		return err
	}
	wantErr(t, "If-None-Match * on an existing key", complete("exists", "*", ""), http.StatusPreconditionFailed, "PreconditionFailed")
	wantErr(t, "If-Match with another ETag", complete("exists", "", quoted(md5Hex([]byte("other")))), http.StatusPreconditionFailed, "PreconditionFailed")
	wantErr(t, "If-Match on a missing key", complete("missing", "", aws.ToString(existing.ETag)), http.StatusNotFound, "NoSuchKey")
	wantErr(t, "If-None-Match with an ETag", complete("exists", aws.ToString(existing.ETag), ""), http.StatusNotImplemented, "NotImplemented")
	wantBody(t, c, "after the refused completions", bucket, "exists", []byte("old"))
	if err := complete("new", "*", ""); err != nil {
		t.Errorf("If-None-Match * on a new key: %v", err)
	}
	if err := complete("exists", "", aws.ToString(existing.ETag)); err != nil {
		t.Errorf("If-Match with the current ETag: %v", err)
	}
	wantBody(t, c, "after the conditional completion", bucket, "exists", []byte("new data of exists"))
}

func TestCopyObjectIsConditionalOnItsDestination(t *testing.T) {
	t.Parallel()
	c := rootClient()
	ctx := t.Context()
	bucket := newBucket(t, c)
	putObject(t, c, bucket, "src", []byte("source"))
	dst := putObject(t, c, bucket, "dst", []byte("destination"))
	copyTo := func(key, ifNoneMatch, ifMatch string) error {
		in := &s3.CopyObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), CopySource: aws.String(bucket + "/src")}
		if ifNoneMatch != "" {
			in.IfNoneMatch = aws.String(ifNoneMatch)
		}
		if ifMatch != "" {
			in.IfMatch = aws.String(ifMatch)
		}
		_, err := c.CopyObject(ctx, in)
		return err
	}
	wantErr(t, "a copy with If-None-Match * onto an object", copyTo("dst", "*", ""), http.StatusPreconditionFailed, "PreconditionFailed")
	wantErr(t, "a copy with If-Match of another ETag", copyTo("dst", "", quoted(md5Hex([]byte("other")))), http.StatusPreconditionFailed, "PreconditionFailed")
	wantBody(t, c, "after the refused copies", bucket, "dst", []byte("destination"))
	if err := copyTo("fresh", "*", ""); err != nil {
		t.Errorf("a copy with If-None-Match * to a new key: %v", err)
	}
	if err := copyTo("dst", "", aws.ToString(dst.ETag)); err != nil {
		t.Errorf("a copy with If-Match of the destination's ETag: %v", err)
	}
	wantBody(t, c, "after the conditional copy", bucket, "dst", []byte("source"))
}

// oneWinner checks the outcome of concurrent create-only writes: exactly
// one succeeded, every other was refused as S3 refuses a write that lost
// (412, or 409 for a conflict), and the object is the winner's.
func oneWinner(t *testing.T, c *s3.Client, bucket, key string, errs []error, bodies [][]byte) {
	t.Helper()
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil && winner >= 0:
			t.Errorf("writers %d and %d both succeeded", winner, i)
		case err == nil:
			winner = i
		case errStatus(err) == http.StatusPreconditionFailed && errCode(err) == "PreconditionFailed",
			errStatus(err) == http.StatusConflict && errCode(err) == "ConditionalRequestConflict":
		default:
			t.Errorf("writer %d: %v, want 412 PreconditionFailed or 409 ConditionalRequestConflict", i, err)
		}
	}
	if winner < 0 {
		t.Fatal("no writer succeeded")
	}
	wantBody(t, c, "after the race", bucket, key, bodies[winner])
}

func TestConcurrentCreateOnlyPutsHaveOneWinner(t *testing.T) {
	t.Parallel()
	c := rootClient()
	bucket := newBucket(t, c)
	const writers = 8
	bodies := make([][]byte, writers)
	errs := make([]error, writers)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range writers {
		bodies[i] = randomBytes(uint64(90+i), 256<<10)
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, errs[i] = conditionalPut(t.Context(), c, bucket, "contested", bodies[i], "*", "")
		}()
	}
	close(start)
	wg.Wait()
	oneWinner(t, c, bucket, "contested", errs, bodies)
}

func TestConcurrentCreateOnlyCompletionsHaveOneWinner(t *testing.T) {
	t.Parallel()
	c := rootClient()
	bucket := newBucket(t, c)
	const writers = 4
	bodies := make([][]byte, writers)
	errs := make([]error, writers)
	ins := make([]*s3.CompleteMultipartUploadInput, writers)
	for i := range writers {
		bodies[i] = []byte(fmt.Sprintf("upload %d", i))
		id := createUpload(t, c, bucket, "contested")
		part := uploadPart(t, c, bucket, "contested", id, 1, bodies[i])
		ins[i] = &s3.CompleteMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String("contested"), UploadId: aws.String(id),
			MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{part}}, IfNoneMatch: aws.String("*")}
	}
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, errs[i] = c.CompleteMultipartUpload(t.Context(), ins[i])
		}()
	}
	close(start)
	wg.Wait()
	oneWinner(t, c, bucket, "contested", errs, bodies)
}

func TestAConditionalPutWhoseObjectIsDeletedDuringTheUploadConflicts(t *testing.T) {
	t.Parallel()
	c := rootClient()
	bucket := newBucket(t, c)
	old := putObject(t, c, bucket, "k", []byte("old"))

	// The client sends the headers and waits for 100 Continue, which the
	// server sends when it starts reading the body: after it checked the
	// condition. The object is deleted then, before the body is sent.
	body := randomBytes(95, 64<<10)
	pr, pw := io.Pipe()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPut, sharedSrv.S3URL+"/"+bucket+"/k", pr)
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = int64(len(body))
	req.Header.Set("Expect", "100-continue")
	req.Header.Set("If-Match", aws.ToString(old.ETag))
	req.Header.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")
	creds := aws.Credentials{AccessKeyID: rootAccessKey, SecretAccessKey: rootSecretKey}
	if err := v4.NewSigner().SignHTTP(t.Context(), creds, req, "UNSIGNED-PAYLOAD", "s3", testRegion, time.Now(),
		func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true }); err != nil {
		t.Fatal(err)
	}
	tr := insecureHTTPClient().Transport.(*http.Transport)
	tr.ExpectContinueTimeout = time.Minute
	client := &http.Client{Transport: tr}
	go func() {
		// The transport reads the body only after 100 Continue: this
		// write returns once the server has checked If-Match.
		if _, err := pw.Write(body[:1]); err != nil {
			pw.CloseWithError(err)
			return
		}
		if _, err := c.DeleteObject(context.WithoutCancel(t.Context()), &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String("k")}); err != nil {
			pw.CloseWithError(err)
			return
		}
		_, err := pw.Write(body[1:])
		pw.CloseWithError(err)
	}()
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("conditional PUT: %v", err)
	}
	data, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	r := rawResponse{Status: resp.StatusCode, Header: resp.Header, Body: data}
	wantRaw(t, "If-Match PUT whose object was deleted while its body was sent", r, http.StatusConflict, "ConditionalRequestConflict")
	_, err = c.HeadObject(t.Context(), &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("k")})
	wantErr(t, "HeadObject after the conflict", err, http.StatusNotFound, "")
}

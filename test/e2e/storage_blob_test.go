package e2e

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// A Quarry whose object data is in a bucket of another Quarry (its S3
// storage component), both on loopback.

// componentBucket is the backend bucket the front server keeps blobs in.
const componentBucket = "component-data"

// blobKey is the form of a blob's key in the backend bucket.
var blobKey = regexp.MustCompile(`^blobs/[0-9a-f]{32}$`)

// startBackend starts a Quarry on local disk with the bucket a front
// server keeps its data in, and returns it with a client of it.
func startBackend(t *testing.T) (*server, *s3.Client) {
	t.Helper()
	backend := startServer(t, serverOptions{})
	bc := s3Client(backend.S3URL, backend.AccessKey, backend.SecretKey)
	if _, err := bc.CreateBucket(t.Context(), &s3.CreateBucketInput{Bucket: aws.String(componentBucket)}); err != nil {
		t.Fatalf("create the backend bucket: %v", err)
	}
	return backend, bc
}

// blobFlags are the flags of a front server keeping its data on backend.
func blobFlags(backend *server, params string) []string {
	return []string{
		"--blob", "s3://" + componentBucket + "?endpoint=" + backend.S3URL + "&region=" + testRegion + params,
		"--blob-access-key", backend.AccessKey, "--blob-secret-key", backend.SecretKey,
	}
}

// backendBlobs reads every object of the backend bucket: key to content.
func backendBlobs(t *testing.T, bc *s3.Client) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	pages := s3.NewListObjectsV2Paginator(bc, &s3.ListObjectsV2Input{Bucket: aws.String(componentBucket)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(t.Context())
		if err != nil {
			t.Fatalf("list the backend bucket: %v", err)
		}
		for _, o := range page.Contents {
			got, err := bc.GetObject(t.Context(), &s3.GetObjectInput{Bucket: aws.String(componentBucket), Key: o.Key})
			var gone *types.NoSuchKey
			if errors.As(err, &gone) {
				continue // the front's trash collector removed it since the listing
			}
			if err != nil {
				t.Fatalf("get backend object %s: %v", aws.ToString(o.Key), err)
			}
			data, err := io.ReadAll(got.Body)
			got.Body.Close()
			if err != nil {
				t.Fatal(err)
			}
			out[aws.ToString(o.Key)] = data
		}
	}
	return out
}

// waitBackendBytes waits until the backend bucket holds want bytes in
// blobs (the front's trash collector removes replaced blobs after their
// commit) and returns the blobs.
func waitBackendBytes(t *testing.T, bc *s3.Client, want int) map[string][]byte {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		blobs := backendBlobs(t, bc)
		total := 0
		for k, b := range blobs {
			if !blobKey.MatchString(k) {
				t.Fatalf("the backend bucket holds %q, which is no blob key", k)
			}
			total += len(b)
		}
		if total == want {
			return blobs
		}
		if time.Now().After(deadline) {
			t.Fatalf("the backend bucket holds %d bytes in %d blobs, want %d", total, len(blobs), want)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func readObject(t *testing.T, c *s3.Client, bucket, key string, rng *string) []byte {
	t.Helper()
	out, err := c.GetObject(t.Context(), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Range: rng})
	if err != nil {
		t.Fatalf("GET %s %v: %v", key, aws.ToString(rng), err)
	}
	defer out.Body.Close()
	data, err := io.ReadAll(out.Body)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestAServerOnAnS3StorageComponentKeepsEveryObjectAsBlobsOfTheBackendBucket(t *testing.T) {
	t.Parallel()
	backend, bc := startBackend(t)
	// Small objects too go to the component: --inline-max 0.
	front := startServer(t, serverOptions{Args: append(blobFlags(backend, "&part_size=5MiB"), "--inline-max", "0")})
	c := s3Client(front.S3URL, front.AccessKey, front.SecretKey)
	bucket := "photos"
	if _, err := c.CreateBucket(t.Context(), &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}

	small := randomBytes(100, 100_000)
	if _, err := c.PutObject(t.Context(), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("small"), Body: bytes.NewReader(small)}); err != nil {
		t.Fatalf("PUT: %v", err)
	}
	if got := readObject(t, c, bucket, "small", nil); !bytes.Equal(got, small) {
		t.Fatal("GET returned other bytes than the PUT sent")
	}
	if got := readObject(t, c, bucket, "small", aws.String("bytes=1000-1999")); !bytes.Equal(got, small[1000:2000]) {
		t.Fatal("a ranged GET returned other bytes")
	}
	// One PUT larger than the part size: a multipart upload to the backend.
	large := randomBytes(101, 12<<20)
	if _, err := c.PutObject(t.Context(), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("large"), Body: bytes.NewReader(large)}); err != nil {
		t.Fatalf("PUT 12 MiB: %v", err)
	}
	if got := readObject(t, c, bucket, "large", aws.String("bytes=5242870-5242889")); !bytes.Equal(got, large[5242870:5242890]) {
		t.Fatal("a range across the backend's parts returned other bytes")
	}
	// A multipart upload to the front: one blob per part.
	part1, part2 := randomBytes(102, 5<<20), randomBytes(103, 1<<20)
	up, err := c.CreateMultipartUpload(t.Context(), &s3.CreateMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String("multi")})
	if err != nil {
		t.Fatal(err)
	}
	var parts []types.CompletedPart
	for i, p := range [][]byte{part1, part2} {
		out, err := c.UploadPart(t.Context(), &s3.UploadPartInput{Bucket: aws.String(bucket), Key: aws.String("multi"),
			UploadId: up.UploadId, PartNumber: aws.Int32(int32(i + 1)), Body: bytes.NewReader(p)})
		if err != nil {
			t.Fatalf("UploadPart %d: %v", i+1, err)
		}
		parts = append(parts, types.CompletedPart{ETag: out.ETag, PartNumber: aws.Int32(int32(i + 1))})
	}
	if _, err := c.CompleteMultipartUpload(t.Context(), &s3.CompleteMultipartUploadInput{Bucket: aws.String(bucket),
		Key: aws.String("multi"), UploadId: up.UploadId, MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}}); err != nil {
		t.Fatal(err)
	}
	if got := readObject(t, c, bucket, "multi", nil); !bytes.Equal(got, append(append([]byte(nil), part1...), part2...)) {
		t.Fatal("the multipart object reads back other bytes")
	}
	if _, err := c.CopyObject(t.Context(), &s3.CopyObjectInput{Bucket: aws.String(bucket), Key: aws.String("copy"),
		CopySource: aws.String(bucket + "/small")}); err != nil {
		t.Fatalf("copy: %v", err)
	}
	if _, err := c.DeleteObject(t.Context(), &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String("small")}); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetObject(t.Context(), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("small")})
	wantErr(t, "GET after DELETE", err, 404, "NoSuchKey")
	if got := readObject(t, c, bucket, "copy", nil); !bytes.Equal(got, small) {
		t.Fatal("the copy reads back other bytes")
	}

	// The data is in the backend's bucket, one object per blob, and the
	// deleted object's blob is gone from it.
	blobs := waitBackendBytes(t, bc, len(small)+len(large)+len(part1)+len(part2))
	found := map[string]bool{}
	for _, data := range blobs {
		for name, want := range map[string][]byte{"copy": small, "large": large, "part 1": part1, "part 2": part2} {
			if bytes.Equal(data, want) {
				found[name] = true
			}
		}
	}
	if len(found) != 4 || len(blobs) != 4 {
		t.Fatalf("the backend holds %d blobs matching %v, want the copy, the large object and both parts", len(blobs), found)
	}
	// The front keeps no object data on its own disk: it has no blob
	// directory at all.
	if _, err := os.Stat(filepath.Join(front.DataDir, "blobs")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("the front server has a local blob directory (%v)", err)
	}

	// An SSE-S3 object's blob holds no plaintext.
	marker := "plaintext-that-must-never-reach-the-component"
	secret := marked(marker, 300_000)
	if _, err := c.PutObject(t.Context(), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("secret"),
		Body: bytes.NewReader(secret), ServerSideEncryption: types.ServerSideEncryptionAes256}); err != nil {
		t.Fatal(err)
	}
	if got := readObject(t, c, bucket, "secret", aws.String("bytes=100000-100099")); !bytes.Equal(got, secret[100000:100100]) {
		t.Fatal("a range of the encrypted object reads back other bytes")
	}
	sealed := 0
	for key, data := range backendBlobs(t, bc) {
		if bytes.Contains(data, []byte(marker)) {
			t.Fatalf("backend blob %s holds the plaintext of an SSE-S3 object", key)
		}
		if len(data) > len(secret) && len(data) < len(secret)+len(secret)/100 {
			sealed++
		}
	}
	if sealed != 1 {
		t.Fatalf("%d backend blobs have the size of the sealed object, want 1", sealed)
	}

	// METRIC_RECONCILIATION with verifyData stats every blob on the
	// component and walks its bucket for orphans.
	root := mapiRoot(t, front)
	job := root.createJob(metricRecon, bucket, map[string]string{"verifyData": "true"})
	done := root.waitJobEnded(job.ID(), time.Minute)
	st := done.JobStats
	if done.JobState != "COMPLETE" || st.Failed != 0 || st.Processed+st.Failed+st.Skipped != st.Total || st.Total != 4 {
		t.Fatalf("verifyData job: %s, stats %+v (%s); want COMPLETE with 4 candidates, none failed", done.JobState, st, done.Message)
	}
}

func TestAServerWithABlobURLItCannotUseDoesNotStart(t *testing.T) {
	t.Parallel()
	backend, _ := startBackend(t)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"a wrong secret key", []string{"--blob", "s3://" + componentBucket + "?endpoint=" + backend.S3URL,
			"--blob-access-key", backend.AccessKey, "--blob-secret-key", "wrong"}, "credentials were refused"},
		{"a bucket that does not exist", []string{"--blob", "s3://no-such-bucket?endpoint=" + backend.S3URL,
			"--blob-access-key", backend.AccessKey, "--blob-secret-key", backend.SecretKey}, "404"},
		{"no credentials", []string{"--blob", "s3://" + componentBucket + "?endpoint=" + backend.S3URL}, "no credentials"},
		{"a misspelt parameter", []string{"--blob", "s3://" + componentBucket + "?endpont=" + backend.S3URL,
			"--blob-access-key", "a", "--blob-secret-key", "b"}, `unknown parameter "endpont"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, err := launch(serverOptions{Args: tt.args}, t.TempDir()+"/data")
			if srv != nil {
				defer srv.kill()
			}
			if err == nil {
				t.Fatal("the server started")
			}
			if out := srv.Output(); !strings.Contains(out, tt.want) {
				t.Fatalf("the server's output does not say %q:\n%s", tt.want, out)
			}
			if strings.Contains(srv.Output(), backend.SecretKey) {
				t.Fatal("the output holds the secret key")
			}
		})
	}
}

// slowBody sends size bytes, pausing after the first `before` until
// release is closed: an upload in flight when the test kills the server.
type slowBody struct {
	left, before int
	release      <-chan struct{}
	reached      chan struct{}
}

func (b *slowBody) Read(p []byte) (int, error) {
	if b.left == 0 {
		return 0, io.EOF
	}
	if b.before == 0 {
		if b.reached != nil {
			close(b.reached)
			b.reached = nil
		}
		<-b.release
		return 0, errors.New("released")
	}
	n := min(len(p), b.left, b.before)
	for i := range p[:n] {
		p[i] = byte(i)
	}
	b.left -= n
	b.before -= n
	return n, nil
}

func TestKillingAServerOnAStorageComponentMidUploadLeavesNoPartialObject(t *testing.T) {
	t.Parallel()
	backend, bc := startBackend(t)
	// Small objects too go to the component: --inline-max 0.
	front := startServer(t, serverOptions{Args: append(blobFlags(backend, "&part_size=5MiB"), "--inline-max", "0")})
	c := s3Client(front.S3URL, front.AccessKey, front.SecretKey, func(o *s3.Options) { o.RetryMaxAttempts = 1 })
	if _, err := c.CreateBucket(t.Context(), &s3.CreateBucketInput{Bucket: aws.String("uploads")}); err != nil {
		t.Fatal(err)
	}
	release := make(chan struct{})
	var releaseOnce sync.Once
	unblock := func() { releaseOnce.Do(func() { close(release) }) }
	t.Cleanup(unblock)
	body := &slowBody{left: 40 << 20, before: 16 << 20, release: release, reached: make(chan struct{})}
	reached := body.reached
	// A presigned PUT streams the body as it is read: the SDK would want
	// to hash it first.
	signed, err := s3.NewPresignClient(c).PresignPutObject(t.Context(), &s3.PutObjectInput{Bucket: aws.String("uploads"),
		Key: aws.String("big"), ContentLength: aws.Int64(40 << 20)})
	if err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() {
		req, err := http.NewRequest(http.MethodPut, signed.URL, body)
		if err != nil {
			errc <- err
			return
		}
		req.ContentLength = 40 << 20
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				err = fmt.Errorf("PUT answered %s", resp.Status)
			}
		}
		errc <- err
	}()
	select {
	case <-reached:
	case err := <-errc:
		t.Fatalf("the upload ended before the kill: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("the upload did not get 16 MiB in")
	}
	// The front is sending parts to the backend: kill it in the middle.
	deadline := time.Now().Add(10 * time.Second)
	for {
		ups, err := bc.ListMultipartUploads(t.Context(), &s3.ListMultipartUploadsInput{Bucket: aws.String(componentBucket)})
		if err != nil {
			t.Fatal(err)
		}
		if len(ups.Uploads) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no multipart upload to the backend in progress (%d)", len(ups.Uploads))
		}
		time.Sleep(20 * time.Millisecond)
	}
	front.Kill(t)
	unblock()
	if err := <-errc; err == nil {
		t.Fatal("the PUT succeeded although the server was killed")
	}
	front.Restart(t)
	_, err = c.HeadObject(t.Context(), &s3.HeadObjectInput{Bucket: aws.String("uploads"), Key: aws.String("big")})
	wantErr(t, "HEAD after the kill", err, 404, "NotFound")
	list, err := c.ListObjectsV2(t.Context(), &s3.ListObjectsV2Input{Bucket: aws.String("uploads")})
	if err != nil || len(list.Contents) != 0 {
		t.Fatalf("after the kill the bucket lists %d objects (%v), want none", len(list.Contents), err)
	}
	if blobs := backendBlobs(t, bc); len(blobs) != 0 {
		t.Fatalf("the backend bucket holds %d objects after a killed upload, want none (an unfinished multipart upload is no object)", len(blobs))
	}
	// And the restarted front works.
	if _, err := c.PutObject(t.Context(), &s3.PutObjectInput{Bucket: aws.String("uploads"), Key: aws.String("after"),
		Body: strings.NewReader("fine")}); err != nil {
		t.Fatalf("PUT after the restart: %v", err)
	}
	if got := fmt.Sprint(len(backendBlobs(t, bc))); got != "1" {
		t.Fatalf("the backend holds %s blobs after one PUT, want 1", got)
	}
}

package e2e

import (
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// sseChunk is the plaintext size of an encrypted chunk on disk (64 KiB):
// ranges are tested on both sides of its multiples.
const sseChunk = 64 << 10

// marked is n bytes of lines that each carry marker and their own number,
// so that any stretch of them found in a blob file is recognisable.
// aboveInlineMax is a size the server's default --inline-max keeps out of
// the metadata store: an object of it is stored in a blob.
const aboveInlineMax = 128<<10 + 1

func marked(marker string, n int) []byte {
	var b bytes.Buffer
	for i := 0; b.Len() < n; i++ {
		fmt.Fprintf(&b, "%s line %08d of plaintext\n", marker, i)
	}
	return b.Bytes()[:n]
}

// blobFilesHolding returns the blob files under srv's data directory whose
// bytes contain marker.
func blobFilesHolding(t *testing.T, srv *server, marker string) []string {
	t.Helper()
	var found []string
	root := filepath.Join(srv.DataDir, "blobs")
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if bytes.Contains(data, []byte(marker)) {
			found = append(found, path)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("walk %s: %v", root, err)
	}
	return found
}

// rangeOf reads bytes first..last of an object and checks its headers.
func rangeOf(t *testing.T, c *s3.Client, bucket, key string, first, last int64) []byte {
	t.Helper()
	out, err := c.GetObject(t.Context(), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key),
		Range: aws.String(fmt.Sprintf("bytes=%d-%d", first, last))})
	if err != nil {
		t.Fatalf("GET %s bytes %d-%d: %v", key, first, last, err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		t.Fatalf("read %s bytes %d-%d: %v", key, first, last, err)
	}
	if out.ServerSideEncryption != types.ServerSideEncryptionAes256 {
		t.Errorf("ranged GET of %s answers encryption %q", key, out.ServerSideEncryption)
	}
	return b
}

func wantSSE(t *testing.T, what string, got types.ServerSideEncryption) {
	t.Helper()
	if got != types.ServerSideEncryptionAes256 {
		t.Errorf("%s answers x-amz-server-side-encryption %q, want AES256", what, got)
	}
}

func TestSSES3ObjectsRoundTripAndNeverReachTheDiskInClear(t *testing.T) {
	c := rootClient()
	bucket := newBucket(t, c)
	const secret = "QUARRY-SSE-SECRET"

	// A single PUT over several chunks.
	single := marked(secret+"-single", 3*sseChunk+123)
	put, err := c.PutObject(t.Context(), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("single"),
		Body: bytes.NewReader(single), ServerSideEncryption: types.ServerSideEncryptionAes256})
	if err != nil {
		t.Fatalf("PUT with SSE: %v", err)
	}
	wantSSE(t, "PUT", put.ServerSideEncryption)
	if aws.ToString(put.ETag) != quoted(md5Hex(single)) {
		t.Errorf("PUT ETag %s, want the plaintext's MD5 %s", aws.ToString(put.ETag), md5Hex(single))
	}
	got, out := mustGet(t, c, bucket, "single", "")
	if !bytes.Equal(got, single) {
		t.Fatalf("GET returned %d bytes that differ from the %d written", len(got), len(single))
	}
	wantSSE(t, "GET", out.ServerSideEncryption)
	if aws.ToInt64(out.ContentLength) != int64(len(single)) || aws.ToString(out.ETag) != quoted(md5Hex(single)) {
		t.Errorf("GET Content-Length %d ETag %s: not the plaintext's", aws.ToInt64(out.ContentLength), aws.ToString(out.ETag))
	}
	head, err := c.HeadObject(t.Context(), &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("single")})
	if err != nil {
		t.Fatal(err)
	}
	wantSSE(t, "HEAD", head.ServerSideEncryption)
	if aws.ToInt64(head.ContentLength) != int64(len(single)) {
		t.Errorf("HEAD size %d, want %d", aws.ToInt64(head.ContentLength), len(single))
	}
	for _, r := range [][2]int64{{0, 0}, {sseChunk - 1, sseChunk}, {sseChunk - 5, 2*sseChunk + 5}, {2 * sseChunk, 3*sseChunk - 1}, {3 * sseChunk, int64(len(single)) - 1}} {
		if b := rangeOf(t, c, bucket, "single", r[0], r[1]); !bytes.Equal(b, single[r[0]:r[1]+1]) {
			t.Errorf("range %d-%d of the single PUT is wrong", r[0], r[1])
		}
	}

	// A multipart upload: each part encrypted on its own.
	parts := [][]byte{marked(secret+"-part1", 5*mib), marked(secret+"-part2", sseChunk+77)}
	up, err := c.CreateMultipartUpload(t.Context(), &s3.CreateMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String("multi"),
		ServerSideEncryption: types.ServerSideEncryptionAes256})
	if err != nil {
		t.Fatal(err)
	}
	wantSSE(t, "CreateMultipartUpload", up.ServerSideEncryption)
	var done []types.CompletedPart
	for i, p := range parts {
		out, err := c.UploadPart(t.Context(), &s3.UploadPartInput{Bucket: aws.String(bucket), Key: aws.String("multi"), UploadId: up.UploadId,
			PartNumber: aws.Int32(int32(i + 1)), Body: bytes.NewReader(p)})
		if err != nil {
			t.Fatalf("UploadPart %d: %v", i+1, err)
		}
		wantSSE(t, "UploadPart", out.ServerSideEncryption)
		if aws.ToString(out.ETag) != quoted(md5Hex(p)) {
			t.Errorf("part %d ETag %s, want the plaintext's", i+1, aws.ToString(out.ETag))
		}
		done = append(done, types.CompletedPart{PartNumber: aws.Int32(int32(i + 1)), ETag: out.ETag})
	}
	fin, err := complete(t, c, bucket, "multi", aws.ToString(up.UploadId), done)
	if err != nil {
		t.Fatalf("complete: %v", err)
	}
	wantSSE(t, "CompleteMultipartUpload", fin.ServerSideEncryption)
	if aws.ToString(fin.ETag) != quoted(multipartETag(parts)) {
		t.Errorf("multipart ETag %s, want %s", aws.ToString(fin.ETag), multipartETag(parts))
	}
	whole := bytes.Join(parts, nil)
	if got, _ := mustGet(t, c, bucket, "multi", ""); !bytes.Equal(got, whole) {
		t.Fatal("the multipart object reads wrong")
	}
	p1 := int64(len(parts[0]))
	for _, r := range [][2]int64{{p1 - 10, p1 + 10}, {p1 - 1, p1}, {p1 + sseChunk - 2, p1 + sseChunk + 2}, {sseChunk - 3, p1 + 3}} {
		if b := rangeOf(t, c, bucket, "multi", r[0], r[1]); !bytes.Equal(b, whole[r[0]:r[1]+1]) {
			t.Errorf("range %d-%d across parts is wrong", r[0], r[1])
		}
	}
	second, err := c.GetObject(t.Context(), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("multi"), PartNumber: aws.Int32(2)})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(second.Body)
	second.Body.Close()
	if !bytes.Equal(b, parts[1]) {
		t.Error("GET ?partNumber=2 reads wrong")
	}

	// Copies: decrypted into a plaintext copy, encrypted again on request.
	plainCopy, err := c.CopyObject(t.Context(), &s3.CopyObjectInput{Bucket: aws.String(bucket), Key: aws.String("copy-plain"),
		CopySource: aws.String(bucket + "/multi")})
	if err != nil {
		t.Fatal(err)
	}
	if plainCopy.ServerSideEncryption != "" {
		t.Errorf("a copy without the header into a plain bucket answers encryption %q", plainCopy.ServerSideEncryption)
	}
	if got, _ := mustGet(t, c, bucket, "copy-plain", ""); !bytes.Equal(got, whole) {
		t.Fatal("the plaintext copy reads wrong")
	}
	sealedCopy, err := c.CopyObject(t.Context(), &s3.CopyObjectInput{Bucket: aws.String(bucket), Key: aws.String("copy-sealed"),
		CopySource: aws.String(bucket + "/single"), ServerSideEncryption: types.ServerSideEncryptionAes256})
	if err != nil {
		t.Fatal(err)
	}
	wantSSE(t, "CopyObject", sealedCopy.ServerSideEncryption)
	if got, _ := mustGet(t, c, bucket, "copy-sealed", ""); !bytes.Equal(got, single) {
		t.Fatal("the encrypted copy reads wrong")
	}

	// A bucket's default encrypts a PUT that asks for nothing.
	vault := newBucket(t, c)
	_, err = c.PutBucketEncryption(t.Context(), &s3.PutBucketEncryptionInput{Bucket: aws.String(vault),
		ServerSideEncryptionConfiguration: &types.ServerSideEncryptionConfiguration{Rules: []types.ServerSideEncryptionRule{{
			ApplyServerSideEncryptionByDefault: &types.ServerSideEncryptionByDefault{SSEAlgorithm: types.ServerSideEncryptionAes256}}}}})
	if err != nil {
		t.Fatal(err)
	}
	byDefault := marked(secret+"-default", 2*sseChunk)
	wantSSE(t, "PUT into a bucket with a default", putObject(t, c, vault, "k", byDefault).ServerSideEncryption)
	got, out = mustGet(t, c, vault, "k", "")
	if !bytes.Equal(got, byDefault) {
		t.Fatal("the default-encrypted object reads wrong")
	}
	wantSSE(t, "GET of a default-encrypted object", out.ServerSideEncryption)

	// The control: an object stored in plaintext is found by the search,
	// so the search would find the encrypted ones were they in clear. It
	// is larger than --inline-max, so that it is stored in a blob.
	const control = "QUARRY-SSE-CONTROL"
	putObject(t, c, bucket, "control", marked(control, aboveInlineMax))
	if files := blobFilesHolding(t, sharedSrv, control); len(files) != 1 {
		t.Fatalf("the plaintext control is in %d blob files, want 1: the search does not work", len(files))
	}
	// copy-plain holds the multipart's plaintext on purpose (its parts are
	// checked on a server of their own below): look for what must be
	// encrypted only.
	for _, m := range []string{secret + "-single", secret + "-default"} {
		if files := blobFilesHolding(t, sharedSrv, m); len(files) != 0 {
			t.Errorf("plaintext %q found on disk in %v", m, files)
		}
	}
}

func TestTheMultipartPartsAreEncryptedOnDisk(t *testing.T) {
	// Its own server, so that no plaintext copy of the parts exists.
	srv := startServer(t, serverOptions{})
	c := s3Client(srv.S3URL, srv.AccessKey, srv.SecretKey)
	bucket := newBucket(t, c)
	const secret = "QUARRY-SSE-PARTS"
	parts := [][]byte{marked(secret, 5*mib), marked(secret, 1000)}
	up, err := c.CreateMultipartUpload(t.Context(), &s3.CreateMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String("m"),
		ServerSideEncryption: types.ServerSideEncryptionAes256})
	if err != nil {
		t.Fatal(err)
	}
	var done []types.CompletedPart
	for i, p := range parts {
		done = append(done, uploadPart(t, c, bucket, "m", aws.ToString(up.UploadId), int32(i+1), p))
	}
	if _, err := complete(t, c, bucket, "m", aws.ToString(up.UploadId), done); err != nil {
		t.Fatal(err)
	}
	if got, _ := mustGet(t, c, bucket, "m", ""); !bytes.Equal(got, bytes.Join(parts, nil)) {
		t.Fatal("the object reads wrong")
	}
	if files := blobFilesHolding(t, srv, secret); len(files) != 0 {
		t.Fatalf("part plaintext on disk in %v", files)
	}
	putObject(t, c, bucket, "control", marked(secret, aboveInlineMax))
	if files := blobFilesHolding(t, srv, secret); len(files) != 1 {
		t.Fatalf("the plaintext control is in %d blob files, want 1", len(files))
	}
}

func TestBucketEncryptionXMLRoundTrips(t *testing.T) {
	c := rootClient()
	bucket := newBucket(t, c)
	_, err := c.GetBucketEncryption(t.Context(), &s3.GetBucketEncryptionInput{Bucket: aws.String(bucket)})
	wantErr(t, "GetBucketEncryption without a configuration", err, http.StatusNotFound, "ServerSideEncryptionConfigurationNotFoundError")

	doc := `<ServerSideEncryptionConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Rule>` +
		`<ApplyServerSideEncryptionByDefault><SSEAlgorithm>AES256</SSEAlgorithm></ApplyServerSideEncryptionByDefault>` +
		`<BucketKeyEnabled>true</BucketKeyEnabled></Rule></ServerSideEncryptionConfiguration>`
	r := do(t, sharedSrv, rawRequest{Method: http.MethodPut, Target: "/" + bucket + "?encryption", Body: []byte(doc),
		Header: map[string]string{"Content-MD5": contentMD5([]byte(doc))}})
	wantRaw(t, "PUT ?encryption", r, http.StatusOK, "")
	r = do(t, sharedSrv, rawRequest{Method: http.MethodGet, Target: "/" + bucket + "?encryption"})
	wantRaw(t, "GET ?encryption", r, http.StatusOK, "")
	for _, want := range []string{`<ServerSideEncryptionConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">`,
		"<Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>AES256</SSEAlgorithm></ApplyServerSideEncryptionByDefault><BucketKeyEnabled>true</BucketKeyEnabled></Rule>"} {
		if !strings.Contains(string(r.Body), want) {
			t.Errorf("GET ?encryption body %s lacks %s", r.Body, want)
		}
	}
	out, err := c.GetBucketEncryption(t.Context(), &s3.GetBucketEncryptionInput{Bucket: aws.String(bucket)})
	if err != nil {
		t.Fatal(err)
	}
	rule := out.ServerSideEncryptionConfiguration.Rules[0]
	if rule.ApplyServerSideEncryptionByDefault.SSEAlgorithm != types.ServerSideEncryptionAes256 || !aws.ToBool(rule.BucketKeyEnabled) {
		t.Errorf("SDK reads %+v", rule)
	}

	kms := strings.Replace(doc, "AES256", "aws:kms", 1)
	r = do(t, sharedSrv, rawRequest{Method: http.MethodPut, Target: "/" + bucket + "?encryption", Body: []byte(kms)})
	wantRaw(t, "PUT ?encryption with aws:kms", r, http.StatusNotImplemented, "NotImplemented")
	if !strings.Contains(string(r.Body), "KMS") {
		t.Errorf("the KMS refusal does not say why: %s", r.Body)
	}
	// The refused document changed nothing.
	if _, err := c.GetBucketEncryption(t.Context(), &s3.GetBucketEncryptionInput{Bucket: aws.String(bucket)}); err != nil {
		t.Errorf("after a refused PUT: %v", err)
	}

	if _, err := c.DeleteBucketEncryption(t.Context(), &s3.DeleteBucketEncryptionInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetBucketEncryption(t.Context(), &s3.GetBucketEncryptionInput{Bucket: aws.String(bucket)})
	wantErr(t, "GetBucketEncryption after delete", err, http.StatusNotFound, "ServerSideEncryptionConfigurationNotFoundError")
}

func TestKMSAndCustomerKeysAreRefusedClearly(t *testing.T) {
	c := rootClient()
	bucket := newBucket(t, c)
	_, err := c.PutObject(t.Context(), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("kms"),
		Body: strings.NewReader("x"), ServerSideEncryption: types.ServerSideEncryptionAwsKms})
	wantErr(t, "PUT with aws:kms", err, http.StatusNotImplemented, "NotImplemented")
	_, err = c.PutObject(t.Context(), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("ssec"),
		Body: strings.NewReader("x"), SSECustomerAlgorithm: aws.String("AES256"),
		SSECustomerKey: aws.String("MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTIzNDU2Nzg5MDE="), SSECustomerKeyMD5: aws.String("sMaW+kH+nw8BLy/8JbFzNA==")})
	wantErr(t, "PUT with SSE-C", err, http.StatusNotImplemented, "NotImplemented")
	r := do(t, sharedSrv, rawRequest{Method: http.MethodPut, Target: "/" + bucket + "/bogus", Body: []byte("x"),
		Header: map[string]string{"X-Amz-Server-Side-Encryption": "AES512"}})
	wantRaw(t, "PUT with an unknown algorithm", r, http.StatusBadRequest, "InvalidArgument")
	for _, key := range []string{"kms", "ssec", "bogus"} {
		_, err := c.HeadObject(t.Context(), &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
		if errStatus(err) != http.StatusNotFound {
			t.Errorf("refused PUT of %s stored something: %v", key, err)
		}
	}
}

// encryptionInfo is the s3_encryption answer.
type encryptionInfo struct {
	EncryptionMode string `json:"encryptionMode"`
	RekeyEvents    []struct {
		User      string `json:"user"`
		Timestamp int64  `json:"timestamp"`
		Code      string `json:"code"`
		Message   string `json:"message"`
	} `json:"rekeyEvents"`
}

func TestS3EncryptionModeAndKeyRotationThroughTheMAPI(t *testing.T) {
	// Its own server: INTERNAL mode would encrypt every other test's writes.
	srv := startServer(t, serverOptions{})
	admin := mapiRoot(t, srv)
	c := s3Client(srv.S3URL, srv.AccessKey, srv.SecretKey)
	bucket := newBucket(t, c)

	var info encryptionInfo
	admin.must("s3_encryption/get", nil, &info)
	if info.EncryptionMode != "NONE" || info.RekeyEvents == nil || len(info.RekeyEvents) != 0 {
		t.Fatalf("fresh server: %+v, want NONE and []", info)
	}
	before := time.Now().Unix()
	admin.must("s3_encryption/set", map[string]string{"encryptionMode": "INTERNAL"}, &info)
	if info.EncryptionMode != "INTERNAL" || len(info.RekeyEvents) != 1 {
		t.Fatalf("after set: %+v", info)
	}
	ev := info.RekeyEvents[0]
	if ev.User != rootUser || ev.Code != "MODE_CHANGED" || ev.Timestamp < before-5 || ev.Timestamp > time.Now().Unix()+5 {
		t.Errorf("event %+v: want MODE_CHANGED by %s at about %d", ev, rootUser, before)
	}

	const secret = "QUARRY-SSE-INTERNAL"
	data := marked(secret, 3*sseChunk)
	wantSSE(t, "a PUT without the header under INTERNAL", putObject(t, c, bucket, "k", data).ServerSideEncryption)
	if files := blobFilesHolding(t, srv, secret); len(files) != 0 {
		t.Fatalf("plaintext on disk under INTERNAL: %v", files)
	}
	cfg, err := c.GetBucketEncryption(t.Context(), &s3.GetBucketEncryptionInput{Bucket: aws.String(bucket)})
	if err != nil || cfg.ServerSideEncryptionConfiguration.Rules[0].ApplyServerSideEncryptionByDefault.SSEAlgorithm != types.ServerSideEncryptionAes256 {
		t.Errorf("a bucket under INTERNAL reports encryption %+v, %v; want AES256", cfg, err)
	}

	// Set by a user: refused, and nothing changes.
	admin.createUser("sse-user", "sse-user-password", "USER")
	user := mapiLogin(t, srv, "sse-user", "sse-user-password")
	if r := user.post("s3_encryption/set", map[string]string{"encryptionMode": "NONE"}); r.Status != http.StatusForbidden {
		t.Errorf("a user's set: %s, want 403", r)
	}
	if r := admin.post("s3_encryption/set", map[string]string{"encryptionMode": "SOMETIMES"}); r.Status != http.StatusBadRequest {
		t.Errorf("an unknown mode: %s, want 400", r)
	}

	admin.must("s3_encryption/set", map[string]string{"encryptionMode": "NONE"}, &info)
	control := marked("QUARRY-SSE-NONE", aboveInlineMax)
	if out := putObject(t, c, bucket, "plain", control); out.ServerSideEncryption != "" {
		t.Errorf("a PUT under NONE answers encryption %q", out.ServerSideEncryption)
	}
	if files := blobFilesHolding(t, srv, "QUARRY-SSE-NONE"); len(files) != 1 {
		t.Errorf("the plaintext object under NONE is in %d blob files, want 1", len(files))
	}

	// Rotation rewraps every data key; the objects still read, after a
	// restart too (the new key is read back from the store).
	admin.must("s3_encryption/rotate_key", nil, &info)
	if len(info.RekeyEvents) != 3 || info.RekeyEvents[0].Code != "KEY_ROTATED" || info.RekeyEvents[0].User != rootUser ||
		!strings.Contains(info.RekeyEvents[0].Message, "1 versions") {
		t.Fatalf("after rotation: %+v", info)
	}
	if got, _ := mustGet(t, c, bucket, "k", ""); !bytes.Equal(got, data) {
		t.Fatal("the encrypted object reads wrong after rotation")
	}
	srv.Stop(t)
	srv.Restart(t)
	c = s3Client(srv.S3URL, srv.AccessKey, srv.SecretKey)
	if got, _ := mustGet(t, c, bucket, "k", ""); !bytes.Equal(got, data) {
		t.Fatal("the encrypted object reads wrong after rotation and a restart")
	}

	// verifyData accepts encrypted blobs at their sealed length.
	admin = mapiRoot(t, srv)
	j := admin.createJob(metricRecon, bucket, map[string]string{"verifyData": "true"})
	j = admin.waitJobEnded(j.ID(), time.Minute)
	if j.JobState != "COMPLETE" || j.JobStats.Failed != 0 || j.JobStats.Processed != 2 {
		t.Errorf("verifyData over encrypted and plain objects: %+v", j)
	}

	// The CLI shows the same record and rotates too.
	home := newCLIHome(t, srv)
	home.login(rootUser, rootPassword)
	if res := home.ok("admin", "rotate-sse-key"); !strings.Contains(res.stdout, "rotated") {
		t.Errorf("rotate-sse-key printed %q", res.stdout)
	}
	var shown encryptionInfo
	home.jsonOf(&shown, "admin", "encryption")
	if shown.EncryptionMode != "NONE" || len(shown.RekeyEvents) != 4 || shown.RekeyEvents[0].Code != "KEY_ROTATED" {
		t.Errorf("quarry admin encryption: %+v", shown)
	}
	if got, _ := mustGet(t, c, bucket, "k", ""); !bytes.Equal(got, data) {
		t.Fatal("the encrypted object reads wrong after the second rotation")
	}
}

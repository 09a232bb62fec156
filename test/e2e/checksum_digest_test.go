package e2e

import (
	"bytes"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"hash/crc64"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
)

// The five checksum algorithms S3 computes and verifies.
var checksumAlgorithms = []types.ChecksumAlgorithm{
	types.ChecksumAlgorithmCrc32, types.ChecksumAlgorithmCrc32c, types.ChecksumAlgorithmCrc64nvme,
	types.ChecksumAlgorithmSha1, types.ChecksumAlgorithmSha256,
}

// checksumHash is a fresh hash of alg, written here from the published
// definitions: CRC-64/NVME is the reflected polynomial 0x9a6c9329ac4bc9b5
// with the register inverted at both ends, as hash/crc64 does it.
func checksumHash(alg types.ChecksumAlgorithm) hash.Hash {
	switch alg {
	case types.ChecksumAlgorithmCrc32:
		return crc32.NewIEEE()
	case types.ChecksumAlgorithmCrc32c:
		return crc32.New(crc32.MakeTable(crc32.Castagnoli))
	case types.ChecksumAlgorithmCrc64nvme:
		return crc64.New(crc64.MakeTable(0x9a6c9329ac4bc9b5))
	case types.ChecksumAlgorithmSha1:
		return sha1.New()
	case types.ChecksumAlgorithmSha256:
		return sha256.New()
	}
	panic("unknown checksum algorithm " + alg)
}

// checksumRaw is alg's digest of data; checksumOf its base64, as S3 sends it.
func checksumRaw(alg types.ChecksumAlgorithm, data []byte) []byte {
	h := checksumHash(alg)
	h.Write(data)
	return h.Sum(nil)
}

func checksumOf(alg types.ChecksumAlgorithm, data []byte) string {
	return base64.StdEncoding.EncodeToString(checksumRaw(alg, data))
}

// wrongChecksum is a well-formed value of alg that is not data's.
func wrongChecksum(alg types.ChecksumAlgorithm, data []byte) string {
	raw := checksumRaw(alg, data)
	raw[0] ^= 0xff
	return base64.StdEncoding.EncodeToString(raw)
}

// checksumName is the lower-case name of alg in headers and messages.
func checksumName(alg types.ChecksumAlgorithm) string { return strings.ToLower(string(alg)) }

// setChecksum sets the checksum field of alg on an SDK input (a
// *s3.PutObjectInput, *s3.UploadPartInput or
// *s3.CompleteMultipartUploadInput) to v.
func setChecksum(in any, alg types.ChecksumAlgorithm, v string) {
	var crc32v, crc32c, crc64, sha1v, sha256v **string
	switch in := in.(type) {
	case *s3.PutObjectInput:
		crc32v, crc32c, crc64, sha1v, sha256v = &in.ChecksumCRC32, &in.ChecksumCRC32C, &in.ChecksumCRC64NVME, &in.ChecksumSHA1, &in.ChecksumSHA256
	case *s3.UploadPartInput:
		crc32v, crc32c, crc64, sha1v, sha256v = &in.ChecksumCRC32, &in.ChecksumCRC32C, &in.ChecksumCRC64NVME, &in.ChecksumSHA1, &in.ChecksumSHA256
	case *s3.CompleteMultipartUploadInput:
		crc32v, crc32c, crc64, sha1v, sha256v = &in.ChecksumCRC32, &in.ChecksumCRC32C, &in.ChecksumCRC64NVME, &in.ChecksumSHA1, &in.ChecksumSHA256
	default:
		panic(fmt.Sprintf("setChecksum of %T", in))
	}
	field := map[types.ChecksumAlgorithm]**string{
		types.ChecksumAlgorithmCrc32: crc32v, types.ChecksumAlgorithmCrc32c: crc32c, types.ChecksumAlgorithmCrc64nvme: crc64,
		types.ChecksumAlgorithmSha1: sha1v, types.ChecksumAlgorithmSha256: sha256v,
	}[alg]
	*field = aws.String(v)
}

// checksumField reads the checksum of alg from the Checksum* fields S3
// outputs share.
func checksumField(alg types.ChecksumAlgorithm, crc32v, crc32c, crc64, sha1v, sha256v *string) string {
	return aws.ToString(map[types.ChecksumAlgorithm]*string{
		types.ChecksumAlgorithmCrc32: crc32v, types.ChecksumAlgorithmCrc32c: crc32c, types.ChecksumAlgorithmCrc64nvme: crc64,
		types.ChecksumAlgorithmSha1: sha1v, types.ChecksumAlgorithmSha256: sha256v,
	}[alg])
}

// trailerPut is a PUT of data as the SDKs send one over TLS: an unsigned
// aws-chunked body (STREAMING-UNSIGNED-PAYLOAD-TRAILER) announcing the
// trailer name in x-amz-trailer; the trailer line "name:value" follows the
// last chunk unless omitted.
func trailerPut(t *testing.T, srv *server, target string, data []byte, name, value string, omit bool) *http.Request {
	t.Helper()
	var body bytes.Buffer
	fmt.Fprintf(&body, "%x\r\n", len(data))
	body.Write(data)
	body.WriteString("\r\n0\r\n")
	if !omit {
		fmt.Fprintf(&body, "%s:%s\r\n", name, value)
	}
	body.WriteString("\r\n")
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPut, srv.S3URL+target, bytes.NewReader(body.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	const mode = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
	req.Header.Set("Content-Encoding", "aws-chunked")
	req.Header.Set("X-Amz-Decoded-Content-Length", strconv.Itoa(len(data)))
	req.Header.Set("X-Amz-Trailer", name)
	req.Header.Set("X-Amz-Content-Sha256", mode)
	creds := aws.Credentials{AccessKeyID: srv.AccessKey, SecretAccessKey: srv.SecretKey}
	if err := v4.NewSigner().SignHTTP(t.Context(), creds, req, mode, "s3", testRegion, time.Now(),
		func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true }); err != nil {
		t.Fatal(err)
	}
	return req
}

// wantMessage fails t unless err is an S3 error with that message.
func wantMessage(t *testing.T, what string, err error, message string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorMessage() != message {
		t.Errorf("%s: message %v, want %q", what, err, message)
	}
}

func TestChecksumMismatchesAnswerBadDigestAndStoreNothing(t *testing.T) {
	t.Parallel()
	c := rootClient()
	ctx := t.Context()
	bucket := newBucket(t, c)
	body := randomBytes(70, 64<<10)
	gone := func(what, key string) {
		t.Helper()
		_, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
		wantErr(t, what+": HeadObject afterwards", err, http.StatusNotFound, "")
	}
	for _, alg := range checksumAlgorithms {
		t.Run(string(alg), func(t *testing.T) {
			message := fmt.Sprintf("The %s you specified did not match the calculated checksum.", checksumName(alg))

			key := "put-" + checksumName(alg)
			in := &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(body)}
			setChecksum(in, alg, wrongChecksum(alg, body))
			_, err := c.PutObject(ctx, in)
			wantErr(t, "PutObject with a wrong x-amz-checksum-"+checksumName(alg), err, http.StatusBadRequest, "BadDigest")
			wantMessage(t, "PutObject with a wrong checksum", err, message)
			gone("PutObject", key)

			key = "part-" + checksumName(alg)
			up, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String(key), ChecksumAlgorithm: alg})
			if err != nil {
				t.Fatalf("CreateMultipartUpload: %v", err)
			}
			part := &s3.UploadPartInput{Bucket: aws.String(bucket), Key: aws.String(key), UploadId: up.UploadId, PartNumber: aws.Int32(1), Body: bytes.NewReader(body)}
			setChecksum(part, alg, wrongChecksum(alg, body))
			_, err = c.UploadPart(ctx, part)
			wantErr(t, "UploadPart with a wrong checksum", err, http.StatusBadRequest, "BadDigest")
			wantMessage(t, "UploadPart with a wrong checksum", err, message)
			parts, err := c.ListParts(ctx, &s3.ListPartsInput{Bucket: aws.String(bucket), Key: aws.String(key), UploadId: up.UploadId})
			if err != nil || len(parts.Parts) != 0 {
				t.Errorf("ListParts after a refused part: %d parts, %v; want none", len(parts.Parts), err)
			}

			key = "trailer-" + checksumName(alg)
			header := "x-amz-checksum-" + checksumName(alg)
			r := send(t, trailerPut(t, sharedSrv, "/"+bucket+"/"+key, body, header, wrongChecksum(alg, body), false))
			wantRaw(t, "aws-chunked PUT with a wrong trailing checksum", r, http.StatusBadRequest, "BadDigest")
			gone("trailing checksum", key)

			key = "form-" + checksumName(alg)
			fields := append([]formField{{"key", key}, {header, wrongChecksum(alg, body)}},
				sigV4Form(time.Now(), time.Now().Add(time.Minute), fmt.Sprintf(`{"bucket": %q}`, bucket),
					fmt.Sprintf(`{"key": %q}`, key), fmt.Sprintf(`["starts-with", "$%s", ""]`, header))...)
			r = postForm(t, sharedSrv.S3URL+"/"+bucket, fields, key, body)
			wantRaw(t, "browser POST with a wrong checksum field", r, http.StatusBadRequest, "BadDigest")
			gone("browser POST", key)

			// The right values are taken on each path.
			in = &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(body)}
			setChecksum(in, alg, checksumOf(alg, body))
			if _, err := c.PutObject(ctx, in); err != nil {
				t.Errorf("PutObject with the right checksum: %v", err)
			}
			r = send(t, trailerPut(t, sharedSrv, "/"+bucket+"/trailer-ok-"+checksumName(alg), body, header, checksumOf(alg, body), false))
			wantRaw(t, "aws-chunked PUT with the right trailing checksum", r, http.StatusOK, "")
			if got := r.Header.Get(header); got != checksumOf(alg, body) {
				t.Errorf("aws-chunked PUT answered %s %q, want %q", header, got, checksumOf(alg, body))
			}
		})
	}
}

func TestContentMD5MismatchesAnswerBadDigestOnEveryPath(t *testing.T) {
	t.Parallel()
	c := rootClient()
	ctx := t.Context()
	bucket := newBucket(t, c)
	body := []byte("digest me")
	wrong := md5.Sum([]byte("something else"))
	wrongMD5 := base64.StdEncoding.EncodeToString(wrong[:])
	const message = "The Content-MD5 you specified did not match what we received."

	_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("put"), Body: bytes.NewReader(body), ContentMD5: aws.String(wrongMD5)})
	wantErr(t, "PutObject with a wrong Content-MD5", err, http.StatusBadRequest, "BadDigest")
	wantMessage(t, "PutObject with a wrong Content-MD5", err, message)

	id := createUpload(t, c, bucket, "part")
	_, err = c.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String(bucket), Key: aws.String("part"), UploadId: aws.String(id),
		PartNumber: aws.Int32(1), Body: bytes.NewReader(body), ContentMD5: aws.String(wrongMD5)})
	wantErr(t, "UploadPart with a wrong Content-MD5", err, http.StatusBadRequest, "BadDigest")
	parts, err := c.ListParts(ctx, &s3.ListPartsInput{Bucket: aws.String(bucket), Key: aws.String("part"), UploadId: aws.String(id)})
	if err != nil || len(parts.Parts) != 0 {
		t.Errorf("ListParts after a refused part: %d parts, %v; want none", len(parts.Parts), err)
	}

	// A request document is checked too (a tag set here).
	r := do(t, sharedSrv, rawRequest{Method: http.MethodPut, Target: "/" + bucket + "/part?tagging",
		Body:   []byte(`<Tagging><TagSet><Tag><Key>a</Key><Value>b</Value></Tag></TagSet></Tagging>`),
		Header: map[string]string{"Content-MD5": wrongMD5}})
	wantRaw(t, "PutObjectTagging with a wrong Content-MD5", r, http.StatusBadRequest, "BadDigest")
}

func TestTrailingChecksumsThatAreMissingOrMalformedAreRefused(t *testing.T) {
	t.Parallel()
	c := rootClient()
	bucket := newBucket(t, c)
	body := randomBytes(71, 1000)
	r := send(t, trailerPut(t, sharedSrv, "/"+bucket+"/missing", body, "x-amz-checksum-crc32", "", true))
	wantRaw(t, "a trailing checksum announced but not sent", r, http.StatusBadRequest, "MalformedTrailerError")
	r = send(t, trailerPut(t, sharedSrv, "/"+bucket+"/malformed", body, "x-amz-checksum-sha1", "AAAAAA==", false))
	wantRaw(t, "a trailing SHA1 of four bytes", r, http.StatusBadRequest, "InvalidRequest")
	for _, key := range []string{"missing", "malformed"} {
		_, err := c.HeadObject(t.Context(), &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
		wantErr(t, "HeadObject of "+key, err, http.StatusNotFound, "")
	}
}

// be64 is S3's encoding of a 64-bit CRC.
func be64(v uint64) string {
	return base64.StdEncoding.EncodeToString(binary.BigEndian.AppendUint64(nil, v))
}

func TestCRC64NVMEAndSHA1AreComputedAsTheSDKComputesThem(t *testing.T) {
	t.Parallel()
	c := rootClient()
	ctx := t.Context()
	bucket := newBucket(t, c)
	// The CRC catalogue's check value of CRC-64/NVME anchors the local
	// implementation; the SDK computes its own value on upload, which the
	// server verifies.
	if got := checksumOf(types.ChecksumAlgorithmCrc64nvme, []byte("123456789")); got != be64(0xae8b14860a799888) {
		t.Fatalf("local CRC-64/NVME of 123456789 = %s, want the catalogue's check value", got)
	}
	body := randomBytes(72, 3*mib+17)
	for _, alg := range []types.ChecksumAlgorithm{types.ChecksumAlgorithmCrc64nvme, types.ChecksumAlgorithmSha1} {
		key := "sdk-" + checksumName(alg)
		put, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(body), ChecksumAlgorithm: alg})
		if err != nil {
			t.Fatalf("PutObject with the SDK's %s: %v", alg, err)
		}
		want := checksumOf(alg, body)
		if got := checksumField(alg, put.ChecksumCRC32, put.ChecksumCRC32C, put.ChecksumCRC64NVME, put.ChecksumSHA1, put.ChecksumSHA256); got != want {
			t.Errorf("PutObject %s = %q, want %q", alg, got, want)
		}
		if put.ChecksumType != types.ChecksumTypeFullObject {
			t.Errorf("PutObject %s checksum type %q, want FULL_OBJECT", alg, put.ChecksumType)
		}
		// ChecksumMode ENABLED makes the SDK check the body against it.
		got, out := mustGetInput(t, c, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), ChecksumMode: types.ChecksumModeEnabled})
		if !bytes.Equal(got, body) || checksumField(alg, out.ChecksumCRC32, out.ChecksumCRC32C, out.ChecksumCRC64NVME, out.ChecksumSHA1, out.ChecksumSHA256) != want {
			t.Errorf("GetObject %s: %d bytes, checksum %+v", alg, len(got), out.ChecksumCRC64NVME)
		}
		if out.ChecksumType != types.ChecksumTypeFullObject {
			t.Errorf("GetObject %s checksum type %q, want FULL_OBJECT", alg, out.ChecksumType)
		}
		copied, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(bucket), Key: aws.String(key + "-copy"),
			CopySource: aws.String(bucket + "/" + key), ChecksumAlgorithm: alg})
		if err != nil {
			t.Fatalf("CopyObject with %s: %v", alg, err)
		}
		r := copied.CopyObjectResult
		if got := checksumField(alg, r.ChecksumCRC32, r.ChecksumCRC32C, r.ChecksumCRC64NVME, r.ChecksumSHA1, r.ChecksumSHA256); got != want {
			t.Errorf("CopyObject %s = %q, want %q", alg, got, want)
		}
	}
}

package e2e

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// partChecksum is the checksum of alg an SDK part output carries.
func partChecksum(alg types.ChecksumAlgorithm, p *s3.UploadPartOutput) string {
	return checksumField(alg, p.ChecksumCRC32, p.ChecksumCRC32C, p.ChecksumCRC64NVME, p.ChecksumSHA1, p.ChecksumSHA256)
}

// completedPart is a part as CompleteMultipartUpload lists it, with its
// checksum of alg.
func completedPart(n int32, alg types.ChecksumAlgorithm, p *s3.UploadPartOutput) types.CompletedPart {
	cp := types.CompletedPart{PartNumber: aws.Int32(n), ETag: p.ETag}
	v := aws.String(partChecksum(alg, p))
	switch alg {
	case types.ChecksumAlgorithmCrc32:
		cp.ChecksumCRC32 = v
	case types.ChecksumAlgorithmCrc32c:
		cp.ChecksumCRC32C = v
	case types.ChecksumAlgorithmCrc64nvme:
		cp.ChecksumCRC64NVME = v
	case types.ChecksumAlgorithmSha1:
		cp.ChecksumSHA1 = v
	case types.ChecksumAlgorithmSha256:
		cp.ChecksumSHA256 = v
	}
	return cp
}

// compositeOf is S3's COMPOSITE checksum of parts: the checksum of their
// raw checksums concatenated, then "-N".
func compositeOf(alg types.ChecksumAlgorithm, parts [][]byte) string {
	var cat []byte
	for _, p := range parts {
		cat = append(cat, checksumRaw(alg, p)...)
	}
	return fmt.Sprintf("%s-%d", checksumOf(alg, cat), len(parts))
}

// checksumUpload creates an upload of alg (and typ, unless empty) and
// uploads parts to it, the SDK computing each part's checksum; it returns
// the upload id, the type S3 answered and the parts to complete with.
func checksumUpload(t *testing.T, c *s3.Client, bucket, key string, alg types.ChecksumAlgorithm, typ types.ChecksumType, parts [][]byte) (string, types.ChecksumType, []types.CompletedPart) {
	t.Helper()
	ctx := t.Context()
	up, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String(key), ChecksumAlgorithm: alg, ChecksumType: typ})
	if err != nil {
		t.Fatalf("CreateMultipartUpload %s %s: %v", alg, typ, err)
	}
	if up.ChecksumAlgorithm != alg {
		t.Errorf("CreateMultipartUpload answered algorithm %q, want %q", up.ChecksumAlgorithm, alg)
	}
	var done []types.CompletedPart
	for i, data := range parts {
		n := int32(i + 1)
		out, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String(bucket), Key: aws.String(key), UploadId: up.UploadId,
			PartNumber: aws.Int32(n), Body: bytes.NewReader(data), ChecksumAlgorithm: alg})
		if err != nil {
			t.Fatalf("UploadPart %d with %s: %v", n, alg, err)
		}
		if got, want := partChecksum(alg, out), checksumOf(alg, data); got != want {
			t.Errorf("UploadPart %d %s = %q, want %q", n, alg, got, want)
		}
		done = append(done, completedPart(n, alg, out))
	}
	return aws.ToString(up.UploadId), up.ChecksumType, done
}

func TestMultipartObjectsGetFullObjectAndCompositeChecksums(t *testing.T) {
	t.Parallel()
	c := rootClient()
	ctx := t.Context()
	bucket := newBucket(t, c)
	parts := [][]byte{randomBytes(80, 5*mib), randomBytes(81, 123_457)}
	whole := bytes.Join(parts, nil)
	tests := []struct {
		alg      types.ChecksumAlgorithm
		asked    types.ChecksumType // "" for S3's default
		wantType types.ChecksumType
	}{
		{types.ChecksumAlgorithmCrc64nvme, "", types.ChecksumTypeFullObject},
		{types.ChecksumAlgorithmCrc32, types.ChecksumTypeFullObject, types.ChecksumTypeFullObject},
		{types.ChecksumAlgorithmCrc32c, types.ChecksumTypeFullObject, types.ChecksumTypeFullObject},
		{types.ChecksumAlgorithmCrc32, "", types.ChecksumTypeComposite},
		{types.ChecksumAlgorithmCrc32c, types.ChecksumTypeComposite, types.ChecksumTypeComposite},
		{types.ChecksumAlgorithmSha1, "", types.ChecksumTypeComposite},
		{types.ChecksumAlgorithmSha256, "", types.ChecksumTypeComposite},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s %s", tt.wantType, tt.alg), func(t *testing.T) {
			key := fmt.Sprintf("%s-%s", tt.wantType, tt.alg)
			id, typ, done := checksumUpload(t, c, bucket, key, tt.alg, tt.asked, parts)
			if typ != tt.wantType {
				t.Errorf("CreateMultipartUpload answered type %q, want %q", typ, tt.wantType)
			}
			want := checksumOf(tt.alg, whole)
			if tt.wantType == types.ChecksumTypeComposite {
				want = compositeOf(tt.alg, parts)
			}
			lp, err := c.ListParts(ctx, &s3.ListPartsInput{Bucket: aws.String(bucket), Key: aws.String(key), UploadId: aws.String(id)})
			if err != nil || lp.ChecksumType != tt.wantType || lp.ChecksumAlgorithm != tt.alg || len(lp.Parts) != 2 {
				t.Fatalf("ListParts: %+v, %v", lp, err)
			}
			if got := checksumField(tt.alg, lp.Parts[1].ChecksumCRC32, lp.Parts[1].ChecksumCRC32C, lp.Parts[1].ChecksumCRC64NVME, lp.Parts[1].ChecksumSHA1, lp.Parts[1].ChecksumSHA256); got != checksumOf(tt.alg, parts[1]) {
				t.Errorf("ListParts part 2 %s = %q, want %q", tt.alg, got, checksumOf(tt.alg, parts[1]))
			}

			// The client may state the object's checksum, type and size:
			// S3 checks them against what it computes.
			in := &s3.CompleteMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String(key), UploadId: aws.String(id),
				MultipartUpload: &types.CompletedMultipartUpload{Parts: done}, ChecksumType: tt.wantType, MpuObjectSize: aws.Int64(int64(len(whole)))}
			setChecksum(in, tt.alg, wrongChecksum(tt.alg, whole))
			_, err = c.CompleteMultipartUpload(ctx, in)
			wantErr(t, "CompleteMultipartUpload stating a wrong object checksum", err, http.StatusBadRequest, "BadDigest")
			setChecksum(in, tt.alg, want)
			out, err := c.CompleteMultipartUpload(ctx, in)
			if err != nil {
				t.Fatalf("CompleteMultipartUpload stating the right checksum, type and size: %v", err)
			}
			if got := checksumField(tt.alg, out.ChecksumCRC32, out.ChecksumCRC32C, out.ChecksumCRC64NVME, out.ChecksumSHA1, out.ChecksumSHA256); got != want || out.ChecksumType != tt.wantType {
				t.Errorf("CompleteMultipartUpload answered %s %q type %q, want %q %q", tt.alg, got, out.ChecksumType, want, tt.wantType)
			}

			head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), ChecksumMode: types.ChecksumModeEnabled})
			if err != nil {
				t.Fatalf("HeadObject: %v", err)
			}
			if got := checksumField(tt.alg, head.ChecksumCRC32, head.ChecksumCRC32C, head.ChecksumCRC64NVME, head.ChecksumSHA1, head.ChecksumSHA256); got != want || head.ChecksumType != tt.wantType {
				t.Errorf("HeadObject %s %q type %q, want %q %q", tt.alg, got, head.ChecksumType, want, tt.wantType)
			}
			// The SDK checks a full-object checksum against the body
			// (a composite one it cannot, and skips).
			got, _ := mustGetInput(t, c, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), ChecksumMode: types.ChecksumModeEnabled})
			if !bytes.Equal(got, whole) {
				t.Errorf("GetObject: %d bytes, want %d equal bytes", len(got), len(whole))
			}
			// A part comes with the part's own checksum, which the SDK
			// checks against the part's bytes.
			got, gp := mustGetInput(t, c, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), PartNumber: aws.Int32(2), ChecksumMode: types.ChecksumModeEnabled})
			if !bytes.Equal(got, parts[1]) || checksumField(tt.alg, gp.ChecksumCRC32, gp.ChecksumCRC32C, gp.ChecksumCRC64NVME, gp.ChecksumSHA1, gp.ChecksumSHA256) != checksumOf(tt.alg, parts[1]) {
				t.Errorf("GetObject part 2: %d bytes, checksum of the part missing", len(got))
			}
		})
	}
}

func TestTheChecksumTypeOfAnUploadIsOneItsAlgorithmHas(t *testing.T) {
	t.Parallel()
	c := rootClient()
	bucket := newBucket(t, c)
	tests := []struct {
		name string
		alg  types.ChecksumAlgorithm
		typ  types.ChecksumType
	}{
		{"SHA256 has no full-object form", types.ChecksumAlgorithmSha256, types.ChecksumTypeFullObject},
		{"SHA1 has no full-object form", types.ChecksumAlgorithmSha1, types.ChecksumTypeFullObject},
		{"CRC64NVME has no composite form", types.ChecksumAlgorithmCrc64nvme, types.ChecksumTypeComposite},
		{"a type needs an algorithm", "", types.ChecksumTypeFullObject},
	}
	for _, tt := range tests {
		_, err := c.CreateMultipartUpload(t.Context(), &s3.CreateMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String("k"), ChecksumAlgorithm: tt.alg, ChecksumType: tt.typ})
		wantErr(t, tt.name, err, http.StatusBadRequest, "InvalidRequest")
	}
	uploads, err := c.ListMultipartUploads(t.Context(), &s3.ListMultipartUploadsInput{Bucket: aws.String(bucket)})
	if err != nil || len(uploads.Uploads) != 0 {
		t.Errorf("uploads after refusals: %+v, %v", uploads.Uploads, err)
	}
}

func TestCompositeCompletionsNeedEachPartsChecksumAndPartsFromOne(t *testing.T) {
	t.Parallel()
	c := rootClient()
	ctx := t.Context()
	bucket := newBucket(t, c)
	parts := [][]byte{randomBytes(82, 5*mib), randomBytes(83, 5*mib), randomBytes(84, 10)}
	id, _, done := checksumUpload(t, c, bucket, "k", types.ChecksumAlgorithmCrc32, "", parts)
	complete := func(list []types.CompletedPart) error {
		_, err := c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String("k"), UploadId: aws.String(id),
			MultipartUpload: &types.CompletedMultipartUpload{Parts: list}})
		return err
	}
	without := append([]types.CompletedPart(nil), done...)
	without[1].ChecksumCRC32 = nil
	err := complete(without)
	wantErr(t, "a composite completion without part 2's checksum", err, http.StatusBadRequest, "InvalidRequest")
	wantMessage(t, "a composite completion without part 2's checksum", err,
		"The upload was created using a crc32 checksum. The complete request must include the checksum for each part. It was missing for part 2 in the request.")
	err = complete([]types.CompletedPart{done[0], done[2]})
	wantErr(t, "a completion with checksums skipping part 2", err, http.StatusBadRequest, "InvalidPartOrder")
	wrong := append([]types.CompletedPart(nil), done...)
	wrong[0].ChecksumCRC32 = done[1].ChecksumCRC32
	wantErr(t, "a completion listing another part's checksum", complete(wrong), http.StatusBadRequest, "InvalidPart")
	if err := complete(done); err != nil {
		t.Fatalf("the upload completes after the refusals: %v", err)
	}
	got, _ := mustGet(t, c, bucket, "k", "")
	if !bytes.Equal(got, bytes.Join(parts, nil)) {
		t.Error("the completed object differs from its parts")
	}
}

func TestAPartChecksumOfAnotherAlgorithmThanTheUploadsIsRefused(t *testing.T) {
	t.Parallel()
	c := rootClient()
	bucket := newBucket(t, c)
	up, err := c.CreateMultipartUpload(t.Context(), &s3.CreateMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String("k"), ChecksumAlgorithm: types.ChecksumAlgorithmSha256})
	if err != nil {
		t.Fatal(err)
	}
	body := randomBytes(85, 1000)
	_, err = c.UploadPart(t.Context(), &s3.UploadPartInput{Bucket: aws.String(bucket), Key: aws.String("k"), UploadId: up.UploadId,
		PartNumber: aws.Int32(1), Body: bytes.NewReader(body), ChecksumCRC32: aws.String(checksumOf(types.ChecksumAlgorithmCrc32, body))})
	wantErr(t, "a CRC32 part of a SHA256 upload", err, http.StatusBadRequest, "InvalidRequest")
	wantMessage(t, "a CRC32 part of a SHA256 upload", err, "Checksum Type mismatch occurred, expected checksum Type: sha256, actual checksum Type: crc32")
	// A part sent without a checksum gets the upload's, computed here.
	r := do(t, sharedSrv, rawRequest{Method: http.MethodPut, Target: "/" + bucket + "/k?partNumber=1&uploadId=" + aws.ToString(up.UploadId), Body: body})
	wantRaw(t, "a part without a checksum", r, http.StatusOK, "")
	if got, want := r.Header.Get("x-amz-checksum-sha256"), base64.StdEncoding.EncodeToString(checksumRaw(types.ChecksumAlgorithmSha256, body)); got != want {
		t.Errorf("part without a checksum answered x-amz-checksum-sha256 %q, want %q", got, want)
	}
}

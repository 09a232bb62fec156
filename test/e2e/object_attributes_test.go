package e2e

import (
	"bytes"
	"encoding/xml"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

var allObjectAttributes = []types.ObjectAttributes{
	types.ObjectAttributesEtag, types.ObjectAttributesChecksum, types.ObjectAttributesObjectParts,
	types.ObjectAttributesStorageClass, types.ObjectAttributesObjectSize,
}

func TestGetObjectAttributesOfASinglePartObject(t *testing.T) {
	t.Parallel()
	c := rootClient()
	ctx := t.Context()
	bucket := newBucket(t, c)
	body := randomBytes(100, 1024)
	_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("one"), Body: bytes.NewReader(body),
		ChecksumAlgorithm: types.ChecksumAlgorithmSha256})
	if err != nil {
		t.Fatal(err)
	}
	out, err := c.GetObjectAttributes(ctx, &s3.GetObjectAttributesInput{Bucket: aws.String(bucket), Key: aws.String("one"), ObjectAttributes: allObjectAttributes})
	if err != nil {
		t.Fatalf("GetObjectAttributes: %v", err)
	}
	// S3 sends this ETag without its quotes.
	if got := aws.ToString(out.ETag); got != md5Hex(body) {
		t.Errorf("ETag %q, want %q", got, md5Hex(body))
	}
	if out.Checksum == nil || aws.ToString(out.Checksum.ChecksumSHA256) != checksumOf(types.ChecksumAlgorithmSha256, body) ||
		out.Checksum.ChecksumType != types.ChecksumTypeFullObject {
		t.Errorf("Checksum %+v, want the body's SHA256, FULL_OBJECT", out.Checksum)
	}
	if out.ObjectParts != nil {
		t.Errorf("ObjectParts %+v of a single-part object, want none", out.ObjectParts)
	}
	if out.StorageClass != types.StorageClassStandard || aws.ToInt64(out.ObjectSize) != int64(len(body)) || out.LastModified == nil {
		t.Errorf("StorageClass %q ObjectSize %d LastModified %v", out.StorageClass, aws.ToInt64(out.ObjectSize), out.LastModified)
	}

	// Only what is asked comes back.
	out, err = c.GetObjectAttributes(ctx, &s3.GetObjectAttributesInput{Bucket: aws.String(bucket), Key: aws.String("one"),
		ObjectAttributes: []types.ObjectAttributes{types.ObjectAttributesObjectSize}})
	if err != nil || aws.ToInt64(out.ObjectSize) != int64(len(body)) || out.ETag != nil || out.Checksum != nil || out.StorageClass != "" {
		t.Errorf("ObjectSize only: %+v, %v", out, err)
	}
	_, err = c.GetObjectAttributes(ctx, &s3.GetObjectAttributesInput{Bucket: aws.String(bucket), Key: aws.String("missing"), ObjectAttributes: allObjectAttributes})
	wantErr(t, "GetObjectAttributes of a missing key", err, http.StatusNotFound, "NoSuchKey")
}

func TestGetObjectAttributesPagesTheParts(t *testing.T) {
	t.Parallel()
	c := rootClient()
	ctx := t.Context()
	bucket := newBucket(t, c)
	parts := [][]byte{randomBytes(101, 5*mib), randomBytes(102, 5*mib), randomBytes(103, 777)}
	alg := types.ChecksumAlgorithmCrc32c
	id, _, done := checksumUpload(t, c, bucket, "mp", alg, "", parts)
	if _, err := complete(t, c, bucket, "mp", id, done); err != nil {
		t.Fatal(err)
	}
	whole := bytes.Join(parts, nil)
	get := func(maxParts int32, marker string) *s3.GetObjectAttributesOutput {
		t.Helper()
		in := &s3.GetObjectAttributesInput{Bucket: aws.String(bucket), Key: aws.String("mp"), ObjectAttributes: allObjectAttributes, MaxParts: aws.Int32(maxParts)}
		if marker != "" {
			in.PartNumberMarker = aws.String(marker)
		}
		out, err := c.GetObjectAttributes(ctx, in)
		if err != nil {
			t.Fatalf("GetObjectAttributes max %d marker %q: %v", maxParts, marker, err)
		}
		return out
	}
	first := get(2, "")
	if got := aws.ToString(first.ETag); got != multipartETag(parts) {
		t.Errorf("ETag %q, want %q", got, multipartETag(parts))
	}
	// The composite checksum comes without its "-3": the count is in
	// ObjectParts.
	if want := strings.TrimSuffix(compositeOf(alg, parts), "-3"); first.Checksum == nil ||
		aws.ToString(first.Checksum.ChecksumCRC32C) != want || first.Checksum.ChecksumType != types.ChecksumTypeComposite {
		t.Errorf("Checksum %+v, want CRC32C %q COMPOSITE", first.Checksum, want)
	}
	if aws.ToInt64(first.ObjectSize) != int64(len(whole)) {
		t.Errorf("ObjectSize %d, want %d", aws.ToInt64(first.ObjectSize), len(whole))
	}
	op := first.ObjectParts
	if op == nil || aws.ToInt32(op.TotalPartsCount) != 3 || !aws.ToBool(op.IsTruncated) || aws.ToInt32(op.MaxParts) != 2 ||
		aws.ToString(op.NextPartNumberMarker) != "2" || len(op.Parts) != 2 {
		t.Fatalf("first page of parts: %+v", op)
	}
	for i, p := range op.Parts {
		if aws.ToInt32(p.PartNumber) != int32(i+1) || aws.ToInt64(p.Size) != int64(len(parts[i])) || aws.ToString(p.ChecksumCRC32C) != checksumOf(alg, parts[i]) {
			t.Errorf("part %d: number %d size %d CRC32C %q", i+1, aws.ToInt32(p.PartNumber), aws.ToInt64(p.Size), aws.ToString(p.ChecksumCRC32C))
		}
	}
	op = get(2, aws.ToString(op.NextPartNumberMarker)).ObjectParts
	if op == nil || aws.ToBool(op.IsTruncated) || aws.ToString(op.PartNumberMarker) != "2" || len(op.Parts) != 1 ||
		aws.ToInt32(op.Parts[0].PartNumber) != 3 || aws.ToString(op.Parts[0].ChecksumCRC32C) != checksumOf(alg, parts[2]) {
		t.Fatalf("second page of parts: %+v", op)
	}

	// Of an object without a checksum S3 gives the part count only.
	plain := createUpload(t, c, bucket, "plain")
	p1 := uploadPart(t, c, bucket, "plain", plain, 1, parts[0])
	p2 := uploadPart(t, c, bucket, "plain", plain, 2, parts[2])
	if _, err := complete(t, c, bucket, "plain", plain, []types.CompletedPart{p1, p2}); err != nil {
		t.Fatal(err)
	}
	out, err := c.GetObjectAttributes(ctx, &s3.GetObjectAttributesInput{Bucket: aws.String(bucket), Key: aws.String("plain"), ObjectAttributes: allObjectAttributes})
	if err != nil {
		t.Fatal(err)
	}
	if out.Checksum != nil || out.ObjectParts == nil || aws.ToInt32(out.ObjectParts.TotalPartsCount) != 2 || len(out.ObjectParts.Parts) != 0 {
		t.Errorf("attributes of a multipart object without a checksum: checksum %+v parts %+v", out.Checksum, out.ObjectParts)
	}
}

func TestGetObjectAttributesOfVersionsAndDeleteMarkers(t *testing.T) {
	t.Parallel()
	c := rootClient()
	ctx := t.Context()
	bucket := newBucket(t, c)
	setVersioning(t, c, bucket, types.BucketVersioningStatusEnabled)
	v1 := putObject(t, c, bucket, "k", []byte("version one"))
	putObject(t, c, bucket, "k", []byte("version two, longer"))
	out, err := c.GetObjectAttributes(ctx, &s3.GetObjectAttributesInput{Bucket: aws.String(bucket), Key: aws.String("k"), VersionId: v1.VersionId,
		ObjectAttributes: []types.ObjectAttributes{types.ObjectAttributesEtag, types.ObjectAttributesObjectSize}})
	if err != nil {
		t.Fatalf("GetObjectAttributes of version one: %v", err)
	}
	if aws.ToString(out.VersionId) != aws.ToString(v1.VersionId) || aws.ToString(out.ETag) != md5Hex([]byte("version one")) || aws.ToInt64(out.ObjectSize) != 11 {
		t.Errorf("version one: id %q ETag %q size %d", aws.ToString(out.VersionId), aws.ToString(out.ETag), aws.ToInt64(out.ObjectSize))
	}
	del, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String("k")})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.GetObjectAttributes(ctx, &s3.GetObjectAttributesInput{Bucket: aws.String(bucket), Key: aws.String("k"), ObjectAttributes: allObjectAttributes})
	wantErr(t, "GetObjectAttributes of a key whose current version is a delete marker", err, http.StatusNotFound, "NoSuchKey")
	if errHeader(err, "X-Amz-Delete-Marker") != "true" || errHeader(err, "X-Amz-Version-Id") != aws.ToString(del.VersionId) {
		t.Errorf("delete marker headers: x-amz-delete-marker %q x-amz-version-id %q, want true %q",
			errHeader(err, "X-Amz-Delete-Marker"), errHeader(err, "X-Amz-Version-Id"), aws.ToString(del.VersionId))
	}
	// The older version is still there by its id.
	if _, err := c.GetObjectAttributes(ctx, &s3.GetObjectAttributesInput{Bucket: aws.String(bucket), Key: aws.String("k"), VersionId: v1.VersionId,
		ObjectAttributes: allObjectAttributes}); err != nil {
		t.Errorf("GetObjectAttributes of version one after the delete: %v", err)
	}
}

func TestGetObjectAttributesDocumentAndRefusals(t *testing.T) {
	t.Parallel()
	c := rootClient()
	bucket := newBucket(t, c)
	putObject(t, c, bucket, "k", []byte("hello"))
	r := do(t, sharedSrv, rawRequest{Method: http.MethodGet, Target: "/" + bucket + "/k?attributes",
		Header: map[string]string{"X-Amz-Object-Attributes": "ETag,StorageClass,ObjectSize"}})
	wantRaw(t, "GetObjectAttributes", r, http.StatusOK, "")
	var doc struct {
		XMLName      xml.Name
		ETag         string `xml:"ETag"`
		StorageClass string `xml:"StorageClass"`
		ObjectSize   int64  `xml:"ObjectSize"`
	}
	if err := xml.Unmarshal(r.Body, &doc); err != nil {
		t.Fatalf("GetObjectAttributes document: %v\n%s", err, r.Body)
	}
	if doc.XMLName.Space != "http://s3.amazonaws.com/doc/2006-03-01/" || doc.XMLName.Local != "GetObjectAttributesResponse" ||
		doc.ETag != md5Hex([]byte("hello")) || doc.StorageClass != "STANDARD" || doc.ObjectSize != 5 {
		t.Errorf("document %+v:\n%s", doc, r.Body)
	}
	if r.Header.Get("Last-Modified") == "" {
		t.Error("no Last-Modified header")
	}
	for _, tt := range []struct{ name, attrs string }{
		{"no attributes asked", ""},
		{"an unknown attribute", "ETag,Colour"},
	} {
		hdr := map[string]string{}
		if tt.attrs != "" {
			hdr["X-Amz-Object-Attributes"] = tt.attrs
		}
		r := do(t, sharedSrv, rawRequest{Method: http.MethodGet, Target: "/" + bucket + "/k?attributes", Header: hdr})
		wantRaw(t, "GetObjectAttributes with "+tt.name, r, http.StatusBadRequest, "InvalidArgument")
	}
	r = do(t, sharedSrv, rawRequest{Method: http.MethodGet, Target: "/" + bucket + "/k?attributes",
		Header: map[string]string{"X-Amz-Object-Attributes": "ObjectParts", "X-Amz-Max-Parts": "many"}})
	wantRaw(t, "GetObjectAttributes with a max-parts that is no number", r, http.StatusBadRequest, "InvalidArgument")
}

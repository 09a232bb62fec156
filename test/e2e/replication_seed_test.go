package e2e

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// Objects the replication tests write to a source and then look for, byte
// for byte and attribute for attribute, at the destination. Bodies are
// deterministic pseudo-random bytes, regenerated for the comparison
// instead of being kept in memory.

// seedObject is one object a test writes: its body is randomBytes(Seed,
// Size), or, with PartSize set, a multipart upload of parts of PartSize
// bytes (the last one shorter), part j being randomBytes(Seed+j, ...).
type seedObject struct {
	Key         string
	Size        int
	PartSize    int
	Seed        uint64
	ContentType string
	Meta        map[string]string
	Tags        map[string]string
	// ETag and SHA256 are what the source answered and the body's hash,
	// set when the object is written.
	ETag   string
	SHA256 string
}

// contentTypes are cycled through by the seeded objects.
var contentTypes = []string{"application/octet-stream", "application/json", "text/plain; charset=utf-8", "image/png"}

// smallObjects describes n objects under prefix with sizes from 0 to
// maxSize, most of them small (as real buckets are), the first two being
// exactly 0 and maxSize bytes; every third has user metadata, every fifth
// tags.
func smallObjects(prefix string, n, maxSize int) []seedObject {
	objs := make([]seedObject, n)
	for i := range objs {
		r := rand.New(rand.NewPCG(uint64(i), 0x5eed)).Float64()
		size := int(r * r * r * float64(maxSize))
		switch i {
		case 0:
			size = 0
		case 1:
			size = maxSize
		}
		o := seedObject{
			Key:         fmt.Sprintf("%s%05d", prefix, i),
			Size:        size,
			Seed:        uint64(i) + 1_000_003,
			ContentType: contentTypes[i%len(contentTypes)],
		}
		if i%3 == 0 {
			o.Meta = map[string]string{"origin": "e2e-seed", "index": strconv.Itoa(i)}
		}
		if i%5 == 0 {
			o.Tags = map[string]string{"team": "quarry", "bucket-class": "k" + strconv.Itoa(i%7)}
		}
		objs[i] = o
	}
	return objs
}

// body returns the bytes of a single-part object.
func (o *seedObject) body() []byte { return randomBytes(o.Seed, o.Size) }

// parts returns the part sizes of a multipart object.
func (o *seedObject) parts() []int {
	var sizes []int
	for left := o.Size; left > 0; left -= o.PartSize {
		sizes = append(sizes, min(left, o.PartSize))
	}
	return sizes
}

// tagging is the URL-encoded tag set for the Tagging field.
func (o *seedObject) tagging() *string {
	if len(o.Tags) == 0 {
		return nil
	}
	v := url.Values{}
	for k, val := range o.Tags {
		v.Set(k, val)
	}
	return aws.String(v.Encode())
}

// putObjects writes objs to bucket with conc concurrent PUTs (or
// multipart uploads) and records their ETags and hashes.
func putObjects(t *testing.T, c *s3.Client, bucket string, objs []seedObject, conc int) {
	t.Helper()
	errs := forEach(len(objs), conc, func(i int) error {
		return putSeed(t, c, bucket, &objs[i])
	})
	if len(errs) > 0 {
		t.Fatalf("seeding %s: %d of %d writes failed, e.g. %v", bucket, len(errs), len(objs), errs[0])
	}
}

// putSeed writes one object.
func putSeed(t *testing.T, c *s3.Client, bucket string, o *seedObject) error {
	if o.PartSize > 0 {
		return putMultipartSeed(t, c, bucket, o)
	}
	body := o.body()
	out, err := c.PutObject(t.Context(), &s3.PutObjectInput{
		Bucket: aws.String(bucket), Key: aws.String(o.Key), Body: bytes.NewReader(body),
		ContentType: aws.String(o.ContentType), Metadata: o.Meta, Tagging: o.tagging(),
	})
	if err != nil {
		return fmt.Errorf("PutObject %s: %w", o.Key, err)
	}
	o.ETag, o.SHA256 = aws.ToString(out.ETag), sha256Hex(body)
	return nil
}

// putMultipartSeed writes o with the SDK's multipart calls, one part at a
// time.
func putMultipartSeed(t *testing.T, c *s3.Client, bucket string, o *seedObject) error {
	ctx := t.Context()
	created, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{
		Bucket: aws.String(bucket), Key: aws.String(o.Key),
		ContentType: aws.String(o.ContentType), Metadata: o.Meta, Tagging: o.tagging(),
	})
	if err != nil {
		return fmt.Errorf("CreateMultipartUpload %s: %w", o.Key, err)
	}
	h := sha256.New()
	var done []types.CompletedPart
	for j, size := range o.parts() {
		part := randomBytes(o.Seed+uint64(j), size)
		h.Write(part)
		out, err := c.UploadPart(ctx, &s3.UploadPartInput{
			Bucket: aws.String(bucket), Key: aws.String(o.Key), UploadId: created.UploadId,
			PartNumber: aws.Int32(int32(j + 1)), Body: bytes.NewReader(part),
		})
		if err != nil {
			return fmt.Errorf("UploadPart %d of %s: %w", j+1, o.Key, err)
		}
		done = append(done, types.CompletedPart{PartNumber: aws.Int32(int32(j + 1)), ETag: out.ETag})
	}
	out, err := c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{
		Bucket: aws.String(bucket), Key: aws.String(o.Key), UploadId: created.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: done},
	})
	if err != nil {
		return fmt.Errorf("CompleteMultipartUpload %s: %w", o.Key, err)
	}
	o.ETag, o.SHA256 = aws.ToString(out.ETag), hex.EncodeToString(h.Sum(nil))
	return nil
}

// forEach runs fn(0..n-1) on conc goroutines and returns the errors.
func forEach(n, conc int, fn func(i int) error) []error {
	var (
		next atomic.Int64
		mu   sync.Mutex
		errs []error
		wg   sync.WaitGroup
	)
	for range conc {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
				if err := fn(i); err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	return errs
}

// replicaOf checks that c serves o in bucket exactly as it was written:
// body hash, ETag, Content-Type, user metadata and tags. wantStatus, if not
// empty, is the x-amz-replication-status it must show.
func replicaOf(t *testing.T, c *s3.Client, bucket string, o *seedObject, wantStatus string) error {
	ctx := t.Context()
	out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(o.Key)})
	if err != nil {
		return fmt.Errorf("GetObject %s: %w", o.Key, err)
	}
	h := sha256.New()
	n, err := io.Copy(h, out.Body)
	out.Body.Close()
	if err != nil {
		return fmt.Errorf("read %s: %w", o.Key, err)
	}
	var diffs []string
	if got := hex.EncodeToString(h.Sum(nil)); got != o.SHA256 || n != int64(o.Size) {
		diffs = append(diffs, fmt.Sprintf("body %d bytes sha256 %s, want %d bytes %s", n, got, o.Size, o.SHA256))
	}
	if got := aws.ToString(out.ETag); got != o.ETag {
		diffs = append(diffs, fmt.Sprintf("ETag %s, want %s", got, o.ETag))
	}
	if got := aws.ToString(out.ContentType); got != o.ContentType {
		diffs = append(diffs, fmt.Sprintf("Content-Type %q, want %q", got, o.ContentType))
	}
	if !maps.Equal(out.Metadata, o.Meta) {
		diffs = append(diffs, fmt.Sprintf("metadata %v, want %v", out.Metadata, o.Meta))
	}
	if wantStatus != "" && string(out.ReplicationStatus) != wantStatus {
		diffs = append(diffs, fmt.Sprintf("x-amz-replication-status %q, want %q", out.ReplicationStatus, wantStatus))
	}
	tags, err := c.GetObjectTagging(ctx, &s3.GetObjectTaggingInput{Bucket: aws.String(bucket), Key: aws.String(o.Key)})
	if err != nil {
		return fmt.Errorf("GetObjectTagging %s: %w", o.Key, err)
	}
	if got := tagMap(tags.TagSet); !maps.Equal(got, o.Tags) {
		diffs = append(diffs, fmt.Sprintf("tags %v, want %v", got, o.Tags))
	}
	if len(diffs) > 0 {
		return fmt.Errorf("%s/%s: %v", bucket, o.Key, diffs)
	}
	return nil
}

// wantReplicas checks every object of objs at the destination with conc
// concurrent readers, and reports at most a few differences.
func wantReplicas(t *testing.T, c *s3.Client, bucket string, objs []seedObject, wantStatus string, conc int) {
	t.Helper()
	errs := forEach(len(objs), conc, func(i int) error {
		return replicaOf(t, c, bucket, &objs[i], wantStatus)
	})
	if len(errs) > 0 {
		t.Errorf("%d of %d objects differ at %s; first ones:", len(errs), len(objs), bucket)
		for _, err := range errs[:min(5, len(errs))] {
			t.Errorf("  %v", err)
		}
	}
}

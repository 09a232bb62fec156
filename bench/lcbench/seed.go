package main

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/quarrylabs/quarry/internal/blob"
	"github.com/quarrylabs/quarry/internal/meta"
)

// maxObjectSize bounds the seeded objects' sizes: 1..maxObjectSize bytes.
const maxObjectSize = 4096

// objectKey is the key of object i in both buckets.
func objectKey(i int) string { return fmt.Sprintf("lc/%08d", i) }

// objectSize is object i's size, the same in both buckets: spread over
// 1..maxObjectSize bytes.
func objectSize(i int) int64 { return int64(1 + (i*7919)%maxObjectSize) }

// totalBytes is what n objects hold in one bucket.
func totalBytes(n int) int64 {
	var sum int64
	for i := range n {
		sum += objectSize(i)
	}
	return sum
}

// SeedResult is how the buckets were filled.
type SeedResult struct {
	Seconds float64 `json:"seconds"`
	// BlobSeconds is the part of Seconds spent writing blob files.
	BlobSeconds float64 `json:"blob_seconds"`
	// BytesPerBucket is the data each bucket holds.
	BytesPerBucket int64 `json:"bytes_per_bucket"`
	// lastModified is the newest object's creation time: the rule is due
	// from its second lifecycle-day boundary on.
	lastModified time.Time
}

// seed fills both buckets with the same n objects: for each, a blob file
// of its own per bucket and a version row pointing at it, with the usage
// counters kept exact, in transactions of cfg.seedBatch objects whose
// blobs are durable before the rows that name them commit. Going around
// the S3 API saves the time of 2n PUTs; what the deletions find is what
// PUTs would have left (one blob file per object, a row, the counters), so
// both sides have the same rows to change and the same files to free.
func (b *bench) seed(ctx context.Context) (SeedResult, error) {
	n := b.cfg.objects
	res := SeedResult{BytesPerBucket: totalBytes(n)}
	// Random bodies, each object a different window: no two blobs alike.
	data := make([]byte, 1<<20)
	if _, err := rand.Read(data); err != nil {
		return res, fmt.Errorf("random data: %w", err)
	}
	body := func(i int) []byte {
		off := (i * 4099) % (len(data) - maxObjectSize)
		return data[off : off+int(objectSize(i))]
	}
	start := time.Now()
	var blobTime time.Duration
	for lo := 0; lo < n; lo += b.cfg.seedBatch {
		hi := min(n, lo+b.cfg.seedBatch)
		// ids[j][k]: the blob of object lo+j in bucket k.
		ids := make([][2]string, hi-lo)
		t0 := time.Now()
		err := forEach(ctx, 2*(hi-lo), b.cfg.seedConc, func(ctx context.Context, w int) error {
			j, k := w/2, w%2
			id := blob.NewID()
			if err := b.writeBlob(ctx, id, body(lo+j)); err != nil {
				return fmt.Errorf("seed blob of %s: %w", objectKey(lo+j), err)
			}
			ids[j][k] = id
			return nil
		})
		if err == nil {
			err = b.seededBlobsDurable(ctx, ids[0][0], objectSize(lo))
		}
		blobTime += time.Since(t0)
		if err != nil {
			return res, err
		}
		now := time.Now().UTC()
		err = b.st.Update(ctx, func(tx meta.Tx) error {
			for k, bucket := range b.buckets() {
				bk, err := tx.GetBucket(bucket)
				if err != nil {
					return err
				}
				var u meta.Usage
				for j := range ids {
					i := lo + j
					size := objectSize(i)
					v := &meta.Version{
						Bucket: bucket, Key: objectKey(i), VersionID: b.versionID(i), IsLatest: true,
						Size: size, ETag: fmt.Sprintf("%x", md5.Sum(body(i))), LastModified: now,
						ContentType: "application/octet-stream", OwnerID: bk.OwnerID,
						Segments: []meta.Segment{{BlobID: ids[j][k], Size: size}},
					}
					if err := tx.PutVersion(v); err != nil {
						return err
					}
					u = u.Add(meta.Usage{Objects: 1, Bytes: size, Versions: 1, VersionBytes: size})
				}
				if err := tx.AddUsage(bucket, u); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return res, fmt.Errorf("seed objects %d..%d: %w", lo, hi-1, err)
		}
		res.lastModified = now
		progress("seeded %d/%d objects into each bucket", hi, n)
	}
	res.Seconds = time.Since(start).Seconds()
	res.BlobSeconds = blobTime.Seconds()
	return res, nil
}

// versionID is object i's version id: the null version in an unversioned
// bucket, an id of its own in a versioned one.
func (b *bench) versionID(i int) string {
	if !b.cfg.versioned {
		return meta.NullVersion
	}
	return fmt.Sprintf("lcbench-seed-%08d", i)
}

// writeBlob stores data as blob id. On Linux the file is written straight
// into the blob store's layout (DIR/xx/yy/<id>, its directories 0700)
// without an fsync of its own: the batch is made durable at once by
// seededBlobsDurable, which is much faster than the two fsyncs per file
// of the store's Put and leaves the same files. Elsewhere it is the
// store's Put.
func (b *bench) writeBlob(ctx context.Context, id string, data []byte) error {
	if !fastSeed {
		_, err := b.blobs.Put(ctx, id, bytes.NewReader(data))
		return err
	}
	dir := filepath.Join(b.blobs.Dir(), id[0:2], id[2:4])
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, id), data, 0o600)
}

// seededBlobsDurable makes the batch's blob files durable and checks,
// with one of them (id, of size bytes), that the blob store finds the
// files where they were written: should its layout change, the seed fails
// instead of leaving files the server would never delete.
func (b *bench) seededBlobsDurable(ctx context.Context, id string, size int64) error {
	if err := syncFS(b.blobs.Dir()); err != nil {
		return err
	}
	info, err := b.blobs.Stat(ctx, id)
	if err != nil {
		return fmt.Errorf("the blob store does not find the seeded blob %s: %w", id, err)
	}
	if info.Size != size {
		return fmt.Errorf("the blob store sees the seeded blob %s with %d bytes, %d were written", id, info.Size, size)
	}
	return nil
}

// Package metaseed fills a bucket with object versions directly in a
// metadata store, many per transaction, with the bucket's usage counters
// kept exact as the object service keeps them. The benchmarks of jobs that
// only read metadata (METRIC_RECONCILIATION) seed their buckets this way:
// a million objects through the S3 API would take longer than the
// measurement and measure PUT, not the job.
package metaseed

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/quarrylabs/quarry/internal/meta"
)

// Versions inserts n one-version objects named prefix%08d (sizes 1..4096)
// into bucket, batch per transaction, and reports each batch to progress.
// The blobs they name are never written: a job that does not read data
// does not notice.
func Versions(ctx context.Context, st meta.Store, bucket, prefix string, n, batch int, progress func(format string, args ...any)) error {
	now := time.Now().UTC()
	for lo := 0; lo < n; lo += batch {
		hi := min(n, lo+batch)
		// Update may run fn again (PostgreSQL retries serialisation
		// failures), so fn builds everything it writes afresh.
		err := st.Update(ctx, func(tx meta.Tx) error {
			b, err := tx.GetBucket(bucket)
			if err != nil {
				return err
			}
			var u meta.Usage
			for i := lo; i < hi; i++ {
				size := int64(1 + (i*7919)%4096)
				v := &meta.Version{Bucket: bucket, Key: fmt.Sprintf("%s%08d", prefix, i), VersionID: meta.NullVersion,
					IsLatest: true, Size: size, ETag: fmt.Sprintf("%032x", i), LastModified: now,
					ContentType: "application/octet-stream", OwnerID: b.OwnerID,
					Segments: []meta.Segment{{BlobID: blobID(), Size: size}}}
				if err := tx.PutVersion(v); err != nil {
					return err
				}
				u = u.Add(meta.Usage{Objects: 1, Bytes: size, Versions: 1, VersionBytes: size})
			}
			return tx.AddUsage(bucket, u)
		})
		if err != nil {
			return fmt.Errorf("seed %s versions %d..%d: %w", bucket, lo, hi, err)
		}
		progress("seeded %d/%d versions into %s", hi, n, bucket)
	}
	return nil
}

// blobID is an id in the blob store's format.
func blobID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

package e2e

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/quarrylabs/quarry/internal/blob"
	"github.com/quarrylabs/quarry/internal/meta"
)

// Direct access to a running server's DATA/meta.db for the job tests: to
// seed big buckets fast, corrupt counters on purpose and read job rows the
// MAPI does not show (lease owner, attempts). SQLite in WAL mode lets a
// second process do this while the server runs.

// seedBatch is how many versions one seeding transaction inserts.
const seedBatch = 5000

// openMeta opens srv's meta.db; it is closed when the test ends.
func openMeta(t *testing.T, srv *server) meta.Store {
	t.Helper()
	st, err := openStoreAt(t.Context(), srv.DataDir)
	if err != nil {
		t.Fatalf("open meta.db: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// seedObjects inserts n objects of one version each (keys prefix0000000..,
// sizes 1..4096 bytes) into an existing unversioned bucket, seedBatch per
// transaction, and adds their usage to the counters as the object service
// would, so that the counters stay exact. The data blobs are never written:
// the tests that seed do not read the data. It returns the usage added.
func seedObjects(ctx context.Context, st meta.Store, bucket, prefix string, n int) (meta.Usage, error) {
	return seedVersions(ctx, st, bucket, n, func(i int, now time.Time) *meta.Version {
		size := int64(1 + (i*7919)%4096)
		return &meta.Version{
			Key: fmt.Sprintf("%s%07d", prefix, i), VersionID: meta.NullVersion,
			Size: size, ETag: fmt.Sprintf("%032x", i), LastModified: now,
			ContentType: "application/octet-stream",
			Segments:    []meta.Segment{{BlobID: blob.NewID(), Size: size}},
		}
	})
}

// seedVersions inserts n current versions into an existing bucket,
// seedBatch per transaction, version i as newVersion makes it (the bucket,
// IsLatest and the owner are filled in), and adds their usage to the
// counters as the object service would, so that the counters stay exact.
// It returns the usage added.
func seedVersions(ctx context.Context, st meta.Store, bucket string, n int, newVersion func(i int, now time.Time) *meta.Version) (meta.Usage, error) {
	var added meta.Usage
	now := time.Now().UTC()
	for start := 0; start < n; start += seedBatch {
		end := min(n, start+seedBatch)
		var batch meta.Usage
		err := st.Update(ctx, func(tx meta.Tx) error {
			b, err := tx.GetBucket(bucket)
			if err != nil {
				return err
			}
			batch = meta.Usage{}
			for i := start; i < end; i++ {
				v := newVersion(i, now)
				v.Bucket, v.IsLatest, v.OwnerID = bucket, true, b.OwnerID
				if err := tx.PutVersion(v); err != nil {
					return err
				}
				batch = batch.Add(meta.Usage{Objects: 1, Bytes: v.Size, Versions: 1, VersionBytes: v.Size})
			}
			return tx.AddUsage(bucket, batch)
		})
		if err != nil {
			return added, fmt.Errorf("seed %s versions %d..%d: %w", bucket, start, end, err)
		}
		added = added.Add(batch)
	}
	return added, nil
}

// mustSeed is seedObjects that fails the test on error.
func mustSeed(t *testing.T, st meta.Store, bucket, prefix string, n int) meta.Usage {
	t.Helper()
	u, err := seedObjects(t.Context(), st, bucket, prefix, n)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// setUsage overwrites the bucket's stored counters: a corruption on purpose.
func setUsage(t *testing.T, st meta.Store, bucket string, u meta.Usage) {
	t.Helper()
	err := st.Update(t.Context(), func(tx meta.Tx) error { return tx.SetUsage(bucket, u) })
	if err != nil {
		t.Fatalf("set usage of %s: %v", bucket, err)
	}
}

// storedAndCounted reads the stored counters and a recount from the version
// rows in one snapshot.
func storedAndCounted(t *testing.T, st meta.Store, bucket string) (stored, counted meta.Usage) {
	t.Helper()
	err := st.View(t.Context(), func(tx meta.Tx) error {
		var err error
		if stored, err = tx.GetUsage(bucket); err != nil {
			return err
		}
		counted, err = tx.CountUsage(bucket)
		return err
	})
	if err != nil {
		t.Fatalf("read usage of %s: %v", bucket, err)
	}
	return stored, counted
}

// wantExactUsage fails the test unless the stored counters equal a
// recount of the version rows, and equal want when want is not nil.
func wantExactUsage(t *testing.T, st meta.Store, bucket string, want *meta.Usage) meta.Usage {
	t.Helper()
	stored, counted := storedAndCounted(t, st, bucket)
	if stored != counted {
		t.Errorf("bucket %s: stored counters %+v, but the version rows count %+v", bucket, stored, counted)
	}
	if want != nil && stored != *want {
		t.Errorf("bucket %s: stored counters %+v, want %+v", bucket, stored, *want)
	}
	return stored
}

// jobRow reads a job as stored, with the fields the MAPI does not show.
func jobRow(t *testing.T, st meta.Store, id int32) *meta.Job {
	t.Helper()
	var j *meta.Job
	err := st.View(t.Context(), func(tx meta.Tx) error {
		var err error
		j, err = tx.GetJob(id)
		return err
	})
	if errors.Is(err, meta.ErrNotFound) {
		t.Fatalf("job %d is not in meta.db", id)
	}
	if err != nil {
		t.Fatalf("read job %d: %v", id, err)
	}
	return j
}

// usageOf converts the status's result fields to meta.Usage.
func usageOf(u mapiUsage) meta.Usage {
	return meta.Usage{Objects: u.Objects, Bytes: u.Bytes, Versions: u.Versions, VersionBytes: u.VersionBytes}
}

package sqlite

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/quarrylabs/quarry/internal/meta"
)

// putObject is the metadata work of one S3 PUT of a new key: the
// transaction the object service runs after the data is durable.
func putObject(tx meta.Tx, key string, n int) error {
	if _, err := tx.GetBucket("bench"); err != nil {
		return err
	}
	if _, err := tx.GetLatest("bench", key); err != nil && !errors.Is(err, meta.ErrNotFound) {
		return err
	}
	v := &meta.Version{Bucket: "bench", Key: key, VersionID: meta.NullVersion, IsLatest: true, Size: 1024,
		ETag: "d41d8cd98f00b204e9800998ecf8427e", LastModified: time.Now(), ContentType: "application/octet-stream",
		UserMeta: map[string]string{"n": fmt.Sprint(n)}, Segments: []meta.Segment{{BlobID: fmt.Sprint("blob-", n), Size: 1024}}}
	if err := tx.PutVersion(v); err != nil {
		return err
	}
	if err := tx.SetLatest("bench", key, v.VersionID); err != nil {
		return err
	}
	if err := tx.AddUsage("bench", meta.Usage{Objects: 1, Bytes: 1024, Versions: 1, VersionBytes: 1024}); err != nil {
		return err
	}
	return tx.TrashBlobs()
}

func benchStore(b *testing.B) *Store {
	s, _ := openTemp(b)
	b.Cleanup(func() { s.Close() })
	err := s.Update(context.Background(), func(tx meta.Tx) error {
		return tx.CreateBucket(&meta.Bucket{Name: "bench", OwnerID: 1})
	})
	if err != nil {
		b.Fatal(err)
	}
	return s
}

// BenchmarkPutVersion measures sequential PUT transactions; each commit
// fsyncs (synchronous=FULL), so this is bound by the disk's flush latency.
func BenchmarkPutVersion(b *testing.B) {
	s := benchStore(b)
	ctx := context.Background()
	b.ResetTimer()
	for i := range b.N {
		key := fmt.Sprintf("dir/%08d", i)
		if err := s.Update(ctx, func(tx meta.Tx) error { return putObject(tx, key, i) }); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "puts/s")
}

// BenchmarkPutVersionParallel measures PUTs from many goroutines queueing
// for the writer.
func BenchmarkPutVersionParallel(b *testing.B) {
	s := benchStore(b)
	ctx := context.Background()
	var next atomic.Int64
	b.SetParallelism(4)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := int(next.Add(1))
			key := fmt.Sprintf("dir/%08d", i)
			if err := s.Update(ctx, func(tx meta.Tx) error { return putObject(tx, key, i) }); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "puts/s")
}

// BenchmarkGetLatest measures the metadata read of one S3 GET.
func BenchmarkGetLatest(b *testing.B) {
	s := benchStore(b)
	ctx := context.Background()
	const keys = 1000
	err := s.Update(ctx, func(tx meta.Tx) error {
		for i := range keys {
			if err := putObject(tx, fmt.Sprintf("dir/%08d", i), i); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			key := fmt.Sprintf("dir/%08d", i%keys)
			i++
			err := s.View(ctx, func(tx meta.Tx) error {
				_, err := tx.GetLatest("bench", key)
				return err
			})
			if err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "gets/s")
}

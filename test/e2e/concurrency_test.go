package e2e

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"io"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Readers racing overwrites of the same key must always get one whole
// version: a body that matches its own ETag and one of the written
// contents, never a truncated stream or a server error, even though each
// overwrite makes the previous blob garbage.
func TestReadsDuringOverwritesSeeWholeVersions(t *testing.T) {
	t.Parallel()
	c := rootClient()
	bucket := newBucket(t, c)
	contents := map[string]bool{}
	var bodies [][]byte
	for i := range 6 {
		b := randomBytes(uint64(100+i), 1*mib+i*4096)
		bodies = append(bodies, b)
		contents[md5Hex(b)] = true
	}
	putObject(t, c, bucket, "hot", bodies[0])

	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Second)
	defer cancel()
	var reads, writes atomic.Int64
	var wg sync.WaitGroup
	for w := range 2 {
		wg.Go(func() {
			for i := w; ctx.Err() == nil; i++ {
				_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("hot"), Body: bytes.NewReader(bodies[i%len(bodies)])})
				if err != nil && ctx.Err() == nil {
					t.Errorf("overwrite: %v", err)
					return
				}
				writes.Add(1)
			}
		})
	}
	for range 4 {
		wg.Go(func() {
			for ctx.Err() == nil {
				out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("hot")})
				if err != nil {
					if ctx.Err() == nil {
						t.Errorf("GET during overwrites: %v", err)
					}
					return
				}
				h := md5.New()
				_, err = io.Copy(h, out.Body)
				out.Body.Close()
				if err != nil {
					if ctx.Err() == nil {
						t.Errorf("GET during overwrites: reading the body: %v", err)
					}
					return
				}
				sum := hex.EncodeToString(h.Sum(nil))
				if quoted(sum) != aws.ToString(out.ETag) || !contents[sum] {
					t.Errorf("GET during overwrites returned bytes hashing to %s with ETag %s: not a whole version", sum, aws.ToString(out.ETag))
					return
				}
				reads.Add(1)
			}
		})
	}
	wg.Wait()
	t.Logf("%d reads during %d overwrites", reads.Load(), writes.Load())
	if reads.Load() < 10 || writes.Load() < 10 {
		t.Errorf("only %d reads and %d writes: the race was not exercised", reads.Load(), writes.Load())
	}
}

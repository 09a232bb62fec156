package object

import (
	"bytes"
	"crypto/rand"
	"testing"

	"github.com/quarrylabs/quarry/internal/blob"
)

// BenchmarkLargePut compares a 64 MiB PutObject (MD5 and CRC32C hashed on
// the way) with the same bytes written to the blob store alone; the PUT
// should reach well over half the raw rate.
func BenchmarkLargePut(b *testing.B) {
	data := make([]byte, 64<<20)
	rand.Read(data)
	h := newHarness(b)
	if err := h.svc.CreateBucket(h.ctx, alice, "bench"); err != nil {
		b.Fatal(err)
	}
	b.Run("raw blob store", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			id := blob.NewID()
			if _, err := h.blobs.Put(h.ctx, id, bytes.NewReader(data)); err != nil {
				b.Fatal(err)
			}
			_ = h.blobs.Delete(h.ctx, id)
		}
	})
	b.Run("PutObject", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			_, err := h.svc.PutObject(h.ctx, alice, PutInput{Bucket: "bench", Key: "k", Body: bytes.NewReader(data), Size: int64(len(data)),
				Checksum: ChecksumInput{Algorithm: ChecksumCRC32C}})
			if err != nil {
				b.Fatal(err)
			}
			_ = h.svc.DrainTrash(h.ctx)
		}
	})
}

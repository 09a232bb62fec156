// Package blobtest is the conformance suite every blob.Store must pass. A
// backend's tests call Run with a constructor for an empty store.
package blobtest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/quarrylabs/quarry/internal/blob"
)

// Run runs the suite. newStore must return an empty store; it is called once
// per subtest, and cleanup is the constructor's job (t.Cleanup).
func Run(t *testing.T, newStore func(t *testing.T) blob.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s blob.Store)
	}{
		{"a put blob reads back whole", testPutThenOpen},
		{"an empty blob is stored and reads back empty", testEmptyBlob},
		{"open returns the requested range clamped to the end", testOpenRanges},
		{"open and stat of a missing blob return ErrNotFound", testMissing},
		{"stat reports the stored size", testStat},
		{"delete removes the blob and is idempotent", testDelete},
		{"walk lists every stored blob with its size", testWalk},
		{"walk stops at the first error fn returns", testWalkStops},
		{"a failing reader stores nothing", testFailingReader},
		{"a cancelled context stores nothing", testCancelledBeforePut},
		{"a context cancelled mid-stream stores nothing", testCancelledMidStream},
		{"invalid ids are rejected", testInvalidIDs},
		{"a 20 MiB blob round-trips", testLargeRoundTrip},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.fn(t, newStore(t))
		})
	}
}

// payload returns n deterministic pseudo-random bytes.
func payload(n int, seed uint64) []byte {
	var key [32]byte
	binary.LittleEndian.PutUint64(key[:], seed)
	b := make([]byte, n)
	_, _ = rand.NewChaCha8(key).Read(b) // never fails
	return b
}

func put(t *testing.T, s blob.Store, data []byte) string {
	t.Helper()
	id := blob.NewID()
	n, err := s.Put(context.Background(), id, bytes.NewReader(data))
	if err != nil {
		t.Fatalf("Put: %v", err)
	}
	if n != int64(len(data)) {
		t.Fatalf("Put stored %d bytes, want %d", n, len(data))
	}
	return id
}

func read(t *testing.T, s blob.Store, id string, offset, length int64) []byte {
	t.Helper()
	rc, err := s.Open(context.Background(), id, offset, length)
	if err != nil {
		t.Fatalf("Open(%d, %d): %v", offset, length, err)
	}
	defer rc.Close()
	got, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("read (%d, %d): %v", offset, length, err)
	}
	return got
}

// assertAbsent checks that id is neither stat-able nor listed by Walk.
func assertAbsent(t *testing.T, s blob.Store, id string) {
	t.Helper()
	if _, err := s.Stat(context.Background(), id); !errors.Is(err, blob.ErrNotFound) {
		t.Errorf("Stat of absent blob: err = %v, want ErrNotFound", err)
	}
	if ids := walkIDs(t, s); ids[id] {
		t.Errorf("Walk lists absent blob %s", id)
	}
}

func walkIDs(t *testing.T, s blob.Store) map[string]bool {
	t.Helper()
	ids := map[string]bool{}
	err := s.Walk(context.Background(), func(i blob.Info) error {
		ids[i.ID] = true
		return nil
	})
	if err != nil {
		t.Fatalf("Walk: %v", err)
	}
	return ids
}

func testPutThenOpen(t *testing.T, s blob.Store) {
	data := payload(100_000, 1)
	id := put(t, s, data)
	if got := read(t, s, id, 0, -1); !bytes.Equal(got, data) {
		t.Fatalf("read back %d bytes that differ from the %d written", len(got), len(data))
	}
}

func testEmptyBlob(t *testing.T, s blob.Store) {
	id := put(t, s, nil)
	if got := read(t, s, id, 0, -1); len(got) != 0 {
		t.Fatalf("read back %d bytes, want 0", len(got))
	}
	info, err := s.Stat(context.Background(), id)
	if err != nil || info.Size != 0 {
		t.Fatalf("Stat = %+v, %v; want size 0", info, err)
	}
}

func testOpenRanges(t *testing.T, s blob.Store) {
	data := []byte("0123456789")
	id := put(t, s, data)
	tests := []struct {
		name           string
		offset, length int64
		want           string
	}{
		{"from the start for a length", 0, 3, "012"},
		{"from the middle for a length", 4, 2, "45"},
		{"from the middle to the end", 7, -1, "789"},
		{"the whole blob with an exact length", 0, 10, "0123456789"},
		{"a length beyond the end clamps to the end", 8, 100, "89"},
		{"an offset at the end is empty", 10, -1, ""},
		{"an offset at the end with a length is empty", 10, 5, ""},
		{"a zero length is empty", 3, 0, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := read(t, s, id, tc.offset, tc.length); string(got) != tc.want {
				t.Fatalf("Open(%d, %d) read %q, want %q", tc.offset, tc.length, got, tc.want)
			}
		})
	}
}

func testMissing(t *testing.T, s blob.Store) {
	id := blob.NewID()
	if _, err := s.Open(context.Background(), id, 0, -1); !errors.Is(err, blob.ErrNotFound) {
		t.Errorf("Open: err = %v, want ErrNotFound", err)
	}
	if _, err := s.Stat(context.Background(), id); !errors.Is(err, blob.ErrNotFound) {
		t.Errorf("Stat: err = %v, want ErrNotFound", err)
	}
}

func testStat(t *testing.T, s blob.Store) {
	id := put(t, s, payload(12345, 2))
	info, err := s.Stat(context.Background(), id)
	if err != nil {
		t.Fatalf("Stat: %v", err)
	}
	if info.ID != id || info.Size != 12345 {
		t.Fatalf("Stat = %+v, want id %s size 12345", info, id)
	}
	if info.ModTime.IsZero() {
		t.Fatal("Stat reports a zero modification time")
	}
}

func testDelete(t *testing.T, s blob.Store) {
	ctx := context.Background()
	keep := put(t, s, []byte("keep"))
	gone := put(t, s, []byte("gone"))
	if err := s.Delete(ctx, gone); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if _, err := s.Open(ctx, gone, 0, -1); !errors.Is(err, blob.ErrNotFound) {
		t.Errorf("Open after Delete: err = %v, want ErrNotFound", err)
	}
	assertAbsent(t, s, gone)
	if err := s.Delete(ctx, gone); err != nil {
		t.Errorf("second Delete: %v, want nil", err)
	}
	if err := s.Delete(ctx, blob.NewID()); err != nil {
		t.Errorf("Delete of a never-stored blob: %v, want nil", err)
	}
	if got := read(t, s, keep, 0, -1); string(got) != "keep" {
		t.Errorf("the other blob reads %q after Delete, want %q", got, "keep")
	}
}

func testWalk(t *testing.T, s blob.Store) {
	want := map[string]int64{}
	for i := range 5 {
		data := payload(i*1000, uint64(i))
		want[put(t, s, data)] = int64(len(data))
	}
	got := map[string]int64{}
	err := s.Walk(context.Background(), func(i blob.Info) error {
		if _, dup := got[i.ID]; dup {
			t.Errorf("Walk lists %s twice", i.ID)
		}
		got[i.ID] = i.Size
		return nil
	})
	if err != nil {
		t.Fatalf("Walk: %v", err)
	}
	if len(got) != len(want) {
		t.Fatalf("Walk listed %d blobs, want %d", len(got), len(want))
	}
	for id, size := range want {
		if got[id] != size {
			t.Errorf("Walk size of %s = %d, want %d", id, got[id], size)
		}
	}
}

func testWalkStops(t *testing.T, s blob.Store) {
	for range 3 {
		put(t, s, []byte("x"))
	}
	stop := errors.New("stop")
	calls := 0
	err := s.Walk(context.Background(), func(blob.Info) error {
		calls++
		return stop
	})
	if !errors.Is(err, stop) {
		t.Fatalf("Walk: err = %v, want the error fn returned", err)
	}
	if calls != 1 {
		t.Fatalf("fn called %d times after returning an error, want 1", calls)
	}
}

// failingReader returns some data, then err.
type failingReader struct {
	data []byte
	err  error
}

func (r *failingReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, r.err
	}
	n := copy(p, r.data)
	r.data = r.data[n:]
	return n, nil
}

func testFailingReader(t *testing.T, s blob.Store) {
	boom := errors.New("client went away")
	id := blob.NewID()
	_, err := s.Put(context.Background(), id, &failingReader{data: payload(3<<20, 3), err: boom})
	if !errors.Is(err, boom) {
		t.Fatalf("Put: err = %v, want the reader's error", err)
	}
	assertAbsent(t, s, id)
	if ids := walkIDs(t, s); len(ids) != 0 {
		t.Fatalf("Walk lists %d blobs after a failed Put, want 0", len(ids))
	}
}

func testCancelledBeforePut(t *testing.T, s blob.Store) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	id := blob.NewID()
	if _, err := s.Put(ctx, id, bytes.NewReader([]byte("data"))); !errors.Is(err, context.Canceled) {
		t.Fatalf("Put: err = %v, want context.Canceled", err)
	}
	assertAbsent(t, s, id)
}

// cancellingReader cancels its context once `after` bytes were read, then
// keeps supplying data, as a slow client would.
type cancellingReader struct {
	r      io.Reader
	read   int
	after  int
	cancel context.CancelFunc
}

func (c *cancellingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.read += n
	if c.read >= c.after {
		c.cancel()
	}
	return n, err
}

func testCancelledMidStream(t *testing.T, s blob.Store) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	id := blob.NewID()
	const total = 8 << 20
	r := &cancellingReader{r: bytes.NewReader(payload(total, 4)), after: 1 << 20, cancel: cancel}
	if _, err := s.Put(ctx, id, r); !errors.Is(err, context.Canceled) {
		t.Fatalf("Put: err = %v, want context.Canceled", err)
	}
	if r.read >= total {
		t.Errorf("Put read all %d bytes after the context was cancelled, want it to stop early", total)
	}
	assertAbsent(t, s, id)
}

func testInvalidIDs(t *testing.T, s blob.Store) {
	ctx := context.Background()
	for _, id := range []string{"", "../../../../etc/passwd", "ABCDEF0123456789ABCDEF0123456789", "0123456789abcdef0123456789abcde/", "0123"} {
		if _, err := s.Put(ctx, id, bytes.NewReader([]byte("x"))); err == nil {
			t.Errorf("Put(%q) succeeded, want an error", id)
		}
		if rc, err := s.Open(ctx, id, 0, -1); err == nil {
			rc.Close()
			t.Errorf("Open(%q) succeeded, want an error", id)
		}
		if _, err := s.Stat(ctx, id); err == nil {
			t.Errorf("Stat(%q) succeeded, want an error", id)
		}
		if err := s.Delete(ctx, id); err == nil {
			t.Errorf("Delete(%q) succeeded, want an error", id)
		}
	}
	if ids := walkIDs(t, s); len(ids) != 0 {
		t.Fatalf("Walk lists %d blobs after invalid puts, want 0", len(ids))
	}
}

func testLargeRoundTrip(t *testing.T, s blob.Store) {
	data := payload(20<<20, 5)
	id := put(t, s, data)
	rc, err := s.Open(context.Background(), id, 0, -1)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer rc.Close()
	h := sha256.New()
	n, err := io.Copy(h, rc)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	if want := sha256.Sum256(data); n != int64(len(data)) || !bytes.Equal(h.Sum(nil), want[:]) {
		t.Fatalf("read %d bytes with a different digest; want %d identical bytes", n, len(data))
	}
}

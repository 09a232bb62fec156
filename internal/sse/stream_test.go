package sse

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"testing"
	"testing/iotest"
)

func newKey(t *testing.T) *DataKey {
	t.Helper()
	k, err := NewDataKey()
	if err != nil {
		t.Fatalf("NewDataKey: %v", err)
	}
	return k
}

func pattern(n int) []byte {
	b := make([]byte, n)
	r := rand.New(rand.NewPCG(uint64(n), 7))
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func seal(t *testing.T, k *DataKey, plain []byte) []byte {
	t.Helper()
	sealed, err := io.ReadAll(k.Encrypt(bytes.NewReader(plain), int64(len(plain))))
	if err != nil {
		t.Fatalf("encrypt %d bytes: %v", len(plain), err)
	}
	if int64(len(sealed)) != SealedSize(int64(len(plain))) {
		t.Fatalf("sealed %d bytes into %d, SealedSize says %d", len(plain), len(sealed), SealedSize(int64(len(plain))))
	}
	return sealed
}

// open reads plaintext offset..offset+length back from sealed, through the
// stored span only, as a range read from a blob does.
func open(k *DataKey, sealed []byte, size, offset, length int64) ([]byte, error) {
	so, sn := StoredSpan(size, offset, length)
	if so+sn > int64(len(sealed)) {
		return nil, fmt.Errorf("span %d+%d past the %d stored bytes", so, sn, len(sealed))
	}
	return io.ReadAll(k.Decrypt(bytes.NewReader(sealed[so:so+sn]), size, offset, length))
}

var sizes = []int{0, 1, 100, ChunkSize - 1, ChunkSize, ChunkSize + 1, 3 * ChunkSize,
	batchChunks * ChunkSize, batchChunks*ChunkSize + 1, (batchChunks+1)*ChunkSize + 5, 40*ChunkSize + 77}

func TestSealedStreamsOpenToThePlaintextAtEverySize(t *testing.T) {
	k := newKey(t)
	for _, n := range sizes {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			plain := pattern(n)
			sealed := seal(t, k, plain)
			if n >= 16 && bytes.Contains(sealed, plain[:16]) {
				t.Errorf("the sealed stream holds the plaintext")
			}
			got, err := open(k, sealed, int64(n), 0, int64(n))
			if err != nil {
				t.Fatalf("decrypt: %v", err)
			}
			if !bytes.Equal(got, plain) {
				t.Fatalf("decrypted %d bytes differ from the %d written", len(got), n)
			}
		})
	}
}

func TestTheSealedStreamDoesNotDependOnHowTheSourceIsRead(t *testing.T) {
	k := newKey(t)
	plain := pattern(3*ChunkSize + 9)
	want := seal(t, k, plain)
	for name, src := range map[string]io.Reader{
		"one byte at a time":     iotest.OneByteReader(bytes.NewReader(plain)),
		"half reads":             iotest.HalfReader(bytes.NewReader(plain)),
		"EOF with the last data": iotest.DataErrReader(bytes.NewReader(plain)),
	} {
		t.Run(name, func(t *testing.T) {
			for _, hint := range []int64{-1, 10, int64(len(plain))} {
				got, err := io.ReadAll(k.Encrypt(src, hint))
				if err != nil {
					t.Fatalf("hint %d: %v", hint, err)
				}
				// Nonces are per chunk, not random per call: the same key
				// and plaintext seal to the same bytes.
				if !bytes.Equal(got, want) {
					t.Fatalf("hint %d: sealed stream differs", hint)
				}
				if name != "EOF with the last data" {
					break // the other sources are spent after one pass
				}
				src = iotest.DataErrReader(bytes.NewReader(plain))
			}
		})
	}
}

func TestRangesDecryptAcrossEveryChunkBoundary(t *testing.T) {
	k := newKey(t)
	const n = 5*ChunkSize + 123
	plain := pattern(n)
	sealed := seal(t, k, plain)
	var points []int64
	for c := int64(0); c <= n/ChunkSize+1; c++ {
		for _, d := range []int64{-2, -1, 0, 1} {
			if p := c*ChunkSize + d; p >= 0 && p <= n {
				points = append(points, p)
			}
		}
	}
	points = append(points, n)
	for _, from := range points {
		for _, to := range points {
			if to <= from || from >= n {
				continue
			}
			got, err := open(k, sealed, n, from, to-from)
			if err != nil {
				t.Fatalf("range %d-%d: %v", from, to-1, err)
			}
			if !bytes.Equal(got, plain[from:to]) {
				t.Fatalf("range %d-%d: wrong bytes", from, to-1)
			}
		}
	}
}

func TestARangeReadsOnlyTheChunksItCovers(t *testing.T) {
	const n = 10 * ChunkSize
	for _, tc := range []struct {
		offset, length   int64
		wantOff, wantLen int64
	}{
		{0, 1, 0, sealedChunk},
		{ChunkSize - 1, 2, 0, 2 * sealedChunk},
		{ChunkSize, ChunkSize, sealedChunk, sealedChunk},
		{n - 1, 1, 9 * sealedChunk, sealedChunk},
		{0, n, 0, SealedSize(n)},
		{3, 0, 0, 0},
	} {
		off, length := StoredSpan(n, tc.offset, tc.length)
		if off != tc.wantOff || length != tc.wantLen {
			t.Errorf("StoredSpan(%d, %d) = %d+%d, want %d+%d", tc.offset, tc.length, off, length, tc.wantOff, tc.wantLen)
		}
	}
	// A span over a short last chunk ends where the stream does.
	if off, length := StoredSpan(3*ChunkSize+5, 3*ChunkSize, 5); off+length != SealedSize(3*ChunkSize+5) {
		t.Errorf("the span of the short last chunk ends at %d, the stream at %d", off+length, SealedSize(3*ChunkSize+5))
	}
}

func TestTamperedStreamsFailAuthentication(t *testing.T) {
	k := newKey(t)
	const n = 4*ChunkSize + 10
	plain := pattern(n)
	sealed := seal(t, k, plain)
	other := seal(t, newKey(t), plain)

	flip := func(at int) []byte {
		b := bytes.Clone(sealed)
		b[at] ^= 0x01
		return b
	}
	swap := func(i, j int) []byte {
		b := bytes.Clone(sealed)
		ci := bytes.Clone(b[i*sealedChunk : (i+1)*sealedChunk])
		copy(b[i*sealedChunk:], b[j*sealedChunk:(j+1)*sealedChunk])
		copy(b[j*sealedChunk:], ci)
		return b
	}
	fromOther := bytes.Clone(sealed)
	copy(fromOther[sealedChunk:2*sealedChunk], other[sealedChunk:2*sealedChunk])

	cases := []struct {
		name   string
		stored []byte
		size   int64
	}{
		{"a flipped bit in the first chunk", flip(10), n},
		{"a flipped bit in a tag", flip(sealedChunk - 1), n},
		{"a flipped bit in the last chunk", flip(len(sealed) - 3), n},
		{"two chunks swapped", swap(1, 2), n},
		{"a chunk from another object", fromOther, n},
		{"the last chunk cut short", sealed[:len(sealed)-5], n},
		{"the last chunk dropped", sealed[:4*sealedChunk], n},
		{"the last chunk dropped and the size made to match", sealed[:4*sealedChunk], 4 * ChunkSize},
		{"an empty blob for a non-empty object", nil, n},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := io.ReadAll(k.Decrypt(bytes.NewReader(tc.stored), tc.size, 0, tc.size))
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("decrypt: %d bytes, error %v; want ErrCorrupt", len(got), err)
			}
		})
	}

	t.Run("a range over an untouched chunk still reads", func(t *testing.T) {
		b := flip(10) // chunk 0 is damaged, chunk 2 is not
		got, err := open(k, b, n, 2*ChunkSize, 100)
		if err != nil || !bytes.Equal(got, plain[2*ChunkSize:2*ChunkSize+100]) {
			t.Fatalf("range over chunk 2: %v", err)
		}
	})

	t.Run("an empty object's chunk is authenticated too", func(t *testing.T) {
		empty := seal(t, k, nil)
		if len(empty) != TagSize {
			t.Fatalf("empty object sealed to %d bytes, want %d", len(empty), TagSize)
		}
		// A non-final chunk's tag must not pass for the final one.
		if _, err := io.ReadAll(k.Decrypt(bytes.NewReader(sealed[:ChunkSize+TagSize]), ChunkSize, 0, ChunkSize)); !errors.Is(err, ErrCorrupt) {
			t.Errorf("a first chunk passed as the last: %v", err)
		}
	})
}

func TestASourceErrorIsReturnedAndNoFinalChunkIsSealed(t *testing.T) {
	k := newKey(t)
	boom := errors.New("boom")
	src := io.MultiReader(bytes.NewReader(pattern(3*ChunkSize)), iotest.ErrReader(boom))
	got, err := io.ReadAll(k.Encrypt(src, -1))
	if !errors.Is(err, boom) {
		t.Fatalf("error %v, want boom", err)
	}
	if int64(len(got)) >= SealedSize(3*ChunkSize) {
		t.Fatalf("%d sealed bytes served before the error: a whole stream", len(got))
	}
}

func BenchmarkEncrypt64MiB(b *testing.B) {
	k, _ := NewDataKey()
	plain := pattern(64 << 20)
	b.SetBytes(int64(len(plain)))
	for b.Loop() {
		if _, err := io.Copy(io.Discard, k.Encrypt(bytes.NewReader(plain), int64(len(plain)))); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecrypt64MiB(b *testing.B) {
	k, _ := NewDataKey()
	plain := pattern(64 << 20)
	sealed, _ := io.ReadAll(k.Encrypt(bytes.NewReader(plain), int64(len(plain))))
	b.SetBytes(int64(len(plain)))
	for b.Loop() {
		if _, err := io.Copy(io.Discard, k.Decrypt(bytes.NewReader(sealed), int64(len(plain)), 0, int64(len(plain)))); err != nil {
			b.Fatal(err)
		}
	}
}

func TestWriteToServesTheSameBytesAsRead(t *testing.T) {
	k := newKey(t)
	const n = 20*ChunkSize + 3
	plain := pattern(n)
	sealed := seal(t, k, plain)
	for _, r := range [][2]int64{{0, n}, {5, ChunkSize}, {ChunkSize - 1, 17 * ChunkSize}} {
		so, sn := StoredSpan(n, r[0], r[1])
		var out bytes.Buffer
		got, err := k.Decrypt(bytes.NewReader(sealed[so:so+sn]), n, r[0], r[1]).(io.WriterTo).WriteTo(&out)
		if err != nil || got != r[1] || !bytes.Equal(out.Bytes(), plain[r[0]:r[0]+r[1]]) {
			t.Fatalf("WriteTo of %d+%d: %d bytes, %v", r[0], r[1], got, err)
		}
	}
	bad := bytes.Clone(sealed)
	bad[len(bad)-1] ^= 1
	if _, err := k.Decrypt(bytes.NewReader(bad), n, 0, n).(io.WriterTo).WriteTo(io.Discard); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("WriteTo of a tampered stream: %v", err)
	}
}

// failingWriter takes limit bytes, then fails.
type failingWriter struct{ limit int }

func (w *failingWriter) Write(p []byte) (int, error) {
	if len(p) > w.limit {
		n := w.limit
		w.limit = 0
		return n, errors.New("connection reset")
	}
	w.limit -= len(p)
	return len(p), nil
}

func TestWriteToStopsAtTheFirstWriteError(t *testing.T) {
	k := newKey(t)
	const n = 50 * ChunkSize
	sealed := seal(t, k, pattern(n))
	w := &failingWriter{limit: 20 * ChunkSize}
	got, err := k.Decrypt(bytes.NewReader(sealed), n, 0, n).(io.WriterTo).WriteTo(w)
	if err == nil || err.Error() != "connection reset" || got != 20*ChunkSize {
		t.Fatalf("WriteTo: %d bytes, %v; want 20 chunks and the write error", got, err)
	}
}

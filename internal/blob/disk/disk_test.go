package disk

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/quarrylabs/quarry/internal/blob"
	"github.com/quarrylabs/quarry/internal/blob/blobtest"
)

func newTestStore(t testing.TB) *Store {
	t.Helper()
	s, err := New(t.TempDir())
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return s
}

func TestConformance(t *testing.T) {
	blobtest.Run(t, func(t *testing.T) blob.Store {
		s := newTestStore(t)
		t.Cleanup(func() { assertTmpEmpty(t, s) })
		return s
	})
}

// assertTmpEmpty checks that no Put left a temp file behind, whatever its
// outcome.
func assertTmpEmpty(t *testing.T, s *Store) {
	t.Helper()
	entries, err := os.ReadDir(s.tmpDir())
	if err != nil {
		t.Fatalf("read tmp: %v", err)
	}
	for _, e := range entries {
		t.Errorf("temp file left behind: %s", e.Name())
	}
}

func TestNewRemovesStaleTempFilesAndKeepsBlobs(t *testing.T) {
	dir := t.TempDir()
	s, err := New(dir)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	id := blob.NewID()
	if _, err := s.Put(context.Background(), id, bytes.NewReader([]byte("kept"))); err != nil {
		t.Fatalf("Put: %v", err)
	}
	stale := filepath.Join(dir, tmpDirName, id+"-123456")
	if err := os.WriteFile(stale, []byte("half a blob"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, tmpDirName, "odd-dir"), 0o755); err != nil {
		t.Fatal(err)
	}

	s, err = New(dir)
	if err != nil {
		t.Fatalf("New after crash: %v", err)
	}
	assertTmpEmpty(t, s)
	if _, err := s.Stat(context.Background(), id); err != nil {
		t.Fatalf("stored blob lost by New: %v", err)
	}
}

func TestBlobsLiveInTheirFanoutDirectory(t *testing.T) {
	s := newTestStore(t)
	id := "abcd" + blob.NewID()[4:]
	if _, err := s.Put(context.Background(), id, bytes.NewReader([]byte("x"))); err != nil {
		t.Fatalf("Put: %v", err)
	}
	if _, err := os.Stat(filepath.Join(s.Dir(), "ab", "cd", id)); err != nil {
		t.Fatalf("blob not at DIR/ab/cd/<id>: %v", err)
	}
}

func TestWalkSkipsFilesThatAreNotBlobs(t *testing.T) {
	s := newTestStore(t)
	id := blob.NewID()
	if _, err := s.Put(context.Background(), id, bytes.NewReader([]byte("x"))); err != nil {
		t.Fatalf("Put: %v", err)
	}
	leaf := filepath.Join(s.Dir(), id[0:2], id[2:4])
	misplaced := "ffff" + id[4:]
	if id[0:4] == "ffff" {
		misplaced = "0000" + id[4:]
	}
	for _, junk := range []string{
		filepath.Join(leaf, "notes.txt"),
		filepath.Join(leaf, misplaced),
		filepath.Join(s.Dir(), "README"),
		filepath.Join(s.Dir(), tmpDirName, blob.NewID()),
	} {
		if err := os.WriteFile(junk, []byte("junk"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	err := s.Walk(context.Background(), func(i blob.Info) error {
		got = append(got, i.ID)
		return nil
	})
	if err != nil {
		t.Fatalf("Walk: %v", err)
	}
	if len(got) != 1 || got[0] != id {
		t.Fatalf("Walk listed %v, want only %s", got, id)
	}
}

func TestOpenWithAnOffsetPastTheEndIsEmpty(t *testing.T) {
	s := newTestStore(t)
	id := blob.NewID()
	if _, err := s.Put(context.Background(), id, bytes.NewReader([]byte("0123456789"))); err != nil {
		t.Fatalf("Put: %v", err)
	}
	rc, err := s.Open(context.Background(), id, 50, 10)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer rc.Close()
	if b, err := io.ReadAll(rc); err != nil || len(b) != 0 {
		t.Fatalf("read %q, %v; want empty", b, err)
	}
	if _, err := s.Open(context.Background(), id, -1, 1); err == nil {
		t.Fatal("Open with a negative offset succeeded, want an error")
	}
}

// writerOnly hides a writer's ReadFrom so that io.Copy takes the source's
// WriteTo path.
type writerOnly struct{ w io.Writer }

func (w writerOnly) Write(p []byte) (int, error) { return w.w.Write(p) }

func TestOpenedSectionWriteToCopiesExactlyTheRange(t *testing.T) {
	s := newTestStore(t)
	data := make([]byte, 3<<20+17)
	for i := range data {
		data[i] = byte(i * 7)
	}
	id := blob.NewID()
	if _, err := s.Put(context.Background(), id, bytes.NewReader(data)); err != nil {
		t.Fatalf("Put: %v", err)
	}
	const offset, length = 1<<20 + 3, 1<<20 + 5
	want := data[offset : offset+length]

	tests := []struct {
		name string
		// copyTo copies rc to a destination and returns what arrived.
		copyTo func(t *testing.T, rc io.Reader) []byte
	}{
		{"into a plain writer", func(t *testing.T, rc io.Reader) []byte {
			var buf bytes.Buffer
			if _, err := io.Copy(writerOnly{&buf}, rc); err != nil {
				t.Fatalf("copy: %v", err)
			}
			return buf.Bytes()
		}},
		{"into a file, as the kernel-copy path sendfile uses", func(t *testing.T, rc io.Reader) []byte {
			f, err := os.Create(filepath.Join(t.TempDir(), "out"))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if _, err := io.Copy(f, rc); err != nil {
				t.Fatalf("copy: %v", err)
			}
			b, err := os.ReadFile(f.Name())
			if err != nil {
				t.Fatal(err)
			}
			return b
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rc, err := s.Open(context.Background(), id, offset, length)
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			defer rc.Close()
			if _, ok := rc.(io.WriterTo); !ok {
				t.Fatal("the opened reader does not implement io.WriterTo")
			}
			got := tc.copyTo(t, rc)
			if !bytes.Equal(got, want) {
				t.Fatalf("copied %d bytes that differ from the %d-byte range", len(got), len(want))
			}
			if n, err := rc.Read(make([]byte, 1)); n != 0 || err != io.EOF {
				t.Fatalf("Read after WriteTo = %d, %v; want 0, EOF", n, err)
			}
		})
	}
}

func BenchmarkPut64MiB(b *testing.B) {
	s := newTestStore(b)
	data := make([]byte, 64<<20)
	for i := range data {
		data[i] = byte(i)
	}
	ctx := context.Background()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		id := blob.NewID()
		if _, err := s.Put(ctx, id, bytes.NewReader(data)); err != nil {
			b.Fatalf("Put: %v", err)
		}
		b.StopTimer()
		if err := s.Delete(ctx, id); err != nil {
			b.Fatalf("Delete: %v", err)
		}
		b.StartTimer()
	}
}

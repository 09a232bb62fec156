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

func TestNewDirectoriesAreForTheOwnerOnly(t *testing.T) {
	s := newTestStore(t)
	id := "0123456789abcdef0123456789abcdef"
	if _, err := s.Put(context.Background(), id, bytes.NewReader([]byte("x"))); err != nil {
		t.Fatal(err)
	}
	p, _ := s.path(id)
	wantPerm(t, p, 0o600)
	for _, d := range []string{s.tmpDir(), filepath.Dir(p), filepath.Dir(filepath.Dir(p))} {
		wantPerm(t, d, 0o700)
	}
}

func TestRestrictDirsTightensOpenDirectoriesOnly(t *testing.T) {
	root := filepath.Join(t.TempDir(), "blobs")
	id := "abcdef0123456789abcdef0123456789"
	blobPath := filepath.Join(root, "ab", "cd", id)
	// The layout an earlier version left: every directory 0755.
	for _, d := range []string{filepath.Join(root, "tmp"), filepath.Dir(blobPath), filepath.Join(root, "ef", "01")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(blobPath, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Join(root, "ef"), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Join(root, "ef", "01"), 0o700); err != nil { // already private
		t.Fatal(err)
	}
	s, err := New(root)
	if err != nil {
		t.Fatal(err)
	}
	changed := map[string]os.FileMode{}
	if err := s.RestrictDirs(func(p string, old os.FileMode) { changed[p] = old }); err != nil {
		t.Fatal(err)
	}
	want := map[string]os.FileMode{
		root:                            0o755,
		filepath.Join(root, "tmp"):      0o755,
		filepath.Join(root, "ab"):       0o755,
		filepath.Join(root, "ab", "cd"): 0o755,
		filepath.Join(root, "ef"):       0o750,
	}
	if len(changed) != len(want) {
		t.Errorf("changed %v, want %v", changed, want)
	}
	for p, old := range want {
		if changed[p] != old {
			t.Errorf("%s: reported old mode %04o, want %04o", p, changed[p], old)
		}
		wantPerm(t, p, 0o700)
	}
	wantPerm(t, filepath.Join(root, "ef", "01"), 0o700)
	wantPerm(t, blobPath, 0o600)

	again := 0
	if err := s.RestrictDirs(func(string, os.FileMode) { again++ }); err != nil {
		t.Fatal(err)
	}
	if again != 0 {
		t.Errorf("a second RestrictDirs changed %d directories, want none", again)
	}
}

func wantPerm(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != want {
		t.Errorf("%s has mode %04o, want %04o", path, got, want)
	}
}

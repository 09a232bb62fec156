package server

import (
	"bytes"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRestrictDataDirTightensEverythingButTheSkippedEntryAndLogsEachChange(t *testing.T) {
	dir := t.TempDir()
	files := map[string]fs.FileMode{
		"meta.db":         0o644,
		"meta.db-wal":     0o640,
		"quarry.key":      0o600, // already private: left alone, not logged
		"tls/cert.pem":    0o644,
		"blobs/ab/cd/x":   0o644, // the blob store's own business
		"notes/owner.txt": 0o400, // owner bits are kept as they are
	}
	for rel, mode := range files {
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, nil, mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("/etc/passwd", filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	restrictDataDir(dir, "blobs", slog.New(slog.NewTextHandler(&logs, nil)))

	want := map[string]fs.FileMode{
		".": 0o700, "meta.db": 0o600, "meta.db-wal": 0o600, "quarry.key": 0o600,
		"tls": 0o700, "tls/cert.pem": 0o600, "notes": 0o700, "notes/owner.txt": 0o400,
		"blobs": 0o755, "blobs/ab/cd/x": 0o644,
	}
	for rel, mode := range want {
		fi, err := os.Stat(filepath.Join(dir, rel))
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != mode {
			t.Errorf("%s has mode %04o, want %04o", rel, got, mode)
		}
	}
	if fi, err := os.Stat("/etc/passwd"); err == nil && fi.Mode().Perm()&0o044 == 0 {
		t.Errorf("the symbolic link's target lost its read bits")
	}
	lines := strings.Count(logs.String(), "restricted permissions")
	if lines != 6 { // ., meta.db, meta.db-wal, tls, tls/cert.pem, notes
		t.Errorf("logged %d changes, want 6:\n%s", lines, logs.String())
	}
	if !strings.Contains(logs.String(), "path="+filepath.Join(dir, "meta.db-wal")+" old=0640 new=0600") {
		t.Errorf("the log does not show meta.db-wal's change:\n%s", logs.String())
	}
}

func TestPermReportLogsUpToItsLimitThenACount(t *testing.T) {
	var logs bytes.Buffer
	r := &permReport{log: slog.New(slog.NewTextHandler(&logs, nil)), limit: 2}
	for _, p := range []string{"a", "b", "c", "d", "e"} {
		r.logged(p, 0o755)
	}
	r.done("blobs")
	out := logs.String()
	if n := strings.Count(out, "msg=\"data dir: restricted permissions\""); n != 2 {
		t.Errorf("logged %d changes one by one, want 2:\n%s", n, out)
	}
	if !strings.Contains(out, "under=blobs count=3") {
		t.Errorf("the summary does not count the 3 others:\n%s", out)
	}
}

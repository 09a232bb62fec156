package e2e

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// dataDirModes lists every directory and regular file under dir, as a
// path relative to dir, with its permission bits.
func dataDirModes(t *testing.T, dir string) map[string]fs.FileMode {
	t.Helper()
	modes := map[string]fs.FileMode{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && !d.Type().IsRegular() {
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		modes[rel] = fi.Mode().Perm()
		return nil
	})
	if err != nil {
		t.Fatalf("walk the data dir: %v", err)
	}
	return modes
}

// wantPrivate fails t unless every directory under dir is 0700 and every
// file 0600, and each of must exists.
func wantPrivate(t *testing.T, dir string, must ...string) {
	t.Helper()
	modes := dataDirModes(t, dir)
	for _, name := range must {
		if _, ok := modes[name]; !ok {
			t.Errorf("the data dir has no %s (it has %v)", name, modes)
		}
	}
	for rel, perm := range modes {
		fi, err := os.Lstat(filepath.Join(dir, rel))
		if err != nil {
			t.Fatal(err)
		}
		want := fs.FileMode(0o600)
		if fi.IsDir() {
			want = 0o700
		}
		if perm != want {
			t.Errorf("%s has mode %04o, want %04o", rel, perm, want)
		}
	}
}

// putSomething stores an object on srv with the credentials in its
// root-credentials file, so that blob directories exist.
func putSomething(t *testing.T, srv *server) {
	t.Helper()
	creds := readCredentials(t, filepath.Join(srv.DataDir, "root-credentials"))
	c := s3Client(srv.S3URL, creds["access_key"], creds["secret_key"])
	if _, err := c.CreateBucket(t.Context(), &s3.CreateBucketInput{Bucket: aws.String("private")}); err != nil {
		t.Fatalf("CreateBucket: %v", err)
	}
	putObject(t, c, "private", "k", []byte("for the owner's eyes only"))
}

// privateFiles are the files every data dir must have once written to
// (the SQLite WAL and its index exist while the server runs).
var privateFiles = []string{"meta.db", "meta.db-wal", "meta.db-shm", "quarry.key", "root-credentials",
	"tls/cert.pem", "tls/key.pem", "blobs", "blobs/tmp"}

func TestDataDirIsPrivateFromTheFirstStart(t *testing.T) {
	sqliteOnly(t) // the metadata files are among those checked
	t.Parallel()
	srv := startServer(t, serverOptions{NoRootEnv: true, TLS: true})
	putSomething(t, srv)
	wantPrivate(t, srv.DataDir, privateFiles...)
}

func TestDataDirOfAnEarlierVersionIsTightenedAtStart(t *testing.T) {
	sqliteOnly(t) // the metadata files are among those checked
	t.Parallel()
	srv := startServer(t, serverOptions{NoRootEnv: true, TLS: true})
	putSomething(t, srv)
	srv.Kill(t) // keeps meta.db-wal and -shm, as a crash does

	// Open it all up as an earlier version (and the default umask) left
	// it: directories 0755, the metadata, keys and certificates 0644.
	// Blob files were always created 0600.
	opened := map[string]fs.FileMode{}
	for rel := range dataDirModes(t, srv.DataDir) {
		path := filepath.Join(srv.DataDir, rel)
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		mode := fs.FileMode(0o644)
		switch {
		case fi.IsDir():
			mode = 0o755
		case strings.HasPrefix(rel, "blobs"+string(filepath.Separator)):
			continue
		}
		if err := os.Chmod(path, mode); err != nil {
			t.Fatal(err)
		}
		opened[rel] = mode
	}

	srv.Restart(t)
	wantPrivate(t, srv.DataDir, privateFiles...)
	// Each change is logged with the path and both modes.
	logs := srv.Output()
	for _, rel := range []string{"meta.db", "meta.db-wal", "quarry.key", "root-credentials", filepath.Join("tls", "key.pem")} {
		if !logLineHas(logs, "restricted permissions", "path="+filepath.Join(srv.DataDir, rel)+" ", "old=0644", "new=0600") {
			t.Errorf("the log does not say that %s went from 0644 to 0600", rel)
		}
	}
	for _, rel := range []string{".", "tls", "blobs"} {
		if !logLineHas(logs, "restricted permissions", "path="+filepath.Join(srv.DataDir, rel)+" ", "old=0755", "new=0700") {
			t.Errorf("the log does not say that directory %s went from 0755 to 0700", rel)
		}
	}

	// The next start finds nothing to change and says nothing about it.
	srv.Stop(t)
	before := len(srv.Output())
	srv.Restart(t)
	if again := srv.Output()[before:]; strings.Contains(again, "restricted permissions") {
		t.Errorf("a start on a private data dir changed permissions again:\n%s", again)
	}
}

// logLineHas reports whether one line of logs holds every part.
func logLineHas(logs string, parts ...string) bool {
	for _, line := range strings.Split(logs, "\n") {
		all := true
		for _, p := range parts {
			if !strings.Contains(line+" ", p) {
				all = false
				break
			}
		}
		if all {
			return true
		}
	}
	return false
}

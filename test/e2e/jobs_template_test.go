package e2e

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/quarrylabs/quarry/internal/meta"
)

// The long-job tests (crash, lease takeover, cancel, concurrent writes)
// each need a server of their own over a bucket big enough that a job runs
// for seconds. Seeding costs far more than copying a file, so a data
// directory holding such a bucket is seeded once per run and each test
// starts its server on a copy.

const (
	// bigBucket is the seeded bucket of the template, owned by root.
	bigBucket = "big-seeded"
	// bigObjects is how many one-version objects it holds.
	bigObjects = 200_000
)

var bigTemplate struct {
	once  sync.Once
	dir   string
	usage meta.Usage
	err   error
}

// bigDataDir returns a fresh copy of the template data directory and the
// usage of its big bucket, whose stored counters are exact.
func bigDataDir(t *testing.T) (string, meta.Usage) {
	t.Helper()
	bigTemplate.once.Do(func() {
		bigTemplate.dir = filepath.Join(filepath.Dir(binaryPath), "big-template", "data")
		bigTemplate.usage, bigTemplate.err = makeBigTemplate(context.Background(), bigTemplate.dir)
	})
	if bigTemplate.err != nil {
		t.Fatalf("big bucket template: %v", bigTemplate.err)
	}
	dir := filepath.Join(t.TempDir(), "data")
	if err := copyDir(bigTemplate.dir, dir); err != nil {
		t.Fatalf("copy the big bucket template: %v", err)
	}
	if err := copyMeta(bigTemplate.dir, dir); err != nil {
		t.Fatalf("copy the big bucket template's metadata: %v", err)
	}
	return dir, bigTemplate.usage
}

// makeBigTemplate starts a server on dir so that it initialises the data
// directory and root account, creates the bucket over S3, seeds it through
// the meta store and stops the server cleanly.
func makeBigTemplate(ctx context.Context, dir string) (meta.Usage, error) {
	srv, err := launch(serverOptions{}, dir)
	if err != nil {
		if srv != nil {
			_ = srv.kill()
		}
		return meta.Usage{}, err
	}
	defer srv.kill()
	c := s3Client(srv.S3URL, srv.AccessKey, srv.SecretKey)
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bigBucket)}); err != nil {
		return meta.Usage{}, fmt.Errorf("create bucket: %w", err)
	}
	st, err := openStoreAt(ctx, dir)
	if err != nil {
		return meta.Usage{}, err
	}
	u, err := seedObjects(ctx, st, bigBucket, "obj/", bigObjects)
	if cerr := st.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return meta.Usage{}, err
	}
	return u, srv.stop()
}

// copyDir copies the regular files and directories under src to dst,
// keeping their permissions. Nothing may write to src meanwhile.
func copyDir(src, dst string) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			return os.MkdirAll(target, info.Mode().Perm())
		case d.Type().IsRegular():
			return copyFile(path, target, info.Mode().Perm())
		}
		return nil // sockets and the like: none expected
	})
}

func copyFile(src, dst string, perm fs.FileMode) (err error) {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, out.Close()) }()
	_, err = io.Copy(out, in)
	return err
}

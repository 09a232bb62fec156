package disk

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// Put streams r into a temp file, makes it durable and renames it into
// place, so a reader never sees a partial blob. On any failure the temp file
// is removed and nothing is stored under id.
func (s *Store) Put(ctx context.Context, id string, r io.Reader) (n int64, err error) {
	final, err := s.path(id)
	if err != nil {
		return 0, fmt.Errorf("disk: put: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("disk: put %s: %w", id, err)
	}
	f, err := os.CreateTemp(s.tmpDir(), id+"-*")
	if err != nil {
		return 0, fmt.Errorf("disk: put %s: create temp: %w", id, err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = os.Remove(tmp)
		}
	}()

	buf := s.bufs.Get().(*[]byte)
	n, err = copyWithContext(ctx, f, r, *buf)
	s.bufs.Put(buf)
	if err != nil {
		return 0, fmt.Errorf("disk: put %s: %w", id, err)
	}
	if err := f.Sync(); err != nil {
		return 0, fmt.Errorf("disk: put %s: fsync: %w", id, err)
	}
	if err := f.Close(); err != nil {
		return 0, fmt.Errorf("disk: put %s: close: %w", id, err)
	}
	// A cancellation that arrived after the last write still means the
	// caller gave up: honour it before the blob becomes visible.
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("disk: put %s: %w", id, err)
	}
	if err := s.renameIntoPlace(tmp, final); err != nil {
		return 0, fmt.Errorf("disk: put %s: %w", id, err)
	}
	return n, nil
}

// copyWithContext copies r to f through buf and checks ctx before
// every write. Both ends are wrapped so that io.CopyBuffer takes the buffered
// path: *os.File's ReaderFrom (or r's WriterTo) would bypass the buffer and
// the cancellation checks.
func copyWithContext(ctx context.Context, f *os.File, r io.Reader, buf []byte) (int64, error) {
	return io.CopyBuffer(&ctxWriter{ctx: ctx, f: f}, readerOnly{r}, buf)
}

// writebackWindow is how many written bytes Put lets accumulate before it
// asks the kernel to start writing them out.
const writebackWindow = 8 << 20

// ctxWriter fails writes once its context has ended, and starts the
// writeback of every full window as the file grows.
type ctxWriter struct {
	ctx     context.Context
	f       *os.File
	written int64
	flushed int64 // bytes whose writeback was started
}

func (c *ctxWriter) Write(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	n, err := c.f.Write(p)
	c.written += int64(n)
	if c.written-c.flushed >= writebackWindow {
		startWriteback(c.f, c.flushed, c.written-c.flushed)
		c.flushed = c.written
	}
	return n, err
}

// readerOnly hides every method of the wrapped reader but Read.
type readerOnly struct{ r io.Reader }

func (r readerOnly) Read(p []byte) (int, error) { return r.r.Read(p) }

// renameIntoPlace moves the durable temp file to final and makes the new
// directory entries durable. The fan-out directories are created on demand:
// the first rename into a new directory fails with ErrNotExist, so the common
// case costs no extra stat.
func (s *Store) renameIntoPlace(tmp, final string) error {
	leaf := filepath.Dir(final)
	err := os.Rename(tmp, final)
	if errors.Is(err, fs.ErrNotExist) {
		if err := s.makeFanoutDirs(leaf); err != nil {
			return err
		}
		err = os.Rename(tmp, final)
	}
	if err != nil {
		return fmt.Errorf("rename into place: %w", err)
	}
	if err := syncDir(leaf); err != nil {
		// The blob is in place but its entry may not survive a crash:
		// report failure and leave nothing that looks stored.
		_ = os.Remove(final)
		return err
	}
	return nil
}

// makeFanoutDirs creates DIR/xx and DIR/xx/yy as needed and fsyncs the
// parent of each directory it created, so the new entries survive a crash.
func (s *Store) makeFanoutDirs(leaf string) error {
	mid := filepath.Dir(leaf)
	for _, d := range []string{mid, leaf} {
		err := os.Mkdir(d, dirMode)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return fmt.Errorf("create %s: %w", d, err)
		}
		if err := syncDir(filepath.Dir(d)); err != nil {
			return err
		}
	}
	return nil
}

// syncDir fsyncs a directory so that entries created or renamed in it are
// durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("open dir %s: %w", dir, err)
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("fsync dir %s: %w", dir, err)
	}
	return nil
}

package disk

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/quarrylabs/quarry/internal/blob"
)

// Open returns a reader of length bytes of blob id from offset; length < 0
// reads to the end. A range that runs past the end is clamped to it, so an
// offset at or beyond the end yields an empty reader.
func (s *Store) Open(ctx context.Context, id string, offset, length int64) (io.ReadCloser, error) {
	p, err := s.path(id)
	if err != nil {
		return nil, fmt.Errorf("disk: open: %w", err)
	}
	if offset < 0 {
		return nil, fmt.Errorf("disk: open %s: negative offset %d", id, offset)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("disk: open %s: %w", id, err)
	}
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("disk: open %s: %w", id, blob.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("disk: open %s: %w", id, err)
	}
	fi, err := f.Stat()
	if err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("disk: open %s: stat: %w", id, err)
	}
	size := fi.Size()
	offset = min(offset, size)
	remaining := size - offset
	if length >= 0 {
		remaining = min(remaining, length)
	}
	if offset > 0 {
		if _, err := f.Seek(offset, io.SeekStart); err != nil {
			_ = f.Close()
			return nil, fmt.Errorf("disk: open %s: seek: %w", id, err)
		}
	}
	return &section{f: f, remaining: remaining}, nil
}

// section reads the next remaining bytes of f, which is positioned at the
// start of the requested range.
type section struct {
	f         *os.File
	remaining int64
}

func (s *section) Read(p []byte) (int, error) {
	if s.remaining <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > s.remaining {
		p = p[:s.remaining]
	}
	n, err := s.f.Read(p)
	s.remaining -= int64(n)
	if err == io.EOF && s.remaining > 0 {
		// The file is shorter than when it was opened: blobs are
		// immutable, so this is corruption, not a normal end.
		err = io.ErrUnexpectedEOF
	}
	return n, err
}

// WriteTo copies the section to w through an *io.LimitedReader over the
// *os.File: net/http's response writer recognises exactly that shape and
// serves it with sendfile(2), so io.Copy(responseWriter, rc) never copies
// the bytes through user space.
func (s *section) WriteTo(w io.Writer) (int64, error) {
	lr := &io.LimitedReader{R: s.f, N: s.remaining}
	n, err := io.Copy(w, lr)
	s.remaining = lr.N
	if err == nil && s.remaining > 0 {
		err = io.ErrUnexpectedEOF
	}
	return n, err
}

func (s *section) Close() error { return s.f.Close() }

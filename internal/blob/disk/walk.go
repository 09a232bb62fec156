package disk

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/quarrylabs/quarry/internal/blob"
)

// Stat returns the size and modification time of blob id.
func (s *Store) Stat(ctx context.Context, id string) (blob.Info, error) {
	p, err := s.path(id)
	if err != nil {
		return blob.Info{}, fmt.Errorf("disk: stat: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return blob.Info{}, fmt.Errorf("disk: stat %s: %w", id, err)
	}
	fi, err := os.Stat(p)
	if errors.Is(err, fs.ErrNotExist) {
		return blob.Info{}, fmt.Errorf("disk: stat %s: %w", id, blob.ErrNotFound)
	}
	if err != nil {
		return blob.Info{}, fmt.Errorf("disk: stat %s: %w", id, err)
	}
	return blob.Info{ID: id, Size: fi.Size(), ModTime: fi.ModTime()}, nil
}

// Delete removes blob id; a missing blob is not an error. Emptied fan-out
// directories are kept: they are few (65536 at most) and reused.
func (s *Store) Delete(ctx context.Context, id string) error {
	p, err := s.path(id)
	if err != nil {
		return fmt.Errorf("disk: delete: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("disk: delete %s: %w", id, err)
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("disk: delete %s: %w", id, err)
	}
	return nil
}

// Walk calls fn for every stored blob. Temp files and anything that is not
// a blob in its proper fan-out directory are skipped, so Walk reports only
// what Open can read. Blobs deleted during the walk may or may not be seen.
func (s *Store) Walk(ctx context.Context, fn func(blob.Info) error) error {
	tops, err := readDirNames(s.dir)
	if err != nil {
		return fmt.Errorf("disk: walk: %w", err)
	}
	for _, top := range tops {
		if !isFanoutName(top) {
			continue // includes tmp/
		}
		mids, err := readDirNames(filepath.Join(s.dir, top))
		if err != nil {
			return fmt.Errorf("disk: walk: %w", err)
		}
		for _, mid := range mids {
			if !isFanoutName(mid) {
				continue
			}
			if err := s.walkLeaf(ctx, top, mid, fn); err != nil {
				return err
			}
		}
	}
	return nil
}

// walkLeaf reports the blobs in DIR/top/mid.
func (s *Store) walkLeaf(ctx context.Context, top, mid string, fn func(blob.Info) error) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("disk: walk: %w", err)
	}
	leaf := filepath.Join(s.dir, top, mid)
	entries, err := os.ReadDir(leaf)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("disk: walk: %w", err)
	}
	for _, e := range entries {
		id := e.Name()
		if !blob.ValidID(id) || id[0:2] != top || id[2:4] != mid || !e.Type().IsRegular() {
			continue
		}
		fi, err := e.Info()
		if errors.Is(err, fs.ErrNotExist) {
			continue // deleted since ReadDir
		}
		if err != nil {
			return fmt.Errorf("disk: walk %s: %w", id, err)
		}
		if err := fn(blob.Info{ID: id, Size: fi.Size(), ModTime: fi.ModTime()}); err != nil {
			return err
		}
	}
	return nil
}

// readDirNames lists the directory names in dir; a directory removed
// meanwhile lists as empty.
func readDirNames(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		if e.IsDir() {
			names = append(names, e.Name())
		}
	}
	return names, nil
}

// isFanoutName reports whether name is two lower-case hex digits.
func isFanoutName(name string) bool {
	return len(name) == 2 && isLowerHex(name[0]) && isLowerHex(name[1])
}

func isLowerHex(c byte) bool { return ('0' <= c && c <= '9') || ('a' <= c && c <= 'f') }

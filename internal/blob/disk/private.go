package disk

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// dirMode is the mode of every directory the store creates: blobs are the
// tenants' data, for the server's user only. Blob files need nothing of
// their own: os.CreateTemp makes them 0600 and the rename keeps that.
const dirMode = 0o700

// RestrictDirs removes group and other permissions from the store's
// directories, as an earlier version made them (0755): the root, tmp and
// the fan-out directories. changed, when not nil, is told each directory
// it changed and its old permissions. Blob files are not visited (they
// were always created 0600, and a 0700 directory hides them anyway), so
// the cost does not grow with the number of blobs: one read of the root
// and of each first-level fan-out directory, at most 257 reads and 65,793
// stats.
func (s *Store) RestrictDirs(changed func(path string, old fs.FileMode)) error {
	restrict := func(path string, fi fs.FileInfo) error {
		old := fi.Mode().Perm()
		if old&0o077 == 0 {
			return nil
		}
		if err := os.Chmod(path, old&^0o077); err != nil {
			return fmt.Errorf("disk: restrict %s: %w", path, err)
		}
		if changed != nil {
			changed(path, old)
		}
		return nil
	}
	fi, err := os.Stat(s.dir)
	if err != nil {
		return fmt.Errorf("disk: restrict: %w", err)
	}
	if err := restrict(s.dir, fi); err != nil {
		return err
	}
	tops, err := restrictSubdirs(s.dir, restrict)
	if err != nil {
		return err
	}
	for _, top := range tops {
		if !isFanoutName(top) {
			continue // tmp holds files only, and New emptied it
		}
		if _, err := restrictSubdirs(filepath.Join(s.dir, top), restrict); err != nil {
			return err
		}
	}
	return nil
}

// restrictSubdirs applies restrict to every directory directly in dir,
// never following a symbolic link, and returns their names.
func restrictSubdirs(dir string, restrict func(string, fs.FileInfo) error) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("disk: restrict: %w", err)
	}
	var names []string
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		fi, err := e.Info()
		if err != nil {
			return nil, fmt.Errorf("disk: restrict: %w", err)
		}
		if err := restrict(filepath.Join(dir, e.Name()), fi); err != nil {
			return nil, err
		}
		names = append(names, e.Name())
	}
	return names, nil
}

// Package disk is the default blob store: one file per blob on the local
// filesystem. A blob is written to DIR/tmp, fsynced and renamed into
// DIR/xx/yy/<id> (xx, yy: the first four hex digits of the id), so a crash
// leaves either the whole blob or a stale temp file that New removes.
package disk

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/quarrylabs/quarry/internal/blob"
)

// tmpDirName is the directory under the store root that holds in-flight
// writes. It is not a valid fan-out name (two hex digits), so Walk and the
// blob paths can never collide with it.
const tmpDirName = "tmp"

// copyBufferSize is the chunk Put reads and writes at a time: large enough
// for streaming throughput, small enough to notice cancellation quickly.
const copyBufferSize = 1 << 20

// ErrInvalidID is returned for an id that blob.ValidID rejects, so that no
// id can name a path outside the store.
var ErrInvalidID = errors.New("disk: invalid blob id")

// Store is a blob.Store on a local directory. It is safe for concurrent use.
type Store struct {
	dir string
	// bufs recycles Put's copy buffers: a fresh 1 MiB buffer per PUT,
	// however small, was a fifth of a small PUT's CPU in garbage
	// collection.
	bufs sync.Pool
}

var _ blob.Store = (*Store)(nil)

// New opens (creating if needed) a store rooted at dir and removes temp
// files that a crash left behind.
func New(dir string) (*Store, error) {
	s := &Store{dir: dir}
	s.bufs.New = func() any { b := make([]byte, copyBufferSize); return &b }
	if err := os.MkdirAll(s.tmpDir(), dirMode); err != nil {
		return nil, fmt.Errorf("disk: create %s: %w", s.tmpDir(), err)
	}
	if err := s.removeStaleTemps(); err != nil {
		return nil, err
	}
	return s, nil
}

// Dir returns the store's root directory.
func (s *Store) Dir() string { return s.dir }

// removeStaleTemps deletes everything in DIR/tmp. Only in-flight Puts write
// there, and none are running while New executes for this directory.
func (s *Store) removeStaleTemps() error {
	entries, err := os.ReadDir(s.tmpDir())
	if err != nil {
		return fmt.Errorf("disk: read %s: %w", s.tmpDir(), err)
	}
	for _, e := range entries {
		p := filepath.Join(s.tmpDir(), e.Name())
		if err := os.RemoveAll(p); err != nil {
			return fmt.Errorf("disk: remove stale temp %s: %w", p, err)
		}
	}
	return nil
}

func (s *Store) tmpDir() string { return filepath.Join(s.dir, tmpDirName) }

// path returns the file that holds blob id, after checking that id cannot
// escape the store.
func (s *Store) path(id string) (string, error) {
	if !blob.ValidID(id) {
		return "", fmt.Errorf("%w: %q", ErrInvalidID, id)
	}
	return filepath.Join(s.dir, id[0:2], id[2:4], id), nil
}

// Package blob defines the Store interface for object data. A blob is an
// immutable byte sequence under a random id; it is written and made durable
// before any metadata refers to it, so a crash leaves at worst an orphan that
// no metadata names. Backends: disk (local filesystem, the default) and s3 (a
// bucket of an S3-compatible storage component).
package blob

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"time"
)

// ErrNotFound is returned when no blob has the id.
var ErrNotFound = errors.New("blob: not found")

// ErrUnavailable is returned when the store refuses the operation for now:
// its storage component is paused, or read-only and asked to change.
var ErrUnavailable = errors.New("blob: storage unavailable")

// Info describes a stored blob.
type Info struct {
	ID      string
	Size    int64
	ModTime time.Time
}

// Store holds blobs.
type Store interface {
	// Put reads r to EOF and stores its bytes durably under id, returning
	// the number of bytes stored. If r returns an error or ctx ends, Put
	// returns that error and nothing is stored under id. Ids come from NewID.
	Put(ctx context.Context, id string, r io.Reader) (int64, error)
	// Open returns a reader of length bytes starting at offset; length < 0
	// reads to the end. ErrNotFound when the blob does not exist.
	Open(ctx context.Context, id string, offset, length int64) (io.ReadCloser, error)
	// Stat returns ErrNotFound when the blob does not exist.
	Stat(ctx context.Context, id string) (Info, error)
	// Delete removes the blob; deleting a missing blob is not an error.
	Delete(ctx context.Context, id string) error
	// Walk calls fn for every stored blob, in no particular order, and
	// stops at the first error fn returns.
	Walk(ctx context.Context, fn func(Info) error) error
}

// Gate is implemented by a Store that refuses operations for a while (a
// storage component made read-only or paused). Object data kept outside
// the store (small objects inline in the metadata store) obeys the same
// gate, so that a read-only server takes no new object data whatever its
// size, and a paused one serves none.
type Gate interface {
	// Allow returns nil, or an error wrapping ErrUnavailable when the
	// store refuses writes now (write), or reads.
	Allow(write bool) error
}

// Allow asks s's Gate, if it has one, whether it takes writes (write) or
// reads now.
func Allow(s Store, write bool) error {
	if g, ok := s.(Gate); ok {
		return g.Allow(write)
	}
	return nil
}

// NewID returns a new random blob id: 32 lower-case hex digits.
func NewID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("blob: crypto/rand failed: " + err.Error())
	}
	return hex.EncodeToString(b[:])
}

// ValidID reports whether id has the form NewID produces, so that no id can
// name a path outside a store.
func ValidID(id string) bool {
	if len(id) != 32 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// Package object is the object service: what a bucket or object operation
// means, independent of the protocol that asked for it. It writes data to the
// blob store first, then commits the metadata change, the usage counters and
// the blobs it made garbage in one transaction.
package object

import (
	"log/slog"
	"sync"
	"time"

	"github.com/quarrylabs/quarry/internal/blob"
	"github.com/quarrylabs/quarry/internal/meta"
	"github.com/quarrylabs/quarry/internal/sse"
)

// Config configures a Service.
type Config struct {
	Meta  meta.Store
	Blobs blob.Store
	// Logger defaults to slog.Default().
	Logger *slog.Logger
	// Now defaults to time.Now.
	Now func() time.Time
	// MinPartSize defaults to MinPartSize (5 MiB).
	MinPartSize int64
	// Replication plans the replication of new versions; nil means no
	// bucket replicates.
	Replication ReplicationPlanner
	// Events plans the notifications of object changes; nil means no
	// bucket notifies.
	Events EventPlanner
	// Notify, when set, is called after a commit that wrote outbox
	// entries: it wakes the outbox drainer.
	Notify func()
	// Keys wraps and unwraps the data keys of encrypted blobs; nil means
	// the service cannot encrypt (a write that must be encrypted fails
	// with ErrNotImplemented).
	Keys *sse.Keyring
	// InlineMax is the size up to which a PUT or a copy keeps the data in
	// the metadata store, committed with its version (meta.Version.Inline),
	// instead of writing and syncing a blob: a small write then costs one
	// durable commit. 0 (or less) never inlines. Encrypted objects and
	// multipart parts are never inlined.
	InlineMax int64
}

// DefaultInlineMax is the InlineMax the server uses unless told otherwise.
const DefaultInlineMax = 128 << 10

// Service carries out bucket and object operations for a principal.
type Service struct {
	cfg Config
	// trashQueued wakes Run after a commit that queued blobs for deletion.
	trashQueued chan struct{}
	// buffers recycles the chunk buffers that bodies are streamed through.
	buffers sync.Pool
}

// New returns a Service.
func New(cfg Config) *Service {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.MinPartSize == 0 {
		cfg.MinPartSize = MinPartSize
	}
	s := &Service{cfg: cfg, trashQueued: make(chan struct{}, 1)}
	s.buffers.New = func() any {
		b := make([]byte, chunkSize)
		return &b
	}
	return s
}

// now is the service clock in UTC.
func (s *Service) now() time.Time { return s.cfg.Now().UTC() }

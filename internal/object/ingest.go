package object

import (
	"bytes"
	"context"
	"crypto/md5"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/quarrylabs/quarry/internal/blob"
	"github.com/quarrylabs/quarry/internal/sse"
)

// ingested is a body stored as a blob, or kept in memory to be stored
// inline with its version, with the digests computed on the way.
type ingested struct {
	// BlobID is empty when the body is inline.
	BlobID string
	// Inline: the body is Data, verified, for the version row to carry
	// (meta.Version.Inline); no blob was written.
	Inline    bool
	Data      []byte
	Size      int64 // of the plaintext
	MD5       []byte
	Checksums map[string]string // nil when no algorithm was asked
	// DataKey encrypted the blob; nil when it holds plaintext. The commit
	// that records the blob wraps it (Service.wrapKey).
	DataKey *sse.DataKey
}

// ETag is the hex MD5 S3 uses as a single-part object's ETag.
func (in *ingested) ETag() string { return fmt.Sprintf("%x", in.MD5) }

// ingestRequest describes a body to store.
type ingestRequest struct {
	Body io.Reader
	// Size is the exact body length; < 0 reads to EOF (up to MaxSize).
	Size       int64
	MaxSize    int64
	ContentMD5 []byte
	Checksum   ChecksumInput
	// Encrypt stores the body encrypted under a new data key. The digests
	// are of the plaintext, taken before encryption.
	Encrypt bool
	// InlineMax is the largest body kept in memory for its version row
	// instead of a blob; 0 never inlines. An encrypted body is never
	// inlined. A body of unknown length is read up to InlineMax+1 bytes,
	// and goes on to a blob when it has more.
	InlineMax int64
}

// ingest streams a body into a new blob, hashing it on the way, and checks
// its length and digests before the blob store keeps it. Nothing is left
// behind on failure: the blob is deleted (best effort) whatever went wrong.
func (s *Service) ingest(ctx context.Context, req ingestRequest) (*ingested, error) {
	if req.Size > req.MaxSize {
		return nil, fmt.Errorf("body of %d bytes (max %d): %w", req.Size, req.MaxSize, ErrEntityTooLarge)
	}
	if req.ContentMD5 != nil && len(req.ContentMD5) != md5.Size {
		return nil, fmt.Errorf("Content-MD5 of %d bytes: %w", len(req.ContentMD5), ErrBadDigest)
	}
	if req.Checksum.Algorithm == "" && req.Checksum.Value != "" {
		return nil, fmt.Errorf("checksum value without an algorithm: %w", ErrInvalidRequest)
	}
	if req.Body == nil {
		req.Body = strings.NewReader("") // no body is an empty body
	}
	h, err := s.newBodyHasher(req)
	if err != nil {
		return nil, err
	}
	var src io.Reader = h
	if req.InlineMax > 0 && !req.Encrypt && req.Size <= req.InlineMax {
		// No blob is written, but a store that takes no data now
		// takes no inline data either.
		if err := blob.Allow(s.cfg.Blobs, true); err != nil {
			return nil, fmt.Errorf("store body: %w", err)
		}
		data, err := readInline(h, req.Size, req.InlineMax)
		switch {
		case err != nil:
			h.stop()
			return nil, fmt.Errorf("read body: %w", err)
		case int64(len(data)) <= req.InlineMax:
			h.stop()
			if !h.verified {
				return nil, errors.New("read body: ended without its digests checked")
			}
			return &ingested{Inline: true, Data: data, Size: h.n, MD5: h.md5.Sum(nil), Checksums: h.checksums()}, nil
		}
		// A body of unknown length longer than InlineMax: the bytes
		// read so far start the blob, the rest follows through h.
		src = io.MultiReader(bytes.NewReader(data), h)
	}
	var dk *sse.DataKey
	if req.Encrypt {
		if err := s.checkKeys(); err != nil {
			return nil, err
		}
		if dk, err = sse.NewDataKey(); err != nil {
			return nil, err
		}
		src = dk.Encrypt(h, req.Size)
	}
	id := blob.NewID()
	n, err := s.cfg.Blobs.Put(ctx, id, src)
	h.stop() // the blob store may have stopped reading early
	if err == nil && !h.verified {
		err = errors.New("blob store stopped before the end of the body")
	}
	if want := storedSize(h.n, dk != nil); err == nil && n != want {
		err = fmt.Errorf("blob store kept %d of %d bytes", n, want)
	}
	if err == nil && req.Size >= 0 && h.n != req.Size {
		err = fmt.Errorf("read %d of %d body bytes", h.n, req.Size)
	}
	if err != nil {
		s.deleteBlobs(ctx, id)
		return nil, fmt.Errorf("store body: %w", err)
	}
	return &ingested{BlobID: id, Size: h.n, MD5: h.md5.Sum(nil), Checksums: h.checksums(), DataKey: dk}, nil
}

// inlineReadStart is the first buffer for a body of unknown length read
// for inlining: most such bodies are small, and the buffer grows as needed.
const inlineReadStart = 16 << 10

// readInline reads a body of size bytes (< 0: unknown) that may be
// inlined: all of it, or when its size is unknown, up to max+1 bytes, so
// that a result of more than max bytes says the body is longer and the rest
// is still to be read from r. The body hasher returns an error rather than
// io.EOF when the length or the digests are wrong, so a short result with
// no error is a whole, verified body.
func readInline(r io.Reader, size, max int64) ([]byte, error) {
	limit := max + 1
	start := min(limit, inlineReadStart)
	if size >= 0 {
		// One more byte than declared: the hasher checks the end there.
		limit, start = size+1, size+1
	}
	buf := make([]byte, 0, start)
	for int64(len(buf)) < limit {
		if len(buf) == cap(buf) {
			buf = slices.Grow(buf, int(min(limit, int64(2*cap(buf))))-len(buf))
		}
		room := min(int64(cap(buf)), limit)
		n, err := r.Read(buf[len(buf):room])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return nil, err
		}
	}
	return buf, nil
}

// storedSize is the length of the blob of a plaintext of n bytes.
func storedSize(n int64, encrypted bool) int64 {
	if encrypted {
		return sse.SealedSize(n)
	}
	return n
}

// deleteBlobs removes blobs that no metadata refers to, best effort: a blob
// left behind is an orphan that wastes space but is never visible.
func (s *Service) deleteBlobs(ctx context.Context, ids ...string) {
	ctx = context.WithoutCancel(ctx)
	for _, id := range ids {
		if id == "" {
			continue // an inline body has no blob
		}
		if err := s.cfg.Blobs.Delete(ctx, id); err != nil {
			s.cfg.Logger.Warn("delete orphan blob", "blob", id, "err", err)
		}
	}
}

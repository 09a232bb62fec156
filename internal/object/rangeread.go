package object

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/quarrylabs/quarry/internal/blob"
	"github.com/quarrylabs/quarry/internal/meta"
)

// resolveRange turns an HTTP byte range into an offset and a length within
// an object of size bytes. A range past the end is clamped; one that starts
// at or after the end (or any range of an empty object) is unsatisfiable.
func resolveRange(size int64, r *Range) (offset, length int64, err error) {
	if r.Suffix {
		if r.SuffixLength <= 0 || size == 0 {
			return 0, 0, fmt.Errorf("suffix range of %d bytes of %d: %w", r.SuffixLength, size, ErrInvalidRange)
		}
		n := min(r.SuffixLength, size)
		return size - n, n, nil
	}
	if r.First < 0 || r.First >= size || (r.Last >= 0 && r.Last < r.First) {
		return 0, 0, fmt.Errorf("range %d-%d of %d bytes: %w", r.First, r.Last, size, ErrInvalidRange)
	}
	last := r.Last
	if last < 0 || last >= size {
		last = size - 1
	}
	return r.First, last - r.First + 1, nil
}

// isMultipartETag reports whether an ETag is a multipart one ("hex-N").
func isMultipartETag(etag string) bool { return strings.Contains(etag, "-") }

// piece is a stretch of one segment's plaintext, and what it takes to
// read it: the blob, and for an encrypted one its sealed data key and the
// segment's whole plaintext size (which places its chunks).
type piece struct {
	blobID         string
	offset, length int64
	sealedKey      []byte
	segSize        int64
}

// pieces lists the stretches of blobs that hold bytes offset..offset+length
// of an object made of segs.
func pieces(segs []meta.Segment, offset, length int64) []piece {
	var out []piece
	var start int64
	for _, seg := range segs {
		end := start + seg.Size
		if length > 0 && offset < end && seg.Size > 0 {
			from := offset - start
			n := min(seg.Size-from, length)
			out = append(out, piece{blobID: seg.BlobID, offset: from, length: n, sealedKey: seg.SealedKey, segSize: seg.Size})
			offset += n
			length -= n
		}
		start = end
	}
	return out
}

// openRange returns a reader of bytes offset..offset+length of an object.
// When they lie in one plaintext blob, the blob store's own reader is
// returned as is (the disk store's reader can be sent with sendfile); an
// encrypted blob is read through a decrypter of the chunks the bytes lie
// in; bytes in several blobs are read by a reader that opens each blob in
// turn, only when it is reached.
func (s *Service) openRange(ctx context.Context, segs []meta.Segment, offset, length int64) (io.ReadCloser, error) {
	ps := pieces(segs, offset, length)
	switch len(ps) {
	case 0:
		return io.NopCloser(strings.NewReader("")), nil
	case 1:
		return s.openPiece(ctx, ps[0])
	}
	return &segmentReader{open: func(pc piece) (io.ReadCloser, error) { return s.openPiece(ctx, pc) }, pieces: ps}, nil
}

// openVersion returns a reader of bytes offset..offset+length of version
// v: of its inline data (which loadInline put in v), or of its blobs.
func (s *Service) openVersion(ctx context.Context, v *meta.Version, offset, length int64) (io.ReadCloser, error) {
	if !v.Inline {
		return s.openRange(ctx, v.Segments, offset, length)
	}
	if err := blob.Allow(s.cfg.Blobs, false); err != nil {
		return nil, err // a paused store serves no object data, inline or not
	}
	if v.InlineData == nil || offset < 0 || length < 0 || offset+length > int64(len(v.InlineData)) {
		return nil, fmt.Errorf("bytes %d+%d of inline %s/%s %s: %d bytes loaded",
			offset, length, v.Bucket, v.Key, v.VersionID, len(v.InlineData))
	}
	return io.NopCloser(bytes.NewReader(v.InlineData[offset : offset+length])), nil
}

// loadInline reads the data of an inline version into v.InlineData, in
// the transaction that read v; a version that is not inline is left alone.
func loadInline(tx meta.Tx, v *meta.Version) error {
	if !v.Inline || v.InlineData != nil {
		return nil
	}
	data, err := tx.GetInline(v.Seq)
	if err != nil {
		return fmt.Errorf("inline data of %s/%s %s: %w", v.Bucket, v.Key, v.VersionID, err)
	}
	if int64(len(data)) != v.Size {
		return fmt.Errorf("inline data of %s/%s %s: %d bytes, the version says %d", v.Bucket, v.Key, v.VersionID, len(data), v.Size)
	}
	v.InlineData = data
	return nil
}

// segmentReader reads pieces of several blobs one after the other.
type segmentReader struct {
	open    func(piece) (io.ReadCloser, error)
	pieces  []piece
	cur     io.ReadCloser
	curLeft int64
}

func (r *segmentReader) Read(p []byte) (int, error) {
	for {
		if r.cur == nil {
			if len(r.pieces) == 0 {
				return 0, io.EOF
			}
			next := r.pieces[0]
			rc, err := r.open(next)
			if err != nil {
				return 0, err
			}
			r.cur, r.curLeft, r.pieces = rc, next.length, r.pieces[1:]
		}
		if int64(len(p)) > r.curLeft {
			p = p[:r.curLeft]
		}
		n, err := r.cur.Read(p)
		r.curLeft -= int64(n)
		if err == io.EOF || r.curLeft == 0 {
			short := r.curLeft > 0
			closeErr := r.cur.Close()
			r.cur = nil
			if short {
				return n, fmt.Errorf("blob ended %d bytes early: %w", r.curLeft, io.ErrUnexpectedEOF)
			}
			if closeErr != nil {
				return n, fmt.Errorf("close blob: %w", closeErr)
			}
			if n > 0 || len(p) == 0 {
				return n, nil
			}
			continue
		}
		if err != nil {
			return n, fmt.Errorf("read blob: %w", err)
		}
		return n, nil
	}
}

func (r *segmentReader) Close() error {
	r.pieces = nil
	if r.cur == nil {
		return nil
	}
	err := r.cur.Close()
	r.cur = nil
	return err
}

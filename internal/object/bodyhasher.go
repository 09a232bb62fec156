package object

import (
	"bytes"
	"crypto/md5"
	"errors"
	"fmt"
	"hash"
	"io"
)

// bodyHasher is the reader the blob store consumes: it enforces the body
// length, feeds MD5 and the asked checksum, and at the end of the body
// verifies the digests, returning an error instead of io.EOF when they are
// wrong so that the blob store keeps nothing.
type bodyHasher struct {
	src       io.Reader
	remaining int64 // bytes still expected, or -1 when the size is unknown
	max       int64
	n         int64
	md5       hash.Hash
	sum       hash.Hash // nil when no checksum algorithm was asked
	digests   io.Writer // md5 and sum
	req       ingestRequest
	async     *hashPipeline // nil: hash inline
	err       error         // sticky
	verified  bool          // the body ended and its digests were right
}

func (s *Service) newBodyHasher(req ingestRequest) (*bodyHasher, error) {
	h := &bodyHasher{src: req.Body, remaining: req.Size, max: req.MaxSize, md5: md5.New(), req: req}
	if req.Size < 0 {
		h.remaining = -1
	}
	h.digests = h.md5
	if req.Checksum.Algorithm != "" {
		sum, err := newChecksumHash(req.Checksum.Algorithm)
		if err != nil {
			return nil, err
		}
		h.sum = sum
		h.digests = io.MultiWriter(h.md5, sum)
	}
	if req.Size < 0 || req.Size >= asyncHashThreshold {
		h.async = startHashPipeline(h.digests, &s.buffers)
	}
	return h, nil
}

func (h *bodyHasher) checksums() map[string]string {
	if h.sum == nil {
		return nil
	}
	return map[string]string{h.req.Checksum.Algorithm: encodeChecksum(h.sum.Sum(nil))}
}

// next reads the next bytes of the body into p without hashing them. It
// returns io.EOF once the whole body was read and its length is right.
func (h *bodyHasher) next(p []byte) (int, error) {
	if h.remaining == 0 {
		return 0, h.expectEOF()
	}
	if h.remaining > 0 && int64(len(p)) > h.remaining {
		p = p[:h.remaining]
	}
	n, err := h.src.Read(p)
	h.n += int64(n)
	if h.remaining > 0 {
		h.remaining -= int64(n)
	} else if h.n > h.max {
		return n, fmt.Errorf("body longer than %d bytes: %w", h.max, ErrEntityTooLarge)
	}
	switch {
	case err == io.EOF && h.remaining > 0:
		return n, fmt.Errorf("body ended after %d bytes, %d missing: %w", h.n, h.remaining, ErrIncompleteBody)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return n, fmt.Errorf("read body: %w: %w", ErrIncompleteBody, err)
	case err != nil && err != io.EOF:
		return n, fmt.Errorf("read body: %w", err)
	case err == io.EOF:
		return n, io.EOF
	}
	// When the declared length was reached, the next call still reads
	// until the source says EOF: a signed stream checks its payload there
	// and reports a bad one before io.EOF.
	return n, nil
}

// expectEOF reads past the declared length: the source must end there.
func (h *bodyHasher) expectEOF() error {
	var probe [1]byte
	for range 100 {
		n, err := h.src.Read(probe[:])
		if n > 0 {
			return fmt.Errorf("body longer than its declared %d bytes: %w", h.n, ErrIncompleteBody)
		}
		if err == io.EOF {
			return io.EOF
		}
		if err != nil {
			return fmt.Errorf("read body: %w", err)
		}
	}
	return fmt.Errorf("read body: %w", io.ErrNoProgress)
}

// finish verifies the digests once the body ended; it returns io.EOF when
// they are right.
func (h *bodyHasher) finish() error {
	if h.req.ContentMD5 != nil && !bytes.Equal(h.md5.Sum(nil), h.req.ContentMD5) {
		return refusal(ErrBadDigest, "The Content-MD5 you specified did not match what we received.")
	}
	if h.sum != nil {
		alg := h.req.Checksum.Algorithm
		want := h.req.Checksum.Value
		if h.req.Checksum.Trailer != nil {
			// The trailer was announced in x-amz-trailer: it must come,
			// and be a value of the algorithm's size.
			want = h.req.Checksum.Trailer()
			switch {
			case want == "":
				return refusal(ErrMalformedTrailer, "The request contained trailing data that was not well-formed or did not conform to our published schema.")
			case !validChecksumValue(alg, want):
				return refusal(ErrInvalidRequest, "Value for x-amz-checksum-%s trailing header is invalid.", checksumName(alg))
			}
		}
		if got := encodeChecksum(h.sum.Sum(nil)); want != "" && want != got {
			return refusal(ErrBadDigest, "The %s you specified did not match the calculated checksum.", checksumName(alg))
		}
	}
	h.verified = true
	return io.EOF
}

// Read fills p with body bytes and hashes them. Bodies above
// asyncHashThreshold are hashed on a second goroutine (from a copy, since p
// is the caller's), so that hashing overlaps the blob store's write of p.
func (h *bodyHasher) Read(p []byte) (int, error) {
	if h.err != nil {
		return 0, h.err
	}
	n, err := h.fill(p)
	if n > 0 {
		if h.async != nil {
			h.async.write(p[:n])
		} else {
			h.digests.Write(p[:n])
		}
	}
	if err == io.EOF {
		h.stop()
		err = h.finish()
	}
	h.err = err
	return n, err
}

// fill reads until p is full or the body ends or fails: large reads make
// large writes and large hash jobs.
func (h *bodyHasher) fill(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		m, err := h.next(p[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// stop waits for pending hash jobs and ends the hashing goroutine; it is
// safe to call more than once.
func (h *bodyHasher) stop() {
	if h.async != nil {
		h.async.close()
		h.async = nil
	}
}

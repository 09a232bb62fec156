package sigv4

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
)

// sha256Reader passes a body through and, at its end, checks it against the
// SHA256 the client signed. The mismatch error replaces io.EOF, so a reader
// that stops at the first error never takes a tampered body as complete.
type sha256Reader struct {
	body io.ReadCloser
	hash hash.Hash
	want []byte
	err  error // sticky: set once the body ended, well or badly
}

func newSHA256Reader(body io.ReadCloser, want []byte) *sha256Reader {
	return &sha256Reader{body: body, hash: sha256.New(), want: want}
}

func (s *sha256Reader) Read(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	n, err := s.body.Read(p)
	s.hash.Write(p[:n])
	switch {
	case err == io.EOF:
		if got := s.hash.Sum(nil); !bytes.Equal(got, s.want) {
			s.err = fmt.Errorf("%w: the provided x-amz-content-sha256 %x does not match the body's %x", ErrXAmzContentSHA256Mismatch, s.want, got)
		} else {
			s.err = io.EOF
		}
		return n, s.err
	case errors.Is(err, io.ErrUnexpectedEOF):
		s.err = fmt.Errorf("%w: %v", ErrIncompleteBody, err)
		return n, s.err
	}
	return n, err
}

func (s *sha256Reader) Close() error { return s.body.Close() }

package sigv4

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"strconv"
)

const (
	// maxChunkSize bounds one signed chunk, which is held in memory until
	// its signature is checked. SDKs sign 64 KiB to a few MiB per chunk.
	// Unsigned chunks are not held and not bounded: the Go SDK sends a whole
	// object as a single unsigned chunk.
	maxChunkSize = 16 << 20
	// maxLineLength bounds a chunk header or trailer line.
	maxLineLength = 4096
)

// chunkedReader decodes an aws-chunked body:
//
//	hex-size[;chunk-signature=sig]\r\n data \r\n ... 0[;chunk-signature=sig]\r\n [trailer lines\r\n] \r\n
//
// With signed chunks it reads a whole chunk and checks its signature before
// releasing any of its bytes, so no unverified byte reaches the consumer;
// unsigned chunks stream through. It never releases more bytes than
// x-amz-decoded-content-length declared, and reports a body that ends short
// of it as ErrIncompleteBody instead of EOF.
type chunkedReader struct {
	src       *bufio.Reader
	body      io.Closer
	spec      payloadSpec
	signer    *chunkSigner // nil when chunks are unsigned
	remaining int64        // decoded bytes whose chunk header is still to come
	data      bytes.Buffer // the current signed chunk
	pending   []byte       // verified bytes of data not yet read
	streaming int64        // bytes of the current unsigned chunk not yet read
	trailers  map[string]string
	err       error // sticky; io.EOF once the body ended well
}

func newChunkedReader(body io.ReadCloser, spec payloadSpec, signer *chunkSigner) *chunkedReader {
	return &chunkedReader{
		src:       bufio.NewReaderSize(body, maxLineLength),
		body:      body,
		spec:      spec,
		signer:    signer,
		remaining: spec.decodedLength,
	}
}

func (c *chunkedReader) Read(p []byte) (int, error) {
	for {
		switch {
		case len(c.pending) > 0:
			n := copy(p, c.pending)
			c.pending = c.pending[n:]
			return n, nil
		case c.streaming > 0:
			return c.readUnsigned(p), nil
		case c.err != nil:
			return 0, c.err
		}
		c.err = c.nextChunk()
	}
}

// readUnsigned passes bytes of an unsigned chunk straight through; an error
// is kept for the next Read.
func (c *chunkedReader) readUnsigned(p []byte) int {
	n, err := c.src.Read(p[:min(int64(len(p)), c.streaming)])
	c.streaming -= int64(n)
	switch {
	case err != nil:
		c.streaming = 0
		c.err = c.bodyError(err)
	case c.streaming == 0:
		c.err = c.expectLineEnd()
	}
	return n
}

func (c *chunkedReader) Close() error { return c.body.Close() }

// trailer returns the trailing headers once the body ended well.
func (c *chunkedReader) trailer() map[string]string {
	if c.err != io.EOF || len(c.trailers) == 0 {
		return nil
	}
	return maps.Clone(c.trailers)
}

// nextChunk reads and verifies one chunk, leaving its bytes in pending; it
// returns io.EOF after the final chunk and trailer.
func (c *chunkedReader) nextChunk() error {
	line, err := c.readLine()
	if err != nil {
		return err
	}
	size, signature, err := c.parseChunkHeader(line)
	if err != nil {
		return err
	}
	if size > c.remaining {
		return fmt.Errorf("%w: chunk of %d bytes exceeds the %d bytes left of x-amz-decoded-content-length", ErrIncompleteBody, size, c.remaining)
	}
	if c.signer == nil && size > 0 {
		c.remaining -= size
		c.streaming = size
		return nil
	}
	c.data.Reset()
	// CopyN grows the buffer only as bytes arrive, so a header claiming a
	// large chunk on a short body costs no memory.
	if _, err := io.CopyN(&c.data, c.src, size); err != nil {
		return c.bodyError(err)
	}
	if c.signer != nil && !c.signer.verifyChunk(c.data.Bytes(), signature) {
		return fmt.Errorf("%w: chunk signature of a %d-byte chunk", ErrSignatureDoesNotMatch, size)
	}
	if size == 0 {
		return c.finish()
	}
	if err := c.expectLineEnd(); err != nil {
		return err
	}
	c.remaining -= size
	c.pending = c.data.Bytes()
	return nil
}

// parseChunkHeader reads "hex-size" or "hex-size;chunk-signature=sig".
// Its errors quote the size and the extension's name, never a value: that
// may be a signature, and errors reach the log.
func (c *chunkedReader) parseChunkHeader(line []byte) (int64, []byte, error) {
	sizeText, extension, hasExtension := bytes.Cut(line, []byte(";"))
	if len(sizeText) == 0 || len(sizeText) > 16 {
		return 0, nil, fmt.Errorf("%w: malformed chunk header (a size of %d characters)", ErrIncompleteBody, len(sizeText))
	}
	// ParseUint refuses signs; 63 bits keeps the size a valid int64.
	parsed, err := strconv.ParseUint(string(sizeText), 16, 63)
	if err != nil {
		return 0, nil, fmt.Errorf("%w: malformed chunk size %q", ErrIncompleteBody, sizeText)
	}
	size := int64(parsed)
	name, value, _ := bytes.Cut(extension, []byte("="))
	if c.signer == nil {
		if hasExtension {
			return 0, nil, fmt.Errorf("%w: unexpected chunk extension %q in an unsigned body", ErrIncompleteBody, truncated(name))
		}
		return size, nil, nil
	}
	if size > maxChunkSize {
		return 0, nil, fmt.Errorf("%w: signed chunk of %d bytes is larger than the %d allowed", ErrIncompleteBody, size, maxChunkSize)
	}
	if string(name) != "chunk-signature" {
		return 0, nil, fmt.Errorf("%w: chunk header extension %q is not chunk-signature", ErrIncompleteBody, truncated(name))
	}
	signature, err := parseSignature(string(value))
	if err != nil {
		return 0, nil, fmt.Errorf("%w: %v", ErrIncompleteBody, err)
	}
	return size, signature, nil
}

// finish reads what follows the final chunk, checks the decoded length and
// that nothing follows the body, and returns io.EOF when all is well.
func (c *chunkedReader) finish() error {
	trailers, err := c.readTrailer()
	if err != nil {
		return err
	}
	if c.remaining != 0 {
		return fmt.Errorf("%w: body ended %d bytes short of x-amz-decoded-content-length %d", ErrIncompleteBody, c.remaining, c.spec.decodedLength)
	}
	if _, err := c.src.ReadByte(); err != io.EOF {
		if err != nil {
			return c.bodyError(err)
		}
		return fmt.Errorf("%w: data after the final chunk", ErrIncompleteBody)
	}
	c.trailers = trailers
	return io.EOF
}

// readLine returns the next line without its "\r\n". The slice is valid
// until the next read.
func (c *chunkedReader) readLine() ([]byte, error) {
	line, err := c.src.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		return nil, fmt.Errorf("%w: aws-chunked line longer than %d bytes", ErrIncompleteBody, maxLineLength)
	}
	if err != nil {
		return nil, c.bodyError(err)
	}
	if !bytes.HasSuffix(line, []byte("\r\n")) {
		return nil, fmt.Errorf("%w: aws-chunked line %q does not end in CRLF", ErrIncompleteBody, line)
	}
	return line[:len(line)-2], nil
}

// expectLineEnd consumes the "\r\n" that ends a chunk's data.
func (c *chunkedReader) expectLineEnd() error {
	line, err := c.readLine()
	if err != nil {
		return err
	}
	if len(line) != 0 {
		return fmt.Errorf("%w: chunk data longer than its declared size", ErrIncompleteBody)
	}
	return nil
}

// bodyError turns an early end of the underlying body into ErrIncompleteBody
// and keeps other read errors (a dropped connection, a size limit) as they are.
func (c *chunkedReader) bodyError(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%w: body ended before the final chunk", ErrIncompleteBody)
	}
	return fmt.Errorf("read aws-chunked body: %w", err)
}

// truncated cuts a name a client sent to a length fit for a message.
func truncated(b []byte) []byte {
	const limit = 32
	if len(b) > limit {
		return b[:limit]
	}
	return b
}

// Package sse is server-side encryption at rest (SSE-S3): the chunked
// AES-256-GCM format a blob is stored in, the data keys that encrypt each
// blob and the key-encryption keys that wrap them, and the server-wide
// encryption mode with its record of rekey events.
//
// Every encrypted blob has a data key of its own. Its plaintext is cut into
// chunks of ChunkSize bytes (the last one shorter, possibly empty), each
// sealed on its own, so that a range read decrypts only the chunks it
// covers. A chunk's nonce is the blob's random base nonce with the chunk
// index mixed in, and its additional data names the index and whether it is
// the last chunk: chunks cannot be reordered, dropped, or cut off at the end
// without failing authentication, and, since keys differ, a chunk moved from
// another blob never opens.
package sse

import (
	"crypto/cipher"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Stream format 1.
const (
	// ChunkSize is the plaintext length of every chunk but the last.
	ChunkSize = 64 << 10
	// TagSize is what sealing adds to each chunk.
	TagSize = 16
	// sealedChunk is the stored length of a full chunk.
	sealedChunk = ChunkSize + TagSize
	// batchChunks is how many chunks one read of the source or of the blob
	// covers: large reads keep the hashing and the disk busy.
	batchChunks = 16
)

// ErrCorrupt is returned when stored data fails authentication: it was
// changed, truncated, reordered, or is not what the data key sealed.
var ErrCorrupt = errors.New("sse: encrypted data is corrupt or was tampered with")

// chunkCount is the number of chunks a plaintext of n bytes is stored in;
// an empty plaintext is one empty chunk, so that its end is authenticated
// too.
func chunkCount(n int64) int64 {
	if n <= 0 {
		return 1
	}
	return (n + ChunkSize - 1) / ChunkSize
}

// SealedSize is the stored length of a plaintext of n bytes.
func SealedSize(n int64) int64 { return n + chunkCount(n)*TagSize }

// StoredSpan returns the stored bytes that hold plaintext bytes
// offset..offset+length of a plaintext of plainSize bytes: whole chunks,
// from the one holding offset to the one holding the last byte.
func StoredSpan(plainSize, offset, length int64) (storedOffset, storedLength int64) {
	if length <= 0 {
		return 0, 0
	}
	first := offset / ChunkSize
	last := (offset + length - 1) / ChunkSize
	storedOffset = first * sealedChunk
	end := min((last+1)*sealedChunk, SealedSize(plainSize))
	return storedOffset, end - storedOffset
}

// chunkNonce is the nonce of chunk index: the base nonce with the index
// xor-ed into its last eight bytes, unique per chunk under one key.
func chunkNonce(base *[NonceSize]byte, index uint64) [NonceSize]byte {
	n := *base
	var idx [8]byte
	binary.BigEndian.PutUint64(idx[:], index)
	for i := range idx {
		n[NonceSize-8+i] ^= idx[i]
	}
	return n
}

// chunkAAD authenticates a chunk's place: its index and whether it ends
// the stream.
func chunkAAD(index uint64, last bool) [9]byte {
	var a [9]byte
	binary.BigEndian.PutUint64(a[:8], index)
	if last {
		a[8] = 1
	}
	return a
}

// encrypter is the reader of the sealed stream of a plaintext source.
type encrypter struct {
	src   io.Reader
	aead  cipher.AEAD
	base  [NonceSize]byte
	index uint64
	// pending holds plaintext read from src and not sealed yet; a chunk is
	// sealed only once a byte after it was seen (or src ended), so that the
	// last chunk is known when it is sealed.
	pending []byte
	maxPend int
	out     []byte // sealed bytes not served yet
	outBuf  []byte // out's backing array, reused for every batch
	srcDone bool
	done    bool
	err     error
}

// Encrypt returns a reader of the sealed stream of src's plaintext under
// k. sizeHint, when not negative, is the expected plaintext length: it
// keeps the buffers of small bodies small. An error from src is returned
// as is, after the sealed bytes before it.
func (k *DataKey) Encrypt(src io.Reader, sizeHint int64) io.Reader {
	maxPend := (batchChunks + 1) * ChunkSize
	pend := maxPend
	if sizeHint >= 0 && sizeHint+1 < int64(pend) {
		pend = int(sizeHint) + 1
	}
	return &encrypter{src: src, aead: k.aead, base: k.nonce, pending: make([]byte, 0, pend), maxPend: maxPend}
}

func (e *encrypter) Read(p []byte) (int, error) {
	for len(e.out) == 0 {
		if e.done {
			return 0, io.EOF
		}
		e.fill()
		if e.err != nil {
			// Whatever was read is dropped: a failed body is never
			// sealed as a whole one.
			return 0, e.err
		}
		e.seal()
	}
	n := copy(p, e.out)
	e.out = e.out[n:]
	return n, nil
}

// fill reads src until pending is full or src ended or failed.
func (e *encrypter) fill() {
	for !e.srcDone && e.err == nil {
		if len(e.pending) == cap(e.pending) {
			if len(e.pending) > ChunkSize {
				return // at least one chunk can be sealed
			}
			grown := make([]byte, len(e.pending), e.maxPend)
			copy(grown, e.pending)
			e.pending = grown
		}
		n, err := e.src.Read(e.pending[len(e.pending):cap(e.pending)])
		e.pending = e.pending[:len(e.pending)+n]
		switch {
		case err == io.EOF:
			e.srcDone = true
		case err != nil:
			e.err = err
		}
	}
}

// seal seals the chunks of pending that are known to be complete (every one
// when src ended) and keeps the rest for the next fill.
func (e *encrypter) seal() {
	if e.srcDone {
		n := len(e.pending)
		chunks := max(1, (n+ChunkSize-1)/ChunkSize)
		e.sealChunks(chunks, true)
		e.done = true
		return
	}
	// More bytes may follow: keep at least one byte back.
	e.sealChunks((len(e.pending)-1)/ChunkSize, false)
}

// sealChunks seals the first count chunks of pending into out, the last of
// them flagged as the end of the stream when final, and moves the rest of
// pending to its front.
func (e *encrypter) sealChunks(count int, final bool) {
	if count == 0 {
		return
	}
	consumed := 0
	out := e.outBuf[:0]
	for i := range count {
		end := min(consumed+ChunkSize, len(e.pending))
		last := final && i == count-1
		nonce := chunkNonce(&e.base, e.index)
		aad := chunkAAD(e.index, last)
		out = e.aead.Seal(out, nonce[:], e.pending[consumed:end], aad[:])
		consumed = end
		e.index++
	}
	e.outBuf, e.out = out, out
	rest := copy(e.pending, e.pending[consumed:])
	e.pending = e.pending[:rest]
}

// decrypter is the reader of plaintext bytes offset..offset+length from
// the chunks that hold them.
type decrypter struct {
	src    io.Reader
	aead   cipher.AEAD
	base   [NonceSize]byte
	index  uint64 // next chunk to read
	last   uint64 // index of the stream's last chunk
	size   int64  // plaintext size of the whole stream
	skip   int    // plaintext bytes of the first chunk before offset
	remain int64  // plaintext bytes still to serve
	buf    []byte
	out    []byte
	err    error
}

// Decrypt returns a reader of plaintext bytes offset..offset+length of a
// stream of plainSize plaintext bytes sealed under k. src must start at the
// stored offset StoredSpan gives and hold at least the span's bytes. Data
// that fails authentication is never returned: the reader fails with
// ErrCorrupt instead.
func (k *DataKey) Decrypt(src io.Reader, plainSize, offset, length int64) io.Reader {
	first := offset / ChunkSize
	d := &decrypter{
		src:    src,
		aead:   k.aead,
		base:   k.nonce,
		index:  uint64(first),
		last:   uint64(chunkCount(plainSize) - 1),
		size:   plainSize,
		skip:   int(offset - first*ChunkSize),
		remain: length,
	}
	span := int64(batchChunks) * sealedChunk
	if _, n := StoredSpan(plainSize, offset, length); n < span {
		span = n
	}
	d.buf = make([]byte, span)
	return d
}

func (d *decrypter) Read(p []byte) (int, error) {
	for len(d.out) == 0 {
		if d.remain <= 0 {
			return 0, io.EOF
		}
		if d.err != nil {
			return 0, d.err
		}
		d.err = d.next()
	}
	n := copy(p, d.out)
	d.out = d.out[n:]
	return n, nil
}

// WriteTo writes the plaintext to w a batch of chunks at a time, so that
// io.Copy (an HTTP response) makes large writes without a buffer of its
// own. Past one batch, the next batch is read and decrypted on a second
// goroutine while w takes the current one: decryption overlaps the
// network.
func (d *decrypter) WriteTo(w io.Writer) (int64, error) {
	var total int64
	if len(d.out) > 0 {
		n, err := w.Write(d.out)
		total += int64(n)
		d.out = d.out[n:]
		if err != nil {
			return total, err
		}
	}
	if d.remain <= int64(batchChunks)*ChunkSize || d.err != nil {
		for d.remain > 0 && d.err == nil {
			if d.err = d.next(); d.err != nil {
				break
			}
			n, err := w.Write(d.out)
			total += int64(n)
			d.out = d.out[n:]
			if err != nil {
				return total, err
			}
		}
		return total, d.err
	}
	n, err := d.pipeline(w)
	return total + n, err
}

// decrypted is a batch of plaintext in buf, or the error that ended the
// stream.
type decrypted struct {
	buf, out []byte
	err      error
}

// pipeline decrypts on a goroutine into two buffers that take turns, and
// writes them to w in order.
func (d *decrypter) pipeline(w io.Writer) (int64, error) {
	free := make(chan []byte, 2)
	full := make(chan decrypted, 2)
	stop := make(chan struct{})
	free <- d.buf
	free <- make([]byte, len(d.buf))
	go func() {
		defer close(full)
		for d.remain > 0 {
			select {
			case d.buf = <-free:
			case <-stop:
				return
			}
			err := d.next()
			full <- decrypted{buf: d.buf, out: d.out, err: err} // never blocks: two buffers, room for two
			d.out = nil
			if err != nil {
				return
			}
		}
	}()
	var total int64
	var werr error
	for b := range full {
		if werr == nil && b.err != nil {
			werr = b.err
		}
		if werr == nil {
			n, err := w.Write(b.out)
			total += int64(n)
			werr = err
		}
		if werr != nil {
			select {
			case <-stop:
			default:
				close(stop) // the goroutine ends; full is drained until it does
			}
			continue
		}
		free <- b.buf
	}
	if werr != nil {
		d.err = werr
	}
	return total, werr
}

// next reads and opens the next batch of chunks into out.
func (d *decrypter) next() error {
	if d.index > d.last {
		return fmt.Errorf("sse: read past the last chunk: %w", ErrCorrupt)
	}
	// Stored lengths of the chunks of this batch.
	var want int
	var sizes [batchChunks]int
	count := 0
	plainLeft := d.remain + int64(d.skip)
	for count < batchChunks && d.index+uint64(count) <= d.last && plainLeft > 0 {
		i := d.index + uint64(count)
		plain := min(int64(ChunkSize), d.size-int64(i)*ChunkSize)
		sizes[count] = int(plain) + TagSize
		want += sizes[count]
		plainLeft -= plain
		count++
	}
	if want > len(d.buf) {
		d.buf = make([]byte, want)
	}
	buf := d.buf[:want]
	if _, err := io.ReadFull(d.src, buf); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return fmt.Errorf("sse: stored data ends early: %w", ErrCorrupt)
		}
		return fmt.Errorf("sse: read stored data: %w", err)
	}
	// Open in place: each chunk's plaintext lands where its ciphertext
	// began, and the plaintexts are then packed together.
	out := d.buf[:0]
	pos := 0
	for c := range count {
		sealed := buf[pos : pos+sizes[c]]
		nonce := chunkNonce(&d.base, d.index)
		aad := chunkAAD(d.index, d.index == d.last)
		plain, err := d.aead.Open(sealed[:0], nonce[:], sealed, aad[:])
		if err != nil {
			return fmt.Errorf("sse: chunk %d: %w", d.index, ErrCorrupt)
		}
		out = append(out, plain...) // never overtakes pos: plaintexts are shorter
		pos += sizes[c]
		d.index++
	}
	if d.skip > 0 {
		out = out[d.skip:]
		d.skip = 0
	}
	if int64(len(out)) > d.remain {
		out = out[:d.remain]
	}
	d.remain -= int64(len(out))
	d.out = out
	return nil
}

package s3

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"sort"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// smallBufferSize is what a Put reads before it takes a part-size buffer:
// most blobs are small, and a part-size buffer for each would hold far
// more memory than they need.
const smallBufferSize = 256 << 10

// readChunk is the most a Put reads from the body at once between checks
// of its context, so that a cancelled upload stops reading promptly.
const readChunk = 1 << 20

// abortTimeout bounds the cleanup of a failed multipart upload, which runs
// after the caller's context may have ended.
const abortTimeout = 30 * time.Second

// bufferPool recycles buffers of one size.
type bufferPool struct {
	size int
	pool sync.Pool
}

func newBufferPool(size int) *bufferPool {
	p := &bufferPool{size: size}
	p.pool.New = func() any {
		b := make([]byte, size)
		return &b
	}
	return p
}

func (p *bufferPool) get() *[]byte  { return p.pool.Get().(*[]byte) }
func (p *bufferPool) put(b *[]byte) { p.pool.Put(b) }

// fill reads from r into buf until buf is full or r ends, checking ctx
// between reads. eof says that r ended.
func fill(ctx context.Context, r io.Reader, buf []byte) (n int, eof bool, err error) {
	for n < len(buf) {
		if err := ctx.Err(); err != nil {
			return n, false, err
		}
		m, err := r.Read(buf[n:min(len(buf), n+readChunk)])
		n += m
		if err == io.EOF {
			return n, true, nil
		}
		if err != nil {
			return n, false, err
		}
	}
	return n, false, nil
}

// Put stores r under id: as one PutObject when it fits in a part, as a
// multipart upload otherwise. It returns when S3 has answered that the
// object is stored. On any failure nothing is left under id.
func (s *Store) Put(ctx context.Context, id string, r io.Reader) (int64, error) {
	key, err := s.key(id)
	if err != nil {
		return 0, fmt.Errorf("s3: put: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("s3: put %s: %w", id, err)
	}
	small := s.small.get()
	defer s.small.put(small)
	n, eof, err := fill(ctx, r, *small)
	if err != nil {
		return 0, fmt.Errorf("s3: put %s: %w", id, err)
	}
	if eof {
		return s.putOne(ctx, id, key, (*small)[:n])
	}
	part := s.parts.get()
	copy(*part, (*small)[:n])
	m, eof, err := fill(ctx, r, (*part)[n:])
	if err != nil {
		s.parts.put(part)
		return 0, fmt.Errorf("s3: put %s: %w", id, err)
	}
	if !eof {
		// A blob of exactly one part is one PutObject too: look one
		// byte ahead before starting a multipart upload.
		var next [1]byte
		k, _, err := fill(ctx, r, next[:])
		if err != nil {
			s.parts.put(part)
			return 0, fmt.Errorf("s3: put %s: %w", id, err)
		}
		if k == 1 {
			return s.putMultipart(ctx, id, key, io.MultiReader(bytes.NewReader(next[:]), r), part)
		}
	}
	defer s.parts.put(part)
	return s.putOne(ctx, id, key, (*part)[:n+m])
}

// putOne sends a blob that fits in one request.
func (s *Store) putOne(ctx context.Context, id, key string, data []byte) (int64, error) {
	// The caller may have given up while the last bytes were read:
	// honour it before the blob becomes visible.
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("s3: put %s: %w", id, err)
	}
	_, err := s.client.PutObject(ctx, &awss3.PutObjectInput{
		Bucket:        aws.String(s.cfg.Bucket),
		Key:           aws.String(key),
		Body:          bytes.NewReader(data),
		ContentLength: aws.Int64(int64(len(data))),
		ContentType:   aws.String("application/octet-stream"),
	}, s.bodyOpts...)
	if err != nil {
		err = failure(ctx, err)
		if ctx.Err() != nil {
			// The PUT may have reached the endpoint before the
			// cancellation: make sure it did not leave the blob.
			s.cleanup(key)
		}
		return 0, fmt.Errorf("s3: put %s: %w", id, err)
	}
	return int64(len(data)), nil
}

// putMultipart sends a blob larger than a part. first is a full part
// already read; the rest of r is read a part at a time while up to
// Concurrency parts are on their way. Any failure aborts the upload.
func (s *Store) putMultipart(ctx context.Context, id, key string, r io.Reader, first *[]byte) (int64, error) {
	created, err := s.client.CreateMultipartUpload(ctx, &awss3.CreateMultipartUploadInput{
		Bucket:      aws.String(s.cfg.Bucket),
		Key:         aws.String(key),
		ContentType: aws.String("application/octet-stream"),
	})
	if err != nil {
		s.parts.put(first)
		return 0, fmt.Errorf("s3: put %s: create multipart upload: %w", id, failure(ctx, err))
	}
	up := &upload{s: s, key: key, id: aws.ToString(created.UploadId)}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)

	var (
		wg    sync.WaitGroup
		slots = make(chan struct{}, s.cfg.Concurrency)
		total int64
	)
	send := func(number int32, buf *[]byte, n int) {
		slots <- struct{}{}
		wg.Go(func() {
			defer func() { <-slots; s.parts.put(buf) }()
			if err := up.part(ctx, number, (*buf)[:n]); err != nil {
				cancel(err)
			}
		})
	}
	buf, n, eof := first, len(*first), false
	for number := int32(1); ; number++ {
		if number > maxParts {
			s.parts.put(buf)
			cancel(fmt.Errorf("blob larger than %d parts of %d bytes (raise part_size)", maxParts, s.cfg.PartSize))
			break
		}
		total += int64(n)
		send(number, buf, n)
		if eof || ctx.Err() != nil {
			break
		}
		buf = s.parts.get()
		var rerr error
		n, eof, rerr = fill(ctx, r, *buf)
		if rerr != nil {
			s.parts.put(buf)
			cancel(rerr)
			break
		}
		if n == 0 {
			// The blob ended on a part boundary.
			s.parts.put(buf)
			break
		}
	}
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		up.abort()
		return 0, fmt.Errorf("s3: put %s: %w", id, err)
	}
	if err := up.complete(ctx); err != nil {
		up.abort()
		return 0, fmt.Errorf("s3: put %s: %w", id, failure(ctx, err))
	}
	return total, nil
}

// upload is a multipart upload in progress.
type upload struct {
	s       *Store
	key, id string

	mu    sync.Mutex
	parts []types.CompletedPart
}

func (u *upload) part(ctx context.Context, number int32, data []byte) error {
	out, err := u.s.client.UploadPart(ctx, &awss3.UploadPartInput{
		Bucket:        aws.String(u.s.cfg.Bucket),
		Key:           aws.String(u.key),
		UploadId:      aws.String(u.id),
		PartNumber:    aws.Int32(number),
		Body:          bytes.NewReader(data),
		ContentLength: aws.Int64(int64(len(data))),
	}, u.s.bodyOpts...)
	if err != nil {
		return fmt.Errorf("upload part %d: %w", number, failure(ctx, err))
	}
	u.mu.Lock()
	u.parts = append(u.parts, types.CompletedPart{ETag: out.ETag, PartNumber: aws.Int32(number)})
	u.mu.Unlock()
	return nil
}

// complete makes the upload the object, its parts in order.
func (u *upload) complete(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	sort.Slice(u.parts, func(i, j int) bool { return *u.parts[i].PartNumber < *u.parts[j].PartNumber })
	_, err := u.s.client.CompleteMultipartUpload(ctx, &awss3.CompleteMultipartUploadInput{
		Bucket:          aws.String(u.s.cfg.Bucket),
		Key:             aws.String(u.key),
		UploadId:        aws.String(u.id),
		MultipartUpload: &types.CompletedMultipartUpload{Parts: u.parts},
	})
	if err != nil {
		return fmt.Errorf("complete multipart upload: %w", err)
	}
	return nil
}

// abort drops the upload's parts, best effort: an upload left behind (the
// process died) is invisible, holds no object, and is what S3's
// AbortIncompleteMultipartUpload lifecycle rule or ListMultipartUploads
// finds.
func (u *upload) abort() {
	ctx, cancel := context.WithTimeout(context.Background(), abortTimeout)
	defer cancel()
	_, _ = u.s.client.AbortMultipartUpload(ctx, &awss3.AbortMultipartUploadInput{
		Bucket:   aws.String(u.s.cfg.Bucket),
		Key:      aws.String(u.key),
		UploadId: aws.String(u.id),
	})
}

// cleanup deletes key after a PUT whose outcome is unknown, best effort.
func (s *Store) cleanup(key string) {
	ctx, cancel := context.WithTimeout(context.Background(), abortTimeout)
	defer cancel()
	// A failure leaves an orphan at worst, which no metadata names.
	_, _ = s.client.DeleteObject(ctx, &awss3.DeleteObjectInput{Bucket: aws.String(s.cfg.Bucket), Key: aws.String(key)})
}

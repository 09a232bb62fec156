package s3

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/quarrylabs/quarry/internal/blob"
)

// Open returns a reader of length bytes of blob id from offset (to the end
// when length < 0), read with one ranged GET. A range past the end is
// clamped to it, as S3 does; one that starts at or after the end is empty.
func (s *Store) Open(ctx context.Context, id string, offset, length int64) (io.ReadCloser, error) {
	key, err := s.key(id)
	if err != nil {
		return nil, fmt.Errorf("s3: open: %w", err)
	}
	if offset < 0 {
		return nil, fmt.Errorf("s3: open %s: negative offset %d", id, offset)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("s3: open %s: %w", id, err)
	}
	if length == 0 {
		// No bytes to read, but a missing blob is still missing.
		if _, err := s.Stat(ctx, id); err != nil {
			return nil, err
		}
		return io.NopCloser(strings.NewReader("")), nil
	}
	in := &awss3.GetObjectInput{Bucket: aws.String(s.cfg.Bucket), Key: aws.String(key)}
	switch {
	case length > 0:
		in.Range = aws.String(fmt.Sprintf("bytes=%d-%d", offset, offset+length-1))
	case offset > 0:
		in.Range = aws.String(fmt.Sprintf("bytes=%d-", offset))
	}
	out, err := s.client.GetObject(ctx, in)
	switch {
	case err == nil:
		return out.Body, nil
	case isNotFound(err):
		return nil, fmt.Errorf("s3: open %s: %w", id, blob.ErrNotFound)
	case isInvalidRange(err):
		// Only an existing object answers 416: its range is empty.
		return io.NopCloser(strings.NewReader("")), nil
	}
	return nil, fmt.Errorf("s3: open %s: %w", id, failure(ctx, err))
}

// Stat reads the size and modification time of blob id with a HEAD.
func (s *Store) Stat(ctx context.Context, id string) (blob.Info, error) {
	key, err := s.key(id)
	if err != nil {
		return blob.Info{}, fmt.Errorf("s3: stat: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return blob.Info{}, fmt.Errorf("s3: stat %s: %w", id, err)
	}
	out, err := s.client.HeadObject(ctx, &awss3.HeadObjectInput{Bucket: aws.String(s.cfg.Bucket), Key: aws.String(key)})
	if isNotFound(err) {
		return blob.Info{}, fmt.Errorf("s3: stat %s: %w", id, blob.ErrNotFound)
	}
	if err != nil {
		return blob.Info{}, fmt.Errorf("s3: stat %s: %w", id, failure(ctx, err))
	}
	return blob.Info{ID: id, Size: aws.ToInt64(out.ContentLength), ModTime: aws.ToTime(out.LastModified)}, nil
}

// Delete removes blob id; S3 answers a delete of a missing key with
// success, and a store that answers 404 instead is taken as meaning the same.
func (s *Store) Delete(ctx context.Context, id string) error {
	key, err := s.key(id)
	if err != nil {
		return fmt.Errorf("s3: delete: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("s3: delete %s: %w", id, err)
	}
	_, err = s.client.DeleteObject(ctx, &awss3.DeleteObjectInput{Bucket: aws.String(s.cfg.Bucket), Key: aws.String(key)})
	if err != nil && !isNotFound(err) {
		return fmt.Errorf("s3: delete %s: %w", id, failure(ctx, err))
	}
	return nil
}

// Walk lists the blobs under the prefix with ListObjectsV2, a page of up
// to 1,000 at a time. Keys under the prefix that are not blob ids (the
// probe objects of Check, anything an operator put there) are skipped.
func (s *Store) Walk(ctx context.Context, fn func(blob.Info) error) error {
	pages := awss3.NewListObjectsV2Paginator(s.client, &awss3.ListObjectsV2Input{
		Bucket: aws.String(s.cfg.Bucket),
		Prefix: aws.String(s.cfg.Prefix),
	})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("s3: walk: %w", failure(ctx, err))
		}
		for _, obj := range page.Contents {
			id, ok := strings.CutPrefix(aws.ToString(obj.Key), s.cfg.Prefix)
			if !ok || !blob.ValidID(id) {
				continue
			}
			if err := fn(blob.Info{ID: id, Size: aws.ToInt64(obj.Size), ModTime: aws.ToTime(obj.LastModified)}); err != nil {
				return err
			}
		}
	}
	return nil
}

// probeKey is the key Check writes: under the prefix, so that it needs no
// more permissions than blobs do, but never a valid blob id.
func (s *Store) probeKey() string {
	var b [8]byte
	_, _ = rand.Read(b[:]) // never fails
	return s.cfg.Prefix + ".probe-" + hex.EncodeToString(b[:])
}

// Check proves that the store works: the bucket answers a HEAD, and a
// probe object can be written, read back and deleted. The error says which
// step failed and what the endpoint answered.
func (s *Store) Check(ctx context.Context) error {
	bucket := aws.String(s.cfg.Bucket)
	if _, err := s.client.HeadBucket(ctx, &awss3.HeadBucketInput{Bucket: bucket}); err != nil {
		return fmt.Errorf("head bucket %q: %w", s.cfg.Bucket, describe(failure(ctx, err)))
	}
	key := s.probeKey()
	want := []byte("quarry storage component probe " + key)
	_, err := s.client.PutObject(ctx, &awss3.PutObjectInput{
		Bucket: bucket, Key: aws.String(key), Body: bytes.NewReader(want), ContentLength: aws.Int64(int64(len(want))),
	}, s.bodyOpts...)
	if err != nil {
		return fmt.Errorf("put probe object %s: %w", key, describe(failure(ctx, err)))
	}
	defer func() {
		_, _ = s.client.DeleteObject(context.WithoutCancel(ctx), &awss3.DeleteObjectInput{Bucket: bucket, Key: aws.String(key)})
	}()
	out, err := s.client.GetObject(ctx, &awss3.GetObjectInput{Bucket: bucket, Key: aws.String(key)})
	if err != nil {
		return fmt.Errorf("get probe object %s: %w", key, describe(failure(ctx, err)))
	}
	got, err := io.ReadAll(io.LimitReader(out.Body, int64(len(want))+1))
	out.Body.Close()
	if err != nil {
		return fmt.Errorf("read probe object %s: %w", key, failure(ctx, err))
	}
	if !bytes.Equal(got, want) {
		return fmt.Errorf("probe object %s read back %d bytes that differ from the %d written", key, len(got), len(want))
	}
	if _, err := s.client.DeleteObject(ctx, &awss3.DeleteObjectInput{Bucket: bucket, Key: aws.String(key)}); err != nil {
		return fmt.Errorf("delete probe object %s: %w", key, describe(failure(ctx, err)))
	}
	return nil
}

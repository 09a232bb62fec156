package object

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/quarrylabs/quarry/internal/auth"
	"github.com/quarrylabs/quarry/internal/events"
	"github.com/quarrylabs/quarry/internal/meta"
	"github.com/quarrylabs/quarry/internal/sse"
)

// Server-side encryption (SSE-S3). A write is encrypted when the request
// asks for it, else when its bucket has a default encryption, else when
// the server's mode is INTERNAL; the decision is made before the body is
// read, because the body is encrypted on its way to the blob store. Each
// blob gets a data key of its own, wrapped in the commit that makes the
// blob visible. Sizes, ETags and checksums are always those of the
// plaintext: they are computed before encryption and after decryption.

// BucketEncryption is a bucket's default encryption: S3's
// ServerSideEncryptionConfiguration, whose one rule names the algorithm.
type BucketEncryption struct {
	Algorithm string `json:"algorithm"`
	// BucketKeyEnabled is kept and returned as set; with SSE-S3 it changes
	// nothing (S3 Bucket Keys are a KMS cost saving).
	BucketKeyEnabled bool `json:"bucketKeyEnabled,omitempty"`
}

// validateSSE checks what a request asked for: nothing, or AES256.
func validateSSE(asked string) error {
	if asked != "" && asked != meta.SSEAES256 {
		return fmt.Errorf("server-side encryption %q: %w", asked, ErrInvalidArgument)
	}
	return nil
}

func decodeBucketEncryption(doc []byte) (*BucketEncryption, error) {
	if len(doc) == 0 {
		return nil, nil
	}
	var cfg BucketEncryption
	if err := json.Unmarshal(doc, &cfg); err != nil {
		return nil, fmt.Errorf("decode bucket encryption: %w", err)
	}
	return &cfg, nil
}

// encryptionFor decides the encryption of a write to b: what the request
// asked, the bucket's default, or the server's mode.
func (s *Service) encryptionFor(tx meta.Tx, b *meta.Bucket, asked string) (string, error) {
	if asked != "" {
		return asked, s.checkKeys()
	}
	cfg, err := decodeBucketEncryption(b.Encryption)
	if err != nil {
		return "", fmt.Errorf("bucket %q: %w", b.Name, err)
	}
	if cfg != nil && cfg.Algorithm != "" {
		return cfg.Algorithm, s.checkKeys()
	}
	mode, err := sse.ReadMode(tx)
	if err != nil {
		return "", err
	}
	if mode == sse.ModeInternal {
		return meta.SSEAES256, s.checkKeys()
	}
	return "", nil
}

func (s *Service) checkKeys() error {
	if s.cfg.Keys == nil {
		return fmt.Errorf("server-side encryption is not configured on this server: %w", ErrNotImplemented)
	}
	return nil
}

// wrapKey wraps a body's data key in tx, the commit that records it; nil
// for a plaintext body.
func (s *Service) wrapKey(tx meta.Tx, body *ingested) ([]byte, error) {
	if body.DataKey == nil {
		return nil, nil
	}
	wrapped, err := s.cfg.Keys.Wrap(tx, body.DataKey)
	if err != nil {
		return nil, fmt.Errorf("wrap data key of blob %s: %w", body.BlobID, err)
	}
	return wrapped, nil
}

// openPiece opens a stretch of one segment: the blob's own reader for
// plaintext, or a reader that decrypts the chunks the stretch covers.
func (s *Service) openPiece(ctx context.Context, pc piece) (io.ReadCloser, error) {
	if len(pc.sealedKey) == 0 {
		rc, err := s.cfg.Blobs.Open(ctx, pc.blobID, pc.offset, pc.length)
		if err != nil {
			return nil, fmt.Errorf("open blob %s: %w", pc.blobID, err)
		}
		return rc, nil
	}
	if err := s.checkKeys(); err != nil {
		return nil, err
	}
	dk, err := s.cfg.Keys.Unwrap(ctx, pc.sealedKey)
	if err != nil {
		return nil, fmt.Errorf("blob %s: %w", pc.blobID, err)
	}
	from, n := sse.StoredSpan(pc.segSize, pc.offset, pc.length)
	rc, err := s.cfg.Blobs.Open(ctx, pc.blobID, from, n)
	if err != nil {
		return nil, fmt.Errorf("open blob %s: %w", pc.blobID, err)
	}
	return decryptingReader{Reader: dk.Decrypt(rc, pc.segSize, pc.offset, pc.length), Closer: rc}, nil
}

// decryptingReader reads plaintext and closes the blob under it.
type decryptingReader struct {
	io.Reader
	io.Closer
}

// WriteTo lets io.Copy hand the decrypter whole batches to write.
func (r decryptingReader) WriteTo(w io.Writer) (int64, error) {
	if wt, ok := r.Reader.(io.WriterTo); ok {
		return wt.WriteTo(w)
	}
	return io.Copy(w, r.Reader)
}

// GetBucketEncryption returns the bucket's default encryption. A bucket
// without one answers ErrNoSuchEncryptionConfig, unless the server's mode
// encrypts every write: then it has AES256, as every AWS bucket has.
func (s *Service) GetBucketEncryption(ctx context.Context, p auth.Principal, bucket string) (*BucketEncryption, error) {
	var cfg *BucketEncryption
	err := s.cfg.Meta.View(ctx, func(tx meta.Tx) error {
		b, err := UsableBucket(tx, p, bucket)
		if err != nil {
			return err
		}
		if cfg, err = decodeBucketEncryption(b.Encryption); err != nil || cfg != nil {
			return err
		}
		mode, err := sse.ReadMode(tx)
		if err != nil {
			return err
		}
		if mode == sse.ModeInternal {
			cfg = &BucketEncryption{Algorithm: meta.SSEAES256}
			return nil
		}
		return fmt.Errorf("encryption of bucket %q: %w", bucket, ErrNoSuchEncryptionConfig)
	})
	return cfg, err
}

// PutBucketEncryption sets the bucket's default encryption.
func (s *Service) PutBucketEncryption(ctx context.Context, p auth.Principal, bucket string, cfg BucketEncryption) error {
	if cfg.Algorithm != meta.SSEAES256 {
		return fmt.Errorf("default encryption %q: %w", cfg.Algorithm, ErrInvalidArgument)
	}
	if err := s.checkKeys(); err != nil {
		return err
	}
	doc, err := json.Marshal(cfg)
	if err != nil {
		return fmt.Errorf("encode bucket encryption: %w", err)
	}
	return s.setBucketEncryption(ctx, p, bucket, doc)
}

// DeleteBucketEncryption removes the bucket's default encryption; what is
// stored stays encrypted.
func (s *Service) DeleteBucketEncryption(ctx context.Context, p auth.Principal, bucket string) error {
	return s.setBucketEncryption(ctx, p, bucket, nil)
}

func (s *Service) setBucketEncryption(ctx context.Context, p auth.Principal, bucket string, doc []byte) error {
	return s.cfg.Meta.Update(ctx, func(tx meta.Tx) error {
		b, err := UsableBucket(tx, p, bucket)
		if err != nil {
			return err
		}
		if doc == nil && len(b.Encryption) == 0 {
			return nil // nothing to remove, nothing to record
		}
		if err := tx.SetBucketEncryption(bucket, doc); err != nil {
			return fmt.Errorf("set encryption of bucket %q: %w", bucket, err)
		}
		if doc == nil {
			return events.Append(tx, events.Bucket(events.BucketEncryptionDeleted, b, p.Actor(), s.now(), "default encryption removed"))
		}
		return events.Append(tx, events.Bucket(events.BucketEncryptionSet, b, p.Actor(), s.now(), "default encryption set (AES256)"))
	})
}

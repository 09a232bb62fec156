package cors

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/quarrylabs/quarry/internal/auth"
	"github.com/quarrylabs/quarry/internal/events"
	"github.com/quarrylabs/quarry/internal/meta"
	"github.com/quarrylabs/quarry/internal/object"
)

// Service stores bucket CORS configurations for their owners (the S3
// Put/Get/DeleteBucketCors calls) and reads them for the cross-origin
// requests they answer.
type Service struct {
	meta meta.Store
}

// NewService returns a Service over store.
func NewService(store meta.Store) *Service {
	return &Service{meta: store}
}

// Put validates cfg and makes it the bucket's configuration, replacing any
// (owner or admin of the bucket), and records it in the event log. A fault
// in cfg is a *ValidationError; a missing bucket object.ErrNoSuchBucket,
// someone else's object.ErrAccessDenied.
func (s *Service) Put(ctx context.Context, p auth.Principal, bucket string, cfg *Config) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	raw := cfg.Encode()
	return s.meta.Update(ctx, func(tx meta.Tx) error {
		b, err := object.UsableBucket(tx, p, bucket)
		if err != nil {
			return err
		}
		if err := tx.SetBucketCORS(bucket, raw); err != nil {
			return fmt.Errorf("set CORS of bucket %q: %w", bucket, err)
		}
		return events.Append(tx, events.Bucket(events.BucketCORSSet, b, p.Actor(), time.Now(),
			fmt.Sprintf("CORS configuration set (%d rule(s))", len(cfg.Rules))))
	})
}

// Get returns the bucket's configuration (owner or admin of the bucket);
// ErrNoConfig when it has none.
func (s *Service) Get(ctx context.Context, p auth.Principal, bucket string) (*Config, error) {
	var raw []byte
	err := s.meta.View(ctx, func(tx meta.Tx) error {
		b, err := object.UsableBucket(tx, p, bucket)
		if err != nil {
			return err
		}
		raw = b.CORS
		return nil
	})
	if err != nil {
		return nil, err
	}
	return decodeOrNone(bucket, raw)
}

// Delete removes the bucket's configuration (owner or admin of the
// bucket) and records it in the event log. Removing none succeeds, as on
// S3, and records nothing.
func (s *Service) Delete(ctx context.Context, p auth.Principal, bucket string) error {
	return s.meta.Update(ctx, func(tx meta.Tx) error {
		b, err := object.UsableBucket(tx, p, bucket)
		if err != nil {
			return err
		}
		if len(b.CORS) == 0 {
			return nil
		}
		if err := tx.SetBucketCORS(bucket, nil); err != nil {
			return fmt.Errorf("remove CORS of bucket %q: %w", bucket, err)
		}
		return events.Append(tx, events.Bucket(events.BucketCORSDeleted, b, p.Actor(), time.Now(), "CORS configuration removed"))
	})
}

// Lookup returns the configuration that answers cross-origin requests to
// the bucket, whoever asks: a preflight carries no credentials, and an
// actual request gets its CORS headers whether or not it is allowed.
// object.ErrNoSuchBucket when the bucket does not exist, ErrNoConfig when
// it has no configuration.
func (s *Service) Lookup(ctx context.Context, bucket string) (*Config, error) {
	var raw []byte
	err := s.meta.View(ctx, func(tx meta.Tx) error {
		b, err := tx.GetBucket(bucket)
		if errors.Is(err, meta.ErrNotFound) {
			return fmt.Errorf("bucket %q: %w", bucket, object.ErrNoSuchBucket)
		}
		if err != nil {
			return fmt.Errorf("get bucket %q: %w", bucket, err)
		}
		raw = b.CORS
		return nil
	})
	if err != nil {
		return nil, err
	}
	return decodeOrNone(bucket, raw)
}

func decodeOrNone(bucket string, raw []byte) (*Config, error) {
	if len(raw) == 0 {
		return nil, fmt.Errorf("bucket %q: %w", bucket, ErrNoConfig)
	}
	return DecodeConfig(raw)
}

package lifecycle

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"fmt"
	"time"

	"github.com/quarrylabs/quarry/internal/auth"
	"github.com/quarrylabs/quarry/internal/events"
	"github.com/quarrylabs/quarry/internal/meta"
	"github.com/quarrylabs/quarry/internal/object"
)

// Service stores bucket lifecycle configurations for their owners: the S3
// Put/Get/DeleteBucketLifecycleConfiguration calls.
type Service struct {
	meta meta.Store
}

// NewService returns a Service over store.
func NewService(store meta.Store) *Service {
	return &Service{meta: store}
}

// Put validates cfg and makes it the bucket's configuration, replacing any
// (owner or admin of the bucket). Rules without an ID get a generated one.
// A fault in cfg is a *ValidationError; a missing bucket
// object.ErrNoSuchBucket, someone else's object.ErrAccessDenied. cfg is not
// modified.
func (s *Service) Put(ctx context.Context, p auth.Principal, bucket string, cfg *Config) error {
	if cfg == nil {
		return fault(ErrMalformed, "A lifecycle configuration must have at least one rule.")
	}
	cfg = cfg.Clone()
	for i := range cfg.Rules {
		if cfg.Rules[i].ID != "" {
			continue
		}
		id, err := newRuleID()
		if err != nil {
			return err
		}
		cfg.Rules[i].ID = id
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	raw := cfg.Encode()
	return s.meta.Update(ctx, func(tx meta.Tx) error {
		b, err := object.UsableBucket(tx, p, bucket)
		if err != nil {
			return err
		}
		if err := tx.SetBucketLifecycle(bucket, raw); err != nil {
			return fmt.Errorf("set lifecycle of bucket %q: %w", bucket, err)
		}
		return events.Append(tx, events.Bucket(events.BucketLifecycleSet, b, p.Actor(), time.Now(),
			fmt.Sprintf("lifecycle configuration set (%d rule(s))", len(cfg.Rules))))
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
		raw = b.Lifecycle
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(raw) == 0 {
		return nil, fmt.Errorf("bucket %q: %w", bucket, ErrNoConfig)
	}
	return DecodeConfig(raw)
}

// Delete removes the bucket's configuration (owner or admin of the
// bucket). Removing none succeeds, as S3's deletes of bucket subresources
// do.
func (s *Service) Delete(ctx context.Context, p auth.Principal, bucket string) error {
	return s.meta.Update(ctx, func(tx meta.Tx) error {
		b, err := object.UsableBucket(tx, p, bucket)
		if err != nil {
			return err
		}
		if len(b.Lifecycle) == 0 {
			return nil
		}
		if err := tx.SetBucketLifecycle(bucket, nil); err != nil {
			return fmt.Errorf("remove lifecycle of bucket %q: %w", bucket, err)
		}
		return events.Append(tx, events.Bucket(events.BucketLifecycleDeleted, b, p.Actor(), time.Now(), "lifecycle configuration removed"))
	})
}

// newRuleID is a random rule ID, as AWS generates for rules sent without
// one.
func newRuleID() (string, error) {
	var b [15]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("generate rule ID: %w", err)
	}
	return base32.StdEncoding.EncodeToString(b[:]), nil
}

package replication

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/quarrylabs/quarry/internal/auth"
	"github.com/quarrylabs/quarry/internal/events"
	"github.com/quarrylabs/quarry/internal/grant"
	"github.com/quarrylabs/quarry/internal/meta"
	"github.com/quarrylabs/quarry/internal/object"
)

// EncodeConfig is the form a configuration is stored in
// (meta.Bucket.Replication): JSON.
func EncodeConfig(cfg *Config) ([]byte, error) {
	raw, err := json.Marshal(cfg)
	if err != nil {
		return nil, fmt.Errorf("encode replication configuration: %w", err)
	}
	return raw, nil
}

// DecodeConfig reads a stored configuration (meta.Bucket.Replication).
func DecodeConfig(raw []byte) (*Config, error) {
	var cfg Config
	if err := json.Unmarshal(raw, &cfg); err != nil {
		return nil, fmt.Errorf("decode replication configuration: %w", err)
	}
	return &cfg, nil
}

// Destinations are the distinct target ARNs the configuration names, in
// order.
func (c *Config) Destinations() []string {
	seen := map[string]bool{}
	var arns []string
	for _, r := range c.Rules {
		if !seen[r.DestinationARN] {
			seen[r.DestinationARN] = true
			arns = append(arns, r.DestinationARN)
		}
	}
	sort.Strings(arns)
	return arns
}

// PutBucketReplication validates and stores a bucket's configuration
// (owner or admin of the bucket). The bucket's versioning must be Enabled
// (ErrVersioningNotEnabled) and every destination an existing target
// (ErrUnknownTarget) that the bucket's owner, whoever calls, may use
// (*NotPermittedError); other faults are ErrInvalidConfig. Rules without an
// ID get a generated one. cfg is not modified.
//
// For an owner who is not an admin, a missing target is refused as one it
// may not use, so that the answer does not tell which ARNs exist.
func (s *Service) PutBucketReplication(ctx context.Context, p auth.Principal, bucket string, cfg *Config) error {
	if cfg == nil {
		return invalidConfig("the replication configuration is empty")
	}
	cfg, err := withRuleIDs(cfg)
	if err != nil {
		return err
	}
	if err := validateConfig(cfg); err != nil {
		return err
	}
	raw, err := EncodeConfig(cfg)
	if err != nil {
		return err
	}
	arns := cfg.Destinations()
	// One transaction: versioning cannot be suspended, nor a target
	// deleted, between the checks and the write.
	return s.cfg.Meta.Update(ctx, func(tx meta.Tx) error {
		b, err := object.UsableBucket(tx, p, bucket)
		if err != nil {
			return err
		}
		if b.Versioning != meta.VersioningEnabled {
			return ErrVersioningNotEnabled
		}
		for _, arn := range arns {
			t, err := getTarget(tx, arn)
			if errors.Is(err, ErrNoSuchTarget) {
				t = nil
			} else if err != nil {
				return err
			}
			if err := ownerMayNameTarget(tx, b.OwnerID, arn, t); err != nil {
				return err
			}
		}
		if err := tx.SetBucketReplication(bucket, raw, arns); err != nil {
			return fmt.Errorf("set replication of bucket %q: %w", bucket, err)
		}
		return events.Append(tx, events.Bucket(events.BucketReplicationSet, b, p.Actor(), s.now(),
			fmt.Sprintf("replication configuration set, %d rule(s) to %s", len(cfg.Rules), strings.Join(arns, ", "))))
	})
}

// ownerMayNameTarget checks that the owner ownerID of a bucket may name
// the target arn (t, nil when there is none) in its configuration.
func ownerMayNameTarget(tx meta.Tx, ownerID int64, arn string, t *meta.ReplicationTarget) error {
	if t != nil {
		return ownerMayUse(tx, ownerID, t)
	}
	owner, err := tx.GetUser(ownerID)
	if err != nil && !errors.Is(err, meta.ErrNotFound) {
		return fmt.Errorf("get user %d: %w", ownerID, err)
	}
	if err == nil && owner.Role == meta.RoleAdmin {
		return fmt.Errorf("%w: %s", ErrUnknownTarget, arn)
	}
	name := ""
	if owner != nil {
		name = owner.Username
	}
	return &NotPermittedError{Owner: grant.Label(ownerID, name), ARN: arn}
}

// GetBucketReplication returns the bucket's configuration (owner or admin
// of the bucket); ErrNoConfig when the bucket has none.
func (s *Service) GetBucketReplication(ctx context.Context, p auth.Principal, bucket string) (*Config, error) {
	var raw []byte
	err := s.cfg.Meta.View(ctx, func(tx meta.Tx) error {
		b, err := object.UsableBucket(tx, p, bucket)
		if err != nil {
			return err
		}
		raw = b.Replication
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

// DeleteBucketReplication removes the bucket's configuration (owner or
// admin of the bucket). Removing none succeeds, as S3's deletes of bucket
// subresources do. Tasks already queued still run.
func (s *Service) DeleteBucketReplication(ctx context.Context, p auth.Principal, bucket string) error {
	return s.cfg.Meta.Update(ctx, func(tx meta.Tx) error {
		b, err := object.UsableBucket(tx, p, bucket)
		if err != nil {
			return err
		}
		if len(b.Replication) == 0 {
			return nil
		}
		if err := tx.SetBucketReplication(bucket, nil, nil); err != nil {
			return fmt.Errorf("remove replication of bucket %q: %w", bucket, err)
		}
		return events.Append(tx, events.Bucket(events.BucketReplicationDeleted, b, p.Actor(), s.now(), "replication configuration removed"))
	})
}

// withRuleIDs returns a copy of cfg whose rules all have an ID, as AWS
// generates one for a rule sent without.
func withRuleIDs(cfg *Config) (*Config, error) {
	out := &Config{Role: cfg.Role, Rules: make([]Rule, len(cfg.Rules))}
	for i, r := range cfg.Rules {
		r.Filter.Tags = cloneTags(r.Filter.Tags)
		if r.ID == "" {
			id, err := newRuleID()
			if err != nil {
				return nil, err
			}
			r.ID = id
		}
		out.Rules[i] = r
	}
	return out, nil
}

func cloneTags(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	c := make(map[string]string, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

// newRuleID is a random rule ID, like the ones AWS generates.
func newRuleID() (string, error) {
	var b [10]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("rule id: %w", err)
	}
	return base32.StdEncoding.EncodeToString(b[:]), nil
}

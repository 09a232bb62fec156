package replication

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/quarrylabs/quarry/internal/auth"
	"github.com/quarrylabs/quarry/internal/meta"
	"github.com/quarrylabs/quarry/internal/object"
)

// arnPrefix starts every replication target ARN.
const arnPrefix = "arn:quarry:replication:"

// requireAdmin refuses everyone but admins: targets hold credentials to
// other systems, so only admins manage them.
func requireAdmin(p auth.Principal) error {
	if !p.Admin() {
		return fmt.Errorf("replication targets are managed by admins: %w", object.ErrAccessDenied)
	}
	return nil
}

// CreateTarget stores a new target (admin only) with its secret sealed.
// The returned target carries no secret.
func (s *Service) CreateTarget(ctx context.Context, p auth.Principal, in TargetInput) (*meta.ReplicationTarget, error) {
	if err := requireAdmin(p); err != nil {
		return nil, err
	}
	if in.Region == "" {
		in.Region = DefaultRegion
	}
	if err := validateTarget(in); err != nil {
		return nil, err
	}
	if s.cfg.Sealer == nil {
		return nil, errors.New("create replication target: no sealer configured")
	}
	sealed, err := s.cfg.Sealer.Seal([]byte(in.SecretKey))
	if err != nil {
		return nil, fmt.Errorf("create replication target %q: seal secret: %w", in.Name, err)
	}
	id, err := newTargetID()
	if err != nil {
		return nil, fmt.Errorf("create replication target %q: %w", in.Name, err)
	}
	t := &meta.ReplicationTarget{
		ARN:                arnPrefix + s.cfg.Region + ":" + id + ":" + in.Bucket,
		Name:               in.Name,
		Endpoint:           strings.TrimRight(in.Endpoint, "/"),
		Region:             in.Region,
		Bucket:             in.Bucket,
		AccessKey:          in.AccessKey,
		SecretEnc:          sealed,
		InsecureSkipVerify: in.InsecureSkipVerify,
		OwnerID:            p.UserID,
		CreatedAt:          s.now(),
	}
	err = s.cfg.Meta.Update(ctx, func(tx meta.Tx) error { return tx.CreateReplicationTarget(t) })
	if errors.Is(err, meta.ErrExists) {
		return nil, fmt.Errorf("%w: a target is named %q", ErrTargetExists, in.Name)
	}
	if err != nil {
		return nil, fmt.Errorf("create replication target %q: %w", in.Name, err)
	}
	return withoutSecret(t), nil
}

// ListTargets lists every target (admin only), by name, without secrets.
func (s *Service) ListTargets(ctx context.Context, p auth.Principal) ([]meta.ReplicationTarget, error) {
	if err := requireAdmin(p); err != nil {
		return nil, err
	}
	var targets []meta.ReplicationTarget
	err := s.cfg.Meta.View(ctx, func(tx meta.Tx) error {
		var err error
		targets, err = tx.ListReplicationTargets()
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list replication targets: %w", err)
	}
	for i := range targets {
		targets[i].SecretEnc = nil
	}
	sort.Slice(targets, func(i, j int) bool { return targets[i].Name < targets[j].Name })
	return targets, nil
}

// DeleteTarget removes a target no bucket uses (admin only). While a
// bucket's configuration names it, ErrTargetInUse says which buckets do.
func (s *Service) DeleteTarget(ctx context.Context, p auth.Principal, arn string) error {
	if err := requireAdmin(p); err != nil {
		return err
	}
	return s.cfg.Meta.Update(ctx, func(tx meta.Tx) error {
		if _, err := getTarget(tx, arn); err != nil {
			return err
		}
		buckets, err := tx.BucketsUsingTarget(arn)
		if err != nil {
			return fmt.Errorf("buckets using replication target %s: %w", arn, err)
		}
		if len(buckets) > 0 {
			return fmt.Errorf("%w: the replication configuration of bucket(s) %s names it", ErrTargetInUse, strings.Join(buckets, ", "))
		}
		if err := tx.DeleteReplicationTarget(arn); err != nil {
			return fmt.Errorf("delete replication target %s: %w", arn, err)
		}
		return nil
	})
}

// Target returns a target and its secret in clear, for the data plane.
// ErrNoSuchTarget when no target has that ARN.
func (s *Service) Target(ctx context.Context, arn string) (*meta.ReplicationTarget, string, error) {
	var t *meta.ReplicationTarget
	err := s.cfg.Meta.View(ctx, func(tx meta.Tx) error {
		var err error
		t, err = getTarget(tx, arn)
		return err
	})
	if err != nil {
		return nil, "", err
	}
	if len(t.SecretEnc) == 0 {
		return t, "", nil
	}
	if s.cfg.Sealer == nil {
		return nil, "", fmt.Errorf("open secret of replication target %s: no sealer configured", arn)
	}
	secret, err := s.cfg.Sealer.Open(t.SecretEnc)
	if err != nil {
		return nil, "", fmt.Errorf("open secret of replication target %s: %w", arn, err)
	}
	return t, string(secret), nil
}

// getTarget reads a target; ErrNoSuchTarget when absent.
func getTarget(tx meta.Tx, arn string) (*meta.ReplicationTarget, error) {
	t, err := tx.GetReplicationTarget(arn)
	if errors.Is(err, meta.ErrNotFound) {
		return nil, fmt.Errorf("%w: %s", ErrNoSuchTarget, arn)
	}
	if err != nil {
		return nil, fmt.Errorf("get replication target %s: %w", arn, err)
	}
	return t, nil
}

func withoutSecret(t *meta.ReplicationTarget) *meta.ReplicationTarget {
	c := *t
	c.SecretEnc = nil
	return &c
}

// newTargetID is the random 12-hex-digit id part of a new target's ARN.
func newTargetID() (string, error) {
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("target id: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}

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
	"github.com/quarrylabs/quarry/internal/events"
	"github.com/quarrylabs/quarry/internal/grant"
	"github.com/quarrylabs/quarry/internal/meta"
)

// arnPrefix starts every replication target ARN.
const arnPrefix = "arn:quarry:replication:"

// Who may use, see, manage and grant a target follows the grant package's
// rules: a target holds credentials to another system, so naming it in a
// configuration is a write path there. A target a caller may not use is
// answered as a missing one (ErrNoSuchTarget), so that its existence does
// not leak.

// Grants says who besides its owner (and admins) may use a target.
type Grants = grant.Grants

// UserRef names a user: by id when ID is set, else by username.
type UserRef = grant.UserRef

// targetNoun names replication targets in the grant package's messages.
const targetNoun = "replication target"

// TargetInfo is a target as one caller sees it, never with its secret.
// Owner and Grants (and the target's AllUsers and Users) are filled only
// when the caller manages the target (its owner or an admin): a user it is
// granted to sees where it points, not who else may use it.
type TargetInfo struct {
	meta.ReplicationTarget
	Managed bool
	Owner   UserRef
	Grants  Grants
}

// CreateTarget stores a new target owned by p, with its secret sealed and
// in.Grants given (admins only may grant a target to other users). The
// result carries no secret.
func (s *Service) CreateTarget(ctx context.Context, p auth.Principal, in TargetInput) (*TargetInfo, error) {
	if in.Region == "" {
		in.Region = DefaultRegion
	}
	if err := validateTarget(in); err != nil {
		return nil, err
	}
	if err := checkMayGrant(p, in.Grants); err != nil {
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
		AllUsers:           in.Grants.AllUsers,
		CreatedAt:          s.now(),
	}
	var info *TargetInfo
	err = s.cfg.Meta.Update(ctx, func(tx meta.Tx) error {
		users, err := resolveGrants(tx, p, t.OwnerID, in.Grants.Users)
		if err != nil {
			return err
		}
		t.Users = users
		if err := tx.CreateReplicationTarget(t); err != nil {
			return err
		}
		if info, err = describeTarget(p, t, grant.NewNames(tx)); err != nil {
			return err
		}
		return events.Append(tx, targetEvent(events.TargetCreated, t, p, t.CreatedAt, "added, "+info.Grants.Text()+","))
	})
	if errors.Is(err, meta.ErrExists) {
		return nil, fmt.Errorf("%w: a target is named %q", ErrTargetExists, in.Name)
	}
	if err != nil {
		return nil, fmt.Errorf("create replication target %q: %w", in.Name, err)
	}
	return info, nil
}

// ListTargets lists the targets p may use, by name, without secrets.
func (s *Service) ListTargets(ctx context.Context, p auth.Principal) ([]TargetInfo, error) {
	var out []TargetInfo
	err := s.cfg.Meta.View(ctx, func(tx meta.Tx) error {
		targets, err := tx.ListReplicationTargets()
		if err != nil {
			return err
		}
		names := grant.NewNames(tx)
		for i := range targets {
			if !owned(&targets[i]).MayUse(p.UserID, p.Admin()) {
				continue
			}
			info, err := describeTarget(p, &targets[i], names)
			if err != nil {
				return err
			}
			out = append(out, *info)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list replication targets: %w", err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// UpdateTargetAccess replaces the target's grants (its owner or an admin;
// admins only may grant it to other users) and returns it as p now sees it.
func (s *Service) UpdateTargetAccess(ctx context.Context, p auth.Principal, arn string, g Grants) (*TargetInfo, error) {
	var info *TargetInfo
	err := s.cfg.Meta.Update(ctx, func(tx meta.Tx) error {
		// The target first: one the caller may not use is missing to
		// it, whatever it asked.
		t, err := managedTarget(tx, p, arn, "change the access of")
		if err != nil {
			return err
		}
		if err := checkMayGrant(p, g); err != nil {
			return err
		}
		users, err := resolveGrants(tx, p, t.OwnerID, g.Users)
		if err != nil {
			return err
		}
		if err := tx.SetReplicationTargetAccess(arn, g.AllUsers, users); err != nil {
			return fmt.Errorf("set access of replication target %s: %w", arn, err)
		}
		t.AllUsers, t.Users = g.AllUsers, users
		if info, err = describeTarget(p, t, grant.NewNames(tx)); err != nil {
			return err
		}
		return events.Append(tx, targetEvent(events.TargetAccessChanged, t, p, s.now(), "made "+info.Grants.Text()+","))
	})
	if err != nil {
		return nil, err
	}
	return info, nil
}

// DeleteTarget removes a target no bucket uses (its owner or an admin).
// While a bucket's configuration names it, ErrTargetInUse says which
// buckets do.
func (s *Service) DeleteTarget(ctx context.Context, p auth.Principal, arn string) error {
	return s.cfg.Meta.Update(ctx, func(tx meta.Tx) error {
		t, err := managedTarget(tx, p, arn, "delete")
		if err != nil {
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
		return events.Append(tx, targetEvent(events.TargetDeleted, t, p, s.now(), "deleted"))
	})
}

// Target returns a target and its secret in clear, for the data plane.
// ErrNoSuchTarget when no target has that ARN. It does not say who may
// use the target: CheckTargetUse does.
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

// CheckTargetUse says whether the owner of bucket may use the target arn
// now: nil, or a *NotPermittedError (errors.Is ErrTargetNotPermitted). The
// data plane asks before every copy, so that a configuration whose target
// lost its grant stops writing there at once. ErrSourceGone when the
// bucket no longer exists, ErrNoSuchTarget when the target does not.
func (s *Service) CheckTargetUse(ctx context.Context, bucket, arn string) error {
	return s.cfg.Meta.View(ctx, func(tx meta.Tx) error {
		b, err := tx.GetBucket(bucket)
		if errors.Is(err, meta.ErrNotFound) {
			return fmt.Errorf("bucket %s: %w", bucket, ErrSourceGone)
		}
		if err != nil {
			return fmt.Errorf("get bucket %s: %w", bucket, err)
		}
		t, err := getTarget(tx, arn)
		if err != nil {
			return err
		}
		return ownerMayUse(tx, b.OwnerID, t)
	})
}

// ownerMayUse checks that the user ownerID (a bucket's owner) may use t.
func ownerMayUse(tx meta.Tx, ownerID int64, t *meta.ReplicationTarget) error {
	ok, owner, err := grant.OwnerMayUse(tx, ownerID, owned(t))
	if err != nil {
		return err
	}
	if ok {
		return nil
	}
	return &NotPermittedError{Owner: owner, ARN: t.ARN}
}

// NotPermittedError: a bucket's owner may not use the target its
// configuration names.
type NotPermittedError struct {
	// Owner is the bucket owner's username ("user #id" once deleted).
	Owner string
	ARN   string
}

func (e *NotPermittedError) Error() string {
	return fmt.Sprintf("bucket owner %s may not use target %s", e.Owner, e.ARN)
}

// Is makes errors.Is(err, ErrTargetNotPermitted) hold.
func (e *NotPermittedError) Is(target error) bool { return target == ErrTargetNotPermitted }

// owned is what a target says about who may use it.
func owned(t *meta.ReplicationTarget) grant.Owned {
	return grant.Owned{OwnerID: t.OwnerID, AllUsers: t.AllUsers, Users: t.Users}
}

// grantError gives the grant package's errors replication's sentinels.
func grantError(err error) error {
	switch {
	case errors.Is(err, grant.ErrForbidden):
		return fmt.Errorf("%w: %s", ErrTargetForbidden, grant.Message(err))
	case errors.Is(err, grant.ErrUnknownUser):
		return invalidTarget("%s", grant.Message(err))
	}
	return err
}

// managedTarget reads a target p manages: ErrNoSuchTarget when it does not
// exist or p may not use it, ErrTargetForbidden when p may use it but not
// manage it (what names the refused action).
func managedTarget(tx meta.Tx, p auth.Principal, arn, what string) (*meta.ReplicationTarget, error) {
	t, err := getTarget(tx, arn)
	if err != nil {
		return nil, err
	}
	if !owned(t).MayUse(p.UserID, p.Admin()) {
		return nil, fmt.Errorf("%w: %s", ErrNoSuchTarget, arn)
	}
	if !owned(t).ManagedBy(p) {
		return nil, fmt.Errorf("%w: only its owner or an administrator may %s replication target %s", ErrTargetForbidden, what, arn)
	}
	return t, nil
}

// checkMayGrant refuses grants to others by a non-admin (grant.CheckMayGrant).
func checkMayGrant(p auth.Principal, g Grants) error {
	return grantError(grant.CheckMayGrant(p, g, targetNoun))
}

// resolveGrants turns the users named into their ids (grant.Resolve).
func resolveGrants(tx meta.Tx, p auth.Principal, ownerID int64, refs []UserRef) ([]int64, error) {
	ids, err := grant.Resolve(tx, p, ownerID, refs, targetNoun)
	return ids, grantError(err)
}

// describeTarget is t as p sees it.
func describeTarget(p auth.Principal, t *meta.ReplicationTarget, names *grant.Names) (*TargetInfo, error) {
	view, err := grant.Describe(names, owned(t), p)
	if err != nil {
		return nil, err
	}
	info := &TargetInfo{ReplicationTarget: *t, Managed: view.Managed, Owner: view.Owner, Grants: view.Grants}
	info.SecretEnc = nil
	if !info.Managed {
		info.AllUsers, info.Users = false, nil
	}
	return info, nil
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

// newTargetID is the random 12-hex-digit id part of a new target's ARN.
func newTargetID() (string, error) {
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("target id: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}

package replication

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/quarrylabs/quarry/internal/auth"
	"github.com/quarrylabs/quarry/internal/events"
	"github.com/quarrylabs/quarry/internal/meta"
)

// arnPrefix starts every replication target ARN.
const arnPrefix = "arn:quarry:replication:"

// Who may do what with a target (a target holds credentials to another
// system, so naming it in a configuration is a write path there):
//
//   - use it (name it in a bucket's replication configuration, and have
//     objects copied to it): its owner, admins, and the users it is
//     granted to (Grants);
//   - see it in a list: whoever may use it;
//   - delete, test it or change its grants: its owner and admins;
//   - grant it to other users: admins only. A non-admin may register
//     targets, usable by itself alone.
//
// A target a caller may not use is answered as a missing one
// (ErrNoSuchTarget), so that its existence does not leak.

// Grants says who besides its owner (and admins) may use a target.
type Grants struct {
	// AllUsers grants the target to every user.
	AllUsers bool
	// Users are the users granted the target.
	Users []UserRef
}

// UserRef names a user: by id when ID is set, else by username. Results
// fill both (Username empty for a user deleted since).
type UserRef struct {
	ID       int64
	Username string
}

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
		if info, err = describeTarget(tx, p, t, newUserNames(tx)); err != nil {
			return err
		}
		return events.Append(tx, targetEvent(events.TargetCreated, t, p, t.CreatedAt, "added, "+grantsText(info)+","))
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
		names := newUserNames(tx)
		for i := range targets {
			if !mayUse(&targets[i], p.UserID, p.Admin()) {
				continue
			}
			info, err := describeTarget(tx, p, &targets[i], names)
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
		if info, err = describeTarget(tx, p, t, newUserNames(tx)); err != nil {
			return err
		}
		return events.Append(tx, targetEvent(events.TargetAccessChanged, t, p, s.now(), "made "+grantsText(info)+","))
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
	owner, err := tx.GetUser(ownerID)
	switch {
	case errors.Is(err, meta.ErrNotFound):
		// A deleted user: neither admin nor granted (ids are never reused).
		owner = &meta.User{ID: ownerID}
	case err != nil:
		return fmt.Errorf("get user %d: %w", ownerID, err)
	}
	if mayUse(t, owner.ID, owner.Role == meta.RoleAdmin) {
		return nil
	}
	return &NotPermittedError{Owner: userLabel(owner.ID, owner.Username), ARN: t.ARN}
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

// mayUse reports whether user userID (an admin when admin) may use t.
func mayUse(t *meta.ReplicationTarget, userID int64, admin bool) bool {
	return admin || t.OwnerID == userID || t.AllUsers || slices.Contains(t.Users, userID)
}

// manages reports whether p may delete, test and grant t.
func manages(t *meta.ReplicationTarget, p auth.Principal) bool {
	return p.Admin() || t.OwnerID == p.UserID
}

// managedTarget reads a target p manages: ErrNoSuchTarget when it does not
// exist or p may not use it, ErrTargetForbidden when p may use it but not
// manage it (what names the refused action).
func managedTarget(tx meta.Tx, p auth.Principal, arn, what string) (*meta.ReplicationTarget, error) {
	t, err := getTarget(tx, arn)
	if err != nil {
		return nil, err
	}
	if !mayUse(t, p.UserID, p.Admin()) {
		return nil, fmt.Errorf("%w: %s", ErrNoSuchTarget, arn)
	}
	if !manages(t, p) {
		return nil, fmt.Errorf("%w: only its owner or an administrator may %s replication target %s", ErrTargetForbidden, what, arn)
	}
	return t, nil
}

// checkMayGrant refuses grants to others by a non-admin, before any user
// is looked up (so that a refused call says nothing of who exists). A
// non-admin naming only itself is let through: it adds nothing.
func checkMayGrant(p auth.Principal, g Grants) error {
	if p.Admin() {
		return nil
	}
	others := g.AllUsers
	for _, u := range g.Users {
		if u.ID != 0 && u.ID != p.UserID || u.ID == 0 && !strings.EqualFold(u.Username, p.Username) {
			others = true
		}
	}
	if others {
		return fmt.Errorf("%w: only an administrator may grant a replication target to other users", ErrTargetForbidden)
	}
	return nil
}

// resolveGrants turns the users named into their ids, ascending and
// distinct, without ownerID (its owner may use a target anyway). An unknown
// user is ErrInvalidTarget. A non-admin may name only itself (checked by
// checkMayGrant by name, and here again by id).
func resolveGrants(tx meta.Tx, p auth.Principal, ownerID int64, refs []UserRef) ([]int64, error) {
	var ids []int64
	for _, ref := range refs {
		var (
			u   *meta.User
			err error
		)
		switch name := strings.TrimSpace(ref.Username); {
		case ref.ID > 0:
			u, err = tx.GetUser(ref.ID)
			if errors.Is(err, meta.ErrNotFound) {
				return nil, invalidTarget("users: no user has id %d", ref.ID)
			}
		case name != "":
			u, err = tx.GetUserByName(name)
			if errors.Is(err, meta.ErrNotFound) {
				return nil, invalidTarget("users: no user is named %q", name)
			}
		default:
			return nil, invalidTarget("users: a username must not be empty")
		}
		if err != nil {
			return nil, fmt.Errorf("look up granted user: %w", err)
		}
		if !p.Admin() && u.ID != p.UserID {
			return nil, fmt.Errorf("%w: only an administrator may grant a replication target to other users", ErrTargetForbidden)
		}
		if u.ID != ownerID && !slices.Contains(ids, u.ID) {
			ids = append(ids, u.ID)
		}
	}
	slices.Sort(ids)
	return ids, nil
}

// describeTarget is t as p sees it.
func describeTarget(tx meta.Tx, p auth.Principal, t *meta.ReplicationTarget, names *userNames) (*TargetInfo, error) {
	info := &TargetInfo{ReplicationTarget: *t, Managed: manages(t, p)}
	info.SecretEnc = nil
	if !info.Managed {
		info.AllUsers, info.Users = false, nil
		return info, nil
	}
	var err error
	if info.Owner, err = names.ref(t.OwnerID); err != nil {
		return nil, err
	}
	info.Grants.AllUsers = t.AllUsers
	for _, id := range t.Users {
		ref, err := names.ref(id)
		if err != nil {
			return nil, err
		}
		info.Grants.Users = append(info.Grants.Users, ref)
	}
	return info, nil
}

// userNames looks usernames up by id within one transaction, once each.
type userNames struct {
	tx    meta.Tx
	known map[int64]string
}

func newUserNames(tx meta.Tx) *userNames { return &userNames{tx: tx, known: map[int64]string{}} }

// ref is the user id with its username ("" for a deleted user).
func (n *userNames) ref(id int64) (UserRef, error) {
	if name, ok := n.known[id]; ok {
		return UserRef{ID: id, Username: name}, nil
	}
	u, err := n.tx.GetUser(id)
	switch {
	case errors.Is(err, meta.ErrNotFound):
		n.known[id] = ""
	case err != nil:
		return UserRef{}, fmt.Errorf("get user %d: %w", id, err)
	default:
		n.known[id] = u.Username
	}
	return UserRef{ID: id, Username: n.known[id]}, nil
}

// userLabel names a user in a message: its username, or its id once the
// user is gone.
func userLabel(id int64, username string) string {
	if username != "" {
		return username
	}
	return fmt.Sprintf("user #%d", id)
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

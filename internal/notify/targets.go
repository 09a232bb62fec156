package notify

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/quarrylabs/quarry/internal/auth"
	"github.com/quarrylabs/quarry/internal/events"
	"github.com/quarrylabs/quarry/internal/grant"
	"github.com/quarrylabs/quarry/internal/meta"
)

// targetNoun names notification targets in the grant package's messages.
const targetNoun = "notification target"

// maxTargetName bounds a target's name.
const maxTargetName = 64

// testTimeout bounds a target test: the caller waits for its answer.
const testTimeout = 10 * time.Second

// TargetInput is what notification_target/create takes.
type TargetInput struct {
	Name string
	// Type is the target's kind ("webhook", the default).
	Type string
	// Endpoint is where events go: the webhook's URL.
	Endpoint string
	// Secret is sent with every event (the webhook's Authorization header
	// value); stored sealed. Optional.
	Secret             string
	InsecureSkipVerify bool
	// Grants are who besides its owner may use the target.
	Grants grant.Grants
}

// TargetInfo is a target as one caller sees it, never with its secret.
// Owner and Grants are filled only when the caller manages the target.
type TargetInfo struct {
	meta.NotificationTarget
	// HasSecret says whether events carry a secret (never what it is).
	HasSecret bool
	Managed   bool
	Owner     grant.UserRef
	Grants    grant.Grants
}

// CreateTarget stores a new target owned by p, its secret sealed and
// in.Grants given (admins only may grant a target to other users).
func (s *Service) CreateTarget(ctx context.Context, p auth.Principal, in TargetInput) (*TargetInfo, error) {
	if in.Type == "" {
		in.Type = "webhook"
	}
	if err := s.checkTarget(in); err != nil {
		return nil, err
	}
	if err := grantError(grant.CheckMayGrant(p, in.Grants, targetNoun)); err != nil {
		return nil, err
	}
	var sealed []byte
	if in.Secret != "" {
		if s.cfg.Sealer == nil {
			return nil, errors.New("create notification target: no sealer configured")
		}
		var err error
		if sealed, err = s.cfg.Sealer.Seal([]byte(in.Secret)); err != nil {
			return nil, fmt.Errorf("create notification target %q: seal secret: %w", in.Name, err)
		}
	}
	id, err := newTargetID()
	if err != nil {
		return nil, fmt.Errorf("create notification target %q: %w", in.Name, err)
	}
	t := &meta.NotificationTarget{
		ARN:                arnPrefix + s.cfg.Region + ":" + id + ":" + in.Type,
		Name:               in.Name,
		Type:               in.Type,
		Endpoint:           in.Endpoint,
		SecretEnc:          sealed,
		InsecureSkipVerify: in.InsecureSkipVerify,
		OwnerID:            p.UserID,
		AllUsers:           in.Grants.AllUsers,
		CreatedAt:          s.now(),
	}
	var info *TargetInfo
	err = s.cfg.Meta.Update(ctx, func(tx meta.Tx) error {
		users, err := grant.Resolve(tx, p, t.OwnerID, in.Grants.Users, targetNoun)
		if err != nil {
			return grantError(err)
		}
		t.Users = users
		if err := tx.CreateNotificationTarget(t); err != nil {
			return err
		}
		if info, err = describe(p, t, grant.NewNames(tx)); err != nil {
			return err
		}
		return events.Append(tx, targetEvent(events.NotificationTargetCreated, t, p, t.CreatedAt, "added, "+info.Grants.Text()+","))
	})
	if errors.Is(err, meta.ErrExists) {
		return nil, fmt.Errorf("%w: a target is named %q", ErrTargetExists, in.Name)
	}
	if err != nil {
		return nil, fmt.Errorf("create notification target %q: %w", in.Name, err)
	}
	return info, nil
}

// checkTarget validates a new target's fields.
func (s *Service) checkTarget(in TargetInput) error {
	if n := len(in.Name); n == 0 || n > maxTargetName {
		return invalidTarget("name must be 1 to %d characters", maxTargetName)
	}
	for _, r := range in.Name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-') {
			return invalidTarget("name %q may only hold letters, digits, '.', '_' and '-'", in.Name)
		}
	}
	tt, ok := s.cfg.Types[in.Type]
	if !ok {
		return invalidTarget("type %q is not one this server delivers to (%s)", in.Type, strings.Join(s.typeNames(), ", "))
	}
	if err := tt.Check(in); err != nil {
		return invalidTarget("%v", err)
	}
	return nil
}

func (s *Service) typeNames() []string {
	var names []string
	for n := range s.cfg.Types {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func invalidTarget(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidTarget, fmt.Sprintf(format, args...))
}

// grantError gives the grant package's errors this package's sentinels.
func grantError(err error) error {
	switch {
	case errors.Is(err, grant.ErrForbidden):
		return fmt.Errorf("%w: %s", ErrTargetForbidden, grant.Message(err))
	case errors.Is(err, grant.ErrUnknownUser):
		return invalidTarget("%s", grant.Message(err))
	}
	return err
}

// ListTargets lists the targets p may use, by name, without secrets.
func (s *Service) ListTargets(ctx context.Context, p auth.Principal) ([]TargetInfo, error) {
	var out []TargetInfo
	err := s.cfg.Meta.View(ctx, func(tx meta.Tx) error {
		targets, err := tx.ListNotificationTargets()
		if err != nil {
			return err
		}
		names := grant.NewNames(tx)
		for i := range targets {
			if !owned(&targets[i]).MayUse(p.UserID, p.Admin()) {
				continue
			}
			info, err := describe(p, &targets[i], names)
			if err != nil {
				return err
			}
			out = append(out, *info)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list notification targets: %w", err)
	}
	return out, nil
}

// UpdateTargetAccess replaces the target's grants (its owner or an admin;
// admins only may grant it to other users).
func (s *Service) UpdateTargetAccess(ctx context.Context, p auth.Principal, arn string, g grant.Grants) (*TargetInfo, error) {
	var info *TargetInfo
	err := s.cfg.Meta.Update(ctx, func(tx meta.Tx) error {
		t, err := managedTarget(tx, p, arn, "change the access of")
		if err != nil {
			return err
		}
		if err := grantError(grant.CheckMayGrant(p, g, targetNoun)); err != nil {
			return err
		}
		users, err := grant.Resolve(tx, p, t.OwnerID, g.Users, targetNoun)
		if err != nil {
			return grantError(err)
		}
		if err := tx.SetNotificationTargetAccess(arn, g.AllUsers, users); err != nil {
			return fmt.Errorf("set access of notification target %s: %w", arn, err)
		}
		t.AllUsers, t.Users = g.AllUsers, users
		if info, err = describe(p, t, grant.NewNames(tx)); err != nil {
			return err
		}
		return events.Append(tx, targetEvent(events.NotificationTargetAccessChanged, t, p, s.now(), "made "+info.Grants.Text()+","))
	})
	return info, err
}

// DeleteTarget removes a target no bucket names (its owner or an admin).
// Events still queued for it then fail, saying it is gone.
func (s *Service) DeleteTarget(ctx context.Context, p auth.Principal, arn string) error {
	return s.cfg.Meta.Update(ctx, func(tx meta.Tx) error {
		t, err := managedTarget(tx, p, arn, "delete")
		if err != nil {
			return err
		}
		buckets, err := tx.BucketsNotifyingTarget(arn)
		if err != nil {
			return fmt.Errorf("buckets notifying target %s: %w", arn, err)
		}
		if len(buckets) > 0 {
			return fmt.Errorf("%w: the notification configuration of bucket(s) %s names it", ErrTargetInUse, strings.Join(buckets, ", "))
		}
		if err := tx.DeleteNotificationTarget(arn); err != nil {
			return fmt.Errorf("delete notification target %s: %w", arn, err)
		}
		return events.Append(tx, targetEvent(events.NotificationTargetDeleted, t, p, s.now(), "deleted"))
	})
}

// testEvent is the message a target test sends: AWS's s3:TestEvent.
type testEvent struct {
	Service   string `json:"Service"`
	Event     string `json:"Event"`
	Time      string `json:"Time"`
	Target    string `json:"Target"`
	RequestID string `json:"RequestId"`
}

// TestTarget sends the target an s3:TestEvent (its owner or an admin),
// tried once: ErrTargetUnreachable with the reason when it is not taken.
func (s *Service) TestTarget(ctx context.Context, p auth.Principal, arn string) error {
	var t *meta.NotificationTarget
	err := s.cfg.Meta.View(ctx, func(tx meta.Tx) error {
		var err error
		t, err = managedTarget(tx, p, arn, "test")
		return err
	})
	if err != nil {
		return err
	}
	sender, err := s.sender(t)
	if err != nil {
		return err
	}
	id := newEventID()
	body, _ := json.Marshal(testEvent{Service: "Quarry", Event: "s3:TestEvent", Time: s.now().Format(eventTimeLayout),
		Target: arn, RequestID: id}) // plain struct: cannot fail
	ctx, cancel := context.WithTimeout(ctx, testTimeout)
	defer cancel()
	if err := sender.Send(ctx, Message{ID: id, Body: body}); err != nil {
		return fmt.Errorf("%w: %v", ErrTargetUnreachable, err)
	}
	return nil
}

// sender returns the open sender of t, opening it on first use.
func (s *Service) sender(t *meta.NotificationTarget) (Sender, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if snd, ok := s.senders[t.ARN]; ok {
		return snd, nil
	}
	tt, ok := s.cfg.Types[t.Type]
	if !ok {
		return nil, fmt.Errorf("notification target %s is of type %q, which this server does not deliver to", t.ARN, t.Type)
	}
	secret := ""
	if len(t.SecretEnc) > 0 {
		if s.cfg.Sealer == nil {
			return nil, fmt.Errorf("open secret of notification target %s: no sealer configured", t.ARN)
		}
		plain, err := s.cfg.Sealer.Open(t.SecretEnc)
		if err != nil {
			return nil, fmt.Errorf("open secret of notification target %s: %w", t.ARN, err)
		}
		secret = string(plain)
	}
	snd, err := tt.Open(t, secret)
	if err != nil {
		return nil, fmt.Errorf("open notification target %s: %w", t.ARN, err)
	}
	s.senders[t.ARN] = snd
	return snd, nil
}

// owned is what a target says about who may use it.
func owned(t *meta.NotificationTarget) grant.Owned {
	return grant.Owned{OwnerID: t.OwnerID, AllUsers: t.AllUsers, Users: t.Users}
}

// managedTarget reads a target p manages: ErrNoSuchTarget when it does not
// exist or p may not use it, ErrTargetForbidden when p may use it but not
// manage it (what names the refused action).
func managedTarget(tx meta.Tx, p auth.Principal, arn, what string) (*meta.NotificationTarget, error) {
	t, err := getTarget(tx, arn)
	if err != nil {
		return nil, err
	}
	if !owned(t).MayUse(p.UserID, p.Admin()) {
		return nil, fmt.Errorf("%w: %s", ErrNoSuchTarget, arn)
	}
	if !owned(t).ManagedBy(p) {
		return nil, fmt.Errorf("%w: only its owner or an administrator may %s notification target %s", ErrTargetForbidden, what, arn)
	}
	return t, nil
}

// getTarget reads a target; ErrNoSuchTarget when absent.
func getTarget(tx meta.Tx, arn string) (*meta.NotificationTarget, error) {
	t, err := tx.GetNotificationTarget(arn)
	if errors.Is(err, meta.ErrNotFound) {
		return nil, fmt.Errorf("%w: %s", ErrNoSuchTarget, arn)
	}
	if err != nil {
		return nil, fmt.Errorf("get notification target %s: %w", arn, err)
	}
	return t, nil
}

// describe is t as p sees it.
func describe(p auth.Principal, t *meta.NotificationTarget, names *grant.Names) (*TargetInfo, error) {
	view, err := grant.Describe(names, owned(t), p)
	if err != nil {
		return nil, err
	}
	info := &TargetInfo{NotificationTarget: *t, HasSecret: len(t.SecretEnc) > 0,
		Managed: view.Managed, Owner: view.Owner, Grants: view.Grants}
	info.SecretEnc = nil
	if !info.Managed {
		info.AllUsers, info.Users = false, nil
	}
	return info, nil
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

// ownerMayUse checks that the user ownerID (a bucket's owner) may use t.
func ownerMayUse(tx meta.Tx, ownerID int64, t *meta.NotificationTarget) error {
	ok, owner, err := grant.OwnerMayUse(tx, ownerID, owned(t))
	if err != nil {
		return err
	}
	if !ok {
		return &NotPermittedError{Owner: owner, ARN: t.ARN}
	}
	return nil
}

// newTargetID is the random 12-hex-digit id part of a new target's ARN.
func newTargetID() (string, error) {
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("target id: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}

package auth

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/quarrylabs/quarry/internal/events"
	"github.com/quarrylabs/quarry/internal/meta"
)

// AccessKeyInfo describes an access key without its secret, for listings.
type AccessKeyInfo struct {
	AccessKey string
	UserID    int64
	CreatedAt time.Time
}

// newKeyAttempts bounds retries when a generated access key collides with an
// existing one (36^20 keys: a collision means something else is wrong).
const newKeyAttempts = 3

// CreateAccessKey issues a new random access key for a user and returns it
// with its secret; the secret is stored sealed and cannot be read back
// through the API later. ErrNoSuchUser when the user does not exist.
func (s *Service) CreateAccessKey(ctx context.Context, userID int64) (accessKey, secretKey string, err error) {
	for range newKeyAttempts {
		accessKey, err = newAccessKey()
		if err != nil {
			return "", "", err
		}
		secretKey, err = newSecretKey()
		if err != nil {
			return "", "", err
		}
		err = s.addAccessKey(ctx, userID, accessKey, secretKey)
		if !errors.Is(err, ErrAccessKeyExists) {
			break
		}
	}
	if err != nil {
		return "", "", err
	}
	return accessKey, secretKey, nil
}

// AddAccessKey stores a given key pair for a user, as configured root keys
// are. ErrInvalidAccessKey when the pair breaks the rules, ErrNoSuchUser when
// the user does not exist, ErrAccessKeyExists when the key is taken.
func (s *Service) AddAccessKey(ctx context.Context, userID int64, accessKey, secretKey string) error {
	if err := ValidateAccessKey(accessKey, secretKey); err != nil {
		return err
	}
	return s.addAccessKey(ctx, userID, accessKey, secretKey)
}

func (s *Service) addAccessKey(ctx context.Context, userID int64, accessKey, secretKey string) error {
	k, err := s.newAccessKeyRow(userID, accessKey, secretKey)
	if err != nil {
		return err
	}
	actor := events.ActorFrom(ctx)
	return s.store.Update(ctx, func(tx meta.Tx) error {
		u, err := getUser(tx, userID)
		if err != nil {
			return err
		}
		return createAccessKey(tx, k, u, actor)
	})
}

// newAccessKeyRow seals the secret into a row ready to insert.
func (s *Service) newAccessKeyRow(userID int64, accessKey, secretKey string) (*meta.AccessKey, error) {
	sealed, err := s.sealer.Seal([]byte(secretKey))
	if err != nil {
		return nil, fmt.Errorf("auth: add access key %s: %w", accessKey, err)
	}
	return &meta.AccessKey{AccessKey: accessKey, UserID: userID, SecretEnc: sealed, CreatedAt: s.now().UTC()}, nil
}

// createAccessKey inserts k, a key of u, and records that actor added it.
// The access key id is no secret (clients send it in clear); the secret
// never reaches the log.
func createAccessKey(tx meta.Tx, k *meta.AccessKey, u *meta.User, actor events.Actor) error {
	err := tx.CreateAccessKey(k)
	if errors.Is(err, meta.ErrExists) {
		return fmt.Errorf("%w: %s", ErrAccessKeyExists, k.AccessKey)
	}
	if err != nil {
		return fmt.Errorf("auth: add access key %s: %w", k.AccessKey, err)
	}
	return events.Append(tx, events.Event{Type: events.S3KeyCreated, Subject: "s3key/" + k.AccessKey,
		Message: fmt.Sprintf("S3 access key %s of user %s created%s", k.AccessKey, u.Username, byActor(actor)),
		Actor:   actor, OwnerID: u.ID, Time: k.CreatedAt})
}

// LookupAccessKey returns the clear secret of an access key and the
// principal it belongs to; ErrNoSuchAccessKey when the key or its user does
// not exist. It runs on every S3 request, so successful lookups are cached
// for a few seconds.
func (s *Service) LookupAccessKey(ctx context.Context, accessKey string) (secret string, p Principal, err error) {
	now := s.now()
	if e, ok := s.keys.get(accessKey, now); ok {
		return e.secret, e.p, nil
	}
	gen := s.keys.generation()
	var k *meta.AccessKey
	var u *meta.User
	err = s.store.View(ctx, func(tx meta.Tx) error {
		var err error
		if k, err = tx.GetAccessKey(accessKey); err != nil {
			return err
		}
		u, err = tx.GetUser(k.UserID)
		return err
	})
	if errors.Is(err, meta.ErrNotFound) {
		return "", Principal{}, fmt.Errorf("%w: %s", ErrNoSuchAccessKey, accessKey)
	}
	if err != nil {
		return "", Principal{}, fmt.Errorf("auth: lookup access key %s: %w", accessKey, err)
	}
	plain, err := s.sealer.Open(k.SecretEnc)
	if err != nil {
		return "", Principal{}, fmt.Errorf("auth: lookup access key %s: %w", accessKey, err)
	}
	secret, p = string(plain), principalOf(u)
	s.keys.put(accessKey, keyCacheEntry{secret: secret, p: p, expires: now.Add(keyCacheTTL)}, gen, now)
	return secret, p, nil
}

// DeleteAccessKey removes an access key; ErrNoSuchAccessKey when absent.
// The key stops working on this node at once (on other nodes within
// keyCacheTTL).
func (s *Service) DeleteAccessKey(ctx context.Context, accessKey string) error {
	defer s.keys.invalidateKey(accessKey)
	actor := events.ActorFrom(ctx)
	err := s.store.Update(ctx, func(tx meta.Tx) error {
		k, err := tx.GetAccessKey(accessKey)
		if err != nil {
			return err
		}
		if err := tx.DeleteAccessKey(accessKey); err != nil {
			return err
		}
		owner := fmt.Sprintf("id %d", k.UserID)
		if u, err := tx.GetUser(k.UserID); err == nil {
			owner = u.Username
		}
		return events.Append(tx, events.Event{Type: events.S3KeyRevoked, Subject: "s3key/" + accessKey,
			Message: fmt.Sprintf("S3 access key %s of user %s revoked%s", accessKey, owner, byActor(actor)),
			Actor:   actor, OwnerID: k.UserID, Time: s.now()})
	})
	if errors.Is(err, meta.ErrNotFound) {
		return fmt.Errorf("%w: %s", ErrNoSuchAccessKey, accessKey)
	}
	if err != nil {
		return fmt.Errorf("auth: delete access key %s: %w", accessKey, err)
	}
	return nil
}

// ListAccessKeys lists a user's access keys, without secrets.
func (s *Service) ListAccessKeys(ctx context.Context, userID int64) ([]AccessKeyInfo, error) {
	var keys []meta.AccessKey
	err := s.store.View(ctx, func(tx meta.Tx) error {
		var err error
		keys, err = tx.ListAccessKeys(userID)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("auth: list access keys of user %d: %w", userID, err)
	}
	out := make([]AccessKeyInfo, len(keys))
	for i, k := range keys {
		out[i] = AccessKeyInfo{AccessKey: k.AccessKey, UserID: k.UserID, CreatedAt: k.CreatedAt}
	}
	return out, nil
}

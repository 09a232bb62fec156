package auth

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/quarrylabs/quarry/internal/meta"
)

// expiredFamiliesPerLogin is how many expired refresh families each login
// deletes. Families are only created by logins, so this keeps the table at
// about the number of live logins without a background sweeper.
const expiredFamiliesPerLogin = 100

// familyIDBytes is the size of a family id: 128 random bits.
const familyIDBytes = 16

// StartRefreshFamily records a new login of p through the OAuth client
// clientID. Its first refresh token is generation 1 and expires at expires.
// Expired families are deleted on the way.
func (s *Service) StartRefreshFamily(ctx context.Context, p Principal, clientID string, now, expires time.Time) (*meta.RefreshFamily, error) {
	id, err := newFamilyID()
	if err != nil {
		return nil, err
	}
	f := &meta.RefreshFamily{ID: id, UserID: p.UserID, ClientID: clientID, Generation: 1,
		CreatedAt: now.UTC(), ExpiresAt: expires.UTC()}
	err = s.store.Update(ctx, func(tx meta.Tx) error {
		if _, err := tx.DeleteExpiredRefreshFamilies(now, expiredFamiliesPerLogin); err != nil {
			return err
		}
		return tx.CreateRefreshFamily(f)
	})
	if errors.Is(err, meta.ErrNotFound) {
		return nil, fmt.Errorf("%w: id %d", ErrNoSuchUser, p.UserID)
	}
	if err != nil {
		return nil, fmt.Errorf("auth: start refresh family for user %d: %w", p.UserID, err)
	}
	return f, nil
}

// RotateRefreshToken accepts the refresh token of generation gen of family
// id, moves the family to generation gen+1 expiring at expires, and returns
// the family's user as it is now with the rotated family.
//
// A family that is missing, expired or whose user is gone is
// ErrRefreshFamilyGone. A gen that is not the family's current one means
// an old token was replayed: the family is deleted, ending every token of
// that login, and the error is ErrRefreshTokenReused, returned with the
// revoked family so that the caller can say whose it was.
func (s *Service) RotateRefreshToken(ctx context.Context, id string, gen int64, now, expires time.Time) (Principal, *meta.RefreshFamily, error) {
	var (
		p       Principal
		f       *meta.RefreshFamily
		outcome error // a refusal that must still commit the revocation
	)
	err := s.store.Update(ctx, func(tx meta.Tx) error {
		p, f, outcome = Principal{}, nil, nil // Update may run fn again
		var err error
		f, err = tx.GetRefreshFamily(id)
		if errors.Is(err, meta.ErrNotFound) {
			outcome = ErrRefreshFamilyGone
			return nil
		}
		if err != nil {
			return err
		}
		switch {
		case !now.Before(f.ExpiresAt):
			outcome = ErrRefreshFamilyGone
		case f.Generation != gen:
			outcome = fmt.Errorf("%w: generation %d presented, %d current", ErrRefreshTokenReused, gen, f.Generation)
		}
		if outcome != nil {
			return tx.DeleteRefreshFamily(id)
		}
		u, err := getUser(tx, f.UserID)
		if errors.Is(err, ErrNoSuchUser) {
			outcome = ErrRefreshFamilyGone
			return tx.DeleteRefreshFamily(id)
		}
		if err != nil {
			return err
		}
		if err := tx.RotateRefreshFamily(id, gen, expires); err != nil {
			return err
		}
		f.Generation, f.ExpiresAt = gen+1, expires.UTC()
		p = principalOf(u)
		return nil
	})
	if err != nil {
		return Principal{}, nil, fmt.Errorf("auth: rotate refresh token: %w", err)
	}
	if errors.Is(outcome, ErrRefreshTokenReused) {
		return Principal{}, f, outcome
	}
	if outcome != nil {
		return Principal{}, nil, outcome
	}
	return p, f, nil
}

// EndLogin deletes refresh family id (a logout): its refresh tokens stop
// working on every node. A family already gone is no error.
func (s *Service) EndLogin(ctx context.Context, id string) error {
	err := s.store.Update(ctx, func(tx meta.Tx) error { return tx.DeleteRefreshFamily(id) })
	if err != nil && !errors.Is(err, meta.ErrNotFound) {
		return fmt.Errorf("auth: end login: %w", err)
	}
	return nil
}

func newFamilyID() (string, error) {
	b := make([]byte, familyIDBytes)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("auth: random family id: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

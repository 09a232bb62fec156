package meta

import "time"

// RefreshFamily is the server's record of one login's refresh tokens. Each
// refresh token names its family and a generation; only the family's
// current generation is accepted, and using it moves the family to the next
// one (rotation). Presenting an older generation means the token was copied
// and the family is deleted, which ends every refresh token of that login.
type RefreshFamily struct {
	// ID is random and unguessable; tokens carry it signed.
	ID       string
	UserID   int64
	ClientID string
	// Generation is the generation of the one refresh token that is
	// valid now; the first token of a login is generation 1.
	Generation int64
	CreatedAt  time.Time
	// ExpiresAt is when the current refresh token expires.
	ExpiresAt time.Time
}

// RefreshTx reads and writes refresh token families.
type RefreshTx interface {
	// CreateRefreshFamily inserts f; ErrExists if its id is taken,
	// ErrNotFound if its user does not exist.
	CreateRefreshFamily(f *RefreshFamily) error
	// GetRefreshFamily returns ErrNotFound when no family has the id.
	GetRefreshFamily(id string) (*RefreshFamily, error)
	// RotateRefreshFamily moves family id from generation from to from+1,
	// expiring at expires. It returns ErrNotFound unless the family exists
	// at generation from, so of two refreshes racing with one token only
	// one moves the family on.
	RotateRefreshFamily(id string, from int64, expires time.Time) error
	// DeleteRefreshFamily removes a family; ErrNotFound when absent.
	DeleteRefreshFamily(id string) error
	// DeleteExpiredRefreshFamilies removes up to limit families (a limit
	// of zero or less: all of them) whose ExpiresAt is at or before now,
	// and returns how many it removed.
	DeleteExpiredRefreshFamilies(now time.Time, limit int) (int, error)
}

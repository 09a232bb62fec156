package mapiclient

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// ErrNoSession is what a TokenStore's Load returns when nothing was saved.
var ErrNoSession = errors.New("no saved session")

// Session is what a login leaves behind: the tokens, their expiries and the
// CSRF token, for one user on one endpoint.
type Session struct {
	Endpoint           string    `json:"endpoint"`
	Username           string    `json:"username"`
	AccessToken        string    `json:"accessToken"`
	AccessTokenExpiry  time.Time `json:"accessTokenExpiry"`
	RefreshToken       string    `json:"refreshToken,omitempty"`
	RefreshTokenExpiry time.Time `json:"refreshTokenExpiry,omitzero"`
	// IssuedAt is when the access token was obtained; with its expiry it
	// gives the token's lifetime, which sets how early to refresh.
	IssuedAt time.Time `json:"issuedAt"`
	// CSRFToken is the XSRF-TOKEN cookie value; SessionCookie the
	// vertx-web.session cookie that came with it.
	CSRFToken     string `json:"csrfToken,omitempty"`
	SessionCookie string `json:"sessionCookie,omitempty"`
	// InsecureSkipVerify records that the login accepted any TLS
	// certificate, so later runs on this session do the same.
	InsecureSkipVerify bool `json:"insecureSkipVerify,omitempty"`
}

// TokenStore keeps a session between runs of a program.
type TokenStore interface {
	// Load returns the saved session, or ErrNoSession when there is none.
	Load() (*Session, error)
	// Save replaces the saved session.
	Save(s *Session) error
}

// LockingStore is a TokenStore that several processes may share. The
// server rotates the refresh token on every refresh and takes a second use
// of the old one for a theft, revoking the session; so a refresh and the
// save of its answer must happen as one step among all the processes that
// use the session. Lock holds off every other holder until unlock is called.
type LockingStore interface {
	TokenStore
	Lock(ctx context.Context) (unlock func(), err error)
}

// FileStore is a TokenStore in one JSON file that only its owner can read
// (mode 0600 in a 0700 directory): it holds bearer tokens. It is a
// LockingStore: its lock is an flock on the file's name plus ".lock".
type FileStore struct {
	Path string
}

// Lock takes the session's lock file, waiting for other processes (or
// other FileStores of the same path) to release it, until ctx ends.
func (f *FileStore) Lock(ctx context.Context) (unlock func(), err error) {
	return lockFile(ctx, f.Path+".lock")
}

// DefaultSessionPath is $XDG_CONFIG_HOME/quarry/session.json, or
// ~/.config/quarry/session.json when XDG_CONFIG_HOME is unset.
func DefaultSessionPath() (string, error) {
	if dir := os.Getenv("XDG_CONFIG_HOME"); dir != "" {
		return filepath.Join(dir, "quarry", "session.json"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("find the session file: %w", err)
	}
	return filepath.Join(home, ".config", "quarry", "session.json"), nil
}

// Load reads the session file.
func (f *FileStore) Load() (*Session, error) {
	b, err := os.ReadFile(f.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrNoSession
	}
	if err != nil {
		return nil, fmt.Errorf("read session %s: %w", f.Path, err)
	}
	var s Session
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("the session file %s is damaged (%v): log in again to replace it", f.Path, err)
	}
	return &s, nil
}

// Save writes the session to a temporary file in the same directory and
// renames it over the old one, so a crash never leaves half a session.
func (f *FileStore) Save(s *Session) error {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return fmt.Errorf("encode session: %w", err)
	}
	dir := filepath.Dir(f.Path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("save session: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".session-*.json") // created 0600
	if err != nil {
		return fmt.Errorf("save session: %w", err)
	}
	defer os.Remove(tmp.Name()) // no-op once renamed
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("save session %s: %w", tmp.Name(), err)
	}
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("save session %s: %w", tmp.Name(), err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("save session %s: %w", tmp.Name(), err)
	}
	if err := os.Rename(tmp.Name(), f.Path); err != nil {
		return fmt.Errorf("save session: %w", err)
	}
	return nil
}

// memoryStore keeps the session of a client that has no TokenStore.
type memoryStore struct{ s *Session }

func (m *memoryStore) Load() (*Session, error) {
	if m.s == nil {
		return nil, ErrNoSession
	}
	c := *m.s
	return &c, nil
}

func (m *memoryStore) Save(s *Session) error {
	c := *s
	m.s = &c
	return nil
}

package sse

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/quarrylabs/quarry/internal/meta"
)

// Mode is the server-wide encryption mode.
type Mode string

// Modes. The zero value is ModeNone.
const (
	// ModeNone encrypts what asks to be: a request with
	// x-amz-server-side-encryption, or a bucket with default encryption.
	ModeNone Mode = "NONE"
	// ModeInternal encrypts every new object and part with the server's
	// keys, whatever the request or bucket says.
	ModeInternal Mode = "INTERNAL"
)

// Event codes of the rekey record.
const (
	EventModeChanged = "MODE_CHANGED"
	EventKeyRotated  = "KEY_ROTATED"
)

// modeSetting holds the mode; absent is ModeNone.
const modeSetting = "sse.mode"

// eventsShown is how many events Info returns, newest first.
const eventsShown = 100

// ErrInvalidMode is returned for a mode that is not one of the Modes.
var ErrInvalidMode = errors.New("sse: invalid encryption mode")

// ParseMode accepts a mode's name in any case.
func ParseMode(s string) (Mode, error) {
	switch m := Mode(strings.ToUpper(strings.TrimSpace(s))); m {
	case ModeNone, ModeInternal:
		return m, nil
	}
	return "", fmt.Errorf("%q (want %s or %s): %w", s, ModeNone, ModeInternal, ErrInvalidMode)
}

// ReadMode returns the mode stored in tx.
func ReadMode(tx meta.SettingTx) (Mode, error) {
	v, err := tx.GetSetting(modeSetting)
	if errors.Is(err, meta.ErrNotFound) || (err == nil && v == "") {
		return ModeNone, nil
	}
	if err != nil {
		return "", fmt.Errorf("sse: read mode: %w", err)
	}
	return Mode(v), nil
}

// Info is the encryption mode and the latest rekey events, newest first.
type Info struct {
	Mode   Mode
	Events []meta.SSEEvent
}

// Service reads and changes the server-wide encryption mode and rotates the
// key-encryption key, recording each change as a rekey event.
type Service struct {
	meta meta.Store
	keys *Keyring
	now  func() time.Time
	// rotating keeps this node to one rotation at a time; rotations on
	// several nodes are safe too, just wasteful (see RotateKey).
	rotating sync.Mutex
}

// NewService returns a Service over the store and keyring.
func NewService(store meta.Store, keys *Keyring) *Service {
	return &Service{meta: store, keys: keys, now: time.Now}
}

// Keys returns the keyring.
func (s *Service) Keys() *Keyring { return s.keys }

// Info returns the mode and the latest events.
func (s *Service) Info(ctx context.Context) (*Info, error) {
	var info *Info
	err := s.meta.View(ctx, func(tx meta.Tx) error {
		var err error
		info, err = readInfo(tx)
		return err
	})
	return info, err
}

func readInfo(tx meta.Tx) (*Info, error) {
	mode, err := ReadMode(tx)
	if err != nil {
		return nil, err
	}
	events, err := tx.ListSSEEvents(eventsShown)
	if err != nil {
		return nil, fmt.Errorf("sse: list events: %w", err)
	}
	return &Info{Mode: mode, Events: events}, nil
}

// SetMode sets the mode; a change is recorded as an event of user's. It
// affects new writes only: what is stored stays as it was written.
func (s *Service) SetMode(ctx context.Context, user string, mode Mode) (*Info, error) {
	if _, err := ParseMode(string(mode)); err != nil {
		return nil, err
	}
	var info *Info
	err := s.meta.Update(ctx, func(tx meta.Tx) error {
		old, err := ReadMode(tx)
		if err != nil {
			return err
		}
		if old != mode {
			if err := tx.PutSetting(modeSetting, string(mode)); err != nil {
				return fmt.Errorf("sse: set mode: %w", err)
			}
			msg := fmt.Sprintf("encryption mode changed from %s to %s", old, mode)
			if err := s.record(tx, user, EventModeChanged, msg); err != nil {
				return err
			}
		}
		info, err = readInfo(tx)
		return err
	})
	return info, err
}

func (s *Service) record(tx meta.SSETx, user, code, message string) error {
	e := meta.SSEEvent{User: user, Time: s.now().UTC(), Code: code, Message: message}
	if err := tx.AddSSEEvent(&e); err != nil {
		return fmt.Errorf("sse: record %s: %w", code, err)
	}
	return nil
}

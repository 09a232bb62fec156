package mapi

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/quarrylabs/quarry/internal/auth"
	"github.com/quarrylabs/quarry/internal/meta"
)

// Settings the MAPI keeps in the metadata store.
const (
	settingTokenKey = "mapi.token_key"
	settingCSRFKey  = "mapi.csrf_key"
	settingSerial   = "mapi.serial_number"
)

// keySize is the length of each HMAC key: as long as an HMAC-SHA256 output.
const keySize = 32

// Keys are the HMAC keys that sign bearer tokens and XSRF tokens. Every
// node loads the same keys from the shared metadata store, so any node
// verifies any token without a database round trip.
type Keys struct {
	Token []byte
	CSRF  []byte
}

// LoadKeys returns the MAPI keys, creating random ones the first time. They
// are kept sealed with sealer in the settings, so a copy of the database
// alone cannot mint tokens.
func LoadKeys(ctx context.Context, store meta.Store, sealer *auth.Sealer) (Keys, error) {
	var k Keys
	err := store.Update(ctx, func(tx meta.Tx) error {
		var err error
		if k.Token, err = sealedKey(tx, sealer, settingTokenKey); err != nil {
			return err
		}
		k.CSRF, err = sealedKey(tx, sealer, settingCSRFKey)
		return err
	})
	if err != nil {
		return Keys{}, fmt.Errorf("load mapi keys: %w", err)
	}
	return k, nil
}

// sealedKey opens the key kept in setting name, or makes, seals and stores
// a new one when the setting is absent.
func sealedKey(tx meta.Tx, sealer *auth.Sealer, name string) ([]byte, error) {
	stored, err := tx.GetSetting(name)
	if err == nil {
		sealed, err := base64.StdEncoding.DecodeString(stored)
		if err != nil {
			return nil, fmt.Errorf("setting %s: %w", name, err)
		}
		key, err := sealer.Open(sealed)
		if err != nil {
			return nil, fmt.Errorf("setting %s: %w", name, err)
		}
		return key, nil
	}
	if !errors.Is(err, meta.ErrNotFound) {
		return nil, fmt.Errorf("read setting %s: %w", name, err)
	}
	key := make([]byte, keySize)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("new %s: %w", name, err)
	}
	sealed, err := sealer.Seal(key)
	if err != nil {
		return nil, fmt.Errorf("seal %s: %w", name, err)
	}
	if err := tx.PutSetting(name, base64.StdEncoding.EncodeToString(sealed)); err != nil {
		return nil, fmt.Errorf("store setting %s: %w", name, err)
	}
	return key, nil
}

// LoadSerial returns the installation's serial number ("QRY-" and 16
// upper-case hex digits), made once and kept in the settings so that it
// stays the same across restarts and nodes.
func LoadSerial(ctx context.Context, store meta.Store) (string, error) {
	var serial string
	err := store.Update(ctx, func(tx meta.Tx) error {
		var err error
		serial, err = tx.GetSetting(settingSerial)
		if err == nil || !errors.Is(err, meta.ErrNotFound) {
			return err
		}
		var b [8]byte
		if _, err := rand.Read(b[:]); err != nil {
			return err
		}
		serial = "QRY-" + strings.ToUpper(hex.EncodeToString(b[:]))
		return tx.PutSetting(settingSerial, serial)
	})
	if err != nil {
		return "", fmt.Errorf("load serial number: %w", err)
	}
	return serial, nil
}

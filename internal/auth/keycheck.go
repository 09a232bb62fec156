package auth

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"

	"github.com/quarrylabs/quarry/internal/meta"
)

// settingKeyCheck holds a value sealed by the key file the metadata was
// first written with: a node started with another key file finds it will
// not open, and says so, instead of failing later on every secret.
const settingKeyCheck = "auth.key_check"

// ErrWrongKey is CheckKey's error when the key file is not the one the
// metadata store's secrets are sealed with.
var ErrWrongKey = errors.New("the key file does not open the secrets in the metadata store: every node sharing a metadata store must use the same key file (--key-file)")

// CheckKey verifies that sealer's key is the one the store's secrets are
// sealed with, recording a check value on first use. It matters once
// several nodes share one store (PostgreSQL), each with its own data
// directory: their key files must be copies of one.
func CheckKey(ctx context.Context, store meta.Store, sealer *Sealer) error {
	return store.Update(ctx, func(tx meta.Tx) error {
		stored, err := tx.GetSetting(settingKeyCheck)
		if errors.Is(err, meta.ErrNotFound) {
			nonce := make([]byte, 16)
			if _, err := rand.Read(nonce); err != nil {
				return err
			}
			sealed, err := sealer.Seal(nonce)
			if err != nil {
				return fmt.Errorf("seal key check: %w", err)
			}
			return tx.PutSetting(settingKeyCheck, base64.StdEncoding.EncodeToString(sealed))
		}
		if err != nil {
			return fmt.Errorf("read key check: %w", err)
		}
		sealed, err := base64.StdEncoding.DecodeString(stored)
		if err != nil {
			return fmt.Errorf("key check: %w", err)
		}
		if _, err := sealer.Open(sealed); err != nil {
			return ErrWrongKey
		}
		return nil
	})
}

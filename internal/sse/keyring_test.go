package sse

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/quarrylabs/quarry/internal/auth"
	"github.com/quarrylabs/quarry/internal/meta"
	"github.com/quarrylabs/quarry/internal/meta/sqlite"
)

func testStore(t *testing.T) meta.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "meta.db"))
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func testSealer(t *testing.T, b byte) *auth.Sealer {
	t.Helper()
	s, err := auth.NewSealer(bytes.Repeat([]byte{b}, auth.KeySize))
	if err != nil {
		t.Fatalf("NewSealer: %v", err)
	}
	return s
}

func testKeyring(t *testing.T, store meta.Store) *Keyring {
	t.Helper()
	r := NewKeyring(store, testSealer(t, 7))
	if err := r.EnsureKey(context.Background()); err != nil {
		t.Fatalf("EnsureKey: %v", err)
	}
	return r
}

// wrap wraps dk in a transaction of its own.
func wrap(t *testing.T, store meta.Store, r *Keyring, dk *DataKey) []byte {
	t.Helper()
	var out []byte
	err := store.Update(context.Background(), func(tx meta.Tx) error {
		var err error
		out, err = r.Wrap(tx, dk)
		return err
	})
	if err != nil {
		t.Fatalf("wrap: %v", err)
	}
	return out
}

func TestAWrappedDataKeyUnwrapsToTheSameKey(t *testing.T) {
	store := testStore(t)
	r := testKeyring(t, store)
	dk := newKey(t)
	wrapped := wrap(t, store, r, dk)
	if bytes.Contains(wrapped, dk.raw[:KeySize]) {
		t.Fatal("the wrapped key holds the data key in clear")
	}
	// A keyring that has not cached the key-encryption key reads it.
	fresh := NewKeyring(store, testSealer(t, 7))
	got, err := fresh.Unwrap(context.Background(), wrapped)
	if err != nil {
		t.Fatalf("unwrap: %v", err)
	}
	if got.raw != dk.raw {
		t.Fatal("unwrapped a different key")
	}
}

func TestEnsureKeyCreatesOneKeyOnce(t *testing.T) {
	store := testStore(t)
	r := testKeyring(t, store)
	if err := r.EnsureKey(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := len(listKeys(t, store)); n != 1 {
		t.Fatalf("%d keys after two EnsureKey calls, want 1", n)
	}
}

func listKeys(t *testing.T, store meta.Store) []meta.SSEKey {
	t.Helper()
	var keys []meta.SSEKey
	err := store.View(context.Background(), func(tx meta.Tx) error {
		var err error
		keys, err = tx.SSEKeys()
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

func TestBadWrappedKeysAreRefused(t *testing.T) {
	store := testStore(t)
	r := testKeyring(t, store)
	wrapped := wrap(t, store, r, newKey(t))
	flipped := func(i int) []byte { b := bytes.Clone(wrapped); b[i] ^= 1; return b }
	unknown := bytes.Clone(wrapped)
	unknown[4] = 99 // key-encryption key 99 does not exist
	for _, tc := range []struct {
		name    string
		wrapped []byte
		want    error
	}{
		{"a flipped bit in the sealed key", flipped(len(wrapped) - 1), ErrCorrupt},
		{"a flipped bit in the nonce", flipped(wrapHeader + 1), ErrCorrupt},
		{"another format", flipped(0), ErrCorrupt},
		{"a short value", wrapped[:20], ErrCorrupt},
		{"nothing", nil, ErrCorrupt},
		{"an unknown key-encryption key", unknown, ErrNoKey},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := r.Unwrap(context.Background(), tc.wrapped)
			if !errors.Is(err, tc.want) {
				t.Fatalf("unwrap: %v, want %v", err, tc.want)
			}
		})
	}
	t.Run("another server key cannot open the key-encryption key", func(t *testing.T) {
		other := NewKeyring(store, testSealer(t, 8))
		_, err := other.Unwrap(context.Background(), wrapped)
		if err == nil || !strings.Contains(err.Error(), "key file") {
			t.Fatalf("unwrap with another key file: %v", err)
		}
	})
}

func TestWrapFailsWithoutAKey(t *testing.T) {
	store := testStore(t)
	r := NewKeyring(store, testSealer(t, 7))
	err := store.Update(context.Background(), func(tx meta.Tx) error {
		_, err := r.Wrap(tx, newKey(t))
		return err
	})
	if err == nil {
		t.Fatal("wrapped without a key-encryption key")
	}
}

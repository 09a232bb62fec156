package sse

import (
	"context"
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/quarrylabs/quarry/internal/auth"
	"github.com/quarrylabs/quarry/internal/meta"
)

// A wrapped data key is
//
//	format (1 byte, 1) || key-encryption key id (4 bytes, big-endian) ||
//	GCM nonce (12) || sealed key and base nonce (44 + 16)
//
// The format byte names the stream format the blob is stored in; it and
// the id are the sealing's additional data, so neither can be changed.
const (
	formatV1     = 1
	wrapHeader   = 1 + 4
	wrappedSize  = wrapHeader + NonceSize + KeySize + NonceSize + TagSize
	maxKEKNumber = 1<<32 - 1
)

// ErrNoKey is returned when a wrapped data key names a key-encryption key
// the store does not have (any more).
var ErrNoKey = errors.New("sse: the key-encryption key of this data is gone")

// Keyring wraps and unwraps data keys with the key-encryption keys kept in
// the metadata store, each sealed by the server's key file. The newest key
// is current; older ones stay until a rotation has rewrapped every data key
// they wrapped. Opened keys are cached by id (ids are never reused). It is
// safe for concurrent use.
type Keyring struct {
	meta   meta.Store
	sealer *auth.Sealer
	now    func() time.Time

	mu   sync.Mutex
	keks map[int64]cipher.AEAD
}

// NewKeyring returns a Keyring over the store's keys, opened with sealer.
func NewKeyring(store meta.Store, sealer *auth.Sealer) *Keyring {
	return &Keyring{meta: store, sealer: sealer, now: time.Now, keks: make(map[int64]cipher.AEAD)}
}

// EnsureKey creates the first key-encryption key when the store has none.
// The server calls it at start; Wrap fails until there is a key.
func (r *Keyring) EnsureKey(ctx context.Context) error {
	return r.meta.Update(ctx, func(tx meta.Tx) error {
		keys, err := tx.SSEKeys()
		if err != nil {
			return fmt.Errorf("sse: list keys: %w", err)
		}
		if len(keys) > 0 {
			return nil
		}
		_, err = r.addKey(tx)
		return err
	})
}

// addKey inserts a new random key-encryption key in tx, which makes it
// current once tx commits. It is not cached: tx may yet roll back.
func (r *Keyring) addKey(tx meta.SSETx) (int64, error) {
	raw := make([]byte, KeySize)
	if _, err := rand.Read(raw); err != nil {
		return 0, fmt.Errorf("sse: new key-encryption key: %w", err)
	}
	sealed, err := r.sealer.Seal(raw)
	if err != nil {
		return 0, fmt.Errorf("sse: seal key-encryption key: %w", err)
	}
	k := meta.SSEKey{Sealed: sealed, CreatedAt: r.now().UTC()}
	if err := tx.AddSSEKey(&k); err != nil {
		return 0, fmt.Errorf("sse: add key-encryption key: %w", err)
	}
	if k.ID <= 0 || k.ID > maxKEKNumber {
		return 0, fmt.Errorf("sse: key-encryption key id %d out of range", k.ID)
	}
	return k.ID, nil
}

// Wrap seals dk under the current key-encryption key as tx sees it. Call it
// in the transaction that commits the wrapped key: a rotation then either
// sees the key and rewraps it, or made its new key current first.
func (r *Keyring) Wrap(tx meta.SSETx, dk *DataKey) ([]byte, error) {
	keys, err := tx.SSEKeys()
	if err != nil {
		return nil, fmt.Errorf("sse: list keys: %w", err)
	}
	if len(keys) == 0 {
		return nil, errors.New("sse: no key-encryption key (the server creates one at start)")
	}
	cur := keys[len(keys)-1]
	kek, err := r.open(cur)
	if err != nil {
		return nil, err
	}
	return wrapWith(kek, cur.ID, dk)
}

func wrapWith(kek cipher.AEAD, id int64, dk *DataKey) ([]byte, error) {
	out := make([]byte, wrapHeader+NonceSize, wrappedSize)
	out[0] = formatV1
	binary.BigEndian.PutUint32(out[1:wrapHeader], uint32(id))
	if _, err := rand.Read(out[wrapHeader:]); err != nil {
		return nil, fmt.Errorf("sse: wrap: nonce: %w", err)
	}
	return kek.Seal(out, out[wrapHeader:], dk.raw[:], out[:wrapHeader]), nil
}

// WrappingKeyID returns the id of the key-encryption key that wrapped a
// data key.
func WrappingKeyID(wrapped []byte) (int64, error) {
	if len(wrapped) != wrappedSize || wrapped[0] != formatV1 {
		return 0, fmt.Errorf("sse: wrapped key of %d bytes, format %v: %w", len(wrapped), firstByte(wrapped), ErrCorrupt)
	}
	return int64(binary.BigEndian.Uint32(wrapped[1:wrapHeader])), nil
}

func firstByte(b []byte) any {
	if len(b) == 0 {
		return "none"
	}
	return b[0]
}

// Unwrap opens a wrapped data key. A key-encryption key not cached yet is
// read from the store.
func (r *Keyring) Unwrap(ctx context.Context, wrapped []byte) (*DataKey, error) {
	id, err := WrappingKeyID(wrapped)
	if err != nil {
		return nil, err
	}
	kek, err := r.byID(ctx, id)
	if err != nil {
		return nil, err
	}
	return unwrapWith(kek, wrapped)
}

func unwrapWith(kek cipher.AEAD, wrapped []byte) (*DataKey, error) {
	raw, err := kek.Open(nil, wrapped[wrapHeader:wrapHeader+NonceSize], wrapped[wrapHeader+NonceSize:], wrapped[:wrapHeader])
	if err != nil {
		return nil, fmt.Errorf("sse: unwrap data key: %w", ErrCorrupt)
	}
	return dataKeyFrom(raw)
}

// byID returns the opened key-encryption key id, from the cache or the
// store.
func (r *Keyring) byID(ctx context.Context, id int64) (cipher.AEAD, error) {
	r.mu.Lock()
	kek := r.keks[id]
	r.mu.Unlock()
	if kek != nil {
		return kek, nil
	}
	var found *meta.SSEKey
	err := r.meta.View(ctx, func(tx meta.Tx) error {
		keys, err := tx.SSEKeys()
		if err != nil {
			return err
		}
		for i := range keys {
			if keys[i].ID == id {
				found = &keys[i]
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("sse: list keys: %w", err)
	}
	if found == nil {
		return nil, fmt.Errorf("sse: key-encryption key %d: %w", id, ErrNoKey)
	}
	return r.open(*found)
}

// open returns the cached opened form of k, opening it with the server's
// key on first use.
func (r *Keyring) open(k meta.SSEKey) (cipher.AEAD, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if kek := r.keks[k.ID]; kek != nil {
		return kek, nil
	}
	raw, err := r.sealer.Open(k.Sealed)
	if err != nil {
		return nil, fmt.Errorf("sse: open key-encryption key %d (is this the server's key file?): %w", k.ID, err)
	}
	kek, err := newGCM(raw)
	if err != nil {
		return nil, err
	}
	r.keks[k.ID] = kek
	return kek, nil
}

// forget drops a deleted key from the cache.
func (r *Keyring) forget(id int64) {
	r.mu.Lock()
	delete(r.keks, id)
	r.mu.Unlock()
}

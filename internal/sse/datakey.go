package sse

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"fmt"
)

// Sizes of a data key's parts.
const (
	// KeySize is an AES-256 key.
	KeySize = 32
	// NonceSize is a GCM nonce, and the base nonce of a stream.
	NonceSize = 12
)

// DataKey encrypts one blob: an AES-256 key and the base nonce its chunks'
// nonces are derived from. It exists in clear in memory only; what is
// stored is the wrapped form Keyring.Wrap makes.
type DataKey struct {
	raw   [KeySize + NonceSize]byte // key || base nonce, what is wrapped
	nonce [NonceSize]byte
	aead  cipher.AEAD
}

// NewDataKey returns a new random data key.
func NewDataKey() (*DataKey, error) {
	var raw [KeySize + NonceSize]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return nil, fmt.Errorf("sse: new data key: %w", err)
	}
	return dataKeyFrom(raw[:])
}

// dataKeyFrom rebuilds a data key from its raw form (key || base nonce).
func dataKeyFrom(raw []byte) (*DataKey, error) {
	if len(raw) != KeySize+NonceSize {
		return nil, fmt.Errorf("sse: data key of %d bytes: %w", len(raw), ErrCorrupt)
	}
	aead, err := newGCM(raw[:KeySize])
	if err != nil {
		return nil, err
	}
	k := &DataKey{aead: aead}
	copy(k.raw[:], raw)
	copy(k.nonce[:], raw[KeySize:])
	return k, nil
}

func newGCM(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("sse: key: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("sse: key: %w", err)
	}
	return aead, nil
}

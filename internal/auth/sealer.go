package auth

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// KeySize is the length of a sealing key: AES-256.
const KeySize = 32

// ErrSealedCorrupt is returned by Open when sealed data is too short or fails
// authentication (wrong key or tampering).
var ErrSealedCorrupt = errors.New("auth: sealed data is corrupt or sealed with another key")

// Sealer encrypts small secrets at rest (S3 secret keys, which SigV4 needs
// in clear) with AES-256-GCM. A sealed value is nonce || ciphertext || tag.
// It is safe for concurrent use.
type Sealer struct {
	aead cipher.AEAD
}

// NewSealer returns a Sealer for a 32-byte key.
func NewSealer(key []byte) (*Sealer, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("auth: sealing key is %d bytes, want %d", len(key), KeySize)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("auth: sealing key: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("auth: sealing key: %w", err)
	}
	return &Sealer{aead: aead}, nil
}

// Seal encrypts plain under a fresh random nonce.
func (s *Sealer) Seal(plain []byte) ([]byte, error) {
	ns := s.aead.NonceSize()
	out := make([]byte, ns, ns+len(plain)+s.aead.Overhead())
	if _, err := rand.Read(out); err != nil {
		return nil, fmt.Errorf("auth: seal: nonce: %w", err)
	}
	return s.aead.Seal(out, out, plain, nil), nil
}

// Open decrypts a value produced by Seal; ErrSealedCorrupt when it cannot.
func (s *Sealer) Open(sealed []byte) ([]byte, error) {
	ns := s.aead.NonceSize()
	if len(sealed) < ns+s.aead.Overhead() {
		return nil, ErrSealedCorrupt
	}
	plain, err := s.aead.Open(nil, sealed[:ns], sealed[ns:], nil)
	if err != nil {
		return nil, ErrSealedCorrupt
	}
	return plain, nil
}

// LoadOrCreateKey returns the sealing key stored hex-encoded in path,
// creating the file (mode 0600) with a new random key when it is absent.
// The new file appears atomically and is never replaced, so processes racing
// to create it all end up with the same key.
func LoadOrCreateKey(path string) ([]byte, error) {
	key, err := readKeyFile(path)
	if !errors.Is(err, fs.ErrNotExist) {
		return key, err
	}
	key = make([]byte, KeySize)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("auth: generate key: %w", err)
	}
	created, err := createFileOnce(path, []byte(hex.EncodeToString(key)+"\n"))
	if err != nil {
		return nil, fmt.Errorf("auth: create key file %s: %w", path, err)
	}
	if !created {
		return readKeyFile(path) // another process won the race
	}
	return key, nil
}

func readKeyFile(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("auth: read key file %s: %w", path, err)
	}
	key, err := hex.DecodeString(strings.TrimSpace(string(b)))
	if err != nil || len(key) != KeySize {
		return nil, fmt.Errorf("auth: key file %s: want %d hex digits", path, 2*KeySize)
	}
	return key, nil
}

// createFileOnce writes data to a temp file beside path, fsyncs it and
// links it into place. It reports false when path already existed; a
// hard link, unlike rename, never replaces an existing file.
func createFileOnce(path string, data []byte) (created bool, err error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return false, err
	}
	f, err := os.CreateTemp(dir, filepath.Base(path)+".tmp-*") // mode 0600
	if err != nil {
		return false, err
	}
	tmp := f.Name()
	defer os.Remove(tmp) // after the link, removes only the temp name
	if _, err := f.Write(data); err != nil {
		_ = f.Close()
		return false, err
	}
	if err := f.Sync(); err != nil {
		_ = f.Close()
		return false, err
	}
	if err := f.Close(); err != nil {
		return false, err
	}
	if err := os.Link(tmp, path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return false, nil
		}
		// Some filesystems have no hard links: fall back to rename,
		// which is atomic but could replace a file created meanwhile.
		if _, serr := os.Lstat(path); serr == nil {
			return false, nil
		}
		if err := os.Rename(tmp, path); err != nil {
			return false, err
		}
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync() // make the new entry durable; best effort
		_ = d.Close()
	}
	return true, nil
}

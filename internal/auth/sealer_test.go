package auth

import (
	"bytes"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func testSealer(t *testing.T) *Sealer {
	t.Helper()
	s, err := NewSealer(bytes.Repeat([]byte{7}, KeySize))
	if err != nil {
		t.Fatalf("NewSealer: %v", err)
	}
	return s
}

func TestSealedValuesOpenToTheOriginal(t *testing.T) {
	s := testSealer(t)
	plain := []byte("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
	a, err := s.Seal(plain)
	if err != nil {
		t.Fatalf("Seal: %v", err)
	}
	b, _ := s.Seal(plain)
	if bytes.Equal(a, b) {
		t.Error("sealing twice gave the same bytes; the nonce is not random")
	}
	if bytes.Contains(a, plain) {
		t.Error("the sealed value contains the plain text")
	}
	got, err := s.Open(a)
	if err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("Open = %q, %v; want the original", got, err)
	}
}

func TestOpenRejectsWhatItCannotAuthenticate(t *testing.T) {
	s := testSealer(t)
	other, _ := NewSealer(bytes.Repeat([]byte{8}, KeySize))
	sealed, _ := s.Seal([]byte("secret"))
	tampered := bytes.Clone(sealed)
	tampered[len(tampered)-1] ^= 1
	otherKey, _ := other.Seal([]byte("secret"))
	tests := []struct {
		name   string
		sealed []byte
	}{
		{"a tampered value", tampered},
		{"a value sealed with another key", otherKey},
		{"a value shorter than a nonce", sealed[:5]},
		{"an empty value", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := s.Open(tc.sealed); !errors.Is(err, ErrSealedCorrupt) {
				t.Fatalf("Open: err = %v, want ErrSealedCorrupt", err)
			}
		})
	}
}

func TestNewSealerWantsA32ByteKey(t *testing.T) {
	for _, n := range []int{0, 16, 31, 33} {
		if _, err := NewSealer(make([]byte, n)); err == nil {
			t.Errorf("NewSealer accepted a %d-byte key", n)
		}
	}
}

func TestLoadOrCreateKeyCreatesAPrivateKeyFileOnceAndRereadsIt(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "seal.key")
	key, err := LoadOrCreateKey(path)
	if err != nil {
		t.Fatalf("LoadOrCreateKey: %v", err)
	}
	if len(key) != KeySize {
		t.Fatalf("key is %d bytes, want %d", len(key), KeySize)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if mode := fi.Mode().Perm(); mode != 0o600 {
		t.Errorf("key file mode = %o, want 600", mode)
	}
	content, _ := os.ReadFile(path)
	if got := strings.TrimSpace(string(content)); got != hex.EncodeToString(key) {
		t.Errorf("key file holds %q, want the key in hex", got)
	}
	again, err := LoadOrCreateKey(path)
	if err != nil || !bytes.Equal(again, key) {
		t.Fatalf("second LoadOrCreateKey = %x, %v; want the same key", again, err)
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("key directory holds %d entries, want only the key file", len(entries))
	}
}

func TestLoadOrCreateKeyRacersAllGetTheSameKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "seal.key")
	const n = 8
	keys := make([][]byte, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			k, err := LoadOrCreateKey(path)
			if err != nil {
				t.Errorf("LoadOrCreateKey: %v", err)
			}
			keys[i] = k
		})
	}
	wg.Wait()
	for i := 1; i < n; i++ {
		if !bytes.Equal(keys[i], keys[0]) {
			t.Fatalf("racer %d got key %x, racer 0 got %x", i, keys[i], keys[0])
		}
	}
}

func TestLoadOrCreateKeyRejectsAMalformedFile(t *testing.T) {
	tests := []struct{ name, content string }{
		{"not hex", strings.Repeat("zz", KeySize)},
		{"too short", strings.Repeat("ab", KeySize-1)},
		{"empty", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "seal.key")
			if err := os.WriteFile(path, []byte(tc.content), 0o600); err != nil {
				t.Fatal(err)
			}
			if _, err := LoadOrCreateKey(path); err == nil {
				t.Fatal("LoadOrCreateKey accepted a malformed key file")
			}
			if b, _ := os.ReadFile(path); string(b) != tc.content {
				t.Fatal("LoadOrCreateKey overwrote an existing key file")
			}
		})
	}
}

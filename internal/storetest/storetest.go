// Package storetest gives tests the real embedded stores (SQLite metadata,
// disk blobs) in a temporary directory, and a sealer with a fresh key, so
// that no test package has to wire them by hand.
package storetest

import (
	"context"
	"crypto/rand"
	"path/filepath"
	"testing"

	"github.com/quarrylabs/quarry/internal/auth"
	"github.com/quarrylabs/quarry/internal/blob/disk"
	"github.com/quarrylabs/quarry/internal/meta/sqlite"
)

// Open opens a metadata store and a blob store in a new temporary
// directory; the metadata store is closed when the test ends.
func Open(t testing.TB) (*sqlite.Store, *disk.Store) {
	t.Helper()
	dir := t.TempDir()
	store, err := sqlite.Open(context.Background(), filepath.Join(dir, "meta.db"))
	if err != nil {
		t.Fatalf("open metadata store: %v", err)
	}
	t.Cleanup(func() { store.Close() })
	blobs, err := disk.New(filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatalf("open blob store: %v", err)
	}
	return store, blobs
}

// Sealer returns a sealer with a random key.
func Sealer(t testing.TB) *auth.Sealer {
	t.Helper()
	key := make([]byte, auth.KeySize)
	if _, err := rand.Read(key); err != nil {
		t.Fatal(err)
	}
	s, err := auth.NewSealer(key)
	if err != nil {
		t.Fatalf("new sealer: %v", err)
	}
	return s
}

package auth

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/quarrylabs/quarry/internal/meta/sqlite"
)

func TestCheckKeyRefusesAnotherKeyFile(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "meta.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	first := testSealer(t)
	second, err := NewSealer(bytes.Repeat([]byte{9}, KeySize))
	if err != nil {
		t.Fatal(err)
	}
	for range 2 { // records the check, then finds it
		if err := CheckKey(ctx, st, first); err != nil {
			t.Fatalf("CheckKey with the first key: %v", err)
		}
	}
	if err := CheckKey(ctx, st, second); !errors.Is(err, ErrWrongKey) {
		t.Fatalf("CheckKey with another key: %v, want ErrWrongKey", err)
	}
}

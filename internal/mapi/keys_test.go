package mapi

import (
	"bytes"
	"context"
	"crypto/rand"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/quarrylabs/quarry/internal/auth"
	"github.com/quarrylabs/quarry/internal/meta"
	"github.com/quarrylabs/quarry/internal/meta/sqlite"
)

func TestKeysAndSerialAreMadeOnceAndKeptSealed(t *testing.T) {
	ctx := context.Background()
	store, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "meta.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	sealKey := make([]byte, auth.KeySize)
	_, _ = rand.Read(sealKey)
	sealer, _ := auth.NewSealer(sealKey)

	first, err := LoadKeys(ctx, store, sealer)
	if err != nil {
		t.Fatal(err)
	}
	again, err := LoadKeys(ctx, store, sealer)
	if err != nil {
		t.Fatal(err)
	}
	if len(first.Token) != keySize || !bytes.Equal(first.Token, again.Token) || !bytes.Equal(first.CSRF, again.CSRF) {
		t.Fatal("keys changed between loads")
	}
	if bytes.Equal(first.Token, first.CSRF) {
		t.Fatal("the token and XSRF keys are the same")
	}
	err = store.View(ctx, func(tx meta.Tx) error {
		for _, name := range []string{settingTokenKey, settingCSRFKey} {
			v, err := tx.GetSetting(name)
			if err != nil {
				return err
			}
			if strings.Contains(v, string(first.Token)) || strings.Contains(v, string(first.CSRF)) {
				t.Fatalf("setting %s holds a key in clear", name)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	otherKey := make([]byte, auth.KeySize)
	_, _ = rand.Read(otherKey)
	other, _ := auth.NewSealer(otherKey)
	if _, err := LoadKeys(ctx, store, other); err == nil {
		t.Fatal("keys opened with another sealing key")
	}

	s1, err := LoadSerial(ctx, store)
	if err != nil {
		t.Fatal(err)
	}
	s2, _ := LoadSerial(ctx, store)
	if s1 != s2 || !regexp.MustCompile(`^QRY-[0-9A-F]{16}$`).MatchString(s1) {
		t.Fatalf("serials %q, %q", s1, s2)
	}
}

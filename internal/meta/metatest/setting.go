package metatest

import (
	"testing"

	"github.com/quarrylabs/quarry/internal/meta"
)

func testSettings(t *testing.T, open func(t *testing.T) meta.Store) {
	t.Run("an unset setting is ErrNotFound", func(t *testing.T) {
		s := open(t)
		wantErr(t, "get", s.View(ctx(), func(tx meta.Tx) error { _, err := tx.GetSetting("x"); return err }), meta.ErrNotFound)
	})

	t.Run("a setting reads back and is overwritten", func(t *testing.T) {
		s := open(t)
		update(t, s, func(tx meta.Tx) error { return tx.PutSetting("server.id", "one") })
		assertSetting(t, s, "server.id", "one")
		update(t, s, func(tx meta.Tx) error { return tx.PutSetting("server.id", "") })
		assertSetting(t, s, "server.id", "")
	})
}

func assertSetting(t *testing.T, s meta.Store, name, want string) {
	t.Helper()
	view(t, s, func(tx meta.Tx) error {
		got, err := tx.GetSetting(name)
		wantErr(t, "get setting", err, nil)
		if got != want {
			t.Errorf("setting %s = %q, want %q", name, got, want)
		}
		return nil
	})
}

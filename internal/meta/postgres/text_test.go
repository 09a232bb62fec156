package postgres

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/quarrylabs/quarry/internal/meta"
)

// A lookup by a name no text column can hold (not UTF-8, or with a NUL)
// finds nothing, and the transaction goes on: PostgreSQL would refuse the
// parameter and abort the transaction.
func TestLookupsOfNamesThatCannotBeStoredFindNothing(t *testing.T) {
	s := openTemp(t)
	defer s.Close()
	ctx := context.Background()
	err := s.Update(ctx, func(tx meta.Tx) error {
		if err := tx.CreateBucket(&meta.Bucket{Name: "b", OwnerID: 1}); err != nil {
			return err
		}
		for name, err := range map[string]error{
			"get version":  func() error { _, err := tx.GetVersion("b", "k", "\xff"); return err }(),
			"get latest":   func() error { _, err := tx.GetLatest("b", "k\x00"); return err }(),
			"get upload":   func() error { _, err := tx.GetUpload("\xc3"); return err }(),
			"get user":     func() error { _, err := tx.GetUserByName("a\x00b"); return err }(),
			"get key":      func() error { _, err := tx.GetAccessKey("\xfe"); return err }(),
			"get bucket":   func() error { _, err := tx.GetBucket("\xff"); return err }(),
			"delete":       tx.DeleteVersion("b", "\xff", "v"),
			"set latest":   tx.SetLatest("b", "k", "\xff"),
			"get family":   func() error { _, err := tx.GetRefreshFamily("\xff"); return err }(),
			"get setting":  func() error { _, err := tx.GetSetting("\x00"); return err }(),
			"get cert":     func() error { _, err := tx.GetCertificate("\xff"); return err }(),
			"delete cert":  tx.DeleteCertificate("\xff"),
			"get acl":      func() error { _, err := tx.GetVersionACL("b", "k", "\xff"); return err }(),
			"rotate token": tx.RotateRefreshFamily("\xff", 1, time.Time{}),
		} {
			if !errors.Is(err, meta.ErrNotFound) {
				t.Errorf("%s: %v, want ErrNotFound", name, err)
			}
		}
		if parts, err := tx.ListParts("\xff", 0, 0); err != nil || len(parts) != 0 {
			t.Errorf("list parts of an impossible upload: %v, %v", parts, err)
		}
		if vs, err := tx.ListVersions("b", "", "\xff", 3, 0); err != nil || len(vs) != 0 {
			t.Errorf("list versions after an impossible key: %v, %v", vs, err)
		}
		return tx.PutSetting("after", "still going")
	})
	if err != nil {
		t.Fatalf("the transaction did not go on: %v", err)
	}
}

package metaseed

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/quarrylabs/quarry/internal/meta"
	"github.com/quarrylabs/quarry/internal/meta/sqlite"
)

func TestVersionsSeedsEveryObjectAndExactCounters(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "meta.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	err = st.Update(ctx, func(tx meta.Tx) error {
		u := &meta.User{Username: "owner", Role: meta.RoleAdmin, CreatedAt: time.Now().UTC()}
		if err := tx.CreateUser(u); err != nil {
			return err
		}
		return tx.CreateBucket(&meta.Bucket{Name: "b", OwnerID: u.ID, CreatedAt: time.Now().UTC()})
	})
	if err != nil {
		t.Fatal(err)
	}
	batches := 0
	if err := Versions(ctx, st, "b", "obj/", 2500, 1000, func(string, ...any) { batches++ }); err != nil {
		t.Fatal(err)
	}
	if batches != 3 {
		t.Errorf("%d batches reported, want 3 (1000, 1000, 500)", batches)
	}
	err = st.View(ctx, func(tx meta.Tx) error {
		stored, err := tx.GetUsage("b")
		if err != nil {
			return err
		}
		counted, err := tx.CountUsage("b")
		if err != nil {
			return err
		}
		if stored != counted || counted.Objects != 2500 || counted.Versions != 2500 {
			t.Errorf("stored usage %+v, counted %+v; want both 2500 objects", stored, counted)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := Versions(ctx, st, "missing", "obj/", 1, 1, func(string, ...any) {}); err == nil {
		t.Error("seeding a bucket that does not exist succeeded")
	}
}

package sqlite

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/quarrylabs/quarry/internal/meta"
)

// TestBucketsFromBeforeNumberingAreNumberedInCreationOrder opens a database
// whose schema predates bucket numbers, with buckets in it, and checks that
// the migration numbers them by age, that a new bucket continues the
// count, and that the numbers survive a reopen.
func TestBucketsFromBeforeNumberingAreNumberedInCreationOrder(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "meta.db")
	db := migratedUpTo(t, ctx, path, 6)
	// Created in the order old, middle, young; named so that name order
	// differs from age order.
	for _, b := range []struct {
		name    string
		created int64
	}{{"young", 300}, {"old", 100}, {"middle", 200}} {
		if _, err := db.ExecContext(ctx, `INSERT INTO buckets (name, owner_id, created_at) VALUES (?, 1, ?)`, b.name, b.created); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	want := map[string]int64{"old": 1, "middle": 2, "young": 3, "new": 4}
	for round := range 2 {
		s, err := Open(ctx, path)
		if err != nil {
			t.Fatalf("open (round %d): %v", round, err)
		}
		if round == 0 {
			err := s.Update(ctx, func(tx meta.Tx) error {
				b := meta.Bucket{Name: "new", OwnerID: 1}
				if err := tx.CreateBucket(&b); err != nil {
					return err
				}
				if b.ID != want["new"] {
					t.Errorf("new bucket numbered %d, want %d", b.ID, want["new"])
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		err = s.View(ctx, func(tx meta.Tx) error {
			all, err := tx.ListBuckets(0)
			if err != nil {
				return err
			}
			got := map[string]int64{}
			for _, b := range all {
				got[b.Name] = b.ID
			}
			if len(got) != len(want) {
				t.Errorf("round %d: buckets %v, want %v", round, got, want)
			}
			for name, id := range want {
				if got[name] != id {
					t.Errorf("round %d: bucket %s numbered %d, want %d", round, name, got[name], id)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

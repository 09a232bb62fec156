package metatest

import (
	"testing"

	"github.com/quarrylabs/quarry/internal/meta"
)

func createFamily(t *testing.T, s meta.Store, id string, userID int64, expiresSec int64) meta.RefreshFamily {
	t.Helper()
	f := meta.RefreshFamily{ID: id, UserID: userID, ClientID: "quarry-cli", Generation: 1,
		CreatedAt: at(0), ExpiresAt: at(expiresSec)}
	update(t, s, func(tx meta.Tx) error { c := f; return tx.CreateRefreshFamily(&c) })
	return f
}

func getFamily(s meta.Store, id string) (*meta.RefreshFamily, error) {
	var f *meta.RefreshFamily
	err := s.View(ctx(), func(tx meta.Tx) error {
		var err error
		f, err = tx.GetRefreshFamily(id)
		return err
	})
	return f, err
}

func testRefreshFamilies(t *testing.T, open func(t *testing.T) meta.Store) {
	t.Run("a created family reads back", func(t *testing.T) {
		s := open(t)
		u := createUser(t, s, "alice")
		want := createFamily(t, s, "fam-1", u.ID, 1800)
		got, err := getFamily(s, "fam-1")
		wantErr(t, "get", err, nil)
		if got.ID != want.ID || got.UserID != want.UserID || got.ClientID != want.ClientID ||
			got.Generation != 1 || !sameTime(got.CreatedAt, want.CreatedAt) || !sameTime(got.ExpiresAt, want.ExpiresAt) {
			t.Errorf("family = %+v, want %+v", *got, want)
		}
	})

	t.Run("family ids are unique, need their user, and missing ones are ErrNotFound", func(t *testing.T) {
		s := open(t)
		u := createUser(t, s, "alice")
		createFamily(t, s, "fam-1", u.ID, 1800)
		err := s.Update(ctx(), func(tx meta.Tx) error {
			return tx.CreateRefreshFamily(&meta.RefreshFamily{ID: "fam-1", UserID: u.ID, Generation: 1})
		})
		wantErr(t, "create again", err, meta.ErrExists)
		err = s.Update(ctx(), func(tx meta.Tx) error {
			return tx.CreateRefreshFamily(&meta.RefreshFamily{ID: "fam-2", UserID: u.ID + 1000, Generation: 1})
		})
		wantErr(t, "create for a missing user", err, meta.ErrNotFound)
		_, err = getFamily(s, "fam-2")
		wantErr(t, "get missing", err, meta.ErrNotFound)
		wantErr(t, "delete missing", s.Update(ctx(), func(tx meta.Tx) error { return tx.DeleteRefreshFamily("fam-2") }), meta.ErrNotFound)
		wantErr(t, "rotate missing", s.Update(ctx(), func(tx meta.Tx) error {
			return tx.RotateRefreshFamily("fam-2", 1, at(10))
		}), meta.ErrNotFound)
	})

	t.Run("a rotation moves the generation on once and only from the current one", func(t *testing.T) {
		s := open(t)
		u := createUser(t, s, "alice")
		createFamily(t, s, "fam-1", u.ID, 1800)
		update(t, s, func(tx meta.Tx) error { return tx.RotateRefreshFamily("fam-1", 1, at(3600)) })
		got, err := getFamily(s, "fam-1")
		wantErr(t, "get", err, nil)
		if got.Generation != 2 || !sameTime(got.ExpiresAt, at(3600)) {
			t.Errorf("after a rotation: generation %d expiring %v, want 2 at %v", got.Generation, got.ExpiresAt, at(3600))
		}
		// The same token again: its generation is no longer current.
		err = s.Update(ctx(), func(tx meta.Tx) error { return tx.RotateRefreshFamily("fam-1", 1, at(7200)) })
		wantErr(t, "rotate from an old generation", err, meta.ErrNotFound)
		if got, _ := getFamily(s, "fam-1"); got.Generation != 2 || !sameTime(got.ExpiresAt, at(3600)) {
			t.Errorf("a refused rotation changed the family: %+v", *got)
		}
	})

	t.Run("a deleted family is gone", func(t *testing.T) {
		s := open(t)
		u := createUser(t, s, "alice")
		createFamily(t, s, "fam-1", u.ID, 1800)
		createFamily(t, s, "fam-2", u.ID, 1800)
		update(t, s, func(tx meta.Tx) error { return tx.DeleteRefreshFamily("fam-1") })
		_, err := getFamily(s, "fam-1")
		wantErr(t, "get deleted", err, meta.ErrNotFound)
		_, err = getFamily(s, "fam-2")
		wantErr(t, "get the other", err, nil)
	})

	t.Run("deleting a user deletes its families and only its families", func(t *testing.T) {
		s := open(t)
		a := createUser(t, s, "alice")
		b := createUser(t, s, "bob")
		createFamily(t, s, "fam-a", a.ID, 1800)
		createFamily(t, s, "fam-b", b.ID, 1800)
		update(t, s, func(tx meta.Tx) error { return tx.DeleteUser(a.ID) })
		_, err := getFamily(s, "fam-a")
		wantErr(t, "get the deleted user's family", err, meta.ErrNotFound)
		_, err = getFamily(s, "fam-b")
		wantErr(t, "get the other user's family", err, nil)
	})

	t.Run("expired families are deleted up to a limit, and only those", func(t *testing.T) {
		s := open(t)
		u := createUser(t, s, "alice")
		for _, f := range []struct {
			id  string
			exp int64
		}{{"old-1", 10}, {"old-2", 20}, {"old-3", 30}, {"due", 100}, {"live", 101}} {
			createFamily(t, s, f.id, u.ID, f.exp)
		}
		var n int
		update(t, s, func(tx meta.Tx) error {
			var err error
			n, err = tx.DeleteExpiredRefreshFamilies(at(100), 2)
			return err
		})
		if n != 2 {
			t.Errorf("deleted %d with limit 2, want 2", n)
		}
		update(t, s, func(tx meta.Tx) error {
			var err error
			n, err = tx.DeleteExpiredRefreshFamilies(at(100), 0)
			return err
		})
		if n != 2 {
			t.Errorf("deleted %d without a limit, want the 2 left that expired at or before now", n)
		}
		for _, id := range []string{"old-1", "old-2", "old-3", "due"} {
			_, err := getFamily(s, id)
			wantErr(t, "get expired "+id, err, meta.ErrNotFound)
		}
		_, err := getFamily(s, "live")
		wantErr(t, "get the live family", err, nil)
	})
}

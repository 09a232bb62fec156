package metatest

import (
	"bytes"
	"testing"

	"github.com/quarrylabs/quarry/internal/meta"
)

func createUser(t *testing.T, s meta.Store, name string) meta.User {
	t.Helper()
	u := meta.User{Username: name, PasswordHash: "$2a$10$hash-of-" + name, Role: meta.RoleUser, CreatedAt: at(2)}
	update(t, s, func(tx meta.Tx) error { return tx.CreateUser(&u) })
	if u.ID <= 0 {
		t.Fatalf("CreateUser set ID %d, want > 0", u.ID)
	}
	return u
}

func testUsers(t *testing.T, open func(t *testing.T) meta.Store) {
	t.Run("a created user reads back by id and by name", func(t *testing.T) {
		s := open(t)
		want := createUser(t, s, "alice")
		view(t, s, func(tx meta.Tx) error {
			byID, err := tx.GetUser(want.ID)
			wantErr(t, "get by id", err, nil)
			byName, err := tx.GetUserByName("alice")
			wantErr(t, "get by name", err, nil)
			for _, got := range []*meta.User{byID, byName} {
				if got.ID != want.ID || got.Username != want.Username || got.PasswordHash != want.PasswordHash ||
					got.Role != want.Role || !sameTime(got.CreatedAt, want.CreatedAt) {
					t.Errorf("user = %+v, want %+v", *got, want)
				}
			}
			return nil
		})
	})

	t.Run("usernames are unique and ids distinct", func(t *testing.T) {
		s := open(t)
		a := createUser(t, s, "alice")
		b := createUser(t, s, "bob")
		if a.ID == b.ID {
			t.Errorf("two users share id %d", a.ID)
		}
		err := s.Update(ctx(), func(tx meta.Tx) error { return tx.CreateUser(&meta.User{Username: "alice", Role: meta.RoleAdmin}) })
		wantErr(t, "create again", err, meta.ErrExists)
	})

	t.Run("usernames are one name in any case and keep their spelling", func(t *testing.T) {
		s := open(t)
		a := createUser(t, s, "Alice.Smith")
		for _, name := range []string{"alice.smith", "ALICE.SMITH", "Alice.Smith"} {
			err := s.Update(ctx(), func(tx meta.Tx) error { return tx.CreateUser(&meta.User{Username: name, Role: meta.RoleUser}) })
			wantErr(t, "create "+name, err, meta.ErrExists)
		}
		view(t, s, func(tx meta.Tx) error {
			for _, name := range []string{"alice.smith", "ALICE.SMITH", "aLiCe.SmItH"} {
				got, err := tx.GetUserByName(name)
				wantErr(t, "get "+name, err, nil)
				if got.ID != a.ID || got.Username != "Alice.Smith" {
					t.Errorf("GetUserByName(%q) = %d %q, want %d \"Alice.Smith\"", name, got.ID, got.Username, a.ID)
				}
			}
			all, err := tx.ListUsers(0, 0)
			wantErr(t, "list", err, nil)
			assertNames(t, "users", userNames(all), []string{"Alice.Smith"})
			return nil
		})
	})

	t.Run("missing users are ErrNotFound", func(t *testing.T) {
		s := open(t)
		view(t, s, func(tx meta.Tx) error {
			_, err := tx.GetUser(12345)
			wantErr(t, "get by id", err, meta.ErrNotFound)
			_, err = tx.GetUserByName("nobody")
			wantErr(t, "get by name", err, meta.ErrNotFound)
			return nil
		})
		wantErr(t, "delete", s.Update(ctx(), func(tx meta.Tx) error { return tx.DeleteUser(12345) }), meta.ErrNotFound)
	})

	t.Run("users list by id after a position, up to a limit", func(t *testing.T) {
		s := open(t)
		var ids []int64
		for _, n := range []string{"u1", "u2", "u3", "u4"} {
			ids = append(ids, createUser(t, s, n).ID)
		}
		view(t, s, func(tx meta.Tx) error {
			all, err := tx.ListUsers(0, 0)
			wantErr(t, "list all", err, nil)
			assertNames(t, "all", userNames(all), []string{"u1", "u2", "u3", "u4"})
			page, err := tx.ListUsers(ids[0], 2)
			wantErr(t, "list page", err, nil)
			assertNames(t, "page", userNames(page), []string{"u2", "u3"})
			rest, err := tx.ListUsers(ids[3], 10)
			wantErr(t, "list rest", err, nil)
			assertNames(t, "rest", userNames(rest), nil)
			return nil
		})
	})

	t.Run("a user's role changes and nothing else of it", func(t *testing.T) {
		s := open(t)
		a := createUser(t, s, "alice")
		update(t, s, func(tx meta.Tx) error { return tx.SetUserRole(a.ID, meta.RoleAdmin) })
		view(t, s, func(tx meta.Tx) error {
			got, err := tx.GetUser(a.ID)
			wantErr(t, "get", err, nil)
			if got.Role != meta.RoleAdmin || got.Username != a.Username || got.PasswordHash != a.PasswordHash || !got.CreatedAt.Equal(a.CreatedAt) {
				t.Errorf("after SetUserRole: %+v, want %+v as ADMIN", got, a)
			}
			return nil
		})
		wantErr(t, "set role of a missing user", s.Update(ctx(), func(tx meta.Tx) error { return tx.SetUserRole(12345, meta.RoleUser) }), meta.ErrNotFound)
	})

	t.Run("a deleted user's id is not reused", func(t *testing.T) {
		s := open(t)
		a := createUser(t, s, "alice")
		update(t, s, func(tx meta.Tx) error { return tx.DeleteUser(a.ID) })
		b := createUser(t, s, "bob")
		if b.ID == a.ID {
			t.Errorf("new user got the deleted user's id %d", a.ID)
		}
	})
}

func testAccessKeys(t *testing.T, open func(t *testing.T) meta.Store) {
	t.Run("a created key reads back with its sealed secret", func(t *testing.T) {
		s := open(t)
		u := createUser(t, s, "alice")
		want := meta.AccessKey{AccessKey: "AKIAEXAMPLE", UserID: u.ID, SecretEnc: []byte{0, 1, 2, 0xFF, 0}, CreatedAt: at(4)}
		update(t, s, func(tx meta.Tx) error { k := want; return tx.CreateAccessKey(&k) })
		view(t, s, func(tx meta.Tx) error {
			got, err := tx.GetAccessKey("AKIAEXAMPLE")
			wantErr(t, "get key", err, nil)
			if got.AccessKey != want.AccessKey || got.UserID != want.UserID ||
				!bytes.Equal(got.SecretEnc, want.SecretEnc) || !sameTime(got.CreatedAt, want.CreatedAt) {
				t.Errorf("key = %+v, want %+v", *got, want)
			}
			return nil
		})
	})

	t.Run("keys are unique, need their user, and missing keys are ErrNotFound", func(t *testing.T) {
		s := open(t)
		u := createUser(t, s, "alice")
		update(t, s, func(tx meta.Tx) error {
			return tx.CreateAccessKey(&meta.AccessKey{AccessKey: "K", UserID: u.ID, SecretEnc: []byte("s")})
		})
		err := s.Update(ctx(), func(tx meta.Tx) error {
			return tx.CreateAccessKey(&meta.AccessKey{AccessKey: "K", UserID: u.ID, SecretEnc: []byte("t")})
		})
		wantErr(t, "create again", err, meta.ErrExists)
		err = s.Update(ctx(), func(tx meta.Tx) error {
			return tx.CreateAccessKey(&meta.AccessKey{AccessKey: "L", UserID: u.ID + 1000, SecretEnc: []byte("s")})
		})
		wantErr(t, "create for a missing user", err, meta.ErrNotFound)
		wantErr(t, "get missing", s.View(ctx(), func(tx meta.Tx) error { _, err := tx.GetAccessKey("X"); return err }), meta.ErrNotFound)
		wantErr(t, "delete missing", s.Update(ctx(), func(tx meta.Tx) error { return tx.DeleteAccessKey("X") }), meta.ErrNotFound)
	})

	t.Run("keys list per user and a deleted key is gone", func(t *testing.T) {
		s := open(t)
		a := createUser(t, s, "alice")
		b := createUser(t, s, "bob")
		update(t, s, func(tx meta.Tx) error {
			for _, k := range []meta.AccessKey{{AccessKey: "A2", UserID: a.ID}, {AccessKey: "A1", UserID: a.ID}, {AccessKey: "B1", UserID: b.ID}} {
				k.SecretEnc = []byte("s")
				if err := tx.CreateAccessKey(&k); err != nil {
					return err
				}
			}
			return nil
		})
		assertKeys(t, s, a.ID, []string{"A1", "A2"})
		update(t, s, func(tx meta.Tx) error { return tx.DeleteAccessKey("A1") })
		assertKeys(t, s, a.ID, []string{"A2"})
		assertKeys(t, s, b.ID, []string{"B1"})
	})

	t.Run("deleting a user deletes its keys and only its keys", func(t *testing.T) {
		s := open(t)
		a := createUser(t, s, "alice")
		b := createUser(t, s, "bob")
		update(t, s, func(tx meta.Tx) error {
			for _, k := range []meta.AccessKey{{AccessKey: "A1", UserID: a.ID}, {AccessKey: "B1", UserID: b.ID}} {
				k.SecretEnc = []byte("s")
				if err := tx.CreateAccessKey(&k); err != nil {
					return err
				}
			}
			return nil
		})
		update(t, s, func(tx meta.Tx) error { return tx.DeleteUser(a.ID) })
		assertKeys(t, s, a.ID, nil)
		assertKeys(t, s, b.ID, []string{"B1"})
		view(t, s, func(tx meta.Tx) error {
			_, err := tx.GetAccessKey("A1")
			wantErr(t, "get deleted user's key", err, meta.ErrNotFound)
			return nil
		})
	})
}

func assertKeys(t *testing.T, s meta.Store, userID int64, want []string) {
	t.Helper()
	view(t, s, func(tx meta.Tx) error {
		keys, err := tx.ListAccessKeys(userID)
		wantErr(t, "list keys", err, nil)
		var got []string
		for _, k := range keys {
			got = append(got, k.AccessKey)
		}
		assertNames(t, "keys", got, want)
		return nil
	})
}

func userNames(us []meta.User) []string {
	var out []string
	for _, u := range us {
		out = append(out, u.Username)
	}
	return out
}

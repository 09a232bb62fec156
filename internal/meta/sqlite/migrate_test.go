package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"testing"

	"github.com/quarrylabs/quarry/internal/meta"
)

// TestUsersDifferingOnlyInCaseAreRenamedByTheMigration builds a database
// as it was before usernames folded case, holding "Admin" beside "admin",
// and checks that opening it keeps both accounts: the older one under its
// name, the newer one renamed, and the rule enforced from then on.
func TestUsersDifferingOnlyInCaseAreRenamedByTheMigration(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "meta.db")
	db := migratedUpTo(t, ctx, path, 5)
	for _, name := range []string{"admin", "bob", "Admin", "ADMIN"} {
		if _, err := db.ExecContext(ctx, `INSERT INTO users (username, password_hash, role, created_at) VALUES (?, 'h', 'USER', 1)`, name); err != nil {
			t.Fatalf("insert %s: %v", name, err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	s, err := Open(ctx, path)
	if err != nil {
		t.Fatalf("open a database holding names that differ in case: %v", err)
	}
	defer s.Close()
	err = s.View(ctx, func(tx meta.Tx) error {
		users, err := tx.ListUsers(0, 0)
		if err != nil {
			return err
		}
		var got []string
		for _, u := range users {
			got = append(got, u.Username)
		}
		want := []string{"admin", "bob", "Admin-3", "ADMIN-4"}
		if len(got) != len(want) {
			t.Fatalf("users after the migration: %q, want %q", got, want)
		}
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("users after the migration: %q, want %q", got, want)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	err = s.Update(ctx, func(tx meta.Tx) error { return tx.CreateUser(&meta.User{Username: "BOB", Role: meta.RoleUser}) })
	if !errors.Is(err, meta.ErrExists) {
		t.Fatalf("create BOB beside bob after the migration: %v, want ErrExists", err)
	}
}

// migratedUpTo creates a database at path with every migration numbered
// below version applied, as an older Quarry left it, and returns it open
// for the test to fill in before Open migrates the rest.
func migratedUpTo(t *testing.T, ctx context.Context, path string, version int) *sql.DB {
	t.Helper()
	wdsn, _, err := dsns(path)
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", wdsn)
	if err != nil {
		t.Fatal(err)
	}
	ms, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		if m.version < version {
			if err := apply(ctx, db, m); err != nil {
				t.Fatalf("migration %s: %v", m.name, err)
			}
		}
	}
	return db
}

// TestPendingReplicationTasksMoveToTheOutbox builds a database as it was
// before the outbox, with replication tasks queued (one a delete marker,
// one leased and retried), and checks that opening it moves them over
// with their ids, attempts and leases, in order.
func TestPendingReplicationTasksMoveToTheOutbox(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "meta.db")
	db := migratedUpTo(t, ctx, path, 11)
	const insert = `INSERT INTO replication_tasks (id, bucket, object_key, version_id, target_arn, delete_marker,
		attempts, next_attempt, last_error, lease_owner, lease_expires, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	rows := [][]any{
		{7, "photos", "a.jpg", "v1", "arn:quarry:replication:us-east-1:1:dr", 0, 0, 100, "", "", 0, 50},
		{9, "photos", "a.jpg", "v2", "arn:quarry:replication:us-east-1:1:dr", 1, 2, 300, "connection refused", "node-1", 400, 60},
	}
	for _, r := range rows {
		if _, err := db.ExecContext(ctx, insert, r...); err != nil {
			t.Fatalf("insert task: %v", err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatalf("open a database holding replication tasks: %v", err)
	}
	defer s.Close()
	var got []meta.OutboxEntry
	err = s.View(ctx, func(tx meta.Tx) error {
		var err error
		got, err = tx.ListOutbox(meta.OutboxFilter{Kind: "replication", Bucket: "photos"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("outbox after the migration holds %d replication entries, want 2: %+v", len(got), got)
	}
	a, b := got[0], got[1]
	if a.ID != 7 || a.Key != "a.jpg" || a.VersionID != "v1" || a.Destination != "arn:quarry:replication:us-east-1:1:dr" ||
		a.State != meta.OutboxPending || a.Payload != nil || a.NextAttempt.UnixNano() != 100 || a.CreatedAt.UnixNano() != 50 {
		t.Errorf("first entry = %+v", a)
	}
	if b.ID != 9 || b.VersionID != "v2" || string(b.Payload) != `{"deleteMarker":true}` || b.Attempts != 2 ||
		b.LastError != "connection refused" || b.LeaseOwner != "node-1" || b.LeaseExpires.UnixNano() != 400 {
		t.Errorf("second entry = %+v", b)
	}
	err = s.Update(ctx, func(tx meta.Tx) error {
		e := meta.OutboxEntry{Kind: "replication", Destination: "arn:x", Bucket: "photos", Key: "k"}
		if err := tx.EnqueueOutbox(&e); err != nil {
			return err
		}
		if e.ID <= 9 {
			t.Errorf("a new entry after the migration got id %d, want above the moved ones", e.ID)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

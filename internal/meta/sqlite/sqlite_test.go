package sqlite

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/quarrylabs/quarry/internal/meta"
	"github.com/quarrylabs/quarry/internal/meta/metatest"
)

func openTemp(t testing.TB) (*Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "meta.db")
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	return s, path
}

func TestConformance(t *testing.T) {
	metatest.Run(t, func(t *testing.T) meta.Store {
		s, _ := openTemp(t)
		// Registered before Run's Close, so it runs after it: every query
		// the suite ran must have been prepared at Open.
		t.Cleanup(func() {
			if n := s.wstmts.unprepared.Load() + s.rstmts.unprepared.Load(); n > 0 {
				t.Errorf("%d queries ran without a prepared statement; add them to statements", n)
			}
		})
		return s
	})
}

func TestReopenKeepsDataAndMigrationsOnce(t *testing.T) {
	s, path := openTemp(t)
	err := s.Update(context.Background(), func(tx meta.Tx) error {
		if err := tx.CreateBucket(&meta.Bucket{Name: "b", OwnerID: 1}); err != nil {
			return err
		}
		return tx.PutSetting("server.id", "abc")
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}

	for range 2 {
		s, err := Open(context.Background(), path)
		if err != nil {
			t.Fatalf("reopen: %v", err)
		}
		err = s.View(context.Background(), func(tx meta.Tx) error {
			if _, err := tx.GetBucket("b"); err != nil {
				return err
			}
			v, err := tx.GetSetting("server.id")
			if err != nil {
				return err
			}
			if v != "abc" {
				t.Errorf("setting after reopen = %q, want abc", v)
			}
			return nil
		})
		if err != nil {
			t.Fatalf("read after reopen: %v", err)
		}
		ms, err := loadMigrations()
		if err != nil {
			t.Fatal(err)
		}
		var rows, maxVersion int
		err = s.writer.QueryRow(`SELECT COUNT(*), MAX(version) FROM schema_migrations`).Scan(&rows, &maxVersion)
		if err != nil {
			t.Fatal(err)
		}
		if rows != len(ms) || maxVersion != ms[len(ms)-1].version {
			t.Errorf("schema_migrations has %d rows up to %d, want %d up to %d", rows, maxVersion, len(ms), ms[len(ms)-1].version)
		}
		if err := s.Close(); err != nil {
			t.Fatalf("close: %v", err)
		}
	}
}

func TestOpenConfiguresDurability(t *testing.T) {
	s, _ := openTemp(t)
	defer s.Close()
	tests := []struct {
		db     string
		pragma string
		want   string
	}{
		{"writer", "journal_mode", "wal"},
		{"writer", "synchronous", "2"}, // FULL
		{"writer", "foreign_keys", "1"},
		{"writer", "busy_timeout", "10000"},
		{"reader", "journal_mode", "wal"},
		{"reader", "query_only", "1"},
		{"reader", "busy_timeout", "10000"},
	}
	for _, tt := range tests {
		db := s.writer
		if tt.db == "reader" {
			db = s.reader
		}
		var got string
		if err := db.QueryRow("PRAGMA " + tt.pragma).Scan(&got); err != nil {
			t.Fatalf("%s pragma %s: %v", tt.db, tt.pragma, err)
		}
		if !strings.EqualFold(got, tt.want) {
			t.Errorf("%s %s = %s, want %s", tt.db, tt.pragma, got, tt.want)
		}
	}
}

func TestViewCannotWrite(t *testing.T) {
	s, _ := openTemp(t)
	defer s.Close()
	err := s.View(context.Background(), func(tx meta.Tx) error { return tx.PutSetting("a", "b") })
	if err == nil {
		t.Fatal("a write inside View succeeded")
	}
}

func TestOpenRejectsAMissingPath(t *testing.T) {
	for _, path := range []string{"", ":memory:", filepath.Join(t.TempDir(), "no", "such", "dir", "meta.db")} {
		if s, err := Open(context.Background(), path); err == nil {
			s.Close()
			t.Errorf("Open(%q) succeeded", path)
		}
	}
}

func TestOpenHandlesURISyntaxInThePath(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "odd ?#% name")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "meta.db")
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	defer s.Close()
	if _, err := os.Stat(path); err != nil {
		t.Errorf("database not created at its path: %v", err)
	}
}

func TestDeleteBucketWithVersionsFails(t *testing.T) {
	s, _ := openTemp(t)
	defer s.Close()
	ctx := context.Background()
	err := s.Update(ctx, func(tx meta.Tx) error {
		if err := tx.CreateBucket(&meta.Bucket{Name: "b"}); err != nil {
			return err
		}
		return tx.PutVersion(&meta.Version{Bucket: "b", Key: "k", VersionID: "v"})
	})
	if err != nil {
		t.Fatal(err)
	}
	err = s.Update(ctx, func(tx meta.Tx) error { return tx.DeleteBucket("b") })
	if err == nil || errors.Is(err, meta.ErrNotFound) {
		t.Fatalf("deleting a bucket with versions returned %v, want a foreign key error", err)
	}
}

// TestQueryPlansUseIndexes guards the hot listings against a schema or query
// change that would make SQLite scan or sort a whole bucket.
func TestQueryPlansUseIndexes(t *testing.T) {
	s, _ := openTemp(t)
	defer s.Close()
	tests := []struct {
		query string
		args  []any
		index string
	}{
		{versionQueries.ListLatestAfterBounded, []any{"b", "a", "b", 10}, "versions_current"},
		{versionQueries.ListLatestFrom, []any{"b", "", 10}, "versions_current"},
		{versionQueries.ListLatestKeysAfterBounded, []any{"b", "a", "b", 10}, "COVERING INDEX versions_current"},
		{versionQueries.ListVersionsAfterBounded, []any{"b", "a", "b", 10}, "versions_by_key"},
		{versionQueries.ListKeyVersionsBefore, []any{"b", "k", 5, 10}, "versions_by_key"},
		{versionQueries.GetLatest, []any{"b", "k"}, "versions_latest"},
		{versionQueries.Newest, []any{"b", "k"}, "versions_by_key"},
		{uploadQueries.ListAfterBounded, []any{"b", "a", "b", 10}, "uploads_by_key"},
		{jobQueries.ListByBucket, []any{100, "b", 0, 0, "", "", 10}, "jobs_by_bucket"},
		{jobQueries.ListByOwner, []any{100, "", 1, 0, "", "", 10}, "jobs_by_owner"},
		{jobQueries.ListByState, []any{100, "", 0, 0, "", "FAILED", 10}, "jobs_by_state"},
		{qActiveJobID, []any{"b", "T"}, "jobs_active_one"},
		{jobQueries.Claim, []any{"e", 2, 1}, "jobs_claim"},
		{jobFailureQueries.List, []any{1, 0, 10}, "job_failures_by_job"},
		{jobFailureQueries.DeleteEnded, []any{1}, "jobs_ended"},
		{userQueries.GetByName, []any{"Alice"}, "users_username_folded"},
		{qDeleteUserRefreshFamilies, []any{1}, "refresh_families_user"},
		{refreshQueries.DeleteExpired, []any{1, 100}, "refresh_families_expiry"},
		{outboxQueries.NextDestination, []any{""}, "outbox_due"},
		{outboxQueries.ClaimDestination, []any{"o", 2, "arn:x", 1, 10}, "outbox_due"},
		{outboxQueries.ClaimDestination, []any{"o", 2, "arn:x", 1, 10}, "outbox_key"},
		{outboxQueries.ListBucket, []any{"notification", 0, "", nil, "PENDING", "FAILED", "", "b", 10}, "outbox_bucket"},
		{outboxQueries.Purge, []any{1, 10}, "outbox_done"},
	}
	for _, tt := range tests {
		rows, err := s.reader.Query("EXPLAIN QUERY PLAN "+tt.query, tt.args...)
		if err != nil {
			t.Fatalf("explain: %v", err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		text := strings.Join(plan, "; ")
		if !strings.Contains(text, tt.index) || strings.Contains(text, "TEMP B-TREE") {
			t.Errorf("plan for %.60q...: %s; want index %s and no sort", tt.query, text, tt.index)
		}
	}
}

func TestTheDatabaseAndItsWALAndSHMAreReadableByTheOwnerOnly(t *testing.T) {
	s, path := openTemp(t)
	defer s.Close()
	err := s.Update(context.Background(), func(tx meta.Tx) error { return tx.PutSetting("probe", "x") })
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatalf("stat: %v", err)
		}
		if perm := fi.Mode().Perm(); perm != 0o600 {
			t.Errorf("%s has mode %04o, want 0600", filepath.Base(p), perm)
		}
	}
}

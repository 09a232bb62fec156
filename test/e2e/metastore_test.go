package e2e

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/quarrylabs/quarry/internal/meta"
	"github.com/quarrylabs/quarry/internal/meta/postgres"
	"github.com/quarrylabs/quarry/internal/meta/postgres/pgtest"
	"github.com/quarrylabs/quarry/internal/meta/sqlite"
)

// The suite runs on either metadata store: SQLite by default, PostgreSQL
// when QUARRY_TEST_META=postgres (a throwaway server pgtest starts).
var metaDSNs sync.Map // data directory -> DSN

// onPostgres reports whether servers of this run keep their metadata in
// PostgreSQL.
func onPostgres() bool { return os.Getenv("QUARRY_TEST_META") == "postgres" }

// metaFor returns the --meta value for servers on dataDir: "" (SQLite in
// dataDir) normally; on PostgreSQL, a database of dataDir's own, the same
// one each time, so a restarted server, or a second server on the same
// data directory, finds the same metadata.
func metaFor(dataDir string) (string, error) {
	if !onPostgres() {
		return "", nil
	}
	if dsn, ok := metaDSNs.Load(dataDir); ok {
		return dsn.(string), nil
	}
	dsn, err := pgtest.NewDatabase()
	if err != nil {
		return "", err
	}
	actual, _ := metaDSNs.LoadOrStore(dataDir, dsn)
	return actual.(string), nil
}

// sqliteOnly skips a test that reads or edits the SQLite file itself when
// the run keeps metadata in PostgreSQL.
func sqliteOnly(t *testing.T) {
	t.Helper()
	if onPostgres() {
		t.Skip("reads the SQLite metadata file; this run keeps metadata in PostgreSQL")
	}
}

// stopMetaServer stops the PostgreSQL server pgtest started, if any.
func stopMetaServer() { pgtest.Stop() }

// openStoreAt opens the metadata store of the servers on dataDir, beside
// them (SQLite's WAL and PostgreSQL both allow it while they run).
func openStoreAt(ctx context.Context, dataDir string) (meta.Store, error) {
	dsn, err := metaFor(dataDir)
	if err != nil {
		return nil, err
	}
	if dsn != "" {
		return postgres.Open(ctx, dsn)
	}
	return sqlite.Open(ctx, filepath.Join(dataDir, "meta.db"))
}

// copyMeta gives dst, a copy of the data directory src, a copy of src's
// metadata too when it is not in the directory (PostgreSQL).
func copyMeta(src, dst string) error {
	dsn, err := metaFor(src)
	if err != nil || dsn == "" {
		return err
	}
	cp, err := pgtest.CopyDatabase(dsn)
	if err != nil {
		return err
	}
	metaDSNs.Store(dst, cp)
	return nil
}

// skipWithoutPostgres reports whether a run asked for PostgreSQL
// (QUARRY_TEST_META=postgres) on a machine without its server binaries, and
// did not require it (QUARRY_TEST_PG_REQUIRED=1): the whole run is then
// skipped, as the PostgreSQL store's own tests skip.
func skipWithoutPostgres() bool {
	if !onPostgres() || os.Getenv("QUARRY_TEST_PG_REQUIRED") == "1" {
		return false
	}
	return errors.Is(pgtest.Available(), pgtest.ErrUnavailable)
}

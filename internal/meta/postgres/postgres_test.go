package postgres

import (
	"context"
	"os"
	"testing"

	"github.com/quarrylabs/quarry/internal/meta"
	"github.com/quarrylabs/quarry/internal/meta/metatest"
	"github.com/quarrylabs/quarry/internal/meta/postgres/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func openTemp(t testing.TB) *Store {
	t.Helper()
	s, err := Open(context.Background(), pgtest.DSN(t))
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	return s
}

func TestConformance(t *testing.T) {
	if stubbed && os.Getenv("QUARRY_PG_CONFORMANCE") != "1" {
		t.Skip("the PostgreSQL store is not complete yet (stubs.go)")
	}
	metatest.Run(t, func(t *testing.T) meta.Store { return openTemp(t) })
}

func TestMigrationsTwice(t *testing.T) {
	dsn := pgtest.DSN(t)
	for range 2 {
		s, err := Open(context.Background(), dsn)
		if err != nil {
			t.Fatalf("open: %v", err)
		}
		_ = s.Close()
	}
}

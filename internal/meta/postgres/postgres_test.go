package postgres

import (
	"context"
	"testing"

	"github.com/quarrylabs/quarry/internal/meta"
	"github.com/quarrylabs/quarry/internal/meta/metatest"
	"github.com/quarrylabs/quarry/internal/meta/postgres/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// openTemp opens a store on a new database, a copy of one migrated once.
func openTemp(t testing.TB) *Store {
	t.Helper()
	s, err := Open(context.Background(), pgtest.DSNFrom(t, "migrated", migrated))
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	return s
}

// migrated brings a template database's schema up to date.
func migrated(dsn string) error {
	s, err := Open(context.Background(), dsn)
	if err != nil {
		return err
	}
	return s.Close()
}

func TestConformance(t *testing.T) {
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

package server

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/quarrylabs/quarry/internal/meta"
	"github.com/quarrylabs/quarry/internal/meta/postgres"
	"github.com/quarrylabs/quarry/internal/meta/sqlite"
)

// openMeta opens the metadata store cfg.Meta names: empty or "sqlite" is
// the embedded SQLite file in the data directory; a postgres:// or
// postgresql:// URL (or "postgres:" followed by a key=value connection
// string) is a PostgreSQL database that many nodes may share. Errors never
// quote the DSN, which may hold a password.
func openMeta(ctx context.Context, cfg Config) (meta.Store, error) {
	switch dsn := cfg.Meta; {
	case dsn == "" || dsn == "sqlite":
		return sqlite.Open(ctx, filepath.Join(cfg.DataDir, metaFile))
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		return postgres.Open(ctx, dsn)
	case strings.HasPrefix(dsn, "postgres:"):
		return postgres.Open(ctx, strings.TrimPrefix(dsn, "postgres:"))
	default:
		// Name the scheme only: the rest may hold a password.
		if scheme, _, ok := strings.Cut(dsn, "://"); ok {
			return nil, fmt.Errorf("--meta: %q is not a metadata store: use sqlite (the default) or a postgres:// URL", scheme)
		}
		return nil, errors.New("--meta: not a metadata store: use sqlite (the default) or a postgres:// URL")
	}
}

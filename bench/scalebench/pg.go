package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/quarrylabs/quarry/bench/internal/quarryproc"
	"github.com/quarrylabs/quarry/internal/meta/postgres/pgtest"
)

// pgServer is the PostgreSQL server the PostgreSQL runs use: pgtest's
// throwaway one (started on first use, stopped by close), or the -pg
// server, on which each run gets a database of its own that close drops.
type pgServer struct {
	existing string   // -pg; "" for the throwaway server
	made     []string // databases made on the -pg server
}

// newPGServer points pgtest at dsn when it is set: pgtest creates its
// databases on the server QUARRY_TEST_PG names.
func newPGServer(dsn string) (*pgServer, error) {
	if dsn != "" {
		if err := os.Setenv("QUARRY_TEST_PG", dsn); err != nil {
			return nil, fmt.Errorf("use -pg: %w", err)
		}
	}
	return &pgServer{existing: dsn}, nil
}

// database returns the connection string of a new, empty database.
func (s *pgServer) database() (string, error) {
	dsn, err := pgtest.NewDatabase()
	if errors.Is(err, pgtest.ErrUnavailable) {
		return "", fmt.Errorf("%w (or pass -pg DSN, or -skip-pg)", err)
	}
	if err != nil {
		return "", err
	}
	if s.existing != "" {
		s.made = append(s.made, dsn)
	}
	return dsn, nil
}

// close drops the databases made on a -pg server, or stops the throwaway
// one (which removes everything it held). Nothing may be connected.
func (s *pgServer) close() error {
	if s.existing == "" {
		pgtest.Stop()
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, s.existing)
	if err != nil {
		return fmt.Errorf("drop the benchmark's databases: %w", err)
	}
	defer conn.Close(ctx)
	var errs []error
	for _, dsn := range s.made {
		cfg, err := pgx.ParseConfig(dsn)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{cfg.Database}.Sanitize()+" WITH (FORCE)"); err != nil {
			errs = append(errs, fmt.Errorf("drop database %s: %w", cfg.Database, err))
		}
	}
	return errors.Join(errs...)
}

// pgProbe watches one database's server while the nodes use it: the CPU
// its processes use (when it runs on this machine) and the write
// transactions it commits.
type pgProbe struct {
	conn *pgx.Conn
	// postmaster is the server's main process, 0 when it is not on this
	// machine (or /proc cannot be read) and its CPU is not measured.
	postmaster int
	// Version and Settings describe the server for the report: its
	// durability settings decide what a commit costs.
	Version  string
	Settings string
}

func newPGProbe(ctx context.Context, dsn string) (*pgProbe, error) {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return nil, fmt.Errorf("connect to PostgreSQL: %w", err)
	}
	p := &pgProbe{conn: conn}
	var backend int
	var fsync, syncCommit string
	err = conn.QueryRow(ctx, `SELECT pg_backend_pid(), current_setting('server_version'),
		current_setting('fsync'), current_setting('synchronous_commit')`).Scan(&backend, &p.Version, &fsync, &syncCommit)
	if err != nil {
		conn.Close(ctx)
		return nil, fmt.Errorf("describe PostgreSQL: %w", err)
	}
	p.Settings = "fsync=" + fsync + ", synchronous_commit=" + syncCommit
	// This connection's backend is a child of the postmaster. A server
	// elsewhere has its pids on another machine: only believe a local
	// process that is a postgres child of a postgres.
	if ppid, ok := quarryproc.ParentPID(backend); ok && isPostgres(backend) && isPostgres(ppid) {
		p.postmaster = ppid
	}
	return p, nil
}

func isPostgres(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
	return err == nil && strings.TrimSpace(string(b)) == "postgres"
}

// cpu is the CPU time of the server and every process it runs.
func (p *pgProbe) cpu() (time.Duration, bool) {
	if p.postmaster == 0 {
		return 0, false
	}
	return quarryproc.TreeCPU(p.postmaster)
}

// nextXID is the next transaction id the server will assign: the
// difference of two readings is the number of transactions that wrote
// something in between, committed or rolled back (read-only transactions
// take no id), on every database of the server: a transaction the store
// runs again after a serialisation failure counts once per attempt.
// Reading it takes none.
func (p *pgProbe) nextXID(ctx context.Context) (int64, error) {
	var xid int64
	err := p.conn.QueryRow(ctx, `SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint`).Scan(&xid)
	if err != nil {
		return 0, fmt.Errorf("read PostgreSQL's next transaction id: %w", err)
	}
	return xid, nil
}

func (p *pgProbe) close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return p.conn.Close(ctx)
}

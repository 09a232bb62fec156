// Package pgtest gives tests a real, throwaway PostgreSQL database.
//
// A test package that uses it calls Main from its TestMain (or Stop after
// m.Run); the first DSN
// call then initdb's a temporary cluster and starts a server on a unix
// socket only (no TCP port), and Main stops it and removes it when the
// tests end. Each DSN call creates a new, empty database on that server;
// each DSNFrom call a copy of a template database prepared once.
//
// Set QUARRY_TEST_PG to a connection string of an existing server (whose
// user may create databases) to use it instead. Without PostgreSQL's server
// binaries the tests that need it skip, unless QUARRY_TEST_PG_REQUIRED=1
// (as CI sets), which fails them.
//
// PostgreSQL refuses to run as root; when the tests run as root, the
// cluster belongs to, and the server runs as, the unprivileged user nobody.
package pgtest

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// superuser is the cluster's superuser role, which the tests connect as.
const superuser = "quarry"

// server is the cluster a test binary shares. Package state is acceptable
// here: one test binary, one server, started once and stopped by Main.
var server struct {
	once    sync.Once
	dir     string // removed by Main
	sockDir string
	cmd     *exec.Cmd
	err     error
	skip    bool // no server binaries
	dbs     atomic.Int64
}

// Main runs the tests and then stops the server if one was started.
func Main(m *testing.M) {
	code := m.Run()
	Stop()
	os.Exit(code)
}

// ErrUnavailable is NewDatabase's error when PostgreSQL is not installed.
var ErrUnavailable = errors.New("PostgreSQL server binaries (initdb, postgres) not found; install Debian's postgresql package")

// DSN returns the connection string of a new, empty database, skipping (or
// failing, see the package doc) the test when PostgreSQL is not installed.
func DSN(t testing.TB) string {
	t.Helper()
	dsn, err := NewDatabase()
	if errors.Is(err, ErrUnavailable) && os.Getenv("QUARRY_TEST_PG_REQUIRED") != "1" {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	return dsn
}

// Available returns ErrUnavailable when NewDatabase would: no
// QUARRY_TEST_PG and no server binaries. It starts nothing and creates
// nothing.
func Available() error {
	if os.Getenv("QUARRY_TEST_PG") != "" {
		return nil
	}
	if _, ok := binDir(); !ok {
		return ErrUnavailable
	}
	return nil
}

// NewDatabase is DSN for callers without a testing.TB (a TestMain): it
// starts the server on first use and creates a new, empty database.
func NewDatabase() (string, error) { return newDatabase("") }

// CopyDatabase creates a new database holding a copy of the one dsn (a DSN
// NewDatabase returned) names, which nothing may be connected to.
func CopyDatabase(dsn string) (string, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return "", fmt.Errorf("parse DSN: %w", err)
	}
	return newDatabase(cfg.Database)
}

func newDatabase(template string) (string, error) {
	base := os.Getenv("QUARRY_TEST_PG")
	if base == "" {
		server.once.Do(start)
		if server.skip {
			return "", ErrUnavailable
		}
		if server.err != nil {
			return "", fmt.Errorf("start PostgreSQL: %w", server.err)
		}
		base = (&url.URL{Scheme: "postgres", User: url.User(superuser), Path: "/postgres",
			RawQuery: url.Values{"host": {server.sockDir}, "sslmode": {"disable"}}.Encode()}).String()
	}
	name := fmt.Sprintf("quarry_test_%d_%d", os.Getpid(), server.dbs.Add(1))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		return "", fmt.Errorf("connect to PostgreSQL: %w", err)
	}
	defer conn.Close(ctx)
	create := "CREATE DATABASE " + name
	if template != "" {
		create += " TEMPLATE " + pgx.Identifier{template}.Sanitize()
	}
	// A template's last session may still be ending when the copy starts
	// (SQLSTATE 55006, the source database is being accessed): try again.
	for {
		_, err := conn.Exec(ctx, create)
		if err == nil {
			break
		}
		var pgErr *pgconn.PgError
		if template == "" || !errors.As(err, &pgErr) || pgErr.Code != "55006" || ctx.Err() != nil {
			return "", fmt.Errorf("create database: %w", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return withDatabase(base, name), nil
}

// DSNFrom is DSN for a database that starts as a copy of a template:
// prepare sets the template up (runs the migrations, say) once per test
// binary and template name, and each call copies it, which saves each test
// what prepare costs. prepare must close its connections before it
// returns, since PostgreSQL copies only a database no one is connected to.
func DSNFrom(t testing.TB, template string, prepare func(dsn string) error) string {
	t.Helper()
	templates.mu.Lock()
	tpl, ok := templates.byName[template]
	if !ok {
		tpl = &templateDB{}
		if templates.byName == nil {
			templates.byName = map[string]*templateDB{}
		}
		templates.byName[template] = tpl
	}
	templates.mu.Unlock()
	tpl.once.Do(func() {
		if tpl.dsn, tpl.err = NewDatabase(); tpl.err == nil {
			tpl.err = prepare(tpl.dsn)
		}
	})
	if errors.Is(tpl.err, ErrUnavailable) && os.Getenv("QUARRY_TEST_PG_REQUIRED") != "1" {
		t.Skip(tpl.err)
	}
	if tpl.err != nil {
		t.Fatalf("prepare template database %s: %v", template, tpl.err)
	}
	dsn, err := CopyDatabase(tpl.dsn)
	if err != nil {
		t.Fatalf("copy template database %s: %v", template, err)
	}
	return dsn
}

// templates are DSNFrom's template databases, by name, each prepared once.
var templates struct {
	mu     sync.Mutex
	byName map[string]*templateDB
}

type templateDB struct {
	once sync.Once
	dsn  string
	err  error
}

// withDatabase returns dsn, a URL or a key=value string, naming database db.
func withDatabase(dsn, db string) string {
	if u, err := url.Parse(dsn); err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql") {
		u.Path = "/" + db
		return u.String()
	}
	// In a key=value string the last setting of a key wins.
	return dsn + " dbname=" + db
}

// start initdb's a cluster in a new temporary directory and starts it.
func start() {
	bin, ok := binDir()
	if !ok {
		server.skip = true
		return
	}
	dir, err := os.MkdirTemp("", "quarry-pg-")
	if err != nil {
		server.err = err
		return
	}
	server.dir = dir
	data, sock := filepath.Join(dir, "data"), filepath.Join(dir, "sock")
	server.sockDir = sock
	for _, d := range []string{data, sock} {
		if err := os.Mkdir(d, 0o700); err != nil {
			server.err = err
			return
		}
	}
	cred, err := credential(dir, data, sock)
	if err != nil {
		server.err = err
		return
	}
	initdb := exec.Command(filepath.Join(bin, "initdb"), "-D", data, "-U", superuser,
		"--auth=trust", "--no-sync", "--encoding=UTF8", "--locale=C")
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	if out, err := initdb.CombinedOutput(); err != nil {
		server.err = fmt.Errorf("initdb: %v: %s", err, out)
		return
	}
	// Durability settings off: the tests' data is thrown away, and a crash
	// test kills Quarry, not PostgreSQL.
	server.cmd = exec.Command(filepath.Join(bin, "postgres"), "-D", data, "-k", sock,
		"-c", "listen_addresses=", "-c", "fsync=off", "-c", "synchronous_commit=off",
		"-c", "full_page_writes=off", "-c", "max_connections=800",
		"-c", "shared_buffers=64MB")
	server.cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Setpgid: true}
	log, err := os.Create(filepath.Join(dir, "postgres.log"))
	if err != nil {
		server.err = err
		return
	}
	server.cmd.Stdout, server.cmd.Stderr = log, log
	if err := server.cmd.Start(); err != nil {
		server.err = fmt.Errorf("start postgres: %w", err)
		return
	}
	dsn := fmt.Sprintf("host=%s user=%s dbname=postgres sslmode=disable", sock, superuser)
	deadline := time.Now().Add(30 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		conn, err := pgx.Connect(ctx, dsn)
		if err == nil {
			_ = conn.Close(ctx)
			cancel()
			return
		}
		cancel()
		if time.Now().After(deadline) {
			out, _ := os.ReadFile(filepath.Join(dir, "postgres.log"))
			server.err = fmt.Errorf("postgres did not accept connections in 30s: %v: %s", err, out)
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Stop stops the server, if one was started (fast shutdown), and removes
// its directory. A TestMain that cannot use Main calls it after m.Run.
func Stop() {
	if server.cmd != nil && server.cmd.Process != nil {
		_ = server.cmd.Process.Signal(syscall.SIGINT)
		done := make(chan struct{})
		go func() { _ = server.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = server.cmd.Process.Kill()
		}
	}
	if server.dir != "" {
		_ = os.RemoveAll(server.dir)
	}
}

// binDir finds PostgreSQL's server binaries: pg_config's bindir, else the
// newest Debian /usr/lib/postgresql/N/bin.
func binDir() (string, bool) {
	if out, err := exec.Command("pg_config", "--bindir").Output(); err == nil {
		dir := strings.TrimSpace(string(out))
		if _, err := os.Stat(filepath.Join(dir, "initdb")); err == nil {
			return dir, true
		}
	}
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	sort.Slice(matches, func(i, j int) bool { return version(matches[i]) > version(matches[j]) })
	if len(matches) > 0 {
		return filepath.Dir(matches[0]), true
	}
	return "", false
}

func version(initdb string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(initdb))))
	return n
}

// credential is nil when the tests do not run as root; as root it is user
// nobody's, and the cluster's directories are handed to nobody.
func credential(dirs ...string) (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("nobody")
	if err != nil {
		return nil, fmt.Errorf("running as root, PostgreSQL needs an unprivileged user: %w", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	for _, d := range dirs {
		if err := os.Chown(d, uid, gid); err != nil {
			return nil, err
		}
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

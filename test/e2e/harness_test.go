// Package e2e tests the whole quarry binary: it is built once, started as a
// separate process on free loopback ports with a temporary data directory,
// and driven with aws-sdk-go-v2's S3 client on its default settings, plus raw
// HTTP where the SDK will not send what a test needs.
package e2e

import (
	"bytes"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Root credentials the tests give every server through the environment.
const (
	rootUser      = "root"
	rootPassword  = "root-password-123"
	rootAccessKey = "QUARRYROOTACCESSKEY1"
	rootSecretKey = "quarry-root-secret-key-for-e2e-tests-0001"
	testRegion    = "us-east-1"
)

// binaryPath is the quarry binary TestMain built; sharedSrv is the server
// most tests use (each with its own buckets).
var (
	binaryPath string
	sharedSrv  *server
)

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	if skipWithoutPostgres() {
		fmt.Fprintln(os.Stderr, "e2e: QUARRY_TEST_META=postgres, but PostgreSQL is not installed: skipped")
		return 0
	}
	tmp, err := os.MkdirTemp("", "quarry-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e: temp dir:", err)
		return 1
	}
	defer os.RemoveAll(tmp)

	root, err := moduleRoot()
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	binaryPath = filepath.Join(tmp, "quarry")
	build := exec.Command("go", "build", "-o", binaryPath, "./cmd/quarry")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: go build ./cmd/quarry: %v\n%s", err, out)
		return 1
	}

	srv, err := launch(serverOptions{}, filepath.Join(tmp, "shared", "data"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e: start shared server:", err)
		if srv != nil {
			fmt.Fprintf(os.Stderr, "--- shared server output ---\n%s\n", srv.Output())
		}
		return 1
	}
	sharedSrv = srv
	code := m.Run()
	defer stopMetaServer()
	if err := srv.stop(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: stop shared server:", err)
		code = 1
	}
	if code != 0 {
		fmt.Fprintf(os.Stderr, "--- shared server output (tail) ---\n%s\n", tail(srv.Output(), 12000))
	}
	return code
}

// moduleRoot walks up from the working directory to the directory holding
// go.mod, so the test works from any package directory.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("getwd: %w", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("go.mod not found above the working directory")
		}
		dir = parent
	}
}

// serverOptions change how a server is started.
type serverOptions struct {
	// NoRootEnv leaves the QUARRY_ROOT_* variables unset, so the server
	// generates root credentials.
	NoRootEnv bool
	// TLS starts the server with --tls-self-signed.
	TLS bool
	// Args are extra command-line flags.
	Args []string
	// Meta is the --meta flag; empty: the SQLite file in the data
	// directory, or under QUARRY_TEST_META=postgres a PostgreSQL database
	// of the data directory's own (see metaFor).
	Meta string
}

// server is a running (or stopped) quarry process.
type server struct {
	opts     serverOptions
	DataDir  string
	S3Addr   string
	MAPIAddr string
	// S3URL is the S3 endpoint (http:// or https://).
	S3URL     string
	AccessKey string
	SecretKey string

	mu      sync.Mutex
	cmd     *exec.Cmd
	done    chan struct{} // closed when the current process exited
	waitErr error
	output  *lockedBuffer // stdout and stderr of every start
	stdout  *lockedBuffer // stdout of the current start only
}

// startServer starts a server of its own for t, on a fresh data directory,
// and kills it when the test ends. Its output is printed if t fails.
func startServer(t *testing.T, opts serverOptions) *server {
	t.Helper()
	return startServerIn(t, opts, filepath.Join(t.TempDir(), "data"))
}

// startServerIn is startServer on a given data directory: a prepared copy,
// or one that another server of the test uses at the same time (two
// engines sharing one store).
func startServerIn(t *testing.T, opts serverOptions, dataDir string) *server {
	t.Helper()
	srv, err := launch(opts, dataDir)
	if srv != nil {
		t.Cleanup(func() {
			srv.kill()
			if t.Failed() {
				t.Logf("--- server output (tail) ---\n%s", tail(srv.Output(), 12000))
			}
		})
	}
	if err != nil {
		t.Fatalf("start server: %v", err)
	}
	return srv
}

// launch starts a server on fresh ports. A port found free can be taken by
// another process before the server binds it (tests run in parallel), so a
// start that failed on "address already in use" is tried again on new ports.
func launch(opts serverOptions, dataDir string) (*server, error) {
	for attempt := 1; ; attempt++ {
		srv, err := launchOnce(opts, dataDir)
		if err == nil || attempt == 3 || srv == nil || !strings.Contains(srv.Output(), "address already in use") {
			return srv, err
		}
		srv.kill()
	}
}

func launchOnce(opts serverOptions, dataDir string) (*server, error) {
	if opts.Meta == "" {
		dsn, err := metaFor(dataDir)
		if err != nil {
			return nil, err
		}
		opts.Meta = dsn
	}
	s3Addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	mapiAddr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	scheme := "http"
	if opts.TLS {
		scheme = "https"
	}
	srv := &server{
		opts:     opts,
		DataDir:  dataDir,
		S3Addr:   s3Addr,
		MAPIAddr: mapiAddr,
		S3URL:    scheme + "://" + s3Addr,
		output:   &lockedBuffer{},
	}
	if !opts.NoRootEnv {
		srv.AccessKey, srv.SecretKey = rootAccessKey, rootSecretKey
	}
	if err := os.MkdirAll(filepath.Dir(dataDir), 0o755); err != nil {
		return nil, fmt.Errorf("data dir parent: %w", err)
	}
	if err := srv.start(); err != nil {
		return srv, err
	}
	return srv, nil
}

// freeAddr returns a loopback address with a port that was free a moment ago.
func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("find free port: %w", err)
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// start runs the binary and waits until /healthz answers 200.
func (s *server) start() error {
	args := []string{"server",
		"--data", s.DataDir,
		"--s3-addr", s.S3Addr,
		"--mapi-addr", s.MAPIAddr,
		"--region", testRegion,
	}
	if s.opts.TLS {
		args = append(args, "--tls-self-signed")
	}
	if s.opts.Meta != "" {
		args = append(args, "--meta", s.opts.Meta)
	}
	args = append(args, s.opts.Args...)
	cmd := exec.Command(binaryPath, args...)
	cmd.Env = serverEnv(s.opts.NoRootEnv)
	// This process's own output, apart from what earlier runs of the
	// server (before a restart) wrote.
	stdout, own := &lockedBuffer{}, &lockedBuffer{}
	cmd.Stdout = teeWriter{stdout, own, s.output}
	cmd.Stderr = teeWriter{own, s.output}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", binaryPath, err)
	}
	done := make(chan struct{})
	s.mu.Lock()
	s.cmd, s.done, s.stdout, s.waitErr = cmd, done, stdout, nil
	s.mu.Unlock()
	go func() {
		err := cmd.Wait()
		s.mu.Lock()
		s.waitErr = err
		s.mu.Unlock()
		close(done)
	}()
	return s.waitReady(done, own, 30*time.Second)
}

// serverEnv is the test process's environment without QUARRY_* variables,
// plus the root credentials unless noRoot.
func serverEnv(noRoot bool) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "QUARRY_") {
			env = append(env, kv)
		}
	}
	if !noRoot {
		env = append(env,
			"QUARRY_ROOT_USER="+rootUser,
			"QUARRY_ROOT_PASSWORD="+rootPassword,
			"QUARRY_ROOT_ACCESS_KEY="+rootAccessKey,
			"QUARRY_ROOT_SECRET_KEY="+rootSecretKey,
		)
	}
	return env
}

func (s *server) waitReady(done <-chan struct{}, own *lockedBuffer, timeout time.Duration) error {
	client := insecureHTTPClient()
	client.Timeout = 2 * time.Second
	deadline := time.Now().Add(timeout)
	var lastErr error
	for time.Now().Before(deadline) {
		select {
		case <-done:
			return fmt.Errorf("server exited before it was ready: %v", s.exitErr())
		default:
		}
		// Another process may answer on a port this one failed to bind
		// (it was free when picked): only a server that logged it is
		// ready, having bound its listeners, counts.
		if !strings.Contains(own.String(), "quarry ready") {
			lastErr = errors.New(`no "quarry ready" in its log yet`)
			time.Sleep(50 * time.Millisecond)
			continue
		}
		// The MAPI listener may or may not use TLS with --tls-self-signed;
		// either answer counts.
		for _, scheme := range []string{"http", "https"} {
			resp, err := client.Get(scheme + "://" + s.MAPIAddr + "/healthz")
			if err != nil {
				lastErr = err
				continue
			}
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			lastErr = fmt.Errorf("healthz: %s", resp.Status)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("server not ready after %v: %v", timeout, lastErr)
}

func (s *server) exitErr() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.waitErr
}

// Kill sends SIGKILL and waits for the process to die.
func (s *server) Kill(t *testing.T) {
	t.Helper()
	if err := s.kill(); err != nil {
		t.Fatalf("kill server: %v", err)
	}
}

func (s *server) kill() error {
	s.mu.Lock()
	cmd, done := s.cmd, s.done
	s.mu.Unlock()
	if cmd == nil {
		return nil
	}
	select {
	case <-done:
		return nil
	default:
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("SIGKILL: %w", err)
	}
	select {
	case <-done:
		return nil
	case <-time.After(10 * time.Second):
		return errors.New("process did not die after SIGKILL")
	}
}

// Stop sends SIGTERM and checks that the process exits 0 within 15 seconds.
func (s *server) Stop(t *testing.T) {
	t.Helper()
	if err := s.stop(); err != nil {
		t.Fatalf("stop server: %v", err)
	}
}

func (s *server) stop() error {
	s.mu.Lock()
	cmd, done := s.cmd, s.done
	s.mu.Unlock()
	if cmd == nil {
		return errors.New("server never started")
	}
	select {
	case <-done:
		return fmt.Errorf("server had already exited: %v", s.exitErr())
	default:
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return fmt.Errorf("SIGTERM: %w", err)
	}
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		_ = s.kill()
		return errors.New("server did not exit within 15s of SIGTERM")
	}
	if err := s.exitErr(); err != nil {
		return fmt.Errorf("exit after SIGTERM: %w (want exit status 0)", err)
	}
	return nil
}

// Restart starts the server again on the same data directory and ports; the
// previous process must have been stopped or killed.
func (s *server) Restart(t *testing.T) {
	t.Helper()
	s.mu.Lock()
	done := s.done
	s.mu.Unlock()
	select {
	case <-done:
	default:
		t.Fatal("Restart: the server is still running")
	}
	fmt.Fprintf(s.output, "\n=== restart ===\n")
	if err := s.start(); err != nil {
		t.Fatalf("restart server: %v", err)
	}
}

// Pid is the process id of the current (or last) process, 0 if none.
func (s *server) Pid() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil || s.cmd.Process == nil {
		return 0
	}
	return s.cmd.Process.Pid
}

// Output is everything the server wrote to stdout and stderr so far.
func (s *server) Output() string { return s.output.String() }

// Stdout is what the current process wrote to stdout.
func (s *server) Stdout() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stdout.String()
}

// lockedBuffer is a bytes.Buffer safe for the concurrent writes of a
// process's stdout and stderr copiers.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// teeWriter writes to every one of its buffers.
type teeWriter []*lockedBuffer

func (w teeWriter) Write(p []byte) (int, error) {
	for _, b := range w {
		b.Write(p)
	}
	return len(p), nil
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "..." + s[len(s)-n:]
}

// insecureHTTPClient is a plain client that accepts the server's
// self-signed certificate.
func insecureHTTPClient() *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // test against a self-signed server
	return &http.Client{Transport: tr}
}

package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"time"
)

// Credentials of the two throwaway servers; they only listen on loopback.
// Both get the same root keys, as the replication target of the source
// uses the destination's root keys.
const (
	rootUser      = "bench-root"
	rootPassword  = "bench-Root-Passw0rd-4e17"
	rootAccessKey = "BENCHROOTACCESSKEY05"
	rootSecretKey = "benchRootSecretKey0123456789abcdefghijkl5"
	region        = "us-east-1"
)

const (
	readyTimeout = 30 * time.Second
	stopTimeout  = 30 * time.Second
)

// server is a running `quarry server` child process.
type server struct {
	name    string
	cmd     *exec.Cmd
	s3URL   string
	mapiURL string
	exited  chan struct{} // closed when the process has been reaped
	err     error         // Wait's result, valid after exited is closed
	log     *tailBuffer
}

// buildQuarry compiles ./cmd/quarry of the enclosing module into dir.
func buildQuarry(ctx context.Context, dir string) (string, error) {
	root, err := findModuleRoot()
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "quarry")
	progress("building %s/cmd/quarry", root)
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/quarry")
	cmd.Dir = root
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("build quarry (or pass -bin): %w", err)
	}
	return bin, nil
}

// findModuleRoot walks up from the working directory to the go.mod.
func findModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("find module root: %w", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("find module root: no go.mod above the working directory; run from the repository or pass -bin")
		}
		dir = parent
	}
}

// startServer runs bin on fresh loopback ports with dataDir and returns
// once its health check answers.
func startServer(ctx context.Context, name, bin, dataDir string) (*server, error) {
	s3Addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	mapiAddr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	// Not CommandContext: the server must get SIGTERM and a chance to close
	// its stores, not SIGKILL, when the benchmark is interrupted.
	cmd := exec.Command(bin, "server",
		"--data", dataDir,
		"--s3-addr", s3Addr,
		"--mapi-addr", mapiAddr,
		"--region", region,
		"--log-level", "warn")
	cmd.Env = append(os.Environ(),
		"QUARRY_ROOT_USER="+rootUser,
		"QUARRY_ROOT_PASSWORD="+rootPassword,
		"QUARRY_ROOT_ACCESS_KEY="+rootAccessKey,
		"QUARRY_ROOT_SECRET_KEY="+rootSecretKey,
	)
	logs := newTailBuffer(64 << 10)
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	s := &server{name: name, cmd: cmd, s3URL: "http://" + s3Addr, mapiURL: "http://" + mapiAddr, exited: make(chan struct{}), log: logs}
	go func() {
		s.err = cmd.Wait()
		close(s.exited)
	}()
	progress("started the %s quarry (pid %d), S3 at %s", name, cmd.Process.Pid, s.s3URL)
	if err := s.waitReady(ctx); err != nil {
		_ = s.stop()
		return nil, err
	}
	return s, nil
}

func (s *server) pid() int { return s.cmd.Process.Pid }

// waitReady polls the health check until it answers 200, the process
// dies, or readyTimeout passes.
func (s *server) waitReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	client := &http.Client{Timeout: time.Second}
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.mapiURL+"/healthz", nil)
		if err != nil {
			return fmt.Errorf("health check: %w", err)
		}
		if resp, err := client.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-s.exited:
			return fmt.Errorf("the %s quarry exited before it was ready (%v); its output:\n%s", s.name, s.err, s.log)
		case <-ctx.Done():
			return fmt.Errorf("the %s quarry not ready after %s: %w; its output:\n%s", s.name, readyTimeout, ctx.Err(), s.log)
		case <-tick.C:
		}
	}
}

// stop sends SIGTERM, waits for a clean exit, and kills the process if it
// does not come.
func (s *server) stop() error {
	select {
	case <-s.exited:
		return fmt.Errorf("the %s quarry exited during the benchmark (%v); its output:\n%s", s.name, s.err, s.log)
	default:
	}
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return fmt.Errorf("stop the %s quarry: %w", s.name, err)
	}
	select {
	case <-s.exited:
		if s.err != nil {
			return fmt.Errorf("the %s quarry exited with %v after SIGTERM; its output:\n%s", s.name, s.err, s.log)
		}
		return nil
	case <-time.After(stopTimeout):
		_ = s.cmd.Process.Kill()
		<-s.exited
		return fmt.Errorf("the %s quarry did not stop within %s of SIGTERM and was killed", s.name, stopTimeout)
	}
}

// freeAddr asks the kernel for an unused loopback port.
func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// tailBuffer keeps the last max bytes written to it: a server's output,
// shown only when something goes wrong.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func newTailBuffer(max int) *tailBuffer { return &tailBuffer{max: max} }

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - t.max; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}

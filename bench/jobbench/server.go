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
	"strings"
	"sync"
	"syscall"
	"time"
)

// Credentials of the throwaway server; it only listens on loopback.
const (
	rootUser      = "bench-root"
	rootPassword  = "bench-Root-Passw0rd-7d31"
	rootAccessKey = "BENCHROOTACCESSKEY02"
	rootSecretKey = "benchRootSecretKey0123456789abcdefghijkl2"
)

// server is a running `quarry server` child process.
type server struct {
	cmd     *exec.Cmd
	mapiURL string
	dataDir string
	exited  chan struct{}
	err     error
	log     *lockedLog
}

// buildQuarry compiles ./cmd/quarry of the enclosing module into dir.
func buildQuarry(ctx context.Context, dir string) (string, error) {
	root, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(root, "go.mod")); err == nil {
			break
		}
		if parent := filepath.Dir(root); parent != root {
			root = parent
			continue
		}
		return "", errors.New("no go.mod above the working directory; run from the repository or pass -bin")
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

// startServer runs bin on free loopback ports and waits for /healthz.
func startServer(ctx context.Context, bin, dataDir string) (*server, error) {
	var addrs [2]string
	for i := range addrs {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("find a free port: %w", err)
		}
		addrs[i] = l.Addr().String()
		l.Close()
	}
	cmd := exec.Command(bin, "server", "--data", dataDir, "--s3-addr", addrs[0], "--mapi-addr", addrs[1],
		"--log-level", "warn")
	cmd.Env = append(os.Environ(),
		"QUARRY_ROOT_USER="+rootUser, "QUARRY_ROOT_PASSWORD="+rootPassword,
		"QUARRY_ROOT_ACCESS_KEY="+rootAccessKey, "QUARRY_ROOT_SECRET_KEY="+rootSecretKey)
	logs := &lockedLog{}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	s := &server{cmd: cmd, mapiURL: "http://" + addrs[1], dataDir: dataDir, exited: make(chan struct{}), log: logs}
	go func() {
		s.err = cmd.Wait()
		close(s.exited)
	}()
	progress("started quarry (pid %d), MAPI at %s", cmd.Process.Pid, s.mapiURL)
	deadline := time.Now().Add(30 * time.Second)
	client := &http.Client{Timeout: time.Second}
	for {
		if resp, err := client.Get(s.mapiURL + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s, nil
			}
		}
		select {
		case <-s.exited:
			return nil, fmt.Errorf("quarry exited before it was ready (%v):\n%s", s.err, logs)
		case <-ctx.Done():
			_ = s.stop()
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			_ = s.stop()
			return nil, fmt.Errorf("quarry not ready after 30s:\n%s", logs)
		}
	}
}

// stop sends SIGTERM and waits for a clean exit (SIGKILL after 30s).
func (s *server) stop() error {
	select {
	case <-s.exited:
		return fmt.Errorf("quarry exited during the benchmark (%v):\n%s", s.err, s.log)
	default:
	}
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return fmt.Errorf("stop quarry: %w", err)
	}
	select {
	case <-s.exited:
		if s.err != nil {
			return fmt.Errorf("quarry exited with %v after SIGTERM:\n%s", s.err, s.log)
		}
		return nil
	case <-time.After(30 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.exited
		return errors.New("quarry did not stop within 30s of SIGTERM and was killed")
	}
}

// lockedLog collects the server's output, shown only when it fails.
type lockedLog struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.b.Len() < 1<<20 {
		l.b.Write(p)
	}
	return len(p), nil
}

func (l *lockedLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

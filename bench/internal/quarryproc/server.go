package quarryproc

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"syscall"
	"time"
)

const (
	// readyTimeout bounds the wait for a new server's health check: a
	// server that takes longer is broken, not slow.
	readyTimeout = 30 * time.Second
	// stopTimeout is how long a server may take to drain and close its
	// stores after SIGTERM before it is killed.
	stopTimeout = 30 * time.Second
	// outputTail is how much of a server's output is kept for error
	// messages.
	outputTail = 64 << 10
)

// Root is the root identity a server is started with, through the
// QUARRY_ROOT_* environment variables, so that the benchmark knows the
// credentials instead of reading generated ones from the server's output.
type Root struct {
	User      string
	Password  string
	AccessKey string
	SecretKey string
}

// BenchRoot is a root user for throwaway benchmark servers. It only ever
// guards a server on the loopback interface that the run removes.
func BenchRoot() Root {
	return Root{User: "bench-root", Password: "bench-Root-Passw0rd-5e1a",
		AccessKey: "BENCHROOTACCESSKEY01", SecretKey: "benchRootSecretKey0123456789abcdefghijklm"}
}

// env is r as the server reads it from its environment.
func (r Root) env() []string {
	return []string{
		"QUARRY_ROOT_USER=" + r.User,
		"QUARRY_ROOT_PASSWORD=" + r.Password,
		"QUARRY_ROOT_ACCESS_KEY=" + r.AccessKey,
		"QUARRY_ROOT_SECRET_KEY=" + r.SecretKey,
	}
}

// Config says how to start one server.
type Config struct {
	// Name is what errors call the server ("quarry", "the source
	// quarry"), so that a benchmark running several says which failed.
	Name    string
	Bin     string
	DataDir string
	Root    Root
	// Region is passed as --region when set; empty leaves the server's
	// default.
	Region string
	// Args are further server flags ("--lifecycle-day", "1s"), passed
	// after the ones Start sets.
	Args []string
	// MetricsPublic starts the server with QUARRY_METRICS_PUBLIC=true, so
	// that a benchmark scrapes /metrics of its throwaway loopback server
	// without a token. An environment variable, not a flag: a server built
	// before the setting existed ignores it instead of refusing to start.
	MetricsPublic bool
	// Env is added to the server's environment (QUARRY_BLOB=... to keep
	// its data on a storage component).
	Env []string
	// Started, when set, is called once the process runs and before Start
	// waits for its health check, so that a benchmark can say what it is
	// waiting for.
	Started func(*Server)
}

// Server is a running `quarry server` child process.
type Server struct {
	Name    string
	S3URL   string
	MAPIURL string
	DataDir string

	cmd    *exec.Cmd
	exited chan struct{} // closed when the process has been reaped
	err    error         // Wait's result, valid after exited is closed
	log    *tailBuffer
}

// Start runs cfg.Bin on fresh loopback ports with cfg.DataDir and returns
// once its health check answers. A server that does not become ready is
// stopped, and the error carries the end of its output.
func Start(ctx context.Context, cfg Config) (*Server, error) {
	s3Addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	mapiAddr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	args := []string{"server",
		"--data", cfg.DataDir,
		"--s3-addr", s3Addr,
		"--mapi-addr", mapiAddr}
	if cfg.Region != "" {
		args = append(args, "--region", cfg.Region)
	}
	args = append(args, "--log-level", "warn")
	args = append(args, cfg.Args...)
	// Not CommandContext: the server must get SIGTERM and a chance to close
	// its stores, not SIGKILL, when the benchmark is interrupted.
	cmd := exec.Command(cfg.Bin, args...)
	cmd.Env = append(os.Environ(), cfg.Root.env()...)
	if cfg.MetricsPublic {
		cmd.Env = append(cmd.Env, "QUARRY_METRICS_PUBLIC=true")
	}
	cmd.Env = append(cmd.Env, cfg.Env...)
	logs := newTailBuffer(outputTail)
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", cfg.Bin, err)
	}
	s := &Server{
		Name: cfg.Name, S3URL: "http://" + s3Addr, MAPIURL: "http://" + mapiAddr, DataDir: cfg.DataDir,
		cmd: cmd, exited: make(chan struct{}), log: logs,
	}
	go func() {
		s.err = cmd.Wait()
		close(s.exited)
	}()
	if cfg.Started != nil {
		cfg.Started(s)
	}
	if err := s.waitReady(ctx); err != nil {
		_ = s.Stop()
		return nil, err
	}
	return s, nil
}

// Output is the end of what the server has written to stdout and stderr
// so far (its log), for a benchmark to show why requests failed.
func (s *Server) Output() string { return s.log.String() }

// PID is the server's process id, for reading its CPU time.
func (s *Server) PID() int { return s.cmd.Process.Pid }

// waitReady polls the health check until it answers 200, the process
// dies, or readyTimeout passes.
func (s *Server) waitReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	client := &http.Client{Timeout: time.Second}
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.MAPIURL+"/healthz", nil)
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
			return fmt.Errorf("%s exited before it was ready (%v); its output:\n%s", s.Name, s.err, s.log)
		case <-ctx.Done():
			return fmt.Errorf("%s not ready after %s: %w; its output:\n%s", s.Name, readyTimeout, ctx.Err(), s.log)
		case <-tick.C:
		}
	}
}

// Stop sends SIGTERM, waits for a clean exit, and kills the process if it
// does not come. A server that already exited is an error: it died during
// the benchmark, and its figures are not to be trusted.
func (s *Server) Stop() error {
	select {
	case <-s.exited:
		return fmt.Errorf("%s exited during the benchmark (%v); its output:\n%s", s.Name, s.err, s.log)
	default:
	}
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return fmt.Errorf("stop %s: %w", s.Name, err)
	}
	select {
	case <-s.exited:
		var exitErr *exec.ExitError
		if s.err != nil && !errors.As(s.err, &exitErr) {
			return fmt.Errorf("stop %s: %w", s.Name, s.err)
		}
		if s.err != nil {
			return fmt.Errorf("%s exited with %v after SIGTERM; its output:\n%s", s.Name, s.err, s.log)
		}
		return nil
	case <-time.After(stopTimeout):
		_ = s.cmd.Process.Kill()
		<-s.exited
		return fmt.Errorf("%s did not stop within %s of SIGTERM and was killed", s.Name, stopTimeout)
	}
}

// freeAddr asks the kernel for an unused loopback port. Another process
// could take it before the server binds it; on a benchmark machine that is
// rare and shows up as a failed start, not a wrong figure.
func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().String(), nil
}

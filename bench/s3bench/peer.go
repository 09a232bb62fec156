package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// A peer is another S3 server measured in the same run with the same
// client, so that Quarry's figures can be read against it as well as
// against the filesystem. The only kind is MinIO, given as -peer
// minio=PATH to its server binary.

// peerMinIO is the one kind of peer s3bench knows how to start.
const peerMinIO = "minio"

// peerSpec is what -peer names: a kind and the binary to run.
type peerSpec struct {
	kind string
	bin  string
}

// parsePeer reads -peer's KIND=PATH.
func parsePeer(s string) (peerSpec, error) {
	kind, bin, ok := strings.Cut(s, "=")
	kind, bin = strings.TrimSpace(kind), strings.TrimSpace(bin)
	if !ok || bin == "" {
		return peerSpec{}, fmt.Errorf("-peer %q: want minio=PATH (the path of a minio server binary)", s)
	}
	if kind != peerMinIO {
		return peerSpec{}, fmt.Errorf("-peer %q: unknown peer %q; the only one is minio=PATH", s, kind)
	}
	return peerSpec{kind: kind, bin: bin}, nil
}

const (
	// peerReadyTimeout bounds the wait for the peer's readiness check.
	peerReadyTimeout = 30 * time.Second
	// peerStopTimeout is how long the peer may take to exit on SIGTERM
	// before it is killed.
	peerStopTimeout = 20 * time.Second
)

// peerProc is a running peer server.
type peerProc struct {
	name    string
	s3URL   string
	dataDir string
	cmd     *exec.Cmd
	exited  chan struct{}
	err     error
	logMu   sync.Mutex
	log     strings.Builder
}

// startPeer runs the peer on a fresh loopback port with dataDir, with the
// benchmark's root keys as its root credentials, and returns once it
// answers its readiness check.
func startPeer(ctx context.Context, spec peerSpec, dataDir string) (*peerProc, error) {
	if _, err := os.Stat(spec.bin); err != nil {
		return nil, fmt.Errorf("-peer %s: %w", spec.kind, err)
	}
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return nil, fmt.Errorf("peer data dir: %w", err)
	}
	addr, err := freeLoopbackAddr()
	if err != nil {
		return nil, err
	}
	console, err := freeLoopbackAddr()
	if err != nil {
		return nil, err
	}
	// Not CommandContext: the peer gets SIGTERM on the way out, like the
	// quarry server.
	cmd := exec.Command(spec.bin, "server", dataDir, "--address", addr, "--console-address", console, "--quiet")
	cmd.Env = append(os.Environ(),
		"MINIO_ROOT_USER="+rootAccessKey,
		"MINIO_ROOT_PASSWORD="+rootSecretKey,
		"MINIO_BROWSER=off",
		"MINIO_UPDATE=off",
	)
	p := &peerProc{name: spec.kind, s3URL: "http://" + addr, dataDir: dataDir, cmd: cmd,
		exited: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p, p
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", spec.bin, err)
	}
	go func() {
		p.err = cmd.Wait()
		close(p.exited)
	}()
	progress("started %s (pid %d), S3 at %s", p.name, p.pid(), p.s3URL)
	if err := p.waitReady(ctx); err != nil {
		_ = p.stop()
		return nil, err
	}
	return p, nil
}

// Write keeps the peer's output (the first 64 KiB) for error messages.
func (p *peerProc) Write(b []byte) (int, error) {
	p.logMu.Lock()
	defer p.logMu.Unlock()
	if room := 64<<10 - p.log.Len(); room > 0 {
		p.log.Write(b[:min(len(b), room)])
	}
	return len(b), nil
}

func (p *peerProc) output() string {
	p.logMu.Lock()
	defer p.logMu.Unlock()
	return p.log.String()
}

func (p *peerProc) pid() int { return p.cmd.Process.Pid }

// waitReady polls MinIO's readiness check until it answers 200.
func (p *peerProc) waitReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, peerReadyTimeout)
	defer cancel()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	client := &http.Client{Timeout: time.Second}
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.s3URL+"/minio/health/ready", nil)
		if err != nil {
			return fmt.Errorf("%s readiness check: %w", p.name, err)
		}
		if resp, err := client.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-p.exited:
			return fmt.Errorf("%s exited before it was ready (%v); its output:\n%s", p.name, p.err, p.output())
		case <-ctx.Done():
			return fmt.Errorf("%s not ready after %s: %w; its output:\n%s", p.name, peerReadyTimeout, ctx.Err(), p.output())
		case <-tick.C:
		}
	}
}

// stop sends SIGTERM and waits, killing the peer if it does not exit. A
// peer that died during the run is an error: its figures are not to be
// trusted.
func (p *peerProc) stop() error {
	select {
	case <-p.exited:
		return fmt.Errorf("%s exited during the benchmark (%v); its output:\n%s", p.name, p.err, p.output())
	default:
	}
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return fmt.Errorf("stop %s: %w", p.name, err)
	}
	select {
	case <-p.exited:
		var exitErr *exec.ExitError
		// MinIO exits non-zero on SIGTERM in some releases; only a
		// failure to wait at all is an error here.
		if p.err != nil && !errors.As(p.err, &exitErr) {
			return fmt.Errorf("stop %s: %w", p.name, p.err)
		}
		return nil
	case <-time.After(peerStopTimeout):
		_ = p.cmd.Process.Kill()
		<-p.exited
		return fmt.Errorf("%s did not stop within %s of SIGTERM and was killed", p.name, peerStopTimeout)
	}
}

// freeLoopbackAddr asks the kernel for an unused loopback port.
func freeLoopbackAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().String(), nil
}

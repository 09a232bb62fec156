package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"
)

// profileServer starts fetching a CPU profile of the quarry server from
// its --debug-addr for the length of one small-object measurement (-dur,
// less a margin so that the profile ends inside it), and returns a
// function that waits for the profile and writes it to -server-profile.
// Without -server-profile it does nothing.
func (b *bench) profileServer(ctx context.Context) (wait func()) {
	if b.cfg.serverProfile == "" || b.debugAddr == "" {
		return func() {}
	}
	seconds := max(1, int((b.cfg.dur - 500*time.Millisecond).Seconds()))
	done := make(chan error, 1)
	go func() { done <- fetchProfile(ctx, b.debugAddr, seconds, b.cfg.serverProfile) }()
	return func() {
		if err := <-done; err != nil {
			note("server profile: %v", err)
			return
		}
		progress("wrote a %d s CPU profile of the server to %s", seconds, b.cfg.serverProfile)
	}
}

// fetchProfile reads /debug/pprof/profile?seconds=N from addr into path.
func fetchProfile(ctx context.Context, addr string, seconds int, path string) error {
	url := fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", addr, seconds)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := (&http.Client{Timeout: time.Duration(seconds)*time.Second + 30*time.Second}).Do(req)
	if err != nil {
		return fmt.Errorf("fetch %s: %w", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("fetch %s: %s", url, resp.Status)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	return f.Close()
}

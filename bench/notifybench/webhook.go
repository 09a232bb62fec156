package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// webhook is the local receiver both sides POST to. It does what a real
// consumer's first step would: read the body, parse the envelope, keep the
// event's id (to count distinct events), and answer 204.
type webhook struct {
	srv *http.Server
	url string

	posts atomic.Int64
	conns atomic.Int64 // connections accepted
	mu    sync.Mutex
	ids   map[string]bool
}

func startWebhook() (*webhook, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("webhook: %w", err)
	}
	w := &webhook{url: "http://" + l.Addr().String() + "/events", ids: map[string]bool{}}
	w.srv = &http.Server{Handler: http.HandlerFunc(w.handle), ReadHeaderTimeout: 10 * time.Second,
		ConnState: func(_ net.Conn, st http.ConnState) {
			if st == http.StateNew {
				w.conns.Add(1)
			}
		}}
	go func() { _ = w.srv.Serve(l) }()
	return w, nil
}

func (w *webhook) handle(rw http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(req.Body)
	var env struct {
		Records []struct {
			EventID string `json:"eventId"`
		} `json:"Records"`
	}
	if err != nil || json.Unmarshal(body, &env) != nil {
		http.Error(rw, "not an event message", http.StatusBadRequest)
		return
	}
	w.posts.Add(1)
	w.mu.Lock()
	for _, r := range env.Records {
		w.ids[r.EventID] = true
	}
	w.mu.Unlock()
	rw.WriteHeader(http.StatusNoContent)
}

// reset forgets what was received, and returns how many POSTs,
// distinct events and new connections there were.
func (w *webhook) reset() (posts int64, events int, conns int64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	events = len(w.ids)
	w.ids = map[string]bool{}
	return w.posts.Swap(0), events, w.conns.Swap(0)
}

func (w *webhook) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return w.srv.Shutdown(ctx)
}

package webhook

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/quarrylabs/quarry/internal/meta"
	"github.com/quarrylabs/quarry/internal/notify"
	"github.com/quarrylabs/quarry/internal/outbox"
)

func TestWebhookURLsFollowTheEndpointRules(t *testing.T) {
	tests := []struct {
		url  string
		says string // "" for accepted
	}{
		{"https://hooks.example.com/quarry", ""},
		{"http://127.0.0.1:8080/a/b", ""},
		{"https://hooks.example.com", ""},
		{"ftp://hooks.example.com/x", "http:// or https://"},
		{"hooks.example.com/x", "http:// or https://"},
		{"https:///x", "no host"},
		{"https://user:pw@hooks.example.com/x", "credentials"},
		{"https://hooks.example.com/x?token=1", "query"},
		{"https://hooks.example.com/x#frag", "fragment"},
		{"https://hooks.example.com:/x", "empty port"},
		{"https://hooks.example.com:0/x", "port"},
		{"https://hooks.example.com:65536/x", "port"},
	}
	for _, tt := range tests {
		err := Type{}.Check(notify.TargetInput{Endpoint: tt.url})
		switch {
		case tt.says == "" && err != nil:
			t.Errorf("%s refused: %v", tt.url, err)
		case tt.says != "" && (err == nil || !strings.Contains(err.Error(), tt.says)):
			t.Errorf("%s: %v, want a refusal saying %q", tt.url, err, tt.says)
		}
	}
	if err := (Type{}).Check(notify.TargetInput{Endpoint: "https://h.example/x", Secret: "Bearer a\r\nX-Evil: 1"}); err == nil {
		t.Error("an authorization value holding a line break was accepted")
	}
}

func TestSendPostsTheMessageAndSaysWhatCameBack(t *testing.T) {
	var gotAuth, gotID, gotType string
	status := http.StatusNoContent
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotAuth, gotID, gotType = r.Header.Get("Authorization"), r.Header.Get(EventIDHeader), r.Header.Get("Content-Type")
		if r.URL.Path == "/moved" {
			http.Redirect(w, r, "/elsewhere", http.StatusFound)
			return
		}
		w.WriteHeader(status)
		_, _ = w.Write([]byte("busy, try later"))
	}))
	defer srv.Close()
	open := func(path string) notify.Sender {
		s, err := Type{}.Open(&meta.NotificationTarget{Endpoint: srv.URL + path}, "Bearer t0k")
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	msg := notify.Message{ID: "ev-1", Body: []byte(`{"Records":[]}`)}
	if err := open("/ok").Send(context.Background(), msg); err != nil {
		t.Fatalf("a 204: %v", err)
	}
	if gotAuth != "Bearer t0k" || gotID != "ev-1" || gotType != "application/json" {
		t.Errorf("headers Authorization %q, event id %q, type %q", gotAuth, gotID, gotType)
	}
	status = http.StatusInternalServerError
	err := open("/ok").Send(context.Background(), msg)
	if err == nil || !strings.Contains(err.Error(), "HTTP 500: busy, try later") || errors.Is(err, outbox.ErrUnreachable) {
		t.Errorf("a 500: %v, want the status and body, not unreachable", err)
	}
	if err := open("/moved").Send(context.Background(), msg); err == nil || !strings.Contains(err.Error(), "HTTP 302") {
		t.Errorf("a redirect: %v, want it refused, not followed", err)
	}
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	dead := "http://" + l.Addr().String()
	l.Close()
	s, _ := Type{}.Open(&meta.NotificationTarget{Endpoint: dead}, "")
	if err := s.Send(context.Background(), msg); !errors.Is(err, outbox.ErrUnreachable) {
		t.Errorf("a closed port: %v, want ErrUnreachable", err)
	}
}

package mapi

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/quarrylabs/quarry/internal/auth"
	"github.com/quarrylabs/quarry/internal/events"
	"github.com/quarrylabs/quarry/internal/job"
	"github.com/quarrylabs/quarry/internal/meta"
	"github.com/quarrylabs/quarry/internal/meta/sqlite"
	"github.com/quarrylabs/quarry/internal/notify"
	"github.com/quarrylabs/quarry/internal/notify/webhook"
	"github.com/quarrylabs/quarry/internal/object"
	"github.com/quarrylabs/quarry/internal/replication"
	"github.com/quarrylabs/quarry/internal/sse"
	"github.com/quarrylabs/quarry/internal/storage"
	"github.com/quarrylabs/quarry/internal/storetest"
	"github.com/quarrylabs/quarry/internal/tlscert"
	"github.com/quarrylabs/quarry/internal/usage"
)

// testPassword is every test user's password.
const testPassword = "correct horse battery"

// clock is a settable time source for token and XSRF expiry.
type clock struct{ now atomic.Int64 }

func newClock() *clock {
	c := &clock{}
	c.now.Store(time.Now().UnixNano())
	return c
}

func (c *clock) Now() time.Time          { return time.Unix(0, c.now.Load()) }
func (c *clock) Advance(d time.Duration) { c.now.Add(int64(d)) }

// syncBuffer collects log output from concurrent handlers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

type observation struct {
	op     string
	status int
}

// harness is a MAPI Handler over real SQLite and disk stores, a real auth
// and object service and (unless replaced) the real job engine, not
// running until start is called. It has an admin and two users, alice and
// bob, each owning a bucket named after them.
type harness struct {
	t       *testing.T
	ctx     context.Context
	srv     *httptest.Server
	handler *Handler
	store   *sqlite.Store
	users   *auth.Service
	objects *object.Service
	engine  *job.Engine
	events  *events.Log
	storage *storage.Service
	clock   *clock
	logs    *syncBuffer

	mu       sync.Mutex
	ids      map[string]int64
	tokens   map[string]string
	observed []observation
}

type harnessOption func(*Config)

// withJobs replaces the job engine with api.
func withJobs(api job.API) harnessOption { return func(c *Config) { c.Jobs = api } }

// withReplication replaces the replication service with r.
func withReplication(r ReplicationTargets) harnessOption {
	return func(c *Config) { c.Replication = r }
}

func newHarness(t *testing.T, opts ...harnessOption) *harness {
	t.Helper()
	ctx := context.Background()
	store, blobs := storetest.Open(t)
	sealer := storetest.Sealer(t)
	logs := &syncBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, nil))
	objects := object.New(object.Config{Meta: store, Blobs: blobs, Logger: logger})
	users := auth.NewService(store, sealer)
	engine := job.New(job.Config{Meta: store, Objects: objects, Blobs: blobs, Logger: logger,
		Poll: 20 * time.Millisecond}, usage.NewMetricReconciliation())
	keys, err := LoadKeys(ctx, store, sealer)
	if err != nil {
		t.Fatal(err)
	}
	serial, err := LoadSerial(ctx, store)
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, ctx: ctx, store: store, users: users, objects: objects, engine: engine,
		clock: newClock(), logs: logs, ids: map[string]int64{}, tokens: map[string]string{}}
	repl := replication.NewService(replication.ServiceConfig{Meta: store, Objects: objects, Sealer: sealer,
		Region: "eu-test-1", Logger: logger})
	notifications := notify.NewService(notify.ServiceConfig{Meta: store, Sealer: sealer,
		Types: map[string]notify.TargetType{"webhook": webhook.Type{}}, Region: "eu-test-1", Logger: logger})
	certs := tlscert.New(tlscert.Config{Meta: store, Sealer: sealer, Logger: logger})
	sseKeys := sse.NewKeyring(store, sealer)
	if err := sseKeys.EnsureKey(ctx); err != nil {
		t.Fatal(err)
	}
	h.events = events.New(events.Config{Meta: store, Logger: logger, Now: h.clock.Now})
	h.storage = storage.New(storage.Config{Meta: store, Sealer: sealer, Local: blobs, LocalDir: t.TempDir(), Logger: logger})
	if _, err := h.storage.Open(ctx); err != nil {
		t.Fatal(err)
	}
	cfg := Config{Users: users, Jobs: engine, Objects: objects, Replication: repl, Notifications: notifications,
		Certificates: certs, Storage: h.storage,
		Settings: store, Keys: keys, Region: "eu-test-1", Version: "1.2.3-test",
		S3URL:      func(string) *url.URL { return &url.URL{Scheme: "http", Host: "s3.test:9000"} },
		Encryption: sse.NewService(store, sseKeys),
		Events:     h.events,
		Serial:     serial, Logger: logger, Now: h.clock.Now,
		Observe: func(op string, status int, _ time.Duration) {
			h.mu.Lock()
			defer h.mu.Unlock()
			h.observed = append(h.observed, observation{op, status})
		}}
	for _, o := range opts {
		o(&cfg)
	}
	h.handler = New(cfg)
	h.srv = httptest.NewServer(h.handler)
	t.Cleanup(h.srv.Close)
	h.addUser("admin", meta.RoleAdmin)
	for _, name := range []string{"alice", "bob"} {
		h.addUser(name, meta.RoleUser)
		h.addBucket(name, name)
	}
	return h
}

// start runs the job engine until the test ends.
func (h *harness) start() {
	ctx, cancel := context.WithCancel(h.ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = h.engine.Run(ctx)
	}()
	h.t.Cleanup(func() {
		cancel()
		<-done
	})
}

func (h *harness) addUser(name string, role meta.Role) {
	h.t.Helper()
	u, err := h.users.CreateUser(h.ctx, name, testPassword, role)
	if err != nil {
		h.t.Fatal(err)
	}
	h.ids[name] = u.ID
}

func (h *harness) principal(name string) auth.Principal {
	u, err := h.users.GetUserByName(h.ctx, name)
	if err != nil {
		h.t.Fatal(err)
	}
	return auth.Principal{UserID: u.ID, Username: u.Username, Role: u.Role}
}

func (h *harness) addBucket(owner, bucket string) {
	h.t.Helper()
	if err := h.objects.CreateBucket(h.ctx, h.principal(owner), bucket); err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) putObject(owner, bucket, key, data string) {
	h.t.Helper()
	_, err := h.objects.PutObject(h.ctx, h.principal(owner), object.PutInput{
		Bucket: bucket, Key: key, Body: strings.NewReader(data), Size: int64(len(data))})
	if err != nil {
		h.t.Fatal(err)
	}
}

// response is a decoded answer.
type response struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

func (r response) str(path ...string) string {
	v, _ := r.get(path...).(string)
	return v
}

func (r response) num(path ...string) float64 {
	v, _ := r.get(path...).(float64)
	return v
}

// get walks a path of object keys in the body.
func (r response) get(path ...string) any {
	var v any = r.body
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[p]
	}
	return v
}

func (h *harness) send(req *http.Request) response {
	h.t.Helper()
	resp, err := h.srv.Client().Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		h.t.Fatal(err)
	}
	out := response{status: resp.StatusCode, header: resp.Header, raw: string(raw)}
	_ = json.Unmarshal(raw, &out.body)
	return out
}

// tokenRequest posts a form to the token endpoint.
func (h *harness) tokenRequest(form url.Values) response {
	h.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, h.srv.URL+TokenPath, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return h.send(req)
}

func passwordForm(user, password string) url.Values {
	return url.Values{"grant_type": {"password"}, "client_id": {"vsp-object-external-client"},
		"username": {user}, "password": {password}}
}

// token returns an access token for user, logging in once per test.
func (h *harness) token(user string) string {
	h.t.Helper()
	if tok, ok := h.tokens[user]; ok {
		return tok
	}
	r := h.tokenRequest(passwordForm(user, testPassword))
	if r.status != http.StatusOK {
		h.t.Fatalf("login %s: %d %s", user, r.status, r.raw)
	}
	h.tokens[user] = r.str("access_token")
	return h.tokens[user]
}

// csrf gets a fresh XSRF token from the server.
func (h *harness) csrf() string {
	h.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, h.srv.URL+"/mapi/v1/csrf", nil)
	r := h.send(req)
	for _, c := range (&http.Response{Header: r.header}).Cookies() {
		if c.Name == csrfCookie {
			return c.Value
		}
	}
	h.t.Fatalf("no %s cookie in %v", csrfCookie, r.header)
	return ""
}

// request builds a POST with a bearer token and an XSRF header and cookie
// (empty strings leave them out).
func (h *harness) request(path, bearer, xsrfHeader, xsrfCookie string, body io.Reader) *http.Request {
	req, _ := http.NewRequest(http.MethodPost, h.srv.URL+path, body)
	req.Header.Set("Content-Type", "application/json")
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	if xsrfHeader != "" {
		req.Header.Set(csrfHeader, xsrfHeader)
	}
	if xsrfCookie != "" {
		req.AddCookie(&http.Cookie{Name: csrfCookie, Value: xsrfCookie})
	}
	return req
}

// call posts body to a MAPI endpoint as user, as a well-behaved client does.
func (h *harness) call(user, endpoint, body string) response {
	h.t.Helper()
	x := h.csrf()
	return h.send(h.request("/mapi/v1/"+endpoint, h.token(user), x, x, strings.NewReader(body)))
}

// wantError asserts an error answer: status, code, the {code, message,
// details} shape, and a message containing each of msg.
func wantError(t *testing.T, r response, status int, code string, msg ...string) {
	t.Helper()
	if r.status != status || r.str("code") != code {
		t.Fatalf("got %d %s, want %d %s: %s", r.status, r.str("code"), status, code, r.raw)
	}
	if len(r.body) != 3 || r.get("message") == nil || r.get("details") == nil {
		t.Fatalf("error body is not {code, message, details}: %s", r.raw)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("Content-Type %q, want application/json", ct)
	}
	for _, m := range msg {
		if !strings.Contains(r.str("message"), m) {
			t.Fatalf("message %q does not say %q", r.str("message"), m)
		}
	}
}

func wantOK(t *testing.T, r response) {
	t.Helper()
	if r.status != http.StatusOK {
		t.Fatalf("got %d, want 200: %s", r.status, r.raw)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

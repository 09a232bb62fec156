package tlscert

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/quarrylabs/quarry/internal/meta"
	"github.com/quarrylabs/quarry/internal/storetest"
	"github.com/quarrylabs/quarry/internal/tlscert/tlscerttest"
)

func newManager(t *testing.T, store meta.Store, cfg Config) *Manager {
	t.Helper()
	cfg.Meta, cfg.Serving = store, true
	if cfg.Sealer == nil {
		cfg.Sealer = storetest.Sealer(t)
	}
	m := New(cfg)
	if err := m.Reload(context.Background()); err != nil {
		t.Fatal(err)
	}
	return m
}

// served is the certificate m picks for a client asking for name.
func served(t *testing.T, m *Manager, name string) *tls.Certificate {
	t.Helper()
	c, err := m.GetCertificate(&tls.ClientHelloInfo{ServerName: name})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func wantServed(t *testing.T, m *Manager, name string, want *tlscerttest.Issued) {
	t.Helper()
	c := served(t, m, name)
	switch {
	case want == nil && c != nil:
		t.Fatalf("%s is served %s, want the listener's own certificate", name, c.Leaf.Subject)
	case want != nil && c == nil:
		t.Fatalf("%s is served the listener's own certificate, want %s", name, want.Cert.Subject)
	case want != nil && !c.Leaf.Equal(want.Cert):
		t.Fatalf("%s is served %s (serial %s), want %s (serial %s)", name, c.Leaf.Subject, c.Leaf.SerialNumber,
			want.Cert.Subject, want.Cert.SerialNumber)
	}
}

func TestAnAddedCertificateIsServedByNameUntilDeleted(t *testing.T) {
	ctx := context.Background()
	store, _ := storetest.Open(t)
	m := newManager(t, store, Config{})
	exact := tlscerttest.Issue(t, tlscerttest.Options{CommonName: "s3.example.com", Organization: "Acme, Inc.",
		DNSNames: []string{"s3.example.com"}})
	wild := tlscerttest.Issue(t, tlscerttest.Options{CommonName: "*.example.com", DNSNames: []string{"*.example.com"}})

	info, err := m.Add(ctx, exact.Bundle())
	if err != nil {
		t.Fatal(err)
	}
	if info.SubjectDN != `CN=s3.example.com,O=Acme\, Inc.` || !strings.Contains(info.CertPEM, "BEGIN CERTIFICATE") ||
		strings.Contains(info.CertPEM, "PRIVATE KEY") {
		t.Fatalf("Add returned %+v", info)
	}
	if _, err := m.Add(ctx, wild.Bundle()); err != nil {
		t.Fatal(err)
	}
	wantServed(t, m, "s3.example.com", &exact)
	wantServed(t, m, "S3.Example.COM.", &exact)
	wantServed(t, m, "bucket.example.com", &wild)
	wantServed(t, m, "a.b.example.com", nil)
	wantServed(t, m, "other.test", nil)
	wantServed(t, m, "", nil)

	if err := m.Delete(ctx, "o=acme\\, inc., cn=s3.example.com"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("delete with the RDNs reversed: %v, want ErrNotFound", err)
	}
	if err := m.Delete(ctx, "cn=S3.example.com, o=ACME\\2c Inc."); err != nil {
		t.Fatal(err)
	}
	wantServed(t, m, "s3.example.com", &wild) // the wildcard still covers it
	if err := m.Delete(ctx, wild.Cert.Subject.String()); err != nil {
		t.Fatal(err)
	}
	wantServed(t, m, "s3.example.com", nil)
	wantServed(t, m, "bucket.example.com", nil)
}

func TestAnotherNodeServesAChangeWithinAPoll(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	store, _ := storetest.Open(t)
	sealer := storetest.Sealer(t)
	a := newManager(t, store, Config{Sealer: sealer})
	b := newManager(t, store, Config{Sealer: sealer, Poll: 10 * time.Millisecond})
	done := make(chan error, 1)
	go func() { done <- b.Run(ctx) }()

	c := tlscerttest.Issue(t, tlscerttest.Options{CommonName: "n.example.com", DNSNames: []string{"n.example.com"}})
	if _, err := a.Add(ctx, c.Bundle()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the other node to serve the new certificate", func() bool { return served(t, b, "n.example.com") != nil })
	wantServed(t, b, "n.example.com", &c)
	if err := a.Delete(ctx, c.Cert.Subject.String()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the other node to drop the certificate", func() bool { return served(t, b, "n.example.com") == nil })
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Run returned %v", err)
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestARenewalReplacesTheCertificateWithTheSameSubject(t *testing.T) {
	ctx := context.Background()
	store, _ := storetest.Open(t)
	m := newManager(t, store, Config{})
	opts := tlscerttest.Options{CommonName: "r.example.com", DNSNames: []string{"r.example.com"}, NotAfter: time.Now().AddDate(0, 1, 0)}
	old := tlscerttest.Issue(t, opts)
	opts.NotAfter = time.Now().AddDate(1, 0, 0)
	renewed := tlscerttest.Issue(t, opts)
	for _, c := range []tlscerttest.Issued{old, renewed} {
		if _, err := m.Add(ctx, c.Bundle()); err != nil {
			t.Fatal(err)
		}
	}
	list, err := m.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || !list[0].NotAfter.Equal(renewed.Cert.NotAfter) {
		t.Fatalf("list %+v, want the renewed certificate only", list)
	}
	wantServed(t, m, "r.example.com", &renewed)
}

func TestGetFindsACertificateByAnySpellingOfItsSubject(t *testing.T) {
	ctx := context.Background()
	store, _ := storetest.Open(t)
	m := newManager(t, store, Config{})
	c := tlscerttest.Issue(t, tlscerttest.Options{CommonName: "g.example.com", Organization: "Acme", DNSNames: []string{"g.example.com"}})
	if _, err := m.Add(ctx, c.Bundle()); err != nil {
		t.Fatal(err)
	}
	got, err := m.Get(ctx, "commonName=G.example.com , O=acme")
	if err != nil {
		t.Fatal(err)
	}
	if got.SubjectDN != "CN=g.example.com,O=Acme" || got.IssuerDN != "CN=g.example.com,O=Acme" ||
		!bytes.Equal([]byte(got.CertPEM), c.CertPEM) || len(got.DNSNames) != 1 {
		t.Fatalf("got %+v", got)
	}
	if _, err := m.Get(ctx, "CN=nobody"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown DN: %v", err)
	}
	if _, err := m.Get(ctx, "not a dn"); !errors.Is(err, ErrInvalidDN) {
		t.Fatalf("malformed DN: %v", err)
	}
}

func TestACertificateWhoseKeyDoesNotOpenIsNotServed(t *testing.T) {
	ctx := context.Background()
	store, _ := storetest.Open(t)
	var logs bytes.Buffer
	a := newManager(t, store, Config{})
	b := newManager(t, store, Config{Logger: slog.New(slog.NewTextHandler(&logs, nil))}) // another sealing key
	c := tlscerttest.Issue(t, tlscerttest.Options{CommonName: "k.example.com", DNSNames: []string{"k.example.com"}})
	if _, err := a.Add(ctx, c.Bundle()); err != nil {
		t.Fatal(err)
	}
	if err := b.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	wantServed(t, b, "k.example.com", nil)
	if !strings.Contains(logs.String(), "cannot open the key") || strings.Contains(logs.String(), "PRIVATE KEY") {
		t.Fatalf("log: %s", logs.String())
	}
}

func TestAnExpiredCertificateGivesWayToAValidOneForTheSameName(t *testing.T) {
	ctx := context.Background()
	store, _ := storetest.Open(t)
	now := time.Now()
	clock := func() time.Time { return now }
	m := newManager(t, store, Config{Now: clock})
	short := tlscerttest.Issue(t, tlscerttest.Options{CommonName: "short", DNSNames: []string{"e.example.com"}, NotAfter: now.Add(time.Hour)})
	long := tlscerttest.Issue(t, tlscerttest.Options{CommonName: "long", DNSNames: []string{"*.example.com"}, NotAfter: now.AddDate(1, 0, 0)})
	for _, c := range []tlscerttest.Issued{short, long} {
		if _, err := m.Add(ctx, c.Bundle()); err != nil {
			t.Fatal(err)
		}
	}
	wantServed(t, m, "e.example.com", &short)
	now = now.Add(2 * time.Hour)
	wantServed(t, m, "e.example.com", &long)
	now = now.AddDate(2, 0, 0)
	// Both expired: the exact one, so that the client says why it fails.
	wantServed(t, m, "e.example.com", &short)
}

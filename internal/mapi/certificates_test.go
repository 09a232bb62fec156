package mapi

import (
	"crypto/tls"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/quarrylabs/quarry/internal/storetest"
	"github.com/quarrylabs/quarry/internal/tlscert"
	"github.com/quarrylabs/quarry/internal/tlscert/tlscerttest"
)

type certItem struct {
	SubjectDn, IssuerDn, NotBefore, NotAfter, PemEncoded string
	DNSNames                                             []string `json:"dnsNames"`
	Message                                              string
}

func (h *harness) listCerts() []certItem {
	h.t.Helper()
	r := h.call("admin", "certificates/list", ``)
	wantOK(h.t, r)
	var out struct{ Certificates []certItem }
	if err := json.Unmarshal([]byte(r.raw), &out); err != nil || out.Certificates == nil {
		h.t.Fatalf("certificates/list: %s", r.raw)
	}
	return out.Certificates
}

func TestCertificatesAreAddedListedFoundAndDeletedByDN(t *testing.T) {
	h := newHarness(t)
	if got := h.listCerts(); len(got) != 0 {
		t.Fatalf("a new server lists %+v", got)
	}
	ca := tlscerttest.NewCA(t, "Test CA")
	notAfter := time.Date(2029, 9, 6, 18, 11, 0, 0, time.UTC)
	c := tlscerttest.Issue(t, tlscerttest.Options{CommonName: "s3.example.com", Organization: "Acme",
		DNSNames: []string{"s3.example.com", "*.s3.example.com"}, Issuer: ca, NotAfter: notAfter})

	r := h.call("admin", "certificates/add", string(c.Bundle(ca.CertPEM)))
	wantOK(t, r)
	var added certItem
	_ = json.Unmarshal([]byte(r.raw), &added)
	if added.SubjectDn != "CN=s3.example.com,O=Acme" || added.IssuerDn != "CN=Test CA,O=Quarry tests" ||
		added.NotAfter != "9/6/2029 6:11PM" || !strings.Contains(added.Message, "plain HTTP") {
		t.Fatalf("certificates/add: %s", r.raw)
	}
	list := h.listCerts()
	if len(list) != 1 || list[0].SubjectDn != added.SubjectDn || list[0].PemEncoded != string(c.CertPEM) ||
		strings.Join(list[0].DNSNames, " ") != "s3.example.com *.s3.example.com" {
		t.Fatalf("certificates/list: %+v", list)
	}
	if strings.Contains(r.raw, "PRIVATE KEY") || strings.Contains(h.call("admin", "certificates/list", ``).raw, "PRIVATE KEY") {
		t.Fatal("a private key is shown")
	}
	if _, err := time.Parse(certTimeLayout, list[0].NotBefore); err != nil {
		t.Fatalf("notBefore %q: %v", list[0].NotBefore, err)
	}

	for _, body := range []string{`{"subjectDn":"CN=s3.example.com,O=Acme"}`, `{"subject_dn":"cn=S3.EXAMPLE.COM, o=acme"}`,
		`{"subjectDn":"CN=s3.example.com,O=Acme","subject_dn":"CN=s3.example.com,O=Acme"}`} {
		r := h.call("admin", "certificates/get", body)
		wantOK(t, r)
		if r.str("subjectDn") != "CN=s3.example.com,O=Acme" || r.str("pemEncoded") != string(c.CertPEM) {
			t.Fatalf("get %s: %s", body, r.raw)
		}
	}
	for _, tt := range []struct {
		body   string
		status int
		code   string
		msg    string
	}{
		{`{}`, 400, CodeInvalidRequest, "subjectDn is required"},
		{`{"subjectDn":""}`, 400, CodeInvalidRequest, "subjectDn is required"},
		{`{"subjectDn":"CN=a","subject_dn":"CN=b"}`, 400, CodeInvalidRequest, "disagree"},
		{`{"subjectDn":"s3.example.com"}`, 400, CodeInvalidRequest, "invalid DN"},
		{`{"subjectDn":"CN=x\\"}`, 400, CodeInvalidRequest, "invalid DN"},
		{`{"subjectDn":"CN=other.example.com"}`, 404, CodeNotFound, "no certificate has the subject DN CN=other.example.com"},
	} {
		wantError(t, h.call("admin", "certificates/get", tt.body), tt.status, tt.code, tt.msg)
		wantError(t, h.call("admin", "certificates/delete", tt.body), tt.status, tt.code, tt.msg)
	}
	wantError(t, h.call("admin", "certificates/delete", `{"subjectDn":"CN=s3.example.com,O=Acme","force":true}`),
		400, CodeInvalidRequest, `unknown field "force"`)
	if len(h.listCerts()) != 1 {
		t.Fatal("a refused delete deleted")
	}
	wantError(t, h.call("admin", "certificates/delete", `{"subjectDn":"O=Acme,CN=s3.example.com"}`), 404, CodeNotFound) // RDN order counts
	wantOK(t, h.call("admin", "certificates/delete", `{"subject_dn":"CN=s3.example.com, O=Acme"}`))
	if got := h.listCerts(); len(got) != 0 {
		t.Fatalf("after delete: %+v", got)
	}
}

func TestABadCertificateFileIs400SayingWhyAndStoresNothing(t *testing.T) {
	h := newHarness(t)
	good := tlscerttest.Issue(t, tlscerttest.Options{CommonName: "a.example.com", DNSNames: []string{"a.example.com"}})
	expired := tlscerttest.Issue(t, tlscerttest.Options{CommonName: "old.example.com", DNSNames: []string{"old.example.com"},
		NotBefore: time.Now().AddDate(-2, 0, 0), NotAfter: time.Now().AddDate(-1, 0, 0)})
	for _, tt := range []struct{ name, body, msg string }{
		{"no body", ``, "not a PEM file"},
		{"JSON", `{"pemEncoded":"x"}`, "not JSON"},
		{"the certificate alone", string(good.CertPEM), "no private key"},
		{"someone else's key", string(good.CertPEM) + string(tlscerttest.NewKeyPEM(t)), "does not match"},
		{"an expired certificate", string(expired.Bundle()), "expired on"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			wantError(t, h.call("admin", "certificates/add", tt.body), 400, CodeInvalidRequest, tt.msg)
		})
	}
	if got := h.listCerts(); len(got) != 0 {
		t.Fatalf("a refused add stored %+v", got)
	}
}

func TestOnlyAdminsHandleCertificates(t *testing.T) {
	h := newHarness(t)
	c := tlscerttest.Issue(t, tlscerttest.Options{CommonName: "u.example.com", DNSNames: []string{"u.example.com"}})
	for _, tt := range []struct{ endpoint, body string }{
		{"certificates/list", ``},
		{"certificates/get", `{"subjectDn":"CN=u.example.com"}`},
		{"certificates/add", string(c.Bundle())},
		{"certificates/delete", `{"subjectDn":"CN=u.example.com"}`},
	} {
		wantError(t, h.call("alice", tt.endpoint, tt.body), 403, CodeForbidden, "administrator")
	}
	if got := h.listCerts(); len(got) != 0 {
		t.Fatalf("a user stored %+v", got)
	}
}

func TestAddSaysTheCertificateIsServedWhenTheServerServesTLS(t *testing.T) {
	var serving *tlscert.Manager
	h := newHarness(t, func(c *Config) {
		serving = tlscert.New(tlscert.Config{Meta: c.Settings, Sealer: storetest.Sealer(t), Serving: true})
		c.Certificates = serving
	})
	c := tlscerttest.Issue(t, tlscerttest.Options{CommonName: "t.example.com", DNSNames: []string{"t.example.com"}})
	r := h.call("admin", "certificates/add", string(c.Bundle()))
	wantOK(t, r)
	if !strings.Contains(r.str("message"), "every TLS listener serves it") {
		t.Fatalf("certificates/add: %s", r.raw)
	}
	got, err := serving.GetCertificate(&tls.ClientHelloInfo{ServerName: "t.example.com"})
	if err != nil || got == nil || !got.Leaf.Equal(c.Cert) {
		t.Fatalf("the node does not serve the added certificate at once: %v, %v", got, err)
	}
}

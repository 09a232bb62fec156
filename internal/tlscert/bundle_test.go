package tlscert

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/quarrylabs/quarry/internal/tlscert/tlscerttest"
)

func TestAServableBundleIsAccepted(t *testing.T) {
	ca := tlscerttest.NewCA(t, "Test CA")
	leaf := tlscerttest.Issue(t, tlscerttest.Options{CommonName: "s3.example.com", DNSNames: []string{"s3.example.com"}, Issuer: ca})
	tests := []struct {
		name string
		data []byte
	}{
		{"certificate, chain, key", leaf.Bundle(ca.CertPEM)},
		{"the key first", append(append([]byte(nil), leaf.KeyPEM...), leaf.CertPEM...)},
		{"a certificate that signs itself", tlscerttest.Issue(t, tlscerttest.Options{CommonName: "x", DNSNames: []string{"x.example.com"}}).Bundle()},
		{"text around the blocks, as openssl writes it", append([]byte("subject=CN = s3.example.com\n"), leaf.Bundle()...)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := parseBundle(tt.data, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			if b.leaf == nil || !bytes.Contains(b.keyPEM, []byte("PRIVATE KEY")) || !bytes.Contains(b.chainPEM, []byte("CERTIFICATE")) {
				t.Fatalf("bundle %+v", b)
			}
		})
	}
}

func TestAnUnservableBundleIsRefusedSayingWhy(t *testing.T) {
	ca := tlscerttest.NewCA(t, "Test CA")
	other := tlscerttest.NewCA(t, "Other CA")
	names := []string{"s3.example.com"}
	good := tlscerttest.Issue(t, tlscerttest.Options{CommonName: "s3.example.com", DNSNames: names, Issuer: ca})
	encrypted := pem.EncodeToMemory(&pem.Block{Type: "ENCRYPTED PRIVATE KEY", Bytes: []byte{1, 2, 3}})
	legacyEncrypted := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Headers: map[string]string{"Proc-Type": "4,ENCRYPTED", "DEK-Info": "AES-256-CBC,00"}, Bytes: []byte{1}})
	tests := []struct {
		name string
		data []byte
		why  string
	}{
		{"an empty body", nil, "not a PEM file"},
		{"a JSON body", []byte(`{"pemEncoded":"..."}`), "not JSON"},
		{"a certificate without its key", good.CertPEM, "no private key"},
		{"a key without a certificate", good.KeyPEM, "no certificate"},
		{"a key that is not the certificate's", append(append([]byte(nil), good.CertPEM...), tlscerttest.NewKeyPEM(t)...), "does not match"},
		{"two keys", good.Bundle(tlscerttest.NewKeyPEM(t)), "more than one private key"},
		{"an encrypted key", append(append([]byte(nil), good.CertPEM...), encrypted...), "encrypted"},
		{"a key encrypted the old OpenSSL way", append(append([]byte(nil), good.CertPEM...), legacyEncrypted...), "encrypted"},
		{"an expired certificate", tlscerttest.Issue(t, tlscerttest.Options{CommonName: "old", DNSNames: names,
			NotBefore: time.Now().AddDate(-2, 0, 0), NotAfter: time.Now().AddDate(-1, 0, 0)}).Bundle(), "expired on"},
		{"a certificate not valid yet", tlscerttest.Issue(t, tlscerttest.Options{CommonName: "new", DNSNames: names,
			NotBefore: time.Now().AddDate(0, 1, 0)}).Bundle(), "not valid before"},
		{"a certificate naming no host", tlscerttest.Issue(t, tlscerttest.Options{CommonName: "s3.example.com"}).Bundle(), "names no DNS host"},
		{"a client certificate", tlscerttest.Issue(t, tlscerttest.Options{CommonName: "c", DNSNames: names,
			ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}).Bundle(), "not for TLS servers"},
		{"a chain out of order", tlscerttest.Issue(t, tlscerttest.Options{CommonName: "s", DNSNames: names, Issuer: ca}).Bundle(other.CertPEM), "not issued by"},
		{"a block of another kind", good.Bundle(pem.EncodeToMemory(&pem.Block{Type: "DH PARAMETERS", Bytes: []byte{1}})), `"DH PARAMETERS"`},
		{"a certificate that cannot be read", append(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte("junk")}), good.KeyPEM...), "certificate 1 cannot be read"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseBundle(tt.data, time.Now())
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tt.why) {
				t.Fatalf("got %v, want ErrInvalid saying %q", err, tt.why)
			}
			if strings.Contains(err.Error(), "BEGIN") {
				t.Fatalf("the error repeats the PEM: %v", err)
			}
		})
	}
}

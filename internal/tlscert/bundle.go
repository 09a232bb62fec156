// Package tlscert keeps the TLS certificates Quarry's listeners serve by
// host name (SNI) beside the one they were started with: it checks a PEM
// file of certificate chain and key, stores it in the metadata store (the
// key sealed) so that every node has it, and picks each node's certificate
// for a handshake from what the store holds, reloading within seconds of
// a change on any node, without a restart.
package tlscert

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
	"time"
)

// ErrInvalid is returned (wrapped, with the reason after it) for a PEM
// file that cannot be served.
var ErrInvalid = errors.New("invalid certificate")

// bundle is a checked PEM file: the chain, leaf first, and its key.
type bundle struct {
	leaf     *x509.Certificate
	chainPEM []byte
	keyPEM   []byte
}

// privateKeyTypes are the PEM block types of an unencrypted private key:
// PKCS #8, PKCS #1 (RSA) and SEC 1 (EC).
var privateKeyTypes = map[string]bool{"PRIVATE KEY": true, "RSA PRIVATE KEY": true, "EC PRIVATE KEY": true}

// parseBundle checks data, one PEM file holding the certificate chain (the
// server's certificate first) and its private key, for serving at now:
// the key matches the certificate, which is valid now, is meant for TLS
// servers and names at least one host, and each certificate of the chain
// was issued by the next.
func parseBundle(data []byte, now time.Time) (*bundle, error) {
	var chain, key []byte
	var certs []*x509.Certificate
	rest := data
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		switch {
		case block.Type == "CERTIFICATE":
			c, err := x509.ParseCertificate(block.Bytes)
			if err != nil {
				return nil, fmt.Errorf("%w: certificate %d cannot be read: %v", ErrInvalid, len(certs)+1, err)
			}
			certs = append(certs, c)
			chain = append(chain, pem.EncodeToMemory(block)...)
		case block.Type == "ENCRYPTED PRIVATE KEY" || privateKeyTypes[block.Type] && block.Headers["Proc-Type"] != "":
			return nil, fmt.Errorf("%w: the private key is encrypted; send it unencrypted (the server seals it itself)", ErrInvalid)
		case privateKeyTypes[block.Type]:
			if key != nil {
				return nil, fmt.Errorf("%w: the file holds more than one private key", ErrInvalid)
			}
			key = pem.EncodeToMemory(block)
		default:
			return nil, fmt.Errorf("%w: unexpected PEM block %q; the file holds certificates and one private key only", ErrInvalid, block.Type)
		}
	}
	switch {
	case len(certs) == 0 && key == nil:
		hint := ""
		if t := bytes.TrimSpace(data); len(t) > 0 && (t[0] == '{' || t[0] == '"') {
			hint = " (the request body is the PEM file itself, not JSON)"
		}
		return nil, fmt.Errorf("%w: the body is not a PEM file of a certificate chain and its private key%s", ErrInvalid, hint)
	case len(certs) == 0:
		return nil, fmt.Errorf("%w: the file holds a private key but no certificate", ErrInvalid)
	case key == nil:
		return nil, fmt.Errorf("%w: the file holds no private key; put the certificate chain and its key in one PEM file", ErrInvalid)
	}
	if _, err := tls.X509KeyPair(chain, key); err != nil {
		if strings.Contains(err.Error(), "does not match") {
			return nil, fmt.Errorf("%w: the private key does not match the certificate", ErrInvalid)
		}
		return nil, fmt.Errorf("%w: the private key cannot be used: %s", ErrInvalid, strings.TrimPrefix(err.Error(), "tls: "))
	}
	leaf := certs[0]
	if err := servable(leaf, now); err != nil {
		return nil, err
	}
	for i := 0; i+1 < len(certs); i++ {
		if err := certs[i].CheckSignatureFrom(certs[i+1]); err != nil {
			return nil, fmt.Errorf("%w: certificate %d (%s) was not issued by certificate %d (%s); "+
				"put the chain in order, the server's certificate first", ErrInvalid,
				i+1, certs[i].Subject, i+2, certs[i+1].Subject)
		}
	}
	return &bundle{leaf: leaf, chainPEM: chain, keyPEM: key}, nil
}

// servable says why leaf cannot be a TLS server's certificate at now.
func servable(leaf *x509.Certificate, now time.Time) error {
	switch {
	case now.After(leaf.NotAfter):
		return fmt.Errorf("%w: the certificate expired on %s", ErrInvalid, leaf.NotAfter.UTC().Format(time.RFC3339))
	case now.Before(leaf.NotBefore):
		return fmt.Errorf("%w: the certificate is not valid before %s", ErrInvalid, leaf.NotBefore.UTC().Format(time.RFC3339))
	case len(leaf.DNSNames) == 0:
		return fmt.Errorf("%w: the certificate names no DNS host (subjectAltName); clients choose a certificate by host name", ErrInvalid)
	}
	if len(leaf.ExtKeyUsage) == 0 {
		return nil
	}
	for _, u := range leaf.ExtKeyUsage {
		if u == x509.ExtKeyUsageServerAuth || u == x509.ExtKeyUsageAny {
			return nil
		}
	}
	return fmt.Errorf("%w: the certificate is not for TLS servers (its extended key usage lacks serverAuth)", ErrInvalid)
}

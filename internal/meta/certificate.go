package meta

import "time"

// Certificate is a TLS certificate the listeners serve to clients that ask
// for one of its names (SNI), kept in the store so that every node serves
// the same ones.
type Certificate struct {
	// DNKey is the subject DN in a canonical form (see package tlscert):
	// the row's key, so two spellings of one DN name one certificate.
	DNKey string
	// SubjectDN and IssuerDN are the DNs as the certificate gives them.
	SubjectDN string
	IssuerDN  string
	NotBefore time.Time
	NotAfter  time.Time
	// ChainPEM is the certificate and its chain, leaf first, PEM-encoded.
	ChainPEM []byte
	// KeyEnc is the private key (PEM), sealed by the auth package.
	KeyEnc    []byte
	CreatedAt time.Time
}

// CertificateTx reads and writes TLS certificates.
type CertificateTx interface {
	// PutCertificate inserts c, or replaces the certificate with the same
	// DNKey (a renewal).
	PutCertificate(c *Certificate) error
	// GetCertificate returns ErrNotFound when absent.
	GetCertificate(dnKey string) (*Certificate, error)
	// ListCertificates lists every certificate by DNKey.
	ListCertificates() ([]Certificate, error)
	// DeleteCertificate returns ErrNotFound when absent.
	DeleteCertificate(dnKey string) error
}

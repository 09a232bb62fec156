package sqltx

import (
	"errors"
	"fmt"

	"github.com/quarrylabs/quarry/internal/meta"
	"github.com/quarrylabs/quarry/internal/meta/metasql"
)

var _ meta.CertificateTx = (*Tx)(nil)

// CertificateColumns are the columns of TLS certificates in the order
// scanCertificate reads them and Put writes them.
const CertificateColumns = `dn_key, subject_dn, issuer_dn, not_before, not_after, chain_pem, key_enc, created_at`

// CertificateQueries are the statements of TLS certificates.
type CertificateQueries struct {
	// Put inserts or replaces CertificateColumns.
	Put string
	// Get (dnKey) and List () select CertificateColumns, the list by DN key.
	Get, List string
	// Delete (dnKey).
	Delete string
}

func (t *Tx) PutCertificate(c *meta.Certificate) error {
	if c.DNKey == "" {
		return errors.New("put certificate: DNKey is required")
	}
	_, err := t.c.Exec(t.d.Certificate.Put, c.DNKey, c.SubjectDN, c.IssuerDN, metasql.Nanos(c.NotBefore),
		metasql.Nanos(c.NotAfter), metasql.NotNull(c.ChainPEM), metasql.NotNull(c.KeyEnc), metasql.Nanos(c.CreatedAt))
	if err != nil {
		return fmt.Errorf("put certificate %s: %w", c.DNKey, t.c.Classify(err))
	}
	return nil
}

func (t *Tx) GetCertificate(dnKey string) (*meta.Certificate, error) {
	if err := t.noText("get certificate", dnKey); err != nil {
		return nil, err
	}
	c, err := scanCertificate(t.c.QueryRow(t.d.Certificate.Get, dnKey))
	if err != nil {
		return nil, fmt.Errorf("get certificate %s: %w", dnKey, t.c.Classify(err))
	}
	return c, nil
}

func (t *Tx) ListCertificates() ([]meta.Certificate, error) {
	out, err := queryAll(t.c, scanCertificate, t.d.Certificate.List)
	if err != nil {
		return nil, fmt.Errorf("list certificates: %w", err)
	}
	return out, nil
}

func (t *Tx) DeleteCertificate(dnKey string) error {
	if err := t.noText("delete certificate", dnKey); err != nil {
		return err
	}
	found, err := t.execOne(t.d.Certificate.Delete, dnKey)
	if err != nil {
		return fmt.Errorf("delete certificate %s: %w", dnKey, err)
	}
	if !found {
		return fmt.Errorf("delete certificate %s: %w", dnKey, meta.ErrNotFound)
	}
	return nil
}

func scanCertificate(r Row) (*meta.Certificate, error) {
	var (
		c                        meta.Certificate
		notBefore, notAfter, crt int64
	)
	err := r.Scan(&c.DNKey, &c.SubjectDN, &c.IssuerDN, &notBefore, &notAfter, &c.ChainPEM, &c.KeyEnc, &crt)
	if err != nil {
		return nil, err
	}
	c.NotBefore, c.NotAfter, c.CreatedAt = metasql.Time(notBefore), metasql.Time(notAfter), metasql.Time(crt)
	return &c, nil
}

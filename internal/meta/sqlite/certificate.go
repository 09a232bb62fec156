package sqlite

import (
	"errors"
	"fmt"

	"github.com/quarrylabs/quarry/internal/meta"
	"github.com/quarrylabs/quarry/internal/meta/metasql"
)

var _ meta.CertificateTx = (*tx)(nil)

const (
	certificateCols = `dn_key, subject_dn, issuer_dn, not_before, not_after, chain_pem, key_enc, created_at`

	qPutCertificate = `INSERT INTO tls_certificates (` + certificateCols + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (dn_key) DO UPDATE SET subject_dn = excluded.subject_dn, issuer_dn = excluded.issuer_dn,
		not_before = excluded.not_before, not_after = excluded.not_after, chain_pem = excluded.chain_pem,
		key_enc = excluded.key_enc, created_at = excluded.created_at`
	qGetCertificate    = `SELECT ` + certificateCols + ` FROM tls_certificates WHERE dn_key = ?`
	qListCertificates  = `SELECT ` + certificateCols + ` FROM tls_certificates ORDER BY dn_key`
	qDeleteCertificate = `DELETE FROM tls_certificates WHERE dn_key = ?`
)

func (t *tx) PutCertificate(c *meta.Certificate) error {
	if c.DNKey == "" {
		return errors.New("put certificate: DNKey is required")
	}
	_, err := t.exec(qPutCertificate, c.DNKey, c.SubjectDN, c.IssuerDN, metasql.Nanos(c.NotBefore), metasql.Nanos(c.NotAfter),
		c.ChainPEM, c.KeyEnc, metasql.Nanos(c.CreatedAt))
	if err != nil {
		return fmt.Errorf("put certificate %s: %w", c.DNKey, classify(err))
	}
	return nil
}

func (t *tx) GetCertificate(dnKey string) (*meta.Certificate, error) {
	c, err := scanCertificate(t.queryRow(qGetCertificate, dnKey))
	if err != nil {
		return nil, fmt.Errorf("get certificate %s: %w", dnKey, classify(err))
	}
	return c, nil
}

func (t *tx) ListCertificates() ([]meta.Certificate, error) {
	rows, err := t.query(qListCertificates)
	if err != nil {
		return nil, fmt.Errorf("list certificates: %w", err)
	}
	defer rows.Close()
	var out []meta.Certificate
	for rows.Next() {
		c, err := scanCertificate(rows)
		if err != nil {
			return nil, fmt.Errorf("list certificates: %w", err)
		}
		out = append(out, *c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list certificates: %w", err)
	}
	return out, nil
}

func (t *tx) DeleteCertificate(dnKey string) error {
	found, err := t.execOne(qDeleteCertificate, dnKey)
	if err != nil {
		return fmt.Errorf("delete certificate %s: %w", dnKey, err)
	}
	if !found {
		return fmt.Errorf("delete certificate %s: %w", dnKey, meta.ErrNotFound)
	}
	return nil
}

func scanCertificate(s scanner) (*meta.Certificate, error) {
	var (
		c                        meta.Certificate
		notBefore, notAfter, crt int64
	)
	err := s.Scan(&c.DNKey, &c.SubjectDN, &c.IssuerDN, &notBefore, &notAfter, &c.ChainPEM, &c.KeyEnc, &crt)
	if err != nil {
		return nil, err
	}
	c.NotBefore, c.NotAfter, c.CreatedAt = metasql.Time(notBefore), metasql.Time(notAfter), metasql.Time(crt)
	return &c, nil
}

package postgres

import "github.com/quarrylabs/quarry/internal/meta/sqltx"

var certificateQueries = sqltx.CertificateQueries{
	Put: `INSERT INTO tls_certificates (` + sqltx.CertificateColumns + `) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (dn_key) DO UPDATE SET subject_dn = excluded.subject_dn, issuer_dn = excluded.issuer_dn,
		not_before = excluded.not_before, not_after = excluded.not_after, chain_pem = excluded.chain_pem,
		key_enc = excluded.key_enc, created_at = excluded.created_at`,
	Get:    `SELECT ` + sqltx.CertificateColumns + ` FROM tls_certificates WHERE dn_key = $1`,
	List:   `SELECT ` + sqltx.CertificateColumns + ` FROM tls_certificates ORDER BY dn_key`,
	Delete: `DELETE FROM tls_certificates WHERE dn_key = $1`,
}

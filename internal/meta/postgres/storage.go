package postgres

import "github.com/quarrylabs/quarry/internal/meta/sqltx"

var storageQueries = sqltx.StorageQueries{
	CreateComponent: `INSERT INTO storage_components (label, label_key, storage_type, state, in_service, verified,
		class_id, fault_domain_id, config, secrets_enc, custom_metadata, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id`,
	GetComponent:   `SELECT ` + sqltx.ComponentColumns + ` FROM storage_components WHERE id = $1`,
	ListComponents: `SELECT ` + sqltx.ComponentColumns + ` FROM storage_components ORDER BY id`,
	UpdateComponent: `UPDATE storage_components SET label = $1, label_key = $2, storage_type = $3, state = $4,
		in_service = $5, verified = $6, class_id = $7, fault_domain_id = $8, config = $9, secrets_enc = $10,
		custom_metadata = $11, updated_at = $12 WHERE id = $13`,

	CreateClass: `INSERT INTO storage_classes (name, name_key, data_count, parity_count, is_default, created_at)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
	GetClass:    `SELECT ` + sqltx.ClassColumns + ` FROM storage_classes WHERE id = $1`,
	ListClasses: `SELECT ` + sqltx.ClassColumns + ` FROM storage_classes WHERE id > $1 ORDER BY id LIMIT $2`,
	UpdateClass: `UPDATE storage_classes SET name = $1, name_key = $2, data_count = $3, parity_count = $4,
		is_default = $5 WHERE id = $6`,

	CreateDomain:    `INSERT INTO storage_fault_domains (id, name, name_key, tags, created_at) VALUES ($1, $2, $3, $4, $5)`,
	GetDomain:       `SELECT ` + sqltx.DomainColumns + ` FROM storage_fault_domains WHERE id = $1`,
	ListDomains:     `SELECT ` + sqltx.DomainColumns + ` FROM storage_fault_domains WHERE id > $1 ORDER BY id LIMIT $2`,
	ListDomainsFrom: `SELECT ` + sqltx.DomainColumns + ` FROM storage_fault_domains WHERE id >= $1 ORDER BY id LIMIT $2`,
	UpdateDomain:    `UPDATE storage_fault_domains SET name = $1, name_key = $2, tags = $3 WHERE id = $4`,
}

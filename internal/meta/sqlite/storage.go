package sqlite

import (
	"fmt"
	"strings"

	"github.com/quarrylabs/quarry/internal/meta"
	"github.com/quarrylabs/quarry/internal/meta/metasql"
)

var _ meta.StorageTx = (*tx)(nil)

const (
	componentCols = `id, label, storage_type, state, verified, class_id, fault_domain_id, config, secrets_enc,
		custom_metadata, created_at, updated_at`

	qCreateComponent = `INSERT INTO storage_components (label, label_key, storage_type, state, in_service, verified,
		class_id, fault_domain_id, config, secrets_enc, custom_metadata, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`
	qGetComponent    = `SELECT ` + componentCols + ` FROM storage_components WHERE id = ?`
	qListComponents  = `SELECT ` + componentCols + ` FROM storage_components ORDER BY id`
	qUpdateComponent = `UPDATE storage_components SET label = ?, label_key = ?, storage_type = ?, state = ?,
		in_service = ?, verified = ?, class_id = ?, fault_domain_id = ?, config = ?, secrets_enc = ?,
		custom_metadata = ?, updated_at = ? WHERE id = ?`

	classCols    = `id, name, data_count, parity_count, is_default, created_at`
	qCreateClass = `INSERT INTO storage_classes (name, name_key, data_count, parity_count, is_default, created_at)
		VALUES (?, ?, ?, ?, ?, ?) RETURNING id`
	qGetClass    = `SELECT ` + classCols + ` FROM storage_classes WHERE id = ?`
	qListClasses = `SELECT ` + classCols + ` FROM storage_classes WHERE id > ? ORDER BY id LIMIT ?`
	qUpdateClass = `UPDATE storage_classes SET name = ?, name_key = ?, data_count = ?, parity_count = ?,
		is_default = ? WHERE id = ?`

	domainCols    = `id, name, tags, created_at`
	qCreateDomain = `INSERT INTO storage_fault_domains (id, name, name_key, tags, created_at) VALUES (?, ?, ?, ?, ?)`
	qGetDomain    = `SELECT ` + domainCols + ` FROM storage_fault_domains WHERE id = ?`
	qListDomains  = `SELECT ` + domainCols + ` FROM storage_fault_domains WHERE id > ? ORDER BY id LIMIT ?`
	qUpdateDomain = `UPDATE storage_fault_domains SET name = ?, name_key = ?, tags = ? WHERE id = ?`
)

// nameKey is the form names are compared in.
func nameKey(name string) string { return strings.ToLower(name) }

func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

func (t *tx) CreateStorageComponent(c *meta.StorageComponent) error {
	err := t.queryRow(qCreateComponent, c.Label, nameKey(c.Label), c.StorageType, string(c.State),
		boolInt(c.State.InService()), boolInt(c.Verified), c.ClassID, c.FaultDomainID, nonNil(c.Config),
		nonNil(c.SecretsEnc), nonNil(c.CustomMetadata), metasql.Nanos(c.CreatedAt), metasql.Nanos(c.UpdatedAt)).Scan(&c.ID)
	if err != nil {
		return fmt.Errorf("create storage component %q: %w", c.Label, classify(err))
	}
	return nil
}

func (t *tx) GetStorageComponent(id int64) (*meta.StorageComponent, error) {
	c, err := scanComponent(t.queryRow(qGetComponent, id))
	if err != nil {
		return nil, fmt.Errorf("get storage component %d: %w", id, classify(err))
	}
	return c, nil
}

func (t *tx) ListStorageComponents() ([]meta.StorageComponent, error) {
	rows, err := t.query(qListComponents)
	if err != nil {
		return nil, fmt.Errorf("list storage components: %w", err)
	}
	defer rows.Close()
	var out []meta.StorageComponent
	for rows.Next() {
		c, err := scanComponent(rows)
		if err != nil {
			return nil, fmt.Errorf("list storage components: %w", err)
		}
		out = append(out, *c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list storage components: %w", err)
	}
	return out, nil
}

func (t *tx) UpdateStorageComponent(c *meta.StorageComponent) error {
	found, err := t.execOne(qUpdateComponent, c.Label, nameKey(c.Label), c.StorageType, string(c.State),
		boolInt(c.State.InService()), boolInt(c.Verified), c.ClassID, c.FaultDomainID, nonNil(c.Config),
		nonNil(c.SecretsEnc), nonNil(c.CustomMetadata), metasql.Nanos(c.UpdatedAt), c.ID)
	if err != nil {
		return fmt.Errorf("update storage component %d: %w", c.ID, classify(err))
	}
	if !found {
		return fmt.Errorf("update storage component %d: %w", c.ID, meta.ErrNotFound)
	}
	return nil
}

func scanComponent(s scanner) (*meta.StorageComponent, error) {
	var (
		c                meta.StorageComponent
		state            string
		verified         int
		created, updated int64
	)
	err := s.Scan(&c.ID, &c.Label, &c.StorageType, &state, &verified, &c.ClassID, &c.FaultDomainID, &c.Config,
		&c.SecretsEnc, &c.CustomMetadata, &created, &updated)
	if err != nil {
		return nil, err
	}
	c.State, c.Verified = meta.StorageState(state), verified != 0
	c.CreatedAt, c.UpdatedAt = metasql.Time(created), metasql.Time(updated)
	return &c, nil
}

func (t *tx) CreateStorageClass(c *meta.StorageClass) error {
	err := t.queryRow(qCreateClass, c.Name, nameKey(c.Name), c.DataCount, c.ParityCount, boolInt(c.Default),
		metasql.Nanos(c.CreatedAt)).Scan(&c.ID)
	if err != nil {
		return fmt.Errorf("create storage class %q: %w", c.Name, classify(err))
	}
	return nil
}

func (t *tx) GetStorageClass(id int64) (*meta.StorageClass, error) {
	c, err := scanClass(t.queryRow(qGetClass, id))
	if err != nil {
		return nil, fmt.Errorf("get storage class %d: %w", id, classify(err))
	}
	return c, nil
}

func (t *tx) ListStorageClasses(afterID int64, limit int) ([]meta.StorageClass, error) {
	rows, err := t.query(qListClasses, afterID, sqlLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("list storage classes: %w", err)
	}
	defer rows.Close()
	var out []meta.StorageClass
	for rows.Next() {
		c, err := scanClass(rows)
		if err != nil {
			return nil, fmt.Errorf("list storage classes: %w", err)
		}
		out = append(out, *c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list storage classes: %w", err)
	}
	return out, nil
}

func (t *tx) UpdateStorageClass(c *meta.StorageClass) error {
	found, err := t.execOne(qUpdateClass, c.Name, nameKey(c.Name), c.DataCount, c.ParityCount, boolInt(c.Default), c.ID)
	if err != nil {
		return fmt.Errorf("update storage class %d: %w", c.ID, classify(err))
	}
	if !found {
		return fmt.Errorf("update storage class %d: %w", c.ID, meta.ErrNotFound)
	}
	return nil
}

func scanClass(s scanner) (*meta.StorageClass, error) {
	var (
		c       meta.StorageClass
		def     int
		created int64
	)
	if err := s.Scan(&c.ID, &c.Name, &c.DataCount, &c.ParityCount, &def, &created); err != nil {
		return nil, err
	}
	c.Default, c.CreatedAt = def != 0, metasql.Time(created)
	return &c, nil
}

func (t *tx) CreateStorageFaultDomain(d *meta.StorageFaultDomain) error {
	if d.ID == "" {
		return fmt.Errorf("create storage fault domain %q: an id is required", d.Name)
	}
	if _, err := t.exec(qCreateDomain, d.ID, d.Name, nameKey(d.Name), d.Tags, metasql.Nanos(d.CreatedAt)); err != nil {
		return fmt.Errorf("create storage fault domain %q: %w", d.Name, classify(err))
	}
	return nil
}

func (t *tx) GetStorageFaultDomain(id string) (*meta.StorageFaultDomain, error) {
	d, err := scanDomain(t.queryRow(qGetDomain, id))
	if err != nil {
		return nil, fmt.Errorf("get storage fault domain %s: %w", id, classify(err))
	}
	return d, nil
}

func (t *tx) ListStorageFaultDomains(afterID string, limit int) ([]meta.StorageFaultDomain, error) {
	rows, err := t.query(qListDomains, afterID, sqlLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("list storage fault domains: %w", err)
	}
	defer rows.Close()
	var out []meta.StorageFaultDomain
	for rows.Next() {
		d, err := scanDomain(rows)
		if err != nil {
			return nil, fmt.Errorf("list storage fault domains: %w", err)
		}
		out = append(out, *d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list storage fault domains: %w", err)
	}
	return out, nil
}

func (t *tx) UpdateStorageFaultDomain(d *meta.StorageFaultDomain) error {
	found, err := t.execOne(qUpdateDomain, d.Name, nameKey(d.Name), d.Tags, d.ID)
	if err != nil {
		return fmt.Errorf("update storage fault domain %s: %w", d.ID, classify(err))
	}
	if !found {
		return fmt.Errorf("update storage fault domain %s: %w", d.ID, meta.ErrNotFound)
	}
	return nil
}

func scanDomain(s scanner) (*meta.StorageFaultDomain, error) {
	var (
		d       meta.StorageFaultDomain
		created int64
	)
	if err := s.Scan(&d.ID, &d.Name, &d.Tags, &created); err != nil {
		return nil, err
	}
	d.CreatedAt = metasql.Time(created)
	return &d, nil
}

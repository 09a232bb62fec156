package postgres

import (
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/quarrylabs/quarry/internal/meta"
)

var _ meta.StorageTx = (*tx)(nil)

const (
	componentCols = `id, label, storage_type, state, verified, class_id, fault_domain_id, config, secrets_enc,
		custom_metadata, created_at, updated_at`

	qCreateComponent = `INSERT INTO storage_components (label, label_key, storage_type, state, in_service, verified,
		class_id, fault_domain_id, config, secrets_enc, custom_metadata, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id`
	qGetComponent    = `SELECT ` + componentCols + ` FROM storage_components WHERE id = $1`
	qListComponents  = `SELECT ` + componentCols + ` FROM storage_components ORDER BY id`
	qUpdateComponent = `UPDATE storage_components SET label = $1, label_key = $2, storage_type = $3, state = $4,
		in_service = $5, verified = $6, class_id = $7, fault_domain_id = $8, config = $9, secrets_enc = $10,
		custom_metadata = $11, updated_at = $12 WHERE id = $13`

	classCols    = `id, name, data_count, parity_count, is_default, created_at`
	qCreateClass = `INSERT INTO storage_classes (name, name_key, data_count, parity_count, is_default, created_at)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`
	qGetClass    = `SELECT ` + classCols + ` FROM storage_classes WHERE id = $1`
	qListClasses = `SELECT ` + classCols + ` FROM storage_classes WHERE id > $1 ORDER BY id LIMIT $2`
	qUpdateClass = `UPDATE storage_classes SET name = $1, name_key = $2, data_count = $3, parity_count = $4,
		is_default = $5 WHERE id = $6`

	domainCols    = `id, name, tags, created_at`
	qCreateDomain = `INSERT INTO storage_fault_domains (id, name, name_key, tags, created_at) VALUES ($1, $2, $3, $4, $5)`
	qGetDomain    = `SELECT ` + domainCols + ` FROM storage_fault_domains WHERE id = $1`
	qListDomains  = `SELECT ` + domainCols + ` FROM storage_fault_domains WHERE id > $1 ORDER BY id LIMIT $2`
	qUpdateDomain = `UPDATE storage_fault_domains SET name = $1, name_key = $2, tags = $3 WHERE id = $4`
)

// storageNameKey is the form storage names and labels are compared in: the
// same lower-casing as the SQLite store's, done here rather than by the
// database, whose lower() depends on its locale.
func storageNameKey(name string) string { return strings.ToLower(name) }

// nonNilBytes stores nil as an empty byte string in a NOT NULL column.
func nonNilBytes(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

func (t *tx) CreateStorageComponent(c *meta.StorageComponent) error {
	err := t.queryRow(qCreateComponent, c.Label, storageNameKey(c.Label), c.StorageType, string(c.State),
		c.State.InService(), c.Verified, c.ClassID, c.FaultDomainID, nonNilBytes(c.Config),
		nonNilBytes(c.SecretsEnc), nonNilBytes(c.CustomMetadata), nanosOf(c.CreatedAt), nanosOf(c.UpdatedAt)).Scan(&c.ID)
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
	found, err := t.execOne(qUpdateComponent, c.Label, storageNameKey(c.Label), c.StorageType, string(c.State),
		c.State.InService(), c.Verified, c.ClassID, c.FaultDomainID, nonNilBytes(c.Config),
		nonNilBytes(c.SecretsEnc), nonNilBytes(c.CustomMetadata), nanosOf(c.UpdatedAt), c.ID)
	if err != nil {
		return fmt.Errorf("update storage component %d: %w", c.ID, err)
	}
	if !found {
		return fmt.Errorf("update storage component %d: %w", c.ID, meta.ErrNotFound)
	}
	return nil
}

func scanComponent(s pgx.Row) (*meta.StorageComponent, error) {
	var (
		c                meta.StorageComponent
		state            string
		created, updated int64
	)
	err := s.Scan(&c.ID, &c.Label, &c.StorageType, &state, &c.Verified, &c.ClassID, &c.FaultDomainID, &c.Config,
		&c.SecretsEnc, &c.CustomMetadata, &created, &updated)
	if err != nil {
		return nil, err
	}
	c.State = meta.StorageState(state)
	c.CreatedAt, c.UpdatedAt = timeOf(created), timeOf(updated)
	return &c, nil
}

func (t *tx) CreateStorageClass(c *meta.StorageClass) error {
	err := t.queryRow(qCreateClass, c.Name, storageNameKey(c.Name), c.DataCount, c.ParityCount, c.Default,
		nanosOf(c.CreatedAt)).Scan(&c.ID)
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
	found, err := t.execOne(qUpdateClass, c.Name, storageNameKey(c.Name), c.DataCount, c.ParityCount, c.Default, c.ID)
	if err != nil {
		return fmt.Errorf("update storage class %d: %w", c.ID, err)
	}
	if !found {
		return fmt.Errorf("update storage class %d: %w", c.ID, meta.ErrNotFound)
	}
	return nil
}

func scanClass(s pgx.Row) (*meta.StorageClass, error) {
	var (
		c       meta.StorageClass
		created int64
	)
	if err := s.Scan(&c.ID, &c.Name, &c.DataCount, &c.ParityCount, &c.Default, &created); err != nil {
		return nil, err
	}
	c.CreatedAt = timeOf(created)
	return &c, nil
}

func (t *tx) CreateStorageFaultDomain(d *meta.StorageFaultDomain) error {
	if d.ID == "" {
		return fmt.Errorf("create storage fault domain %q: an id is required", d.Name)
	}
	if _, err := t.exec(qCreateDomain, d.ID, d.Name, storageNameKey(d.Name), d.Tags, nanosOf(d.CreatedAt)); err != nil {
		return fmt.Errorf("create storage fault domain %q: %w", d.Name, classify(err))
	}
	return nil
}

func (t *tx) GetStorageFaultDomain(id string) (*meta.StorageFaultDomain, error) {
	if !storable(id) {
		return nil, fmt.Errorf("get storage fault domain %q: %w", id, meta.ErrNotFound)
	}
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
	if !storable(d.ID) {
		return fmt.Errorf("update storage fault domain %q: %w", d.ID, meta.ErrNotFound)
	}
	found, err := t.execOne(qUpdateDomain, d.Name, storageNameKey(d.Name), d.Tags, d.ID)
	if err != nil {
		return fmt.Errorf("update storage fault domain %s: %w", d.ID, err)
	}
	if !found {
		return fmt.Errorf("update storage fault domain %s: %w", d.ID, meta.ErrNotFound)
	}
	return nil
}

func scanDomain(s pgx.Row) (*meta.StorageFaultDomain, error) {
	var (
		d       meta.StorageFaultDomain
		created int64
	)
	if err := s.Scan(&d.ID, &d.Name, &d.Tags, &created); err != nil {
		return nil, err
	}
	d.CreatedAt = timeOf(created)
	return &d, nil
}

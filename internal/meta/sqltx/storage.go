package sqltx

import (
	"fmt"
	"strings"

	"github.com/quarrylabs/quarry/internal/meta"
	"github.com/quarrylabs/quarry/internal/meta/metasql"
)

var _ meta.StorageTx = (*Tx)(nil)

// Columns of storage components, classes and fault domains, in the order
// their scanners read them.
const (
	ComponentColumns = `id, label, storage_type, state, verified, class_id, fault_domain_id, config, secrets_enc,
		custom_metadata, created_at, updated_at`
	ClassColumns  = `id, name, data_count, parity_count, is_default, created_at`
	DomainColumns = `id, name, tags, created_at`
)

// StorageQueries are the statements of storage components, classes and
// fault domains.
type StorageQueries struct {
	// CreateComponent (label, label_key, storage_type, state, in_service,
	// verified, class_id, fault_domain_id, config, secrets_enc,
	// custom_metadata, created_at, updated_at) RETURNING id.
	CreateComponent string
	// GetComponent (id) and ListComponents () select ComponentColumns, the
	// list by id.
	GetComponent, ListComponents string
	// UpdateComponent (label, label_key, storage_type, state, in_service,
	// verified, class_id, fault_domain_id, config, secrets_enc,
	// custom_metadata, updated_at, id).
	UpdateComponent string

	// CreateClass (name, name_key, data_count, parity_count, is_default,
	// created_at) RETURNING id.
	CreateClass string
	// GetClass (id) and ListClasses (afterID, limit) select ClassColumns.
	GetClass, ListClasses string
	// UpdateClass (name, name_key, data_count, parity_count, is_default, id).
	UpdateClass string

	// CreateDomain (id, name, name_key, tags, created_at).
	CreateDomain string
	// GetDomain (id) selects DomainColumns; ListDomains (afterID, limit)
	// those with a greater id and ListDomainsFrom (fromID, limit) those
	// from fromID on, by id.
	GetDomain, ListDomains, ListDomainsFrom string
	// UpdateDomain (name, name_key, tags, id).
	UpdateDomain string
}

// storageNameKey is the form storage names and labels are compared in,
// done here rather than by the database, whose lower() may depend on its
// locale.
func storageNameKey(name string) string { return strings.ToLower(name) }

func (t *Tx) CreateStorageComponent(c *meta.StorageComponent) error {
	err := t.c.QueryRow(t.d.Storage.CreateComponent, c.Label, storageNameKey(c.Label), c.StorageType, string(c.State),
		c.State.InService(), c.Verified, c.ClassID, c.FaultDomainID, metasql.NotNull(c.Config),
		metasql.NotNull(c.SecretsEnc), metasql.NotNull(c.CustomMetadata), metasql.Nanos(c.CreatedAt), metasql.Nanos(c.UpdatedAt)).Scan(&c.ID)
	if err != nil {
		return fmt.Errorf("create storage component %q: %w", c.Label, t.c.Classify(err))
	}
	return nil
}

func (t *Tx) GetStorageComponent(id int64) (*meta.StorageComponent, error) {
	c, err := scanComponent(t.c.QueryRow(t.d.Storage.GetComponent, id))
	if err != nil {
		return nil, fmt.Errorf("get storage component %d: %w", id, t.c.Classify(err))
	}
	return c, nil
}

func (t *Tx) ListStorageComponents() ([]meta.StorageComponent, error) {
	out, err := queryAll(t.c, scanComponent, t.d.Storage.ListComponents)
	if err != nil {
		return nil, fmt.Errorf("list storage components: %w", err)
	}
	return out, nil
}

func (t *Tx) UpdateStorageComponent(c *meta.StorageComponent) error {
	found, err := t.execOne(t.d.Storage.UpdateComponent, c.Label, storageNameKey(c.Label), c.StorageType, string(c.State),
		c.State.InService(), c.Verified, c.ClassID, c.FaultDomainID, metasql.NotNull(c.Config),
		metasql.NotNull(c.SecretsEnc), metasql.NotNull(c.CustomMetadata), metasql.Nanos(c.UpdatedAt), c.ID)
	if err != nil {
		return fmt.Errorf("update storage component %d: %w", c.ID, err)
	}
	if !found {
		return fmt.Errorf("update storage component %d: %w", c.ID, meta.ErrNotFound)
	}
	return nil
}

func scanComponent(r Row) (*meta.StorageComponent, error) {
	var (
		c                meta.StorageComponent
		state            string
		created, updated int64
	)
	err := r.Scan(&c.ID, &c.Label, &c.StorageType, &state, &c.Verified, &c.ClassID, &c.FaultDomainID, &c.Config,
		&c.SecretsEnc, &c.CustomMetadata, &created, &updated)
	if err != nil {
		return nil, err
	}
	c.State = meta.StorageState(state)
	c.CreatedAt, c.UpdatedAt = metasql.Time(created), metasql.Time(updated)
	return &c, nil
}

func (t *Tx) CreateStorageClass(c *meta.StorageClass) error {
	err := t.c.QueryRow(t.d.Storage.CreateClass, c.Name, storageNameKey(c.Name), c.DataCount, c.ParityCount, c.Default,
		metasql.Nanos(c.CreatedAt)).Scan(&c.ID)
	if err != nil {
		return fmt.Errorf("create storage class %q: %w", c.Name, t.c.Classify(err))
	}
	return nil
}

func (t *Tx) GetStorageClass(id int64) (*meta.StorageClass, error) {
	c, err := scanClass(t.c.QueryRow(t.d.Storage.GetClass, id))
	if err != nil {
		return nil, fmt.Errorf("get storage class %d: %w", id, t.c.Classify(err))
	}
	return c, nil
}

func (t *Tx) ListStorageClasses(afterID int64, n int) ([]meta.StorageClass, error) {
	out, err := queryAll(t.c, scanClass, t.d.Storage.ListClasses, afterID, limit(n))
	if err != nil {
		return nil, fmt.Errorf("list storage classes: %w", err)
	}
	return out, nil
}

func (t *Tx) UpdateStorageClass(c *meta.StorageClass) error {
	found, err := t.execOne(t.d.Storage.UpdateClass, c.Name, storageNameKey(c.Name), c.DataCount, c.ParityCount, c.Default, c.ID)
	if err != nil {
		return fmt.Errorf("update storage class %d: %w", c.ID, err)
	}
	if !found {
		return fmt.Errorf("update storage class %d: %w", c.ID, meta.ErrNotFound)
	}
	return nil
}

func scanClass(r Row) (*meta.StorageClass, error) {
	var (
		c       meta.StorageClass
		created int64
	)
	if err := r.Scan(&c.ID, &c.Name, &c.DataCount, &c.ParityCount, &c.Default, &created); err != nil {
		return nil, err
	}
	c.CreatedAt = metasql.Time(created)
	return &c, nil
}

func (t *Tx) CreateStorageFaultDomain(d *meta.StorageFaultDomain) error {
	if d.ID == "" {
		return fmt.Errorf("create storage fault domain %q: an id is required", d.Name)
	}
	_, err := t.c.Exec(t.d.Storage.CreateDomain, d.ID, d.Name, storageNameKey(d.Name), d.Tags, metasql.Nanos(d.CreatedAt))
	if err != nil {
		return fmt.Errorf("create storage fault domain %q: %w", d.Name, t.c.Classify(err))
	}
	return nil
}

func (t *Tx) GetStorageFaultDomain(id string) (*meta.StorageFaultDomain, error) {
	if !t.storable(id) {
		return nil, fmt.Errorf("get storage fault domain %q: %w", id, meta.ErrNotFound)
	}
	d, err := scanDomain(t.c.QueryRow(t.d.Storage.GetDomain, id))
	if err != nil {
		return nil, fmt.Errorf("get storage fault domain %s: %w", id, t.c.Classify(err))
	}
	return d, nil
}

func (t *Tx) ListStorageFaultDomains(afterID string, n int) ([]meta.StorageFaultDomain, error) {
	query := t.d.Storage.ListDomains
	if !t.storable(afterID) {
		// From a position no id can be: from the first text after it.
		ceil, ok := meta.TextCeil(afterID)
		if !ok {
			return nil, nil // no id sorts after afterID
		}
		query, afterID = t.d.Storage.ListDomainsFrom, ceil
	}
	out, err := queryAll(t.c, scanDomain, query, afterID, limit(n))
	if err != nil {
		return nil, fmt.Errorf("list storage fault domains: %w", err)
	}
	return out, nil
}

func (t *Tx) UpdateStorageFaultDomain(d *meta.StorageFaultDomain) error {
	if !t.storable(d.ID) {
		return fmt.Errorf("update storage fault domain %q: %w", d.ID, meta.ErrNotFound)
	}
	found, err := t.execOne(t.d.Storage.UpdateDomain, d.Name, storageNameKey(d.Name), d.Tags, d.ID)
	if err != nil {
		return fmt.Errorf("update storage fault domain %s: %w", d.ID, err)
	}
	if !found {
		return fmt.Errorf("update storage fault domain %s: %w", d.ID, meta.ErrNotFound)
	}
	return nil
}

func scanDomain(r Row) (*meta.StorageFaultDomain, error) {
	var (
		d       meta.StorageFaultDomain
		created int64
	)
	if err := r.Scan(&d.ID, &d.Name, &d.Tags, &created); err != nil {
		return nil, err
	}
	d.CreatedAt = metasql.Time(created)
	return &d, nil
}

package storage

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/quarrylabs/quarry/internal/meta"
)

// DefaultClassName is the storage class every server has from its first
// start, the default of new components. Quarry keeps no copies of its own
// (the component's endpoint decides durability), so the class records one
// data copy and no parity.
const DefaultClassName = "STANDARD"

// maxNameLength bounds class and fault domain names and tags.
const maxNameLength = 255

// Class is a storage class with the components in it.
type Class struct {
	meta.StorageClass
	Components []int64
}

// FaultDomain is a fault domain with the components in it.
type FaultDomain struct {
	meta.StorageFaultDomain
	Components []int64
}

// EnsureDefaultClass makes sure one class is the default: the class named
// STANDARD, created when missing.
func (s *Service) EnsureDefaultClass(ctx context.Context) error {
	err := s.cfg.Meta.Update(ctx, func(tx meta.Tx) error {
		all, err := tx.ListStorageClasses(0, 0)
		if err != nil {
			return err
		}
		for i := range all {
			if all[i].Default {
				return nil
			}
		}
		for i := range all {
			if strings.EqualFold(all[i].Name, DefaultClassName) {
				all[i].Default = true
				return tx.UpdateStorageClass(&all[i])
			}
		}
		return tx.CreateStorageClass(&meta.StorageClass{Name: DefaultClassName, DataCount: 1, ParityCount: 0,
			Default: true, CreatedAt: s.cfg.Now()})
	})
	if errors.Is(err, meta.ErrExists) {
		return nil // another node made it at the same moment
	}
	if err != nil {
		return fmt.Errorf("default storage class: %w", err)
	}
	return nil
}

func checkName(what, name string) (string, error) {
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		return "", fmt.Errorf("%w: %s is required", ErrInvalid, what)
	case len(name) > maxNameLength || strings.ContainsFunc(name, isControl):
		return "", fmt.Errorf("%w: %s must be at most %d printable characters", ErrInvalid, what, maxNameLength)
	}
	return name, nil
}

func checkCounts(data, parity int) error {
	if data < 1 || data > 64 {
		return fmt.Errorf("%w: dataCount must be 1 to 64", ErrInvalid)
	}
	if parity < 0 || parity > 64 {
		return fmt.Errorf("%w: parityCount must be 0 to 64", ErrInvalid)
	}
	return nil
}

// CreateClass adds a storage class. Quarry stores the counts as given:
// it keeps no copies or parity of its own.
func (s *Service) CreateClass(ctx context.Context, name string, data, parity int) (*Class, error) {
	name, err := checkName("name", name)
	if err != nil {
		return nil, err
	}
	if err := checkCounts(data, parity); err != nil {
		return nil, err
	}
	c := meta.StorageClass{Name: name, DataCount: data, ParityCount: parity, CreatedAt: s.cfg.Now()}
	err = s.cfg.Meta.Update(ctx, func(tx meta.Tx) error { return tx.CreateStorageClass(&c) })
	if errors.Is(err, meta.ErrExists) {
		return nil, fmt.Errorf("%w: a storage class named %q already exists", ErrConflict, name)
	}
	if err != nil {
		return nil, err
	}
	return &Class{StorageClass: c, Components: []int64{}}, nil
}

// ClassUpdate is what storage_class/update changes; nil fields stay.
type ClassUpdate struct {
	Name        *string
	DataCount   *int
	ParityCount *int
}

// UpdateClass changes a class.
func (s *Service) UpdateClass(ctx context.Context, id int64, u ClassUpdate) (*Class, error) {
	var out *Class
	err := s.cfg.Meta.Update(ctx, func(tx meta.Tx) error {
		c, err := getClass(tx, id)
		if err != nil {
			return err
		}
		if u.Name != nil {
			if c.Name, err = checkName("name", *u.Name); err != nil {
				return err
			}
		}
		if u.DataCount != nil {
			c.DataCount = *u.DataCount
		}
		if u.ParityCount != nil {
			c.ParityCount = *u.ParityCount
		}
		if err := checkCounts(c.DataCount, c.ParityCount); err != nil {
			return err
		}
		if err := tx.UpdateStorageClass(c); err != nil {
			if errors.Is(err, meta.ErrExists) {
				return fmt.Errorf("%w: a storage class named %q already exists", ErrConflict, c.Name)
			}
			return err
		}
		out, err = withComponents(tx, c)
		return err
	})
	return out, err
}

// GetClass returns a class.
func (s *Service) GetClass(ctx context.Context, id int64) (*Class, error) {
	var out *Class
	err := s.cfg.Meta.View(ctx, func(tx meta.Tx) error {
		c, err := getClass(tx, id)
		if err != nil {
			return err
		}
		out, err = withComponents(tx, c)
		return err
	})
	return out, err
}

// DefaultClass returns the default class.
func (s *Service) DefaultClass(ctx context.Context) (*Class, error) {
	var out *Class
	err := s.cfg.Meta.View(ctx, func(tx meta.Tx) error {
		id, err := defaultClassID(tx)
		if err != nil {
			return err
		}
		c, err := getClass(tx, id)
		if err != nil {
			return err
		}
		out, err = withComponents(tx, c)
		return err
	})
	return out, err
}

// SetDefaultClass makes class id the default.
func (s *Service) SetDefaultClass(ctx context.Context, id int64) (*Class, error) {
	var out *Class
	err := s.cfg.Meta.Update(ctx, func(tx meta.Tx) error {
		c, err := getClass(tx, id)
		if err != nil {
			return err
		}
		if !c.Default {
			if old, err := defaultClassID(tx); err == nil {
				prev, err := getClass(tx, old)
				if err != nil {
					return err
				}
				prev.Default = false
				if err := tx.UpdateStorageClass(prev); err != nil {
					return err
				}
			}
			c.Default = true
			if err := tx.UpdateStorageClass(c); err != nil {
				return err
			}
		}
		out, err = withComponents(tx, c)
		return err
	})
	return out, err
}

// ListClasses lists up to limit classes after afterID; more says whether
// others follow.
func (s *Service) ListClasses(ctx context.Context, afterID int64, limit int) (out []Class, more bool, err error) {
	err = s.cfg.Meta.View(ctx, func(tx meta.Tx) error {
		page, err := tx.ListStorageClasses(afterID, limit+1)
		if err != nil {
			return err
		}
		if len(page) > limit {
			page, more = page[:limit], true
		}
		comps, err := tx.ListStorageComponents()
		if err != nil {
			return err
		}
		for _, c := range page {
			cl := Class{StorageClass: c, Components: []int64{}}
			for _, comp := range comps {
				if comp.ClassID == c.ID {
					cl.Components = append(cl.Components, comp.ID)
				}
			}
			out = append(out, cl)
		}
		return nil
	})
	return out, more, err
}

func getClass(tx meta.Tx, id int64) (*meta.StorageClass, error) {
	c, err := tx.GetStorageClass(id)
	if errors.Is(err, meta.ErrNotFound) {
		return nil, fmt.Errorf("%w: storage class %d does not exist", ErrNotFound, id)
	}
	return c, err
}

func defaultClassID(tx meta.Tx) (int64, error) {
	all, err := tx.ListStorageClasses(0, 0)
	if err != nil {
		return 0, err
	}
	for _, c := range all {
		if c.Default {
			return c.ID, nil
		}
	}
	return 0, fmt.Errorf("%w: no storage class is the default", ErrNotFound)
}

func withComponents(tx meta.Tx, c *meta.StorageClass) (*Class, error) {
	comps, err := tx.ListStorageComponents()
	if err != nil {
		return nil, err
	}
	out := &Class{StorageClass: *c, Components: []int64{}}
	for _, comp := range comps {
		if comp.ClassID == c.ID {
			out.Components = append(out.Components, comp.ID)
		}
	}
	return out, nil
}

// findClass resolves a component's storageClass: a class id, or a name
// in any case; empty is the default class.
func findClass(tx meta.Tx, ref string) (int64, error) {
	ref = strings.TrimSpace(ref)
	if ref == "" {
		return defaultClassID(tx)
	}
	all, err := tx.ListStorageClasses(0, 0)
	if err != nil {
		return 0, err
	}
	id, numeric := strconv.ParseInt(ref, 10, 64)
	for _, c := range all {
		if strings.EqualFold(c.Name, ref) || (numeric == nil && c.ID == id) {
			return c.ID, nil
		}
	}
	return 0, fmt.Errorf("%w: storage class %q does not exist (create it with storage_class/create)", ErrInvalid, ref)
}

// CreateFaultDomain adds a fault domain with a new UUID.
func (s *Service) CreateFaultDomain(ctx context.Context, name, tags string) (*FaultDomain, error) {
	name, err := checkName("name", name)
	if err != nil {
		return nil, err
	}
	if len(tags) > maxNameLength {
		return nil, fmt.Errorf("%w: tags must be at most %d characters", ErrInvalid, maxNameLength)
	}
	d := meta.StorageFaultDomain{ID: newUUID(), Name: name, Tags: tags, CreatedAt: s.cfg.Now()}
	err = s.cfg.Meta.Update(ctx, func(tx meta.Tx) error { return tx.CreateStorageFaultDomain(&d) })
	if errors.Is(err, meta.ErrExists) {
		return nil, fmt.Errorf("%w: a storage fault domain named %q already exists", ErrConflict, name)
	}
	if err != nil {
		return nil, err
	}
	return &FaultDomain{StorageFaultDomain: d, Components: []int64{}}, nil
}

// UpdateFaultDomain changes a fault domain's name or tags (nil: kept).
func (s *Service) UpdateFaultDomain(ctx context.Context, id string, name, tags *string) (*FaultDomain, error) {
	var out *FaultDomain
	err := s.cfg.Meta.Update(ctx, func(tx meta.Tx) error {
		d, err := getDomain(tx, id)
		if err != nil {
			return err
		}
		if name != nil {
			if d.Name, err = checkName("name", *name); err != nil {
				return err
			}
		}
		if tags != nil {
			if len(*tags) > maxNameLength {
				return fmt.Errorf("%w: tags must be at most %d characters", ErrInvalid, maxNameLength)
			}
			d.Tags = *tags
		}
		if err := tx.UpdateStorageFaultDomain(d); err != nil {
			if errors.Is(err, meta.ErrExists) {
				return fmt.Errorf("%w: a storage fault domain named %q already exists", ErrConflict, d.Name)
			}
			return err
		}
		out, err = domainWithComponents(tx, d)
		return err
	})
	return out, err
}

// GetFaultDomain returns a fault domain.
func (s *Service) GetFaultDomain(ctx context.Context, id string) (*FaultDomain, error) {
	var out *FaultDomain
	err := s.cfg.Meta.View(ctx, func(tx meta.Tx) error {
		d, err := getDomain(tx, id)
		if err != nil {
			return err
		}
		out, err = domainWithComponents(tx, d)
		return err
	})
	return out, err
}

// ListFaultDomains lists up to limit domains after afterID.
func (s *Service) ListFaultDomains(ctx context.Context, afterID string, limit int) (out []FaultDomain, more bool, err error) {
	err = s.cfg.Meta.View(ctx, func(tx meta.Tx) error {
		page, err := tx.ListStorageFaultDomains(afterID, limit+1)
		if err != nil {
			return err
		}
		if len(page) > limit {
			page, more = page[:limit], true
		}
		for i := range page {
			d, err := domainWithComponents(tx, &page[i])
			if err != nil {
				return err
			}
			out = append(out, *d)
		}
		return nil
	})
	return out, more, err
}

func getDomain(tx meta.Tx, id string) (*meta.StorageFaultDomain, error) {
	d, err := tx.GetStorageFaultDomain(id)
	if errors.Is(err, meta.ErrNotFound) {
		return nil, fmt.Errorf("%w: storage fault domain %s does not exist", ErrNotFound, id)
	}
	return d, err
}

func domainWithComponents(tx meta.Tx, d *meta.StorageFaultDomain) (*FaultDomain, error) {
	comps, err := tx.ListStorageComponents()
	if err != nil {
		return nil, err
	}
	out := &FaultDomain{StorageFaultDomain: *d, Components: []int64{}}
	for _, comp := range comps {
		if comp.FaultDomainID == d.ID {
			out.Components = append(out.Components, comp.ID)
		}
	}
	return out, nil
}

// findDomain resolves a component's storageFaultDomain: an id or a name
// in any case; empty is none.
func findDomain(tx meta.Tx, ref string) (string, error) {
	ref = strings.TrimSpace(ref)
	if ref == "" {
		return "", nil
	}
	all, err := tx.ListStorageFaultDomains("", 0)
	if err != nil {
		return "", err
	}
	for _, d := range all {
		if d.ID == ref || strings.EqualFold(d.Name, ref) {
			return d.ID, nil
		}
	}
	return "", fmt.Errorf("%w: storage fault domain %q does not exist (create it with storage_fault_domain/create)", ErrInvalid, ref)
}

package meta

import "time"

// StorageState is the state of a storage component.
type StorageState string

// Storage component states. A component in service (ACTIVE, READ_ONLY or
// PAUSED) is the one the server keeps object data on; at most one is.
const (
	// StorageUnverified: registered, never tested successfully since its
	// connection settings were last set.
	StorageUnverified StorageState = "UNVERIFIED"
	// StorageActive: in service, read and written.
	StorageActive StorageState = "ACTIVE"
	// StorageReadOnly: in service, read but not written.
	StorageReadOnly StorageState = "READ_ONLY"
	// StoragePaused: in service, neither read nor written.
	StoragePaused StorageState = "PAUSED"
	// StorageInactive: tested, or decommissioned, and not in service.
	StorageInactive StorageState = "INACTIVE"
)

// InService reports whether a component in state s holds the server's
// object data.
func (s StorageState) InService() bool {
	return s == StorageActive || s == StorageReadOnly || s == StoragePaused
}

// StorageComponent is a registered storage component: a bucket on an S3
// endpoint that object data can be kept in.
type StorageComponent struct {
	// ID is set by CreateStorageComponent: positive, never reused.
	ID int64
	// Label is the component's name, unique without regard to case.
	Label       string
	StorageType string
	State       StorageState
	// Verified says that the last test of the current connection
	// settings succeeded.
	Verified bool
	ClassID  int64
	// FaultDomainID is the id of its fault domain; empty for none.
	FaultDomainID string
	// Config holds the connection settings as the storage package encodes
	// them (no secrets); SecretsEnc the secrets, sealed by the auth
	// package; CustomMetadata the caller's JSON object.
	Config         []byte
	SecretsEnc     []byte
	CustomMetadata []byte
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// StorageClass is a named storage class; components belong to one.
type StorageClass struct {
	// ID is set by CreateStorageClass: positive, never reused.
	ID int64
	// Name is unique without regard to case.
	Name        string
	DataCount   int
	ParityCount int
	// Default marks the class new components get; at most one has it.
	Default   bool
	CreatedAt time.Time
}

// StorageFaultDomain is a named fault domain; components may belong to one.
type StorageFaultDomain struct {
	// ID is a UUID the caller assigns.
	ID string
	// Name is unique without regard to case.
	Name      string
	Tags      string
	CreatedAt time.Time
}

// StorageTx reads and writes storage components, classes and fault
// domains. Names (labels) that differ only in case are one name: creating
// or renaming to a taken one is ErrExists. A limit of zero or less lists
// everything.
type StorageTx interface {
	// CreateStorageComponent inserts c and sets c.ID. ErrExists when its
	// label is taken, or when c is in service while another component is.
	CreateStorageComponent(c *StorageComponent) error
	// GetStorageComponent returns ErrNotFound when absent.
	GetStorageComponent(id int64) (*StorageComponent, error)
	// ListStorageComponents lists every component by id.
	ListStorageComponents() ([]StorageComponent, error)
	// UpdateStorageComponent replaces every field of component c.ID but
	// CreatedAt. ErrNotFound when absent; ErrExists as for create.
	UpdateStorageComponent(c *StorageComponent) error

	// CreateStorageClass inserts c and sets c.ID; ErrExists when its name
	// is taken or when c is Default while another class is.
	CreateStorageClass(c *StorageClass) error
	// GetStorageClass returns ErrNotFound when absent.
	GetStorageClass(id int64) (*StorageClass, error)
	// ListStorageClasses lists up to limit classes with ids above afterID,
	// by id.
	ListStorageClasses(afterID int64, limit int) ([]StorageClass, error)
	// UpdateStorageClass replaces the name, counts and Default flag of
	// class c.ID. ErrNotFound when absent; ErrExists as for create.
	UpdateStorageClass(c *StorageClass) error

	// CreateStorageFaultDomain inserts d; ErrExists when its id or name is
	// taken.
	CreateStorageFaultDomain(d *StorageFaultDomain) error
	// GetStorageFaultDomain returns ErrNotFound when absent.
	GetStorageFaultDomain(id string) (*StorageFaultDomain, error)
	// ListStorageFaultDomains lists up to limit domains with ids above
	// afterID (byte-wise), by id.
	ListStorageFaultDomains(afterID string, limit int) ([]StorageFaultDomain, error)
	// UpdateStorageFaultDomain replaces the name and tags of domain d.ID.
	// ErrNotFound when absent; ErrExists when the name is taken.
	UpdateStorageFaultDomain(d *StorageFaultDomain) error
}

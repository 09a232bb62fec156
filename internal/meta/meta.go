// Package meta defines Quarry's metadata model and the Store interface that
// every metadata backend implements: SQLite (embedded, the default) and,
// later, PostgreSQL for scale-out. The database is the source of truth: an
// object exists when its version row is committed, never before.
//
// Keys and names are compared byte-wise (S3 lists in UTF-8 binary order);
// backends must use a binary collation. Stored keys and names are valid
// UTF-8 without NUL bytes (package object checks keys), which a backend may
// rely on; what a client asks for (a prefix, a marker, a version id) may be
// any bytes, and names no row when it could not be stored.
package meta

import (
	"context"
	"errors"
	"time"
)

// Sentinel errors. Backends return them (possibly wrapped) so callers can use
// errors.Is.
var (
	// ErrNotFound is returned when the named row does not exist.
	ErrNotFound = errors.New("meta: not found")
	// ErrExists is returned when a row with the same unique key exists.
	ErrExists = errors.New("meta: already exists")
	// ErrConflict is returned by Update when it gave up running fn again
	// because its transaction kept losing conflicts with concurrent ones
	// (see WithConflictBudget). Nothing fn did was committed; smaller
	// transactions over the same rows may get through where it did not.
	ErrConflict = errors.New("meta: transaction keeps conflicting with concurrent ones")
)

// conflictBudgetKey is the context key of WithConflictBudget.
type conflictBudgetKey struct{}

// WithConflictBudget returns ctx saying how long Update may go on running
// a transaction again that conflicts with concurrent ones before it gives
// up with ErrConflict. A caller that can split its work into smaller
// transactions (a job's page, say) asks for a short budget and splits
// when it runs out, rather than waiting out the store's default while
// writers keep winning. Stores whose writers never conflict ignore it.
func WithConflictBudget(ctx context.Context, d time.Duration) context.Context {
	return context.WithValue(ctx, conflictBudgetKey{}, d)
}

// ConflictBudget is the budget WithConflictBudget put in ctx, or def.
func ConflictBudget(ctx context.Context, def time.Duration) time.Duration {
	if d, ok := ctx.Value(conflictBudgetKey{}).(time.Duration); ok && d > 0 {
		return d
	}
	return def
}

// NullVersion is the version id of an object written while versioning was
// never enabled or is suspended (AWS's "null" version).
const NullVersion = "null"

// Role is a user's role.
type Role string

// Roles.
const (
	RoleAdmin Role = "ADMIN"
	RoleUser  Role = "USER"
)

// User is an account. PasswordHash is a bcrypt hash; the clear password is
// never stored.
type User struct {
	ID           int64
	Username     string
	PasswordHash string
	Role         Role
	CreatedAt    time.Time
}

// AccessKey is an S3 credential. SigV4 needs the secret in clear, so it is
// kept sealed (encrypted) by the auth package and opened on use.
type AccessKey struct {
	AccessKey string
	UserID    int64
	SecretEnc []byte
	CreatedAt time.Time
}

// Versioning is a bucket's versioning state.
type Versioning string

// Versioning states. The zero value means versioning was never enabled.
const (
	VersioningOff       Versioning = ""
	VersioningEnabled   Versioning = "Enabled"
	VersioningSuspended Versioning = "Suspended"
)

// Bucket is a bucket's configuration.
type Bucket struct {
	Name string
	// ID is the bucket's number, set by CreateBucket (which ignores what
	// the caller put there): positive, unique, and never reused, not even
	// once the bucket is deleted and its name taken again.
	ID         int64
	OwnerID    int64
	CreatedAt  time.Time
	Versioning Versioning
	// Tags is the bucket's tag set; nil means the bucket has none.
	Tags map[string]string
	// Replication is the bucket's replication configuration as the
	// replication package encodes it; nil means none. It is written by
	// SetBucketReplication only (CreateBucket ignores it), so that the
	// configuration and the targets it names are always set together.
	Replication []byte
	// Notification is the bucket's notification configuration as the
	// notify package encodes it; nil means none. Like Replication it is
	// written by its own setter only (SetBucketNotification).
	Notification []byte
	// Encryption is the bucket's default encryption configuration as the
	// object package encodes it; nil means none. It is written by
	// SetBucketEncryption only; CreateBucket ignores it.
	Encryption []byte
	// Lifecycle is the bucket's lifecycle configuration as the lifecycle
	// package encodes it; nil means none. Like Replication it is written by
	// its own setter only (SetBucketLifecycle); CreateBucket ignores it.
	Lifecycle []byte
	// ACL is the bucket's canned ACL as the acl package names it; empty
	// means private. CreateBucket stores it; SetBucketACL changes it.
	ACL string
	// CORS is the bucket's CORS configuration as the cors package encodes
	// it; nil means none. Like Lifecycle it is written by its own setter
	// only (SetBucketCORS); CreateBucket ignores it.
	CORS []byte
}

// Usage holds a bucket's usage counters. They are changed in the same
// transaction as every object change, so they are exact.
//
// Objects and Bytes count current objects (the latest version of each key,
// when it is not a delete marker). Versions and VersionBytes count every
// stored version that holds data (delete markers are not counted).
type Usage struct {
	Objects      int64
	Bytes        int64
	Versions     int64
	VersionBytes int64
}

// Add returns u plus d.
func (u Usage) Add(d Usage) Usage {
	return Usage{
		Objects:      u.Objects + d.Objects,
		Bytes:        u.Bytes + d.Bytes,
		Versions:     u.Versions + d.Versions,
		VersionBytes: u.VersionBytes + d.VersionBytes,
	}
}

// Segment is one stored piece of an object's data: a single PUT has one, a
// multipart object one per part, in order.
//
// An encrypted segment carries its data key, sealed by a key-encryption
// key (package sse); Size is the plaintext size all the same, and the blob
// holds the sealed stream (sse.SealedSize(Size) bytes).
type Segment struct {
	BlobID string `json:"b"`
	Size   int64  `json:"s"`
	// SealedKey is nil when the blob holds plaintext.
	SealedKey []byte `json:"k,omitempty"`
	// Checksum is, for a part of a multipart object with a checksum, the
	// part's checksum of the object's algorithm (base64), as uploaded; it
	// answers GetObjectAttributes and GET ?partNumber. Empty otherwise.
	Checksum string `json:"c,omitempty"`
}

// Version is one version of an object (or a delete marker).
type Version struct {
	Bucket    string
	Key       string
	VersionID string
	// Seq is assigned by the store on insert and grows strictly; among the
	// versions of a key, a higher Seq is newer.
	Seq          int64
	IsLatest     bool
	DeleteMarker bool
	Size         int64
	// ETag is stored without quotes: hex MD5, or hex-N for multipart.
	ETag         string
	LastModified time.Time
	ContentType  string
	// Headers holds the other stored response headers, by canonical name:
	// Cache-Control, Content-Disposition, Content-Encoding,
	// Content-Language, Expires.
	Headers map[string]string
	// UserMeta holds x-amz-meta-* values, keyed by the lower-case name
	// without the prefix.
	UserMeta map[string]string
	// Checksums maps an algorithm (CRC32, CRC32C, SHA1, SHA256, CRC64NVME)
	// to its base64 value. A multipart object's composite checksum ends in
	// "-N".
	Checksums map[string]string
	Tags      map[string]string
	Segments  []Segment
	OwnerID   int64
	// ReplicationStatus sums up the version's replication (see
	// ReplicationStatus); empty when no rule matched it.
	ReplicationStatus ReplicationStatus
	// SSE is the server-side encryption the version's data is stored
	// under (SSEAES256), or empty for plaintext; each segment then carries
	// its sealed data key.
	SSE string
	// Inline reports that the store itself holds the version's data (an
	// inline version: a small object kept with its metadata, so that
	// writing it costs one commit and no blob). An inline version has no
	// Segments, and is never encrypted (SSE is empty: an object stored
	// under SSE always goes to a blob) nor multipart. Every read (GetVersion,
	// GetLatest, NewestVersion and the lists) returns the flag; none
	// returns the data, which GetInline reads, so that lists and HEAD never
	// load it.
	Inline bool
	// InlineData is the data of an inline version, Size bytes (nil is
	// empty). PutVersion stores it, in the same transaction as the row,
	// when Inline is set, and ignores it otherwise. Reads leave it nil.
	InlineData []byte
}

// SSEAES256 is SSE-S3: data encrypted at rest with AES-256-GCM under keys
// the server holds (x-amz-server-side-encryption: AES256).
const SSEAES256 = "AES256"

// Upload is a multipart upload in progress.
type Upload struct {
	ID        string
	Bucket    string
	Key       string
	Initiated time.Time
	OwnerID   int64
	// What the completed object will carry.
	ContentType       string
	Headers           map[string]string
	UserMeta          map[string]string
	Tags              map[string]string
	ChecksumAlgorithm string
	ChecksumType      string
	// ACL is the canned ACL the completed object gets (see Bucket.ACL).
	ACL string
	// SSE is the encryption every part is stored under (SSEAES256), or
	// empty for plaintext.
	SSE string
}

// Part is an uploaded part of a multipart upload. A part's data is always
// in a blob: parts are never inline (see Version.Inline).
type Part struct {
	UploadID     string
	Number       int
	Size         int64
	ETag         string // hex MD5, no quotes
	BlobID       string
	LastModified time.Time
	Checksums    map[string]string
	// SealedKey is the part's data key, sealed as Segment.SealedKey; nil
	// when the part is stored in plaintext. Size is the plaintext size.
	SealedKey []byte
}

// Store is a metadata backend. Every read and write happens in a
// transaction; Update transactions are serialisable with respect to each
// other. A Tx must not be used after fn returns.
type Store interface {
	// View runs fn in a read-only transaction.
	View(ctx context.Context, fn func(Tx) error) error
	// Update runs fn in a read-write transaction, committed if fn returns
	// nil and rolled back otherwise. The error fn returns is returned as is.
	//
	// Update may run fn more than once: a store whose writers run
	// concurrently (PostgreSQL) rolls back a transaction that lost a
	// serialisation conflict or was picked as a deadlock victim and runs
	// fn again on a new one. So fn must have no effects outside the
	// transaction (no blobs written or deleted, no messages sent, no
	// metrics counted, no state of the caller changed for good), and
	// whatever it records for the caller (results, slices it appends to)
	// must be reset at its start. Effects that depend on the commit belong
	// after Update returns nil. When conflicts go on past the budget
	// (WithConflictBudget, else the store's own), Update returns an error
	// wrapping ErrConflict.
	Update(ctx context.Context, fn func(Tx) error) error
	Close() error
}

// Tx is a transaction. The groups are split by concern.
type Tx interface {
	BucketTx
	AccessTx
	ObjectTx
	UploadTx
	UserTx
	TrashTx
	SettingTx
	JobTx
	ReplicationTx
	NotificationTx
	OutboxTx
	SSETx
	RefreshTx
	CertificateTx
	EventTx
	StorageTx
}

// BucketTx reads and writes buckets and their usage counters.
type BucketTx interface {
	// CreateBucket inserts b with zero usage and sets b.ID; ErrExists if
	// the name is taken.
	CreateBucket(b *Bucket) error
	// GetBucket returns ErrNotFound when no bucket has that name.
	GetBucket(name string) (*Bucket, error)
	// ListBuckets lists buckets by name; ownerID 0 lists every bucket.
	ListBuckets(ownerID int64) ([]Bucket, error)
	// ListBucketsAfter is a page of ListBuckets: up to limit buckets whose
	// names start with prefix and sort after `after`, by name. A limit of
	// zero or less means no limit.
	ListBucketsAfter(ownerID int64, prefix, after string, limit int) ([]Bucket, error)
	// DeleteBucket removes the bucket row and its usage, the target ARNs
	// its replication and notification configurations name, its versions'
	// replication states and its outbox entries in every state (copies and
	// events not yet delivered are dropped with it); the caller has checked
	// that it holds no versions and no uploads. ErrNotFound if absent.
	DeleteBucket(name string) error
	SetBucketVersioning(name string, v Versioning) error
	// SetBucketTags replaces the tag set; nil removes it.
	SetBucketTags(name string, tags map[string]string) error
	// SetBucketEncryption stores the bucket's default encryption (an
	// opaque document, Bucket.Encryption); nil or empty removes it.
	// ErrNotFound if the bucket does not exist.
	SetBucketEncryption(name string, config []byte) error
	// SetBucketLifecycle stores the bucket's lifecycle configuration (an
	// opaque document, Bucket.Lifecycle); nil or empty removes it.
	// ErrNotFound if the bucket does not exist.
	SetBucketLifecycle(name string, config []byte) error
	GetUsage(bucket string) (Usage, error)
	// AddUsage adds delta (whose fields may be negative) to the counters.
	AddUsage(bucket string, delta Usage) error
	// SetUsage overwrites the counters (used by reconciliation).
	SetUsage(bucket string, u Usage) error
}

// AccessTx reads and writes what decides who may use a bucket and its
// objects besides their owner: the ACLs (canned ACL names, opaque to the
// store) and the bucket's CORS configuration.
type AccessTx interface {
	// SetBucketACL replaces the bucket's ACL; ErrNotFound if the bucket
	// does not exist.
	SetBucketACL(bucket, acl string) error
	// SetBucketCORS stores the bucket's CORS configuration (an opaque
	// document, Bucket.CORS); nil or empty removes it. ErrNotFound if the
	// bucket does not exist.
	SetBucketCORS(bucket string, config []byte) error
	// SetVersionACL replaces a version's ACL; ErrNotFound if the version
	// does not exist. A version is written with an empty ACL (private):
	// PutVersion leaves it alone.
	SetVersionACL(bucket, key, versionID, acl string) error
	// GetVersionACL returns a version's ACL; ErrNotFound if the version
	// does not exist. It goes when the version does.
	GetVersionACL(bucket, key, versionID string) (string, error)
}

// ObjectTx reads and writes object versions.
type ObjectTx interface {
	// PutVersion inserts v and sets v.Seq. ErrExists if (bucket, key,
	// version id) exists. It does not touch other versions' IsLatest: a
	// key has at most one latest version, so a caller putting a latest
	// version clears the key's old one first (SetLatest with an empty id),
	// and a store may refuse a second one.
	PutVersion(v *Version) error
	// GetVersion returns ErrNotFound when absent.
	GetVersion(bucket, key, versionID string) (*Version, error)
	// GetLatest returns the version of key marked latest (possibly a delete
	// marker); ErrNotFound when the key has none.
	GetLatest(bucket, key string) (*Version, error)
	// NewestVersion returns the version of key with the highest Seq,
	// whatever its IsLatest flag; ErrNotFound when the key has none.
	NewestVersion(bucket, key string) (*Version, error)
	// GetInline returns the data of the inline version whose Seq is seq
	// (see Version.Inline), Size bytes, never nil; ErrNotFound when no
	// version with that Seq is inline (or none exists).
	GetInline(seq int64) ([]byte, error)
	// DeleteVersion removes one version row, and an inline version's data
	// with it; ErrNotFound when absent.
	DeleteVersion(bucket, key, versionID string) error
	// SetLatest marks versionID as the latest of key and every other
	// version of key as not latest. An empty versionID clears the flag on
	// every version of key.
	SetLatest(bucket, key, versionID string) error
	SetVersionTags(bucket, key, versionID string, tags map[string]string) error
	// ListLatest returns up to limit latest versions that are not delete
	// markers, with keys that start with prefix and sort after `after`, in
	// ascending key order.
	ListLatest(bucket, prefix, after string, limit int) ([]Version, error)
	// ListLatestKeys returns the keys ListLatest would return for the
	// same arguments (latest versions that are not delete markers, keys
	// starting with prefix and sorting strictly after `after`, ascending,
	// at most limit; limit <= 0: no limit), without reading the versions:
	// for scans that count what they will visit, at the cost of an index
	// walk (SQLite answers it from a covering index).
	ListLatestKeys(bucket, prefix, after string, limit int) ([]string, error)
	// ListVersions returns up to limit versions (delete markers included)
	// with keys that start with prefix, ordered by key ascending then Seq
	// descending, starting strictly after the position (afterKey,
	// afterSeq): key > afterKey, or key == afterKey and Seq < afterSeq.
	// afterSeq 0 means after every version of afterKey.
	ListVersions(bucket, prefix, afterKey string, afterSeq int64, limit int) ([]Version, error)
	// HasVersions reports whether the bucket holds any version or marker.
	HasVersions(bucket string) (bool, error)
}

// UploadTx reads and writes multipart uploads and their parts.
type UploadTx interface {
	CreateUpload(u *Upload) error
	// GetUpload returns ErrNotFound when absent.
	GetUpload(id string) (*Upload, error)
	// DeleteUpload removes the upload and its part rows.
	DeleteUpload(id string) error
	// ListUploads returns up to limit uploads of bucket whose keys start
	// with prefix, ordered by (key, id), strictly after (afterKey, afterID);
	// an empty afterID means after every upload of afterKey.
	ListUploads(bucket, prefix, afterKey, afterID string, limit int) ([]Upload, error)
	// PutPart inserts or replaces a part and returns the part it replaced
	// (nil if none) so that its blob can be trashed.
	PutPart(p *Part) (*Part, error)
	// ListParts returns up to limit parts numbered above afterNumber, in
	// ascending order.
	ListParts(uploadID string, afterNumber, limit int) ([]Part, error)
}

// UserTx reads and writes users and access keys. Usernames compare without
// regard to ASCII case (the only letters they may hold): "Admin" and
// "admin" are one name. A user keeps the spelling it was created with.
type UserTx interface {
	// CreateUser inserts u and sets u.ID; ErrExists if the username is
	// taken, in any case.
	CreateUser(u *User) error
	GetUser(id int64) (*User, error)
	// GetUserByName finds the user whose name equals username in any
	// case; ErrNotFound when none does.
	GetUserByName(username string) (*User, error)
	ListUsers(afterID int64, limit int) ([]User, error)
	// DeleteUser removes the user, its access keys, its grants of
	// replication and notification targets and its refresh token families.
	DeleteUser(id int64) error
	// SetUserRole changes the user's role; ErrNotFound if there is no
	// such user.
	SetUserRole(id int64, role Role) error
	CreateAccessKey(k *AccessKey) error
	GetAccessKey(accessKey string) (*AccessKey, error)
	ListAccessKeys(userID int64) ([]AccessKey, error)
	DeleteAccessKey(accessKey string) error
}

// TrashTx queues blobs for deletion. A blob that a committed change stopped
// referring to is queued in the same transaction, and removed from disk
// after the commit; the queue survives crashes, so no blob leaks.
type TrashTx interface {
	TrashBlobs(ids ...string) error
	ListTrash(limit int) ([]string, error)
	RemoveTrash(ids ...string) error
}

// SettingTx reads and writes small named values (server identity, keys).
type SettingTx interface {
	// GetSetting returns ErrNotFound when unset.
	GetSetting(name string) (string, error)
	PutSetting(name, value string) error
}

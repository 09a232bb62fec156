package sqltx

import (
	"database/sql"
	"fmt"

	"github.com/quarrylabs/quarry/internal/meta"
	"github.com/quarrylabs/quarry/internal/meta/metasql"
)

// BucketColumns are the columns of buckets in the order scanBucket reads
// them.
const BucketColumns = `name, id, owner_id, created_at, versioning, tags, replication, lifecycle, encryption, notification, acl, cors`

// BucketQueries are the statements of buckets. Creating one and its usage
// counters is the store's own: how it numbers buckets and counts usage
// differs.
type BucketQueries struct {
	// Get (name), List () and ListByOwner (ownerID) select BucketColumns,
	// the lists by name.
	Get, List, ListByOwner string
	// ListFrom, ListFromBounded, ListAfter and ListAfterBounded (ownerID,
	// 0 for every owner, the meta.KeyRange's arguments, limit) select
	// BucketColumns by name, in the four forms of meta.KeyRange.Pick.
	ListFrom, ListFromBounded, ListAfter, ListAfterBounded string
	// DeleteOwned are the statements (name) Delete runs first to remove
	// what other tables keep about the bucket, for a store whose cascades
	// may be off; empty when cascades and triggers do it.
	DeleteOwned []string
	// Delete (name), which fails the foreign key of a version or upload
	// left in the bucket.
	Delete string
	// SetVersioning, SetTags, SetLifecycle, SetEncryption, SetACL and
	// SetCORS (value, name) set one column of a bucket.
	SetVersioning, SetTags, SetLifecycle, SetEncryption, SetACL, SetCORS string
}

func (t *Tx) GetBucket(name string) (*meta.Bucket, error) {
	if err := t.noText("get bucket", name); err != nil {
		return nil, err
	}
	b, err := scanBucket(t.c.QueryRow(t.d.Bucket.Get, name))
	if err != nil {
		return nil, fmt.Errorf("get bucket %q: %w", name, t.c.Classify(err))
	}
	return b, nil
}

func (t *Tx) ListBuckets(ownerID int64) ([]meta.Bucket, error) {
	var rows Rows
	var err error
	if ownerID == 0 {
		rows, err = t.c.Query(t.d.Bucket.List)
	} else {
		rows, err = t.c.Query(t.d.Bucket.ListByOwner, ownerID)
	}
	if err != nil {
		return nil, fmt.Errorf("list buckets: %w", err)
	}
	out, err := collect(nil, rows, scanBucket)
	if err != nil {
		return nil, fmt.Errorf("list buckets: %w", err)
	}
	return out, nil
}

func (t *Tx) ListBucketsAfter(ownerID int64, prefix, after string, n int) ([]meta.Bucket, error) {
	r := t.textRange(meta.RangeFor(prefix, after))
	if r.Empty {
		return nil, nil
	}
	q := &t.d.Bucket
	query, rangeArgs := r.Pick(q.ListFrom, q.ListFromBounded, q.ListAfter, q.ListAfterBounded)
	args := append([]any{ownerID}, rangeArgs...)
	args = append(args, limit(n))
	rows, err := t.c.Query(query, args...)
	if err != nil {
		return nil, fmt.Errorf("list buckets of %d prefix %q after %q: %w", ownerID, prefix, after, err)
	}
	out, err := collect(nil, rows, scanBucket)
	if err != nil {
		return nil, fmt.Errorf("list buckets: %w", err)
	}
	return out, nil
}

// DeleteBucket removes the bucket and what other tables keep about it (its
// usage, replication and notification targets, version states, outbox
// entries). A version or upload left in the bucket fails the foreign key.
func (t *Tx) DeleteBucket(name string) error {
	for _, q := range t.d.Bucket.DeleteOwned {
		if _, err := t.c.Exec(q, name); err != nil {
			return fmt.Errorf("delete bucket %q: what it owns: %w", name, err)
		}
	}
	n, err := t.c.Exec(t.d.Bucket.Delete, name)
	if t.c.ForeignKey(err) {
		return fmt.Errorf("delete bucket %q: it still holds versions or uploads: %w", name, err)
	}
	if err != nil {
		return fmt.Errorf("delete bucket %q: %w", name, err)
	}
	if n == 0 {
		return fmt.Errorf("delete bucket %q: %w", name, meta.ErrNotFound)
	}
	return nil
}

// setBucket runs an UPDATE of one bucket's column, ErrNotFound when the
// bucket does not exist.
func (t *Tx) setBucket(what, query, name string, value any) error {
	found, err := t.execOne(query, value, name)
	if err != nil {
		return fmt.Errorf("set bucket %q %s: %w", name, what, err)
	}
	if !found {
		return fmt.Errorf("set bucket %q %s: %w", name, what, meta.ErrNotFound)
	}
	return nil
}

func (t *Tx) SetBucketVersioning(name string, v meta.Versioning) error {
	return t.setBucket("versioning", t.d.Bucket.SetVersioning, name, string(v))
}

func (t *Tx) SetBucketTags(name string, tags map[string]string) error {
	enc, err := metasql.EncodeMap(tags)
	if err != nil {
		return fmt.Errorf("set bucket %q tags: encode: %w", name, err)
	}
	return t.setBucket("tags", t.d.Bucket.SetTags, name, enc)
}

// SetBucketLifecycle stores NULL for an empty configuration, so that "none"
// has one spelling in the table; so do the other configuration setters.
func (t *Tx) SetBucketLifecycle(name string, config []byte) error {
	return t.setBucket("lifecycle", t.d.Bucket.SetLifecycle, name, metasql.NullBytes(config))
}

func (t *Tx) SetBucketEncryption(name string, config []byte) error {
	return t.setBucket("encryption", t.d.Bucket.SetEncryption, name, metasql.NullBytes(config))
}

func (t *Tx) SetBucketACL(bucket, acl string) error {
	return t.setBucket("acl", t.d.Bucket.SetACL, bucket, acl)
}

func (t *Tx) SetBucketCORS(bucket string, config []byte) error {
	return t.setBucket("cors", t.d.Bucket.SetCORS, bucket, metasql.NullBytes(config))
}

func scanBucket(r Row) (*meta.Bucket, error) {
	var (
		b          meta.Bucket
		created    int64
		versioning string
		tags       sql.NullString
	)
	if err := r.Scan(&b.Name, &b.ID, &b.OwnerID, &created, &versioning, &tags, &b.Replication, &b.Lifecycle,
		&b.Encryption, &b.Notification, &b.ACL, &b.CORS); err != nil {
		return nil, err
	}
	b.CreatedAt = metasql.Time(created)
	b.Versioning = meta.Versioning(versioning)
	var err error
	if b.Tags, err = metasql.DecodeMap(tags); err != nil {
		return nil, fmt.Errorf("bucket %q tags: %w", b.Name, err)
	}
	return &b, nil
}

package sqlite

import (
	"database/sql"
	"fmt"

	"github.com/quarrylabs/quarry/internal/meta"
	"github.com/quarrylabs/quarry/internal/meta/metasql"
)

const (
	// qNextBucketID takes the next bucket number (see 0006_bucket_id.sql).
	qNextBucketID = `UPDATE bucket_id_seq SET last = last + 1 RETURNING last`
	qCreateBucket = `INSERT INTO buckets (name, id, owner_id, created_at, versioning, tags, acl) VALUES (?, ?, ?, ?, ?, ?, ?)`
	qCreateUsage  = `INSERT INTO bucket_usage (bucket) VALUES (?)`

	bucketCols          = `name, id, owner_id, created_at, versioning, tags, replication, lifecycle, encryption, notification, acl, cors`
	qGetBucket          = `SELECT ` + bucketCols + ` FROM buckets WHERE name = ?`
	qListBuckets        = `SELECT ` + bucketCols + ` FROM buckets ORDER BY name`
	qListBucketsByOwner = `SELECT ` + bucketCols + ` FROM buckets WHERE owner_id = ? ORDER BY name`

	qDeleteUsage   = `DELETE FROM bucket_usage WHERE bucket = ?`
	qDeleteBucket  = `DELETE FROM buckets WHERE name = ?`
	qSetVersioning = `UPDATE buckets SET versioning = ? WHERE name = ?`
	qSetBucketTags = `UPDATE buckets SET tags = ? WHERE name = ?`
	qSetLifecycle  = `UPDATE buckets SET lifecycle = ? WHERE name = ?`
	qSetEncryption = `UPDATE buckets SET encryption = ? WHERE name = ?`

	qGetUsage = `SELECT objects, bytes, versions, version_bytes FROM bucket_usage WHERE bucket = ?`
	qAddUsage = `UPDATE bucket_usage SET objects = objects + ?, bytes = bytes + ?,
		versions = versions + ?, version_bytes = version_bytes + ? WHERE bucket = ?`
	qSetUsage = `UPDATE bucket_usage SET objects = ?, bytes = ?, versions = ?, version_bytes = ? WHERE bucket = ?`
)

func (t *tx) CreateBucket(b *meta.Bucket) error {
	tags, err := metasql.EncodeMap(b.Tags)
	if err != nil {
		return fmt.Errorf("create bucket %q: encode tags: %w", b.Name, err)
	}
	var id int64
	if err := t.queryRow(qNextBucketID).Scan(&id); err != nil {
		return fmt.Errorf("create bucket %q: number it: %w", b.Name, err)
	}
	if _, err := t.exec(qCreateBucket, b.Name, id, b.OwnerID, metasql.Nanos(b.CreatedAt), string(b.Versioning), tags, b.ACL); err != nil {
		return fmt.Errorf("create bucket %q: %w", b.Name, classify(err))
	}
	if _, err := t.exec(qCreateUsage, b.Name); err != nil {
		return fmt.Errorf("create bucket %q usage: %w", b.Name, classify(err))
	}
	b.ID = id
	return nil
}

func (t *tx) GetBucket(name string) (*meta.Bucket, error) {
	b, err := scanBucket(t.queryRow(qGetBucket, name))
	if err != nil {
		return nil, fmt.Errorf("get bucket %q: %w", name, classify(err))
	}
	return b, nil
}

func (t *tx) ListBuckets(ownerID int64) ([]meta.Bucket, error) {
	var rows *sql.Rows
	var err error
	if ownerID == 0 {
		rows, err = t.query(qListBuckets)
	} else {
		rows, err = t.query(qListBucketsByOwner, ownerID)
	}
	if err != nil {
		return nil, fmt.Errorf("list buckets: %w", err)
	}
	defer rows.Close()
	var out []meta.Bucket
	for rows.Next() {
		b, err := scanBucket(rows)
		if err != nil {
			return nil, fmt.Errorf("list buckets: %w", err)
		}
		out = append(out, *b)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list buckets: %w", err)
	}
	return out, nil
}

// DeleteBucket deletes the usage row and the replication rows itself rather
// than trusting cascades, so the store behaves the same with foreign keys
// off.
func (t *tx) DeleteBucket(name string) error {
	if _, err := t.exec(qDeleteUsage, name); err != nil {
		return fmt.Errorf("delete bucket %q usage: %w", name, err)
	}
	if err := t.deleteBucketReplication(name); err != nil {
		return fmt.Errorf("delete bucket %q: %w", name, err)
	}
	found, err := t.execOne(qDeleteBucket, name)
	if isForeignKey(err) {
		return fmt.Errorf("delete bucket %q: it still holds versions or uploads: %w", name, err)
	}
	if err != nil {
		return fmt.Errorf("delete bucket %q: %w", name, err)
	}
	if !found {
		return fmt.Errorf("delete bucket %q: %w", name, meta.ErrNotFound)
	}
	return nil
}

func (t *tx) SetBucketVersioning(name string, v meta.Versioning) error {
	found, err := t.execOne(qSetVersioning, string(v), name)
	if err != nil {
		return fmt.Errorf("set bucket %q versioning: %w", name, err)
	}
	if !found {
		return fmt.Errorf("set bucket %q versioning: %w", name, meta.ErrNotFound)
	}
	return nil
}

func (t *tx) SetBucketTags(name string, tags map[string]string) error {
	enc, err := metasql.EncodeMap(tags)
	if err != nil {
		return fmt.Errorf("set bucket %q tags: encode: %w", name, err)
	}
	found, err := t.execOne(qSetBucketTags, enc, name)
	if err != nil {
		return fmt.Errorf("set bucket %q tags: %w", name, err)
	}
	if !found {
		return fmt.Errorf("set bucket %q tags: %w", name, meta.ErrNotFound)
	}
	return nil
}

// SetBucketLifecycle stores NULL for an empty configuration, so that "none"
// has one spelling in the table.
func (t *tx) SetBucketLifecycle(name string, config []byte) error {
	var stored any
	if len(config) > 0 {
		stored = config
	}
	found, err := t.execOne(qSetLifecycle, stored, name)
	if err != nil {
		return fmt.Errorf("set bucket %q lifecycle: %w", name, err)
	}
	if !found {
		return fmt.Errorf("set bucket %q lifecycle: %w", name, meta.ErrNotFound)
	}
	return nil
}

// SetBucketEncryption stores NULL for an empty configuration, as
// SetBucketLifecycle does.
func (t *tx) SetBucketEncryption(name string, config []byte) error {
	var stored any
	if len(config) > 0 {
		stored = config
	}
	found, err := t.execOne(qSetEncryption, stored, name)
	if err != nil {
		return fmt.Errorf("set bucket %q encryption: %w", name, err)
	}
	if !found {
		return fmt.Errorf("set bucket %q encryption: %w", name, meta.ErrNotFound)
	}
	return nil
}

func (t *tx) GetUsage(bucket string) (meta.Usage, error) {
	var u meta.Usage
	err := t.queryRow(qGetUsage, bucket).Scan(&u.Objects, &u.Bytes, &u.Versions, &u.VersionBytes)
	if err != nil {
		return meta.Usage{}, fmt.Errorf("get bucket %q usage: %w", bucket, classify(err))
	}
	return u, nil
}

func (t *tx) AddUsage(bucket string, d meta.Usage) error {
	found, err := t.execOne(qAddUsage, d.Objects, d.Bytes, d.Versions, d.VersionBytes, bucket)
	if err != nil {
		return fmt.Errorf("add bucket %q usage: %w", bucket, err)
	}
	if !found {
		return fmt.Errorf("add bucket %q usage: %w", bucket, meta.ErrNotFound)
	}
	return nil
}

func (t *tx) SetUsage(bucket string, u meta.Usage) error {
	found, err := t.execOne(qSetUsage, u.Objects, u.Bytes, u.Versions, u.VersionBytes, bucket)
	if err != nil {
		return fmt.Errorf("set bucket %q usage: %w", bucket, err)
	}
	if !found {
		return fmt.Errorf("set bucket %q usage: %w", bucket, meta.ErrNotFound)
	}
	return nil
}

// scanner is what *sql.Row and *sql.Rows have in common.
type scanner interface {
	Scan(dest ...any) error
}

func scanBucket(s scanner) (*meta.Bucket, error) {
	var (
		b          meta.Bucket
		created    int64
		versioning string
		tags       sql.NullString
	)
	if err := s.Scan(&b.Name, &b.ID, &b.OwnerID, &created, &versioning, &tags, &b.Replication, &b.Lifecycle, &b.Encryption, &b.Notification,
		&b.ACL, &b.CORS); err != nil {
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

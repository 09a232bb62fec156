package sqltx

import (
	"database/sql"
	"fmt"

	"github.com/quarrylabs/quarry/internal/meta"
	"github.com/quarrylabs/quarry/internal/meta/metasql"
)

// VersionColumns are the columns of versions in the order scanVersion
// reads them.
const VersionColumns = `seq, bucket, object_key, version_id, is_latest, delete_marker, size, etag,
		last_modified, content_type, headers, user_meta, checksums, tags, segments, owner_id, replication_status, sse, is_inline`

// VersionQueries are the statements of object versions and their listings.
// SetLatest is the store's own: how it keeps one latest version per key
// differs.
type VersionQueries struct {
	// Put (bucket, object_key, version_id, is_latest, delete_marker, size,
	// etag, last_modified, content_type, headers, user_meta, checksums,
	// tags, segments, owner_id, replication_status, sse, is_inline)
	// RETURNING seq.
	Put string
	// PutInline (seq, data) and GetInline (seq) selecting data.
	PutInline, GetInline string
	// Get (bucket, key, versionID), GetLatest (bucket, key) and Newest
	// (bucket, key) select VersionColumns of a version, the latest one and
	// the one of the highest seq.
	Get, GetLatest, Newest string
	// DeleteReplication (bucket, key, versionID) deletes the version's
	// replication states before Delete, for a store that has no trigger
	// doing it; empty when one does.
	DeleteReplication string
	// Delete (bucket, key, versionID).
	Delete string
	// SetTags (tags, bucket, key, versionID).
	SetTags string
	// Has (bucket) selects whether the bucket has a version, as a boolean.
	Has string
	// SetACL (acl, bucket, key, versionID) and GetACL (bucket, key,
	// versionID) selecting acl.
	SetACL, GetACL string
	// ListReplication (bucket, key, versionID) selects bucket, object_key,
	// version_id, target_arn, status, error, updated of the version's
	// replication states by target ARN. (Setting one is the store's own:
	// PostgreSQL does it in one statement.)
	ListReplication string

	// The listings take (bucket, the meta.KeyRange's arguments, limit) and
	// come in the four forms of meta.KeyRange.Pick. ListLatest* select
	// VersionColumns of the current (latest, not deleted) versions by key,
	// ListLatestKeys* just their object_key, and ListVersions* the
	// VersionColumns of all versions by key, newest first.
	ListLatestFrom, ListLatestFromBounded, ListLatestAfter, ListLatestAfterBounded                 string
	ListLatestKeysFrom, ListLatestKeysFromBounded, ListLatestKeysAfter, ListLatestKeysAfterBounded string
	ListVersionsFrom, ListVersionsFromBounded, ListVersionsAfter, ListVersionsAfterBounded         string
	// ListKeyVersionsBefore (bucket, key, beforeSeq, limit) selects
	// VersionColumns of the key's versions older than beforeSeq, newest
	// first.
	ListKeyVersionsBefore string
}

func (t *Tx) PutVersion(v *meta.Version) error {
	maps, err := metasql.EncodeMaps(v.Headers, v.UserMeta, v.Checksums, v.Tags)
	if err != nil {
		return fmt.Errorf("put version %s/%s %s: encode: %w", v.Bucket, v.Key, v.VersionID, err)
	}
	segs, err := metasql.EncodeSegments(v.Segments)
	if err != nil {
		return fmt.Errorf("put version %s/%s %s: encode segments: %w", v.Bucket, v.Key, v.VersionID, err)
	}
	err = t.c.QueryRow(t.d.Version.Put, v.Bucket, v.Key, v.VersionID, v.IsLatest, v.DeleteMarker,
		v.Size, v.ETag, metasql.Nanos(v.LastModified), v.ContentType, maps[0], maps[1], maps[2], maps[3], segs, v.OwnerID,
		string(v.ReplicationStatus), v.SSE, v.Inline,
	).Scan(&v.Seq)
	if err != nil {
		return fmt.Errorf("put version %s/%s %s: %w", v.Bucket, v.Key, v.VersionID, t.c.ClassifyInsert(err))
	}
	if v.Inline {
		// NOT NULL: an empty inline object is zero bytes.
		if _, err := t.c.Exec(t.d.Version.PutInline, v.Seq, metasql.NotNull(v.InlineData)); err != nil {
			return fmt.Errorf("put version %s/%s %s: inline data: %w", v.Bucket, v.Key, v.VersionID, err)
		}
	}
	return nil
}

func (t *Tx) GetInline(seq int64) ([]byte, error) {
	var data []byte
	if err := t.c.QueryRow(t.d.Version.GetInline, seq).Scan(&data); err != nil {
		return nil, fmt.Errorf("get inline data of version %d: %w", seq, t.c.Classify(err))
	}
	return metasql.NotNull(data), nil
}

func (t *Tx) GetVersion(bucket, key, versionID string) (*meta.Version, error) {
	if err := t.noText("get version", bucket, key, versionID); err != nil {
		return nil, err
	}
	v, err := scanVersion(t.c.QueryRow(t.d.Version.Get, bucket, key, versionID))
	if err != nil {
		return nil, fmt.Errorf("get version %s/%s %s: %w", bucket, key, versionID, t.c.Classify(err))
	}
	return v, nil
}

func (t *Tx) GetLatest(bucket, key string) (*meta.Version, error) {
	if err := t.noText("get latest", bucket, key); err != nil {
		return nil, err
	}
	v, err := scanVersion(t.c.QueryRow(t.d.Version.GetLatest, bucket, key))
	if err != nil {
		return nil, fmt.Errorf("get latest %s/%s: %w", bucket, key, t.c.Classify(err))
	}
	return v, nil
}

func (t *Tx) NewestVersion(bucket, key string) (*meta.Version, error) {
	if err := t.noText("newest version", bucket, key); err != nil {
		return nil, err
	}
	v, err := scanVersion(t.c.QueryRow(t.d.Version.Newest, bucket, key))
	if err != nil {
		return nil, fmt.Errorf("newest version %s/%s: %w", bucket, key, t.c.Classify(err))
	}
	return v, nil
}

// DeleteVersion also removes the version's per-target replication states.
// Its outbox entries stay: the replication delivery finds the version gone
// and drops them, which also covers a task already claimed when the
// version goes.
func (t *Tx) DeleteVersion(bucket, key, versionID string) error {
	if err := t.noText("delete version", bucket, key, versionID); err != nil {
		return err
	}
	if q := t.d.Version.DeleteReplication; q != "" {
		if _, err := t.c.Exec(q, bucket, key, versionID); err != nil {
			return fmt.Errorf("delete version %s/%s %s: replication states: %w", bucket, key, versionID, err)
		}
	}
	found, err := t.execOne(t.d.Version.Delete, bucket, key, versionID)
	if err != nil {
		return fmt.Errorf("delete version %s/%s %s: %w", bucket, key, versionID, err)
	}
	if !found {
		return fmt.Errorf("delete version %s/%s %s: %w", bucket, key, versionID, meta.ErrNotFound)
	}
	return nil
}

func (t *Tx) SetVersionTags(bucket, key, versionID string, tags map[string]string) error {
	if err := t.noText("set tags", bucket, key, versionID); err != nil {
		return err
	}
	enc, err := metasql.EncodeMap(tags)
	if err != nil {
		return fmt.Errorf("set tags %s/%s %s: encode: %w", bucket, key, versionID, err)
	}
	found, err := t.execOne(t.d.Version.SetTags, enc, bucket, key, versionID)
	if err != nil {
		return fmt.Errorf("set tags %s/%s %s: %w", bucket, key, versionID, err)
	}
	if !found {
		return fmt.Errorf("set tags %s/%s %s: %w", bucket, key, versionID, meta.ErrNotFound)
	}
	return nil
}

func (t *Tx) HasVersions(bucket string) (bool, error) {
	var has bool
	if err := t.c.QueryRow(t.d.Version.Has, bucket).Scan(&has); err != nil {
		return false, fmt.Errorf("has versions %s: %w", bucket, err)
	}
	return has, nil
}

func (t *Tx) SetVersionACL(bucket, key, versionID, acl string) error {
	if err := t.noText("set acl", bucket, key, versionID); err != nil {
		return err
	}
	found, err := t.execOne(t.d.Version.SetACL, acl, bucket, key, versionID)
	if err != nil {
		return fmt.Errorf("set acl of %s/%s %s: %w", bucket, key, versionID, err)
	}
	if !found {
		return fmt.Errorf("set acl of %s/%s %s: %w", bucket, key, versionID, meta.ErrNotFound)
	}
	return nil
}

func (t *Tx) GetVersionACL(bucket, key, versionID string) (string, error) {
	if err := t.noText("get acl", bucket, key, versionID); err != nil {
		return "", err
	}
	var acl string
	if err := t.c.QueryRow(t.d.Version.GetACL, bucket, key, versionID).Scan(&acl); err != nil {
		return "", fmt.Errorf("get acl of %s/%s %s: %w", bucket, key, versionID, t.c.Classify(err))
	}
	return acl, nil
}

func scanVersion(r Row) (*meta.Version, error) {
	var (
		v                                  meta.Version
		modified                           int64
		headers, userMeta, checksums, tags sql.NullString
		segments                           sql.NullString
		replication                        string
	)
	err := r.Scan(&v.Seq, &v.Bucket, &v.Key, &v.VersionID, &v.IsLatest, &v.DeleteMarker, &v.Size, &v.ETag,
		&modified, &v.ContentType, &headers, &userMeta, &checksums, &tags, &segments, &v.OwnerID, &replication, &v.SSE, &v.Inline)
	if err != nil {
		return nil, err
	}
	v.ReplicationStatus = meta.ReplicationStatus(replication)
	v.LastModified = metasql.Time(modified)
	if v.Headers, err = metasql.DecodeMap(headers); err != nil {
		return nil, fmt.Errorf("version %s/%s %s headers: %w", v.Bucket, v.Key, v.VersionID, err)
	}
	if v.UserMeta, err = metasql.DecodeMap(userMeta); err != nil {
		return nil, fmt.Errorf("version %s/%s %s user metadata: %w", v.Bucket, v.Key, v.VersionID, err)
	}
	if v.Checksums, err = metasql.DecodeMap(checksums); err != nil {
		return nil, fmt.Errorf("version %s/%s %s checksums: %w", v.Bucket, v.Key, v.VersionID, err)
	}
	if v.Tags, err = metasql.DecodeMap(tags); err != nil {
		return nil, fmt.Errorf("version %s/%s %s tags: %w", v.Bucket, v.Key, v.VersionID, err)
	}
	if v.Segments, err = metasql.DecodeSegments(segments); err != nil {
		return nil, fmt.Errorf("version %s/%s %s segments: %w", v.Bucket, v.Key, v.VersionID, err)
	}
	return &v, nil
}

func (t *Tx) ListVersionReplication(bucket, key, versionID string) ([]meta.VersionReplication, error) {
	if t.noText("list replication", bucket, key, versionID) != nil {
		return nil, nil
	}
	rows, err := t.c.Query(t.d.Version.ListReplication, bucket, key, versionID)
	if err != nil {
		return nil, fmt.Errorf("list replication of %s/%s %s: %w", bucket, key, versionID, err)
	}
	out, err := collect(nil, rows, func(r Row) (*meta.VersionReplication, error) {
		var (
			vr      meta.VersionReplication
			status  string
			updated int64
		)
		if err := r.Scan(&vr.Bucket, &vr.Key, &vr.VersionID, &vr.TargetARN, &status, &vr.Error, &updated); err != nil {
			return nil, err
		}
		vr.Status = meta.ReplicationStatus(status)
		vr.Updated = metasql.Time(updated)
		return &vr, nil
	})
	if err != nil {
		return nil, fmt.Errorf("list replication of %s/%s %s: %w", bucket, key, versionID, err)
	}
	return out, nil
}

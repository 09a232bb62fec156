package sqltx

import (
	"database/sql"
	"errors"
	"fmt"

	"github.com/quarrylabs/quarry/internal/meta"
	"github.com/quarrylabs/quarry/internal/meta/metasql"
)

// UploadColumns are the columns of uploads in the order scanUpload reads
// them and Create writes them.
const UploadColumns = `id, bucket, object_key, initiated, owner_id, content_type, headers, user_meta, tags,
		checksum_algorithm, checksum_type, sse, acl`

// PartColumns are the columns of parts in the order scanPart reads them
// and UpsertPart writes them.
const PartColumns = `upload_id, number, size, etag, blob_id, last_modified, checksums, sealed_key`

// UploadQueries are the statements of multipart uploads and their parts.
type UploadQueries struct {
	// Create inserts UploadColumns.
	Create string
	// Get (id) selects UploadColumns.
	Get string
	// DeleteParts (uploadID) deletes an upload's parts before Delete, for
	// a store whose cascade may be off; empty when the cascade does it.
	DeleteParts string
	// Delete (id) deletes the upload.
	Delete string
	// ListKeyAfter (bucket, key, afterID, limit) selects UploadColumns of
	// key's uploads after afterID, by id.
	ListKeyAfter string
	// ListFrom, ListFromBounded, ListAfter and ListAfterBounded (bucket,
	// the meta.KeyRange's arguments, limit) select UploadColumns by key and
	// id, in the four forms of meta.KeyRange.Pick.
	ListFrom, ListFromBounded, ListAfter, ListAfterBounded string
	// GetPart (uploadID, number) selects PartColumns of the part an upsert
	// replaces.
	GetPart string
	// UpsertPart inserts or replaces PartColumns.
	UpsertPart string
	// ListParts (uploadID, afterNumber, limit) selects PartColumns by
	// number.
	ListParts string
}

func (t *Tx) CreateUpload(u *meta.Upload) error {
	maps, err := metasql.EncodeMaps(u.Headers, u.UserMeta, u.Tags)
	if err != nil {
		return fmt.Errorf("create upload %s: encode: %w", u.ID, err)
	}
	_, err = t.c.Exec(t.d.Upload.Create, u.ID, u.Bucket, u.Key, metasql.Nanos(u.Initiated), u.OwnerID, u.ContentType,
		maps[0], maps[1], maps[2], u.ChecksumAlgorithm, u.ChecksumType, u.SSE, u.ACL)
	if err != nil {
		return fmt.Errorf("create upload %s for %s/%s: %w", u.ID, u.Bucket, u.Key, t.c.ClassifyInsert(err))
	}
	return nil
}

func (t *Tx) GetUpload(id string) (*meta.Upload, error) {
	if err := t.noText("get upload", id); err != nil {
		return nil, err
	}
	u, err := scanUpload(t.c.QueryRow(t.d.Upload.Get, id))
	if err != nil {
		return nil, fmt.Errorf("get upload %s: %w", id, t.c.Classify(err))
	}
	return u, nil
}

// DeleteUpload removes the upload and its parts.
func (t *Tx) DeleteUpload(id string) error {
	if err := t.noText("delete upload", id); err != nil {
		return err
	}
	if q := t.d.Upload.DeleteParts; q != "" {
		if _, err := t.c.Exec(q, id); err != nil {
			return fmt.Errorf("delete upload %s parts: %w", id, err)
		}
	}
	found, err := t.execOne(t.d.Upload.Delete, id)
	if err != nil {
		return fmt.Errorf("delete upload %s: %w", id, err)
	}
	if !found {
		return fmt.Errorf("delete upload %s: %w", id, meta.ErrNotFound)
	}
	return nil
}

// ListUploads reads the rest of afterKey's uploads first, then the keys
// after it, like ListVersions.
func (t *Tx) ListUploads(bucket, prefix, afterKey, afterID string, n int) ([]meta.Upload, error) {
	var out []meta.Upload
	var err error
	restOfKey, r := meta.ResumeRange(prefix, afterKey, afterID != "")
	// A key the store cannot hold has no rows; the range skips past it.
	restOfKey, r = restOfKey && t.storable(afterKey), t.textRange(r)
	if restOfKey {
		out, err = t.listUploads(out, t.d.Upload.ListKeyAfter, bucket, []any{afterKey, afterID}, n)
		if err != nil {
			return nil, fmt.Errorf("list uploads %s of %q after %s: %w", bucket, afterKey, afterID, err)
		}
		if n > 0 && len(out) >= n {
			return out, nil
		}
	}
	if r.Empty {
		return out, nil
	}
	q := &t.d.Upload
	query, args := r.Pick(q.ListFrom, q.ListFromBounded, q.ListAfter, q.ListAfterBounded)
	out, err = t.listUploads(out, query, bucket, args, meta.Remaining(n, len(out)))
	if err != nil {
		return nil, fmt.Errorf("list uploads %s prefix %q after %q/%s: %w", bucket, prefix, afterKey, afterID, err)
	}
	return out, nil
}

func (t *Tx) listUploads(out []meta.Upload, query, bucket string, args []any, n int) ([]meta.Upload, error) {
	return listKeyed(t, out, query, bucket, args, n, scanUpload)
}

// PutPart reads the part it is about to replace so the caller can trash
// that part's blob in the same transaction.
func (t *Tx) PutPart(p *meta.Part) (*meta.Part, error) {
	old, err := scanPart(t.c.QueryRow(t.d.Upload.GetPart, p.UploadID, p.Number))
	if err != nil && !errors.Is(t.c.Classify(err), meta.ErrNotFound) {
		return nil, fmt.Errorf("put part %s #%d: read old part: %w", p.UploadID, p.Number, err)
	}
	checksums, err := metasql.EncodeMap(p.Checksums)
	if err != nil {
		return nil, fmt.Errorf("put part %s #%d: encode checksums: %w", p.UploadID, p.Number, err)
	}
	_, err = t.c.Exec(t.d.Upload.UpsertPart, p.UploadID, p.Number, p.Size, p.ETag, p.BlobID,
		metasql.Nanos(p.LastModified), checksums, metasql.NullBytes(p.SealedKey))
	if err != nil {
		return nil, fmt.Errorf("put part %s #%d: %w", p.UploadID, p.Number, t.c.ClassifyInsert(err))
	}
	return old, nil
}

func (t *Tx) ListParts(uploadID string, afterNumber, n int) ([]meta.Part, error) {
	if !t.storable(uploadID) {
		return []meta.Part{}, nil
	}
	rows, err := t.c.Query(t.d.Upload.ListParts, uploadID, afterNumber, limit(n))
	if err != nil {
		return nil, fmt.Errorf("list parts %s: %w", uploadID, err)
	}
	out, err := collect([]meta.Part{}, rows, scanPart)
	if err != nil {
		return nil, fmt.Errorf("list parts %s: %w", uploadID, err)
	}
	return out, nil
}

func scanUpload(r Row) (*meta.Upload, error) {
	var (
		u                       meta.Upload
		initiated               int64
		headers, userMeta, tags sql.NullString
	)
	err := r.Scan(&u.ID, &u.Bucket, &u.Key, &initiated, &u.OwnerID, &u.ContentType, &headers, &userMeta, &tags,
		&u.ChecksumAlgorithm, &u.ChecksumType, &u.SSE, &u.ACL)
	if err != nil {
		return nil, err
	}
	u.Initiated = metasql.Time(initiated)
	if u.Headers, err = metasql.DecodeMap(headers); err != nil {
		return nil, fmt.Errorf("upload %s headers: %w", u.ID, err)
	}
	if u.UserMeta, err = metasql.DecodeMap(userMeta); err != nil {
		return nil, fmt.Errorf("upload %s user metadata: %w", u.ID, err)
	}
	if u.Tags, err = metasql.DecodeMap(tags); err != nil {
		return nil, fmt.Errorf("upload %s tags: %w", u.ID, err)
	}
	return &u, nil
}

// scanPart returns the driver's no-rows error unwrapped, which PutPart
// classifies.
func scanPart(r Row) (*meta.Part, error) {
	var (
		p         meta.Part
		modified  int64
		checksums sql.NullString
	)
	if err := r.Scan(&p.UploadID, &p.Number, &p.Size, &p.ETag, &p.BlobID, &modified, &checksums, &p.SealedKey); err != nil {
		return nil, err
	}
	p.LastModified = metasql.Time(modified)
	var err error
	if p.Checksums, err = metasql.DecodeMap(checksums); err != nil {
		return nil, fmt.Errorf("part %s #%d checksums: %w", p.UploadID, p.Number, err)
	}
	return &p, nil
}

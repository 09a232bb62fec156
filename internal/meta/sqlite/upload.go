package sqlite

import (
	"database/sql"
	"errors"
	"fmt"

	"github.com/quarrylabs/quarry/internal/meta"
	"github.com/quarrylabs/quarry/internal/meta/metasql"
)

const (
	uploadCols = `id, bucket, object_key, initiated, owner_id, content_type, headers, user_meta, tags,
		checksum_algorithm, checksum_type, sse, acl`

	qCreateUpload = `INSERT INTO uploads (` + uploadCols + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	qGetUpload    = `SELECT ` + uploadCols + ` FROM uploads WHERE id = ?`
	qDeleteParts  = `DELETE FROM parts WHERE upload_id = ?`
	qDeleteUpload = `DELETE FROM uploads WHERE id = ?`

	qListKeyUploadsAfter = `SELECT ` + uploadCols + ` FROM uploads
		WHERE bucket = ? AND object_key = ? AND id > ? ORDER BY id LIMIT ?`
	uploadsWhere             = `FROM uploads WHERE bucket = ? AND object_key `
	uploadsOrder             = ` ORDER BY object_key, id LIMIT ?`
	qListUploadsFrom         = `SELECT ` + uploadCols + ` ` + uploadsWhere + `>= ?` + uploadsOrder
	qListUploadsFromBounded  = `SELECT ` + uploadCols + ` ` + uploadsWhere + `>= ? AND object_key < ?` + uploadsOrder
	qListUploadsAfter        = `SELECT ` + uploadCols + ` ` + uploadsWhere + `> ?` + uploadsOrder
	qListUploadsAfterBounded = `SELECT ` + uploadCols + ` ` + uploadsWhere + `> ? AND object_key < ?` + uploadsOrder

	partCols    = `upload_id, number, size, etag, blob_id, last_modified, checksums, sealed_key`
	qGetPart    = `SELECT ` + partCols + ` FROM parts WHERE upload_id = ? AND number = ?`
	qUpsertPart = `INSERT INTO parts (` + partCols + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (upload_id, number) DO UPDATE SET size = excluded.size, etag = excluded.etag,
		blob_id = excluded.blob_id, last_modified = excluded.last_modified, checksums = excluded.checksums,
		sealed_key = excluded.sealed_key`
	qListParts = `SELECT ` + partCols + ` FROM parts WHERE upload_id = ? AND number > ? ORDER BY number LIMIT ?`
)

func (t *tx) CreateUpload(u *meta.Upload) error {
	maps, err := metasql.EncodeMaps(u.Headers, u.UserMeta, u.Tags)
	if err != nil {
		return fmt.Errorf("create upload %s: encode: %w", u.ID, err)
	}
	_, err = t.exec(qCreateUpload, u.ID, u.Bucket, u.Key, metasql.Nanos(u.Initiated), u.OwnerID, u.ContentType,
		maps[0], maps[1], maps[2], u.ChecksumAlgorithm, u.ChecksumType, u.SSE, u.ACL)
	if err != nil {
		return fmt.Errorf("create upload %s for %s/%s: %w", u.ID, u.Bucket, u.Key, classifyInsert(err))
	}
	return nil
}

func (t *tx) GetUpload(id string) (*meta.Upload, error) {
	u, err := scanUpload(t.queryRow(qGetUpload, id))
	if err != nil {
		return nil, fmt.Errorf("get upload %s: %w", id, classify(err))
	}
	return u, nil
}

// DeleteUpload deletes the parts itself rather than trusting the cascade,
// so the store behaves the same with foreign keys off.
func (t *tx) DeleteUpload(id string) error {
	if _, err := t.exec(qDeleteParts, id); err != nil {
		return fmt.Errorf("delete upload %s parts: %w", id, err)
	}
	found, err := t.execOne(qDeleteUpload, id)
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
func (t *tx) ListUploads(bucket, prefix, afterKey, afterID string, limit int) ([]meta.Upload, error) {
	var out []meta.Upload
	var err error
	restOfKey, r := meta.ResumeRange(prefix, afterKey, afterID != "")
	if restOfKey {
		out, err = t.listUploads(out, qListKeyUploadsAfter, bucket, []any{afterKey, afterID}, limit)
		if err != nil {
			return nil, fmt.Errorf("list uploads %s of %q after %s: %w", bucket, afterKey, afterID, err)
		}
		if limit > 0 && len(out) >= limit {
			return out, nil
		}
	}
	if r.Empty {
		return out, nil
	}
	q, args := r.Pick(qListUploadsFrom, qListUploadsFromBounded, qListUploadsAfter, qListUploadsAfterBounded)
	out, err = t.listUploads(out, q, bucket, args, meta.Remaining(limit, len(out)))
	if err != nil {
		return nil, fmt.Errorf("list uploads %s prefix %q after %q/%s: %w", bucket, prefix, afterKey, afterID, err)
	}
	return out, nil
}

func (t *tx) listUploads(out []meta.Upload, query, bucket string, args []any, limit int) ([]meta.Upload, error) {
	all := make([]any, 0, len(args)+2)
	all = append(all, bucket)
	all = append(all, args...)
	all = append(all, sqlLimit(limit))
	rows, err := t.query(query, all...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		u, err := scanUpload(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *u)
	}
	return out, rows.Err()
}

// PutPart reads the part it is about to replace so the caller can trash
// that part's blob in the same transaction.
func (t *tx) PutPart(p *meta.Part) (*meta.Part, error) {
	old, err := scanPart(t.queryRow(qGetPart, p.UploadID, p.Number))
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("put part %s #%d: read old part: %w", p.UploadID, p.Number, err)
	}
	checksums, err := metasql.EncodeMap(p.Checksums)
	if err != nil {
		return nil, fmt.Errorf("put part %s #%d: encode checksums: %w", p.UploadID, p.Number, err)
	}
	_, err = t.exec(qUpsertPart, p.UploadID, p.Number, p.Size, p.ETag, p.BlobID, metasql.Nanos(p.LastModified), checksums,
		metasql.NullBytes(p.SealedKey))
	if err != nil {
		return nil, fmt.Errorf("put part %s #%d: %w", p.UploadID, p.Number, classifyInsert(err))
	}
	return old, nil
}

func (t *tx) ListParts(uploadID string, afterNumber, limit int) ([]meta.Part, error) {
	rows, err := t.query(qListParts, uploadID, afterNumber, sqlLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("list parts %s: %w", uploadID, err)
	}
	defer rows.Close()
	var out []meta.Part
	for rows.Next() {
		p, err := scanPart(rows)
		if err != nil {
			return nil, fmt.Errorf("list parts %s: %w", uploadID, err)
		}
		out = append(out, *p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list parts %s: %w", uploadID, err)
	}
	return out, nil
}

func scanUpload(s scanner) (*meta.Upload, error) {
	var (
		u                       meta.Upload
		initiated               int64
		headers, userMeta, tags sql.NullString
	)
	err := s.Scan(&u.ID, &u.Bucket, &u.Key, &initiated, &u.OwnerID, &u.ContentType, &headers, &userMeta, &tags,
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

// scanPart returns sql.ErrNoRows unwrapped, which PutPart tests for.
func scanPart(s scanner) (*meta.Part, error) {
	var (
		p         meta.Part
		modified  int64
		checksums sql.NullString
	)
	if err := s.Scan(&p.UploadID, &p.Number, &p.Size, &p.ETag, &p.BlobID, &modified, &checksums, &p.SealedKey); err != nil {
		return nil, err
	}
	p.LastModified = metasql.Time(modified)
	var err error
	if p.Checksums, err = metasql.DecodeMap(checksums); err != nil {
		return nil, fmt.Errorf("part %s #%d checksums: %w", p.UploadID, p.Number, err)
	}
	return &p, nil
}

package object

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/quarrylabs/quarry/internal/acl"
	"github.com/quarrylabs/quarry/internal/auth"
	"github.com/quarrylabs/quarry/internal/meta"
)

// CreateMultipartUpload starts a multipart upload. With a checksum
// algorithm, every part is checksummed with it and the object gets a
// checksum of checksumType (see uploadChecksumType for the default).
func (s *Service) CreateMultipartUpload(ctx context.Context, p auth.Principal, bucket, key string, attrs ObjectAttrs, checksumAlgorithm, checksumType string) (*meta.Upload, error) {
	if err := validateKey(key); err != nil {
		return nil, err
	}
	if err := validateTags(attrs.Tags, maxObjectTags); err != nil {
		return nil, err
	}
	if err := validateChecksumAlgorithm(checksumAlgorithm); err != nil {
		return nil, err
	}
	checksumType, err := uploadChecksumType(checksumAlgorithm, checksumType)
	if err != nil {
		return nil, err
	}
	if err := validateSSE(attrs.SSE); err != nil {
		return nil, err
	}
	u := &meta.Upload{
		ID:                newUploadID(),
		Bucket:            bucket,
		Key:               key,
		Initiated:         s.now(),
		OwnerID:           p.UserID,
		ContentType:       attrs.ContentType,
		Headers:           cloneMap(attrs.Headers),
		UserMeta:          cloneMap(attrs.UserMeta),
		Tags:              cloneMap(attrs.Tags),
		ChecksumAlgorithm: checksumAlgorithm,
		ChecksumType:      checksumType,
		ACL:               string(attrs.ACL),
	}
	err = s.cfg.Meta.Update(ctx, func(tx meta.Tx) error {
		// Update may run this again: the replica mark is decided afresh.
		u.Headers = cloneMap(attrs.Headers)
		b, err := bucketAllowing(tx, p, bucket, acl.Write)
		if err != nil {
			return err
		}
		// Every part is encrypted as the upload is, and each on its own:
		// completing the upload then copies no data.
		if u.SSE, err = s.encryptionFor(tx, b, attrs.SSE); err != nil {
			return err
		}
		u.OwnerID = ownerOfWrite(p, b)
		if replicaAllowed(p, b, attrs.Replica) {
			markReplicaUpload(u)
		}
		if err := tx.CreateUpload(u); err != nil {
			return fmt.Errorf("create upload for %s/%s: %w", bucket, key, err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}

// usableUpload returns the upload if its bucket exists, p may write to it,
// and the upload belongs to that bucket and key.
func usableUpload(tx meta.Tx, p auth.Principal, bucket, key, uploadID string) (*meta.Bucket, *meta.Upload, error) {
	b, err := bucketAllowing(tx, p, bucket, acl.Write)
	if err != nil {
		return nil, nil, err
	}
	u, err := tx.GetUpload(uploadID)
	if errors.Is(err, meta.ErrNotFound) || (err == nil && (u.Bucket != bucket || u.Key != key)) {
		return nil, nil, fmt.Errorf("upload %q of %s/%s: %w", uploadID, bucket, key, ErrNoSuchUpload)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("get upload %q: %w", uploadID, err)
	}
	return b, u, nil
}

// UploadPart stores one part; a part with the same number is replaced.
func (s *Service) UploadPart(ctx context.Context, p auth.Principal, in PartInput) (*meta.Part, error) {
	if err := validatePartNumber(in.Number); err != nil {
		return nil, err
	}
	var u *meta.Upload
	err := s.cfg.Meta.View(ctx, func(tx meta.Tx) error {
		var err error
		_, u, err = usableUpload(tx, p, in.Bucket, in.Key, in.UploadID)
		return err
	})
	if err != nil {
		return nil, err
	}
	checksum := in.Checksum
	switch {
	case checksum.Algorithm == "":
		checksum.Algorithm = u.ChecksumAlgorithm
	case u.ChecksumAlgorithm != "" && checksum.Algorithm != u.ChecksumAlgorithm:
		return nil, refusal(ErrInvalidRequest, "Checksum Type mismatch occurred, expected checksum Type: %s, actual checksum Type: %s",
			checksumName(u.ChecksumAlgorithm), checksumName(checksum.Algorithm))
	}
	if err := validateChecksumAlgorithm(checksum.Algorithm); err != nil {
		return nil, err
	}
	started := s.now()
	body, err := s.ingest(ctx, ingestRequest{
		Body: in.Body, Size: in.Size, MaxSize: MaxPartSize,
		ContentMD5: in.ContentMD5, Checksum: checksum, Encrypt: u.SSE != "",
	})
	if err != nil {
		return nil, fmt.Errorf("upload part %d of %s/%s: %w", in.Number, in.Bucket, in.Key, err)
	}
	return s.commitPart(ctx, p, in.Bucket, in.Key, in.UploadID, in.Number, started, body)
}

// commitPart records a stored part, trashing the part it replaces. The
// upload may have been completed or aborted meanwhile: then the blob goes.
//
// Of several uploads of one part number, the one that started last is
// kept, whatever order they finish in: a client that gave up on a slow
// upload and sent the part again must not see the abandoned upload win
// when it finally completes. A part's LastModified is when its upload
// started; an upload that finishes after a later-started one of the same
// number succeeds, but its data is dropped.
func (s *Service) commitPart(ctx context.Context, p auth.Principal, bucket, key, uploadID string, number int, started time.Time, body *ingested) (*meta.Part, error) {
	part := &meta.Part{
		UploadID:     uploadID,
		Number:       number,
		Size:         body.Size,
		ETag:         body.ETag(),
		BlobID:       body.BlobID,
		LastModified: started,
		Checksums:    body.Checksums,
	}
	err := s.commit(ctx, bucket, func(c *Change) error {
		if _, _, err := usableUpload(c.tx, p, bucket, key, uploadID); err != nil {
			return err
		}
		current, err := c.tx.ListParts(uploadID, number-1, 1)
		if err != nil {
			return fmt.Errorf("get part %d: %w", number, err)
		}
		if len(current) == 1 && current[0].Number == number && current[0].LastModified.After(started) {
			c.trash = append(c.trash, part.BlobID)
			return nil
		}
		if part.SealedKey, err = s.wrapKey(c.tx, body); err != nil {
			return err
		}
		replaced, err := c.tx.PutPart(part)
		if err != nil {
			return fmt.Errorf("put part %d: %w", number, err)
		}
		if replaced != nil && replaced.BlobID != part.BlobID {
			c.trash = append(c.trash, replaced.BlobID)
		}
		return nil
	})
	if err != nil {
		s.deleteBlobs(ctx, body.BlobID)
		return nil, fmt.Errorf("upload part %d of %s/%s: %w", number, bucket, key, err)
	}
	return part, nil
}

// UploadPartCopy stores one part copied from (a range of) an existing
// object.
func (s *Service) UploadPartCopy(ctx context.Context, p auth.Principal, in PartCopyInput) (*meta.Part, *meta.Version, error) {
	if err := validatePartNumber(in.Number); err != nil {
		return nil, nil, err
	}
	var u *meta.Upload
	var src *meta.Version
	err := s.cfg.Meta.View(ctx, func(tx meta.Tx) error {
		var err error
		if _, u, err = usableUpload(tx, p, in.Bucket, in.Key, in.UploadID); err != nil {
			return err
		}
		src, err = copySource(tx, p, in.SrcBucket, in.SrcKey, in.SrcVersionID, in.SrcCond)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	started := s.now()
	offset, length, err := copySourceRange(src.Size, in.SrcRange)
	if err != nil {
		return nil, nil, err
	}
	if length > MaxPartSize {
		return nil, nil, fmt.Errorf("part of %d bytes (max %d): %w", length, int64(MaxPartSize), ErrEntityTooLarge)
	}
	// A part is never inline, whatever its source.
	body, err := s.copyData(ctx, src, offset, length, copyTarget{
		algorithm: u.ChecksumAlgorithm, maxSize: MaxPartSize, encrypt: u.SSE != "",
	})
	if err != nil {
		return nil, nil, fmt.Errorf("copy part %d from %s/%s: %w", in.Number, in.SrcBucket, in.SrcKey, err)
	}
	part, err := s.commitPart(ctx, p, in.Bucket, in.Key, in.UploadID, in.Number, started, body)
	if err != nil {
		return nil, nil, err
	}
	return part, src, nil
}

// copySourceRange resolves x-amz-copy-source-range, which S3 requires to lie
// within the source (no clamping, no suffix form).
func copySourceRange(size int64, r *Range) (offset, length int64, err error) {
	if r == nil {
		return 0, size, nil
	}
	if r.Suffix || r.First < 0 || r.Last < r.First || r.Last >= size {
		return 0, 0, fmt.Errorf("copy source range %d-%d of %d bytes: %w", r.First, r.Last, size, ErrInvalidRange)
	}
	return r.First, r.Last - r.First + 1, nil
}

// AbortMultipartUpload discards an upload and its parts.
func (s *Service) AbortMultipartUpload(ctx context.Context, p auth.Principal, bucket, key, uploadID string) error {
	return s.commit(ctx, bucket, func(c *Change) error {
		if _, _, err := usableUpload(c.tx, p, bucket, key, uploadID); err != nil {
			return err
		}
		return discardUpload(c, uploadID, nil)
	})
}

// discardUpload deletes an upload and trashes the blobs of its parts, except
// those of the part numbers in keep (now part of an object).
func discardUpload(c *Change, uploadID string, keep map[int]bool) error {
	parts, err := allParts(c.tx, uploadID)
	if err != nil {
		return err
	}
	for _, part := range parts {
		if !keep[part.Number] {
			c.trash = append(c.trash, part.BlobID)
		}
	}
	if err := c.tx.DeleteUpload(uploadID); err != nil {
		return fmt.Errorf("delete upload %q: %w", uploadID, err)
	}
	return nil
}

// allParts returns every part of an upload in ascending order.
func allParts(tx meta.Tx, uploadID string) ([]meta.Part, error) {
	var all []meta.Part
	after := 0
	for {
		parts, err := tx.ListParts(uploadID, after, maxListing)
		if err != nil {
			return nil, fmt.Errorf("list parts of %q: %w", uploadID, err)
		}
		all = append(all, parts...)
		if len(parts) < maxListing {
			return all, nil
		}
		after = parts[len(parts)-1].Number
	}
}

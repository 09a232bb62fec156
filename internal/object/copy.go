package object

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/quarrylabs/quarry/internal/acl"
	"github.com/quarrylabs/quarry/internal/auth"
	"github.com/quarrylabs/quarry/internal/meta"
)

// CopyObject copies an object. The data is streamed into a new blob (MD5 and
// the checksum recomputed), so a multipart source becomes a single-segment
// object with a plain MD5 ETag.
func (s *Service) CopyObject(ctx context.Context, p auth.Principal, in CopyInput) (*CopyResult, error) {
	if err := validateKey(in.Key); err != nil {
		return nil, err
	}
	if in.ReplaceTags {
		if err := validateTags(in.Attrs.Tags, maxObjectTags); err != nil {
			return nil, err
		}
	}
	if err := validateChecksumAlgorithm(in.Checksum.Algorithm); err != nil {
		return nil, err
	}
	if err := validateSSE(in.Attrs.SSE); err != nil {
		return nil, err
	}
	var src *meta.Version
	var encryption string
	err := s.cfg.Meta.View(ctx, func(tx meta.Tx) error {
		var err error
		src, err = copySource(tx, p, in.SrcBucket, in.SrcKey, in.SrcVersionID, in.SrcCond)
		if err != nil {
			return err
		}
		b, err := bucketAllowing(tx, p, in.Bucket, acl.Write)
		if err != nil {
			return err
		}
		if err := checkWriteConditionsTx(tx, in.Bucket, in.Key, in.Cond); err != nil {
			return err
		}
		// The copy is encrypted as a new write to its bucket would be:
		// the source's encryption is not inherited.
		encryption, err = s.encryptionFor(tx, b, in.Attrs.SSE)
		return err
	})
	if err != nil {
		return nil, err
	}
	if isIllegalSelfCopy(in, src) {
		//lint:ignore ST1005 S3's own message, which clients show as is
		return nil, fmt.Errorf("This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes: %w", ErrInvalidRequest)
	}
	if src.Size > MaxObjectSize {
		return nil, fmt.Errorf("copy source of %d bytes is larger than %d: %w", src.Size, int64(MaxObjectSize), ErrInvalidRequest)
	}
	algorithm := in.Checksum.Algorithm
	if algorithm == "" {
		algorithm = checksumAlgorithmOf(src)
	}
	body, err := s.copyData(ctx, src, 0, src.Size, copyTarget{
		algorithm: algorithm, maxSize: MaxObjectSize, encrypt: encryption != "", inlineMax: s.cfg.InlineMax,
	})
	if err != nil {
		return nil, fmt.Errorf("copy %s/%s to %s/%s: %w", in.SrcBucket, in.SrcKey, in.Bucket, in.Key, err)
	}
	var v *meta.Version
	err = s.commit(ctx, in.Bucket, func(c *Change) error {
		// A new version each attempt, as in PutObject.
		v = s.newVersion(p, in.Key, copiedAttrs(in, src), body, encryption)
		b, err := bucketAllowing(c.tx, p, in.Bucket, acl.Write)
		if err != nil {
			return err
		}
		v.OwnerID = ownerOfWrite(p, b)
		markReplica(v, replicaAllowed(p, b, in.Replica || in.Attrs.Replica))
		cur, err := latestVersion(c.tx, in.Bucket, in.Key)
		if err != nil {
			return err
		}
		if err := recheckWriteConditions(in.Bucket, in.Key, cur, in.Cond); err != nil {
			return err
		}
		if err := s.sealSegment(c.tx, v, body); err != nil {
			return err
		}
		return c.replaceLatestWithACL(b, v, cur, in.Attrs.ACL, EventCopy)
	})
	if err != nil {
		s.deleteBlobs(ctx, body.BlobID)
		return nil, fmt.Errorf("copy to %s/%s: %w", in.Bucket, in.Key, err)
	}
	return &CopyResult{Version: v, SrcVersionID: src.VersionID}, nil
}

// copySource returns the source version of a copy if p may read it and the
// copy-source conditions hold. S3 refuses a delete marker addressed by
// version id as an invalid request.
func copySource(tx meta.Tx, p auth.Principal, bucket, key, versionID string, cond Conditions) (*meta.Version, error) {
	_, src, err := objectAllowing(tx, p, bucket, key, versionID, acl.Read)
	var dm *DeleteMarkerError
	if errors.As(err, &dm) && versionID != "" {
		return nil, fmt.Errorf("copy source %s/%s version %s is a delete marker: %w", bucket, key, versionID, ErrInvalidRequest)
	}
	if err != nil {
		return nil, fmt.Errorf("copy source: %w", err)
	}
	if err := checkCopySourceConditions(src, cond); err != nil {
		return nil, err
	}
	if err := loadInline(tx, src); err != nil {
		return nil, fmt.Errorf("copy source: %w", err)
	}
	return src, nil
}

// isIllegalSelfCopy reports a copy of the current object onto itself that
// changes nothing S3 counts as a change.
func isIllegalSelfCopy(in CopyInput, src *meta.Version) bool {
	if in.SrcBucket != in.Bucket || in.SrcKey != in.Key || in.ReplaceMetadata {
		return false
	}
	if in.Attrs.SSE != "" {
		return false // setting the encryption: how S3 encrypts what is stored
	}
	if in.SrcVersionID != "" && !src.IsLatest {
		return false // restoring an older version
	}
	if a := in.Checksum.Algorithm; a != "" && src.Checksums[a] == "" {
		return false // changing the checksum algorithm
	}
	return true
}

// copiedAttrs are the destination's attributes under the metadata and
// tagging directives.
func copiedAttrs(in CopyInput, src *meta.Version) ObjectAttrs {
	// The copy's ACL is the one the request gives (private when none), never
	// the source's, as on S3.
	attrs := ObjectAttrs{ContentType: src.ContentType, Headers: src.Headers, UserMeta: src.UserMeta, Tags: src.Tags, ACL: in.Attrs.ACL}
	if in.ReplaceMetadata {
		attrs.ContentType, attrs.Headers, attrs.UserMeta = in.Attrs.ContentType, in.Attrs.Headers, in.Attrs.UserMeta
	}
	if in.ReplaceTags {
		attrs.Tags = in.Attrs.Tags
	}
	return attrs
}

// checksumAlgorithmOf is the algorithm a copy keeps when none is asked: the
// source's (recomputed over the whole data, even when the source's value was
// a composite one).
func checksumAlgorithmOf(v *meta.Version) string {
	algs := make([]string, 0, len(v.Checksums))
	for a := range v.Checksums {
		if validateChecksumAlgorithm(a) == nil {
			algs = append(algs, a)
		}
	}
	if len(algs) == 0 {
		return ""
	}
	sort.Strings(algs)
	return algs[0]
}

// copyTarget is what a copy's data becomes: its checksum algorithm, its
// size limit, whether it is encrypted, and up to what size it is inline.
type copyTarget struct {
	algorithm string
	maxSize   int64
	encrypt   bool
	inlineMax int64
}

// copyData streams bytes offset..offset+length of src (its blobs, or its
// inline data, which copySource loaded) into a new blob or an inline body,
// decrypting the source and encrypting the copy as each is stored.
func (s *Service) copyData(ctx context.Context, src *meta.Version, offset, length int64, to copyTarget) (*ingested, error) {
	r, err := s.openVersion(ctx, src, offset, length)
	if err != nil {
		return nil, fmt.Errorf("open copy source: %w", err)
	}
	defer r.Close()
	return s.ingest(ctx, ingestRequest{
		Body: r, Size: length, MaxSize: to.maxSize,
		Checksum:  ChecksumInput{Algorithm: to.algorithm},
		Encrypt:   to.encrypt,
		InlineMax: to.inlineMax,
	})
}

package object

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/quarrylabs/quarry/internal/acl"
	"github.com/quarrylabs/quarry/internal/auth"
	"github.com/quarrylabs/quarry/internal/meta"
)

// CompleteMultipartUpload assembles the listed parts into the object. No
// data is copied: the object's segments are the parts' blobs. Parts not
// listed are trashed, and the upload is gone, in the same transaction.
func (s *Service) CompleteMultipartUpload(ctx context.Context, p auth.Principal, bucket, key, uploadID string, parts []CompletePart) (*meta.Version, error) {
	if len(parts) == 0 {
		return nil, fmt.Errorf("complete %s/%s: no parts listed: %w", bucket, key, ErrMalformedXML)
	}
	for i := 1; i < len(parts); i++ {
		if parts[i].Number <= parts[i-1].Number {
			return nil, fmt.Errorf("complete %s/%s: part %d listed after %d: %w", bucket, key, parts[i].Number, parts[i-1].Number, ErrInvalidPartOrder)
		}
	}
	var v *meta.Version
	err := s.commit(ctx, bucket, func(c *Change) error {
		b, u, err := usableUpload(c.tx, p, bucket, key, uploadID)
		if err != nil {
			return err
		}
		stored, err := allParts(c.tx, uploadID)
		if err != nil {
			return err
		}
		v, err = s.assemble(u, parts, stored)
		if err != nil {
			return err
		}
		v.OwnerID = ownerOfWrite(p, b)
		keep := make(map[int]bool, len(parts))
		for _, cp := range parts {
			keep[cp.Number] = true
		}
		if err := discardUpload(c, uploadID, keep); err != nil {
			return err
		}
		return c.putVersionWithACL(b, v, acl.Canned(u.ACL), EventCompleteMultipartUpload)
	})
	if err != nil {
		return nil, fmt.Errorf("complete %s/%s: %w", bucket, key, err)
	}
	return v, nil
}

// assemble checks the listed parts against the stored ones and builds the
// object version they form.
func (s *Service) assemble(u *meta.Upload, listed []CompletePart, stored []meta.Part) (*meta.Version, error) {
	byNumber := make(map[int]*meta.Part, len(stored))
	for i := range stored {
		byNumber[stored[i].Number] = &stored[i]
	}
	etags := md5.New()
	var size int64
	segments := make([]meta.Segment, 0, len(listed))
	partSums := make([]string, 0, len(listed))
	for i, cp := range listed {
		part := byNumber[cp.Number]
		if part == nil {
			return nil, fmt.Errorf("part %d was not uploaded: %w", cp.Number, ErrInvalidPart)
		}
		if strings.Trim(cp.ETag, `"`) != part.ETag {
			return nil, fmt.Errorf("part %d has ETag %s, not %s: %w", cp.Number, part.ETag, cp.ETag, ErrInvalidPart)
		}
		for alg, want := range cp.Checksums {
			if part.Checksums[alg] != want {
				return nil, fmt.Errorf("part %d %s checksum is not %s: %w", cp.Number, alg, want, ErrInvalidPart)
			}
		}
		if i < len(listed)-1 && part.Size < s.cfg.MinPartSize {
			return nil, fmt.Errorf("part %d of %d bytes is below the %d minimum: %w", cp.Number, part.Size, s.cfg.MinPartSize, ErrEntityTooSmall)
		}
		raw, err := hex.DecodeString(part.ETag)
		if err != nil {
			return nil, fmt.Errorf("part %d has a malformed stored ETag %q", cp.Number, part.ETag)
		}
		etags.Write(raw)
		size += part.Size
		segments = append(segments, meta.Segment{BlobID: part.BlobID, Size: part.Size, SealedKey: part.SealedKey})
		partSums = append(partSums, part.Checksums[u.ChecksumAlgorithm])
	}
	v := &meta.Version{
		Key:          u.Key,
		Size:         size,
		ETag:         fmt.Sprintf("%x-%d", etags.Sum(nil), len(listed)),
		LastModified: s.now(),
		ContentType:  u.ContentType,
		Headers:      cloneMap(u.Headers),
		UserMeta:     cloneMap(u.UserMeta),
		Tags:         cloneMap(u.Tags),
		Segments:     segments,
		SSE:          u.SSE,
	}
	var replica bool
	v.Headers, replica = takeReplicaMark(v.Headers)
	markReplica(v, replica)
	if u.ChecksumAlgorithm != "" && u.ChecksumType != checksumTypeFullObject {
		if sum, ok := compositeChecksum(u.ChecksumAlgorithm, partSums); ok {
			v.Checksums = map[string]string{u.ChecksumAlgorithm: sum}
		}
	}
	return v, nil
}

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

// CompleteInput is a CompleteMultipartUpload request.
type CompleteInput struct {
	Bucket   string
	Key      string
	UploadID string
	Parts    []CompletePart
	// Cond is the conditional write: If-None-Match "*" fails when the key
	// has a current object, If-Match needs its ETag. They are checked in
	// the transaction that creates the object.
	Cond Conditions
	// Checksum is the object checksum the client expects
	// (x-amz-checksum-*): Algorithm and Value, a composite one with or
	// without its "-N". It must be of the upload's algorithm.
	Checksum ChecksumInput
	// ChecksumType, when set (x-amz-checksum-type), must be the upload's.
	ChecksumType string
	// ObjectSize, when not negative (x-amz-mp-object-size), must be the
	// size of the object the parts make.
	ObjectSize int64
}

// CompleteMultipartUpload assembles the listed parts into the object, with
// no conditions and no expected checksum (see CompleteUpload).
func (s *Service) CompleteMultipartUpload(ctx context.Context, p auth.Principal, bucket, key, uploadID string, parts []CompletePart) (*meta.Version, error) {
	return s.CompleteUpload(ctx, p, CompleteInput{Bucket: bucket, Key: key, UploadID: uploadID, Parts: parts, ObjectSize: -1})
}

// CompleteUpload assembles the listed parts into the object. No data is
// copied: the object's segments are the parts' blobs. Parts not listed are
// trashed, and the upload is gone, in the same transaction. A refused
// completion changes nothing: the upload can be completed again.
func (s *Service) CompleteUpload(ctx context.Context, p auth.Principal, in CompleteInput) (*meta.Version, error) {
	res, err := s.Complete(ctx, p, in)
	if err != nil {
		return nil, err
	}
	return res.Version, nil
}

// Complete is CompleteUpload returning also the bucket as the commit read
// it, so that a caller answering the request (the version id and
// x-amz-expiration headers) need not read the bucket again. The commit
// reads the bucket and the key's latest version once each.
func (s *Service) Complete(ctx context.Context, p auth.Principal, in CompleteInput) (*PutResult, error) {
	bucket, key, parts := in.Bucket, in.Key, in.Parts
	if len(parts) == 0 {
		return nil, fmt.Errorf("complete %s/%s: no parts listed: %w", bucket, key, ErrMalformedXML)
	}
	for i := 1; i < len(parts); i++ {
		if parts[i].Number <= parts[i-1].Number {
			return nil, fmt.Errorf("complete %s/%s: part %d listed after %d: %w", bucket, key, parts[i].Number, parts[i-1].Number, ErrInvalidPartOrder)
		}
	}
	var v *meta.Version
	var b *meta.Bucket
	err := s.commit(ctx, bucket, func(c *Change) error {
		var u *meta.Upload
		var err error
		b, u, err = usableUpload(c.tx, p, bucket, key, in.UploadID)
		if err != nil {
			return err
		}
		// Read once: for the conditions and as the version the object
		// replaces. Evaluated here, in the transaction that makes the
		// object: of two conditional completions of one key, the second
		// sees the first's object.
		cur, err := latestVersion(c.tx, bucket, key)
		if err != nil {
			return err
		}
		if err := checkWriteConditions(cur, in.Cond); err != nil {
			return err
		}
		stored, err := allParts(c.tx, in.UploadID)
		if err != nil {
			return err
		}
		v, err = s.assemble(u, parts, stored)
		if err != nil {
			return err
		}
		v.OwnerID = ownerOfWrite(p, b)
		if err := checkCompletion(u, v, in); err != nil {
			return err
		}
		keep := make(map[int]bool, len(parts))
		for _, cp := range parts {
			keep[cp.Number] = true
		}
		if err := discardUpload(c, in.UploadID, keep); err != nil {
			return err
		}
		return c.replaceLatestWithACL(b, v, cur, acl.Canned(u.ACL), EventCompleteMultipartUpload)
	})
	if err != nil {
		return nil, fmt.Errorf("complete %s/%s: %w", bucket, key, err)
	}
	return &PutResult{Version: v, Bucket: b}, nil
}

// assemble checks the listed parts against the stored ones and builds the
// object version they form, with the object checksum the upload's
// algorithm and type make of the parts' checksums.
func (s *Service) assemble(u *meta.Upload, listed []CompletePart, stored []meta.Part) (*meta.Version, error) {
	byNumber := make(map[int]*meta.Part, len(stored))
	for i := range stored {
		byNumber[stored[i].Number] = &stored[i]
	}
	alg, typ := u.ChecksumAlgorithm, UploadChecksumType(u)
	etags := md5.New()
	var size int64
	segments := make([]meta.Segment, 0, len(listed))
	partSums := make([]partChecksum, 0, len(listed))
	for i, cp := range listed {
		// With checksums, S3 numbers the parts of the object 1..N: its
		// GetObjectAttributes and GET ?partNumber name them so.
		if alg != "" && cp.Number != i+1 {
			return nil, fmt.Errorf("part %d listed in place %d of an upload with checksums, which needs parts 1 to N: %w", cp.Number, i+1, ErrInvalidPartOrder)
		}
		part := byNumber[cp.Number]
		if part == nil {
			return nil, fmt.Errorf("part %d was not uploaded: %w", cp.Number, ErrInvalidPart)
		}
		if strings.Trim(cp.ETag, `"`) != part.ETag {
			return nil, fmt.Errorf("part %d has ETag %s, not %s: %w", cp.Number, part.ETag, cp.ETag, ErrInvalidPart)
		}
		if alg != "" && typ == ChecksumTypeComposite && cp.Checksums[alg] == "" {
			return nil, refusal(ErrInvalidRequest, "The upload was created using a %s checksum. The complete request must include the checksum for each part. It was missing for part %d in the request.", checksumName(alg), cp.Number)
		}
		for a, want := range cp.Checksums {
			if part.Checksums[a] != want {
				return nil, fmt.Errorf("part %d %s checksum is not %s: %w", cp.Number, a, want, ErrInvalidPart)
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
		seg := meta.Segment{BlobID: part.BlobID, Size: part.Size, SealedKey: part.SealedKey}
		if alg != "" {
			seg.Checksum = part.Checksums[alg]
			if seg.Checksum == "" {
				return nil, fmt.Errorf("part %d has no %s checksum: %w", cp.Number, alg, ErrInvalidPart)
			}
			partSums = append(partSums, partChecksum{value: seg.Checksum, size: part.Size})
		}
		segments = append(segments, seg)
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
	if alg != "" {
		sum, ok := objectChecksum(alg, typ, partSums)
		if !ok {
			return nil, fmt.Errorf("%s %s checksum of %d parts: a part checksum is malformed", typ, alg, len(partSums))
		}
		v.Checksums = map[string]string{alg: sum}
	}
	return v, nil
}

// objectChecksum is a multipart object's checksum of the given type.
func objectChecksum(algorithm, typ string, parts []partChecksum) (string, bool) {
	if typ == ChecksumTypeFullObject {
		return fullObjectChecksum(algorithm, parts)
	}
	values := make([]string, len(parts))
	for i, p := range parts {
		values[i] = p.value
	}
	return compositeChecksum(algorithm, values)
}

// checkCompletion checks the assembled object against what the request
// says it must be: its checksum, checksum type and size.
func checkCompletion(u *meta.Upload, v *meta.Version, in CompleteInput) error {
	alg, typ := u.ChecksumAlgorithm, UploadChecksumType(u)
	if in.ChecksumType != "" && in.ChecksumType != typ {
		if typ == "" {
			return refusal(ErrInvalidRequest, "The upload was created without a checksum algorithm, so the complete request cannot name the checksum type %s.", in.ChecksumType)
		}
		return refusal(ErrInvalidRequest, "The upload was created using the %s checksum mode. The complete request must use the same checksum mode.", typ)
	}
	if want := in.Checksum; want.Algorithm != "" {
		switch {
		case alg == "":
			return refusal(ErrInvalidRequest, "The upload was created without a checksum algorithm, so the complete request cannot carry an x-amz-checksum-%s.", checksumName(want.Algorithm))
		case want.Algorithm != alg:
			return refusal(ErrInvalidRequest, "The upload was created using a %s checksum. The complete request must use the same algorithm, not %s.", checksumName(alg), checksumName(want.Algorithm))
		}
		got := v.Checksums[alg]
		if want.Value != got && want.Value != strings.SplitN(got, "-", 2)[0] {
			return refusal(ErrBadDigest, "The %s you specified did not match the calculated checksum.", checksumName(alg))
		}
	}
	if in.ObjectSize >= 0 && in.ObjectSize != v.Size {
		return refusal(ErrInvalidRequest, "The provided 'x-amz-mp-object-size' header value %d does not match the size of the object, %d bytes.", in.ObjectSize, v.Size)
	}
	return nil
}

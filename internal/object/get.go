package object

import (
	"context"
	"errors"
	"fmt"

	"github.com/quarrylabs/quarry/internal/acl"
	"github.com/quarrylabs/quarry/internal/auth"
	"github.com/quarrylabs/quarry/internal/blob"
	"github.com/quarrylabs/quarry/internal/meta"
)

// openAttempts bounds how often a GET looks the object up again when its
// blob vanished because a concurrent write replaced the version.
const openAttempts = 3

// GetObject returns an object's data and attributes. The caller closes Body.
func (s *Service) GetObject(ctx context.Context, p auth.Principal, in GetInput) (*GetOutput, error) {
	for attempt := 1; ; attempt++ {
		out, err := s.lookup(ctx, p, in, true)
		if err != nil {
			return out, err
		}
		out.Body, err = s.openVersion(ctx, out.Version, out.Offset, out.Length)
		if errors.Is(err, blob.ErrNotFound) && attempt < openAttempts {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("get %s/%s: %w", in.Bucket, in.Key, err)
		}
		return out, nil
	}
}

// HeadObject is GetObject without a body: it never reads an inline
// object's data.
func (s *Service) HeadObject(ctx context.Context, p auth.Principal, in GetInput) (*GetOutput, error) {
	return s.lookup(ctx, p, in, false)
}

// lookup finds the addressed version, applies the preconditions and selects
// the bytes to serve. With ErrNotModified it returns the output too, for the
// headers of the 304. withData also reads an inline version's data, in the
// same transaction as the version, so that the two always agree.
func (s *Service) lookup(ctx context.Context, p auth.Principal, in GetInput, withData bool) (*GetOutput, error) {
	if in.PartNumber != 0 && in.Range != nil {
		return nil, fmt.Errorf("both a range and a part number: %w", ErrInvalidRequest)
	}
	if in.PartNumber != 0 {
		if err := validatePartNumber(in.PartNumber); err != nil {
			return nil, err
		}
	}
	var (
		v *meta.Version
		b *meta.Bucket
	)
	err := s.cfg.Meta.View(ctx, func(tx meta.Tx) error {
		var err error
		b, v, err = objectAllowing(tx, p, in.Bucket, in.Key, in.VersionID, acl.Read)
		if err != nil || !withData || checkReadConditions(v, in.Cond) != nil {
			return err // a GET that fails its conditions sends no data
		}
		return loadInline(tx, v)
	})
	if err != nil {
		return nil, err
	}
	out := &GetOutput{Version: v, Bucket: b, Length: v.Size}
	if err := checkReadConditions(v, in.Cond); err != nil {
		if errors.Is(err, ErrNotModified) {
			return out, err
		}
		return nil, err
	}
	switch {
	case in.Range != nil:
		out.Offset, out.Length, err = resolveRange(v.Size, in.Range)
		if err != nil {
			return nil, err
		}
		out.Ranged = true
	case in.PartNumber != 0:
		if err := selectPart(out, in.PartNumber); err != nil {
			return nil, err
		}
	default:
		out.Checksums, out.ChecksumType = v.Checksums, ChecksumType(v.Checksums)
	}
	return out, nil
}

// selectPart serves one part of a multipart object. A single-part object has
// exactly one part, the whole object.
func selectPart(out *GetOutput, number int) error {
	v := out.Version
	if !isMultipartETag(v.ETag) {
		if number != 1 {
			return fmt.Errorf("part %d of a single-part object: %w", number, ErrInvalidRange)
		}
		out.Ranged = v.Size > 0
		out.Checksums = v.Checksums
		return nil
	}
	if number > len(v.Segments) {
		return fmt.Errorf("part %d of %d: %w", number, len(v.Segments), ErrInvalidRange)
	}
	var offset int64
	for _, seg := range v.Segments[:number-1] {
		offset += seg.Size
	}
	seg := v.Segments[number-1]
	out.Offset, out.Length = offset, seg.Size
	out.Ranged = true
	out.PartsCount = len(v.Segments)
	if alg := checksumAlgorithmOf(v); alg != "" && seg.Checksum != "" {
		out.Checksums = map[string]string{alg: seg.Checksum}
	}
	return nil
}

// ObjectPart is one part of a multipart object, numbered 1..N in order.
type ObjectPart struct {
	Number int
	Size   int64
	// Checksums holds the part's checksum of the object's algorithm; nil
	// when the object has no checksum.
	Checksums map[string]string
}

// Parts lists the parts of a multipart object; nil for a single-part one.
func Parts(v *meta.Version) []ObjectPart {
	if !isMultipartETag(v.ETag) {
		return nil
	}
	alg := checksumAlgorithmOf(v)
	parts := make([]ObjectPart, len(v.Segments))
	for i, seg := range v.Segments {
		parts[i] = ObjectPart{Number: i + 1, Size: seg.Size}
		if alg != "" && seg.Checksum != "" {
			parts[i].Checksums = map[string]string{alg: seg.Checksum}
		}
	}
	return parts
}

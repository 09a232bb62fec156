package object

import (
	"context"
	"fmt"

	"github.com/quarrylabs/quarry/internal/acl"
	"github.com/quarrylabs/quarry/internal/auth"
	"github.com/quarrylabs/quarry/internal/meta"
)

// ListParts lists an upload's parts numbered above marker. maxParts above
// 1000 is 1000; 0 gives an empty, untruncated page.
func (s *Service) ListParts(ctx context.Context, p auth.Principal, bucket, key, uploadID string, marker, maxParts int) (*ListPartsOutput, error) {
	limit, err := pageSize(maxParts)
	if err != nil {
		return nil, err
	}
	if marker < 0 {
		return nil, fmt.Errorf("part number marker %d: %w", marker, ErrInvalidArgument)
	}
	out := &ListPartsOutput{}
	err = s.cfg.Meta.View(ctx, func(tx meta.Tx) error {
		var err error
		_, out.Upload, err = usableUpload(tx, p, bucket, key, uploadID)
		if err != nil || limit == 0 {
			return err
		}
		parts, err := tx.ListParts(uploadID, marker, limit+1)
		if err != nil {
			return fmt.Errorf("list parts of %q: %w", uploadID, err)
		}
		if len(parts) > limit {
			parts, out.IsTruncated = parts[:limit], true
		}
		out.Parts = parts
		if len(parts) > 0 {
			out.NextMarker = parts[len(parts)-1].Number
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ListUploads lists a bucket's multipart uploads in progress, ordered by
// key then upload id, rolling keys up into common prefixes when a delimiter
// is given.
func (s *Service) ListUploads(ctx context.Context, p auth.Principal, in ListUploadsInput) (*ListUploadsOutput, error) {
	limit, err := pageSize(in.MaxUploads)
	if err != nil {
		return nil, err
	}
	out := &ListUploadsOutput{}
	err = s.cfg.Meta.View(ctx, func(tx meta.Tx) error {
		if _, err := bucketAllowing(tx, p, in.Bucket, acl.Read); err != nil {
			return err
		}
		if limit == 0 {
			return nil
		}
		return listUploads(tx, in, limit, out)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func listUploads(tx meta.Tx, in ListUploadsInput, limit int, out *ListUploadsOutput) error {
	afterKey, afterID := in.KeyMarker, ""
	if in.KeyMarker != "" {
		// S3 ignores an upload-id-marker given without a key-marker.
		afterID = in.UploadIDMarker
	}
	count := 0
	for {
		want := limit - count + 1
		batch, err := tx.ListUploads(in.Bucket, in.Prefix, afterKey, afterID, want)
		if err != nil {
			return fmt.Errorf("list uploads of %s: %w", in.Bucket, err)
		}
		restart := false
		for i := range batch {
			u := &batch[i]
			cp := commonPrefix(u.Key, in.Prefix, in.Delimiter)
			if cp != "" && cp <= in.KeyMarker {
				afterKey, afterID, restart = pastPrefix(cp), "", true
				break
			}
			if count == limit {
				out.IsTruncated = true
				return nil
			}
			count++
			if cp != "" {
				out.CommonPrefixes = append(out.CommonPrefixes, cp)
				out.NextKeyMarker, out.NextUploadIDMarker = cp, ""
				afterKey, afterID, restart = pastPrefix(cp), "", true
				break
			}
			out.Uploads = append(out.Uploads, *u)
			out.NextKeyMarker, out.NextUploadIDMarker = u.Key, u.ID
			afterKey, afterID = u.Key, u.ID
		}
		if !restart && len(batch) < want {
			return nil
		}
	}
}

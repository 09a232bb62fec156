package mapi

import (
	"context"
	"errors"
	"fmt"

	"github.com/quarrylabs/quarry/internal/auth"
	"github.com/quarrylabs/quarry/internal/meta"
	"github.com/quarrylabs/quarry/internal/object"
)

// bucketJSON is a bucket in user/list_buckets, with its usage counters.
type bucketJSON struct {
	Name         string `json:"name"`
	CreationTime string `json:"creationTime"`
	ObjectCount  int64  `json:"objectCount"`
	Bytes        int64  `json:"bytes"`
}

// ownedBuckets lists the buckets p owns, by name. For an admin the object
// service lists every bucket, so the owner is checked here.
func (h *Handler) ownedBuckets(ctx context.Context, p auth.Principal) ([]meta.Bucket, error) {
	all, err := h.cfg.Objects.ListBuckets(ctx, p)
	if err != nil {
		return nil, err
	}
	owned := all[:0]
	for _, b := range all {
		if b.OwnerID == p.UserID {
			owned = append(owned, b)
		}
	}
	return owned, nil
}

// listBuckets pages the caller's own buckets by name, with the counters
// the object service keeps exact.
func (h *Handler) listBuckets(ctx context.Context, c *call) (any, error) {
	var req pageRequest
	if err := decodeJSON(c.body, &req); err != nil {
		return nil, err
	}
	size, err := pageSize(req.PageSize)
	if err != nil {
		return nil, err
	}
	after, err := decodePageToken(req.PageToken)
	if err != nil {
		return nil, err
	}
	owned, err := h.ownedBuckets(ctx, c.p)
	if err != nil {
		return nil, err
	}
	out := make([]bucketJSON, 0, min(size, len(owned)))
	next := ""
	for _, b := range owned {
		if b.Name <= after {
			continue
		}
		if len(out) == size {
			next = encodePageToken(out[len(out)-1].Name)
			break
		}
		u, err := h.cfg.Objects.Usage(ctx, c.p, b.Name)
		if errors.Is(err, object.ErrNoSuchBucket) {
			continue // deleted since it was listed
		}
		if err != nil {
			return nil, fmt.Errorf("usage of bucket %s: %w", b.Name, err)
		}
		out = append(out, bucketJSON{Name: b.Name, CreationTime: rfc3339(b.CreatedAt),
			ObjectCount: u.Objects, Bytes: u.Bytes})
	}
	return pageOf("buckets", out, next), nil
}

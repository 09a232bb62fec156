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
// bucketId and bucketName are what the vendor's clients read; name is
// Quarry's original field, kept for its own clients.
type bucketJSON struct {
	BucketID     int64  `json:"bucketId"`
	BucketName   string `json:"bucketName"`
	Name         string `json:"name"`
	CreationTime string `json:"creationTime"`
	ObjectCount  int64  `json:"objectCount"`
	Bytes        int64  `json:"bytes"`
}

// listBucketsRequest is the body of user/list_buckets. The vendor's
// clients send {"id": "<user id>", "count": 1000}; Quarry's own send
// pageSize and pageToken.
type listBucketsRequest struct {
	pageRequest
	ID    userIDField `json:"id"`
	Count *int        `json:"count"`
}

// size is the page size: count, or pageSize, which count stands for. A
// count must be 1 to maxPageSize, since a client that counts on getting
// that many must not silently get fewer.
func (r listBucketsRequest) size() (int, error) {
	if r.Count == nil {
		return pageSize(r.PageSize)
	}
	n := *r.Count
	switch {
	case n < 1 || n > maxPageSize:
		return 0, invalid("count must be between 1 and %d", maxPageSize)
	case r.PageSize != 0 && r.PageSize != n:
		return 0, invalid("count and pageSize differ; send one of them")
	}
	return n, nil
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

// listBuckets pages one user's buckets by name, with the counters the
// object service keeps exact: the caller's own, or (admins only) those of
// the user id names.
func (h *Handler) listBuckets(ctx context.Context, c *call) (any, error) {
	var req listBucketsRequest
	if err := decodeJSON(c.body, &req); err != nil {
		return nil, err
	}
	size, err := req.size()
	if err != nil {
		return nil, err
	}
	after, err := decodePageToken(req.PageToken)
	if err != nil {
		return nil, err
	}
	owner, err := h.subjectUser(ctx, c.p, req.ID)
	if err != nil {
		return nil, err
	}
	owned, err := h.ownedBuckets(ctx, owner)
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
		out = append(out, bucketJSON{BucketID: b.ID, BucketName: b.Name, Name: b.Name,
			CreationTime: rfc3339(b.CreatedAt), ObjectCount: u.Objects, Bytes: u.Bytes})
	}
	return pageOf("buckets", out, next), nil
}

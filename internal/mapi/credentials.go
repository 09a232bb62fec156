package mapi

import (
	"context"
	"errors"

	"github.com/quarrylabs/quarry/internal/auth"
)

// generateCredentials issues an S3 key pair to the caller; the secret is
// shown only in this response.
func (h *Handler) generateCredentials(ctx context.Context, c *call) (any, error) {
	if err := decodeJSON(c.body, &struct{}{}); err != nil {
		return nil, err
	}
	accessKey, secretKey, err := h.cfg.Users.CreateAccessKey(ctx, c.p.UserID)
	if err != nil {
		return nil, err
	}
	return map[string]string{"accessKey": accessKey, "secretKey": secretKey}, nil
}

type revokeCredentialsRequest struct {
	AccessKey string `json:"accessKey"`
}

// revokeCredentials deletes one of the caller's access keys, or all of
// them without accessKey. Another user's key is "not found", admin or
// not: this endpoint is about one's own credentials.
func (h *Handler) revokeCredentials(ctx context.Context, c *call) (any, error) {
	var req revokeCredentialsRequest
	if err := decodeJSON(c.body, &req); err != nil {
		return nil, err
	}
	keys, err := h.cfg.Users.ListAccessKeys(ctx, c.p.UserID)
	if err != nil {
		return nil, err
	}
	var revoke []string
	for _, k := range keys {
		if req.AccessKey == "" || k.AccessKey == req.AccessKey {
			revoke = append(revoke, k.AccessKey)
		}
	}
	if req.AccessKey != "" && len(revoke) == 0 {
		return nil, notFound("access key %s does not exist", req.AccessKey)
	}
	for _, k := range revoke {
		// A key gone meanwhile (a concurrent revoke) is what was asked.
		if err := h.cfg.Users.DeleteAccessKey(ctx, k); err != nil && !errors.Is(err, auth.ErrNoSuchAccessKey) {
			return nil, err
		}
	}
	return struct{}{}, nil
}

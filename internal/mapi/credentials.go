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

// revokeCredentialsRequest is the body of user/revoke_credentials. The
// vendor's clients send {"id": <MAPI user id>}; accessKey is also accepted
// in the snake_case some of their specs keep.
type revokeCredentialsRequest struct {
	ID             userIDField `json:"id"`
	AccessKey      *string     `json:"accessKey"`
	AccessKeySnake *string     `json:"access_key"`
}

// accessKey returns the one key asked for, "" for all of them.
func (r revokeCredentialsRequest) accessKey() (string, error) {
	switch {
	case r.AccessKey != nil && r.AccessKeySnake != nil && *r.AccessKey != *r.AccessKeySnake:
		return "", invalid("accessKey and access_key name different keys")
	case r.AccessKey != nil:
		return *r.AccessKey, nil
	case r.AccessKeySnake != nil:
		return *r.AccessKeySnake, nil
	}
	return "", nil
}

// revokeCredentials deletes access keys of one user: the caller's own
// without id, or (admins only) those of the user id names. With accessKey
// it deletes that key only, and only if it belongs to that user: another
// user's key is "not found", so naming one never revokes it.
func (h *Handler) revokeCredentials(ctx context.Context, c *call) (any, error) {
	var req revokeCredentialsRequest
	if err := decodeStrictJSON(c.body, &req); err != nil {
		return nil, err
	}
	only, err := req.accessKey()
	if err != nil {
		return nil, err
	}
	if req.AccessKey != nil || req.AccessKeySnake != nil {
		if only == "" {
			return nil, invalid("accessKey must not be empty; leave it out to revoke every key")
		}
	}
	subject, err := h.subjectUser(ctx, c.p, req.ID)
	if err != nil {
		return nil, err
	}
	keys, err := h.cfg.Users.ListAccessKeys(ctx, subject.UserID)
	if err != nil {
		return nil, err
	}
	var revoke []string
	for _, k := range keys {
		if only == "" || k.AccessKey == only {
			revoke = append(revoke, k.AccessKey)
		}
	}
	if only != "" && len(revoke) == 0 {
		if subject.UserID == c.p.UserID {
			return nil, notFound("access key %s does not exist", only)
		}
		return nil, notFound("user %d has no access key %s", subject.UserID, only)
	}
	for _, k := range revoke {
		// A key gone meanwhile (a concurrent revoke) is what was asked.
		if err := h.cfg.Users.DeleteAccessKey(ctx, k); err != nil && !errors.Is(err, auth.ErrNoSuchAccessKey) {
			return nil, err
		}
	}
	return struct{}{}, nil
}

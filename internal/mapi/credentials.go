package mapi

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"

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

// listCredentialsRequest is the body of user/list_credentials.
type listCredentialsRequest struct {
	ID userIDField `json:"id"`
}

// listCredentials lists one user's S3 access keys, never their secrets:
// the caller's own without id, or (admins only) those of the user id
// names, oldest first.
func (h *Handler) listCredentials(ctx context.Context, c *call) (any, error) {
	var req listCredentialsRequest
	if err := decodeJSON(c.body, &req); err != nil {
		return nil, err
	}
	subject, err := h.subjectUser(ctx, c.p, req.ID)
	if err != nil {
		return nil, err
	}
	keys, err := h.cfg.Users.ListAccessKeys(ctx, subject.UserID)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(keys, func(a, b auth.AccessKeyInfo) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), strings.Compare(a.AccessKey, b.AccessKey))
	})
	type keyJSON struct {
		AccessKey    string `json:"accessKey"`
		CreationTime string `json:"creationTime"`
	}
	out := make([]keyJSON, len(keys))
	for i, k := range keys {
		out[i] = keyJSON{AccessKey: k.AccessKey, CreationTime: rfc3339(k.CreatedAt)}
	}
	return map[string]any{"credentials": out}, nil
}

// revokeCredentialsRequest is the body of user/revoke_credentials. The
// vendor's clients send {"id": <MAPI user id>}; accessKey is also accepted
// in the snake_case some of their specs keep.
type revokeCredentialsRequest struct {
	ID             userIDField `json:"id"`
	AccessKey      *string     `json:"accessKey"`
	AccessKeySnake *string     `json:"access_key"`
}

// accessKey returns the one key asked for, "" for all of them. An empty
// accessKey is a 400: a client that meant one key must not revoke all.
func (r revokeCredentialsRequest) accessKey() (string, error) {
	key := r.AccessKey
	switch {
	case key != nil && r.AccessKeySnake != nil && *key != *r.AccessKeySnake:
		return "", invalid("accessKey and access_key name different keys")
	case key == nil:
		key = r.AccessKeySnake
	}
	if key == nil {
		return "", nil
	}
	if *key == "" {
		return "", invalid("accessKey must not be empty; leave it out to revoke every key")
	}
	return *key, nil
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
	if name := nullField(c.body, "accessKey", "access_key"); name != "" {
		return nil, invalid("%s must be a string; leave it out to revoke every key", name)
	}
	only, err := req.accessKey()
	if err != nil {
		return nil, err
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

// nullField returns the first of names (matched as encoding/json matches,
// ignoring case) that body sets to null, or "". A null decodes as absent,
// which on a destructive call would widen it.
func nullField(body []byte, names ...string) string {
	var raw map[string]json.RawMessage
	if json.Unmarshal(body, &raw) != nil {
		return ""
	}
	for key, v := range raw {
		for _, name := range names {
			if strings.EqualFold(key, name) && string(bytes.TrimSpace(v)) == "null" {
				return key
			}
		}
	}
	return ""
}

package mapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"

	"github.com/quarrylabs/quarry/internal/auth"
	"github.com/quarrylabs/quarry/internal/replication"
)

// ReplicationTargets is what the replication_target endpoints need of the
// replication service (*replication.Service). Any user may call them: the
// service decides who may see, use and manage each target, and answers
// with the replication package's errors.
type ReplicationTargets interface {
	CreateTarget(ctx context.Context, p auth.Principal, in replication.TargetInput) (*replication.TargetInfo, error)
	ListTargets(ctx context.Context, p auth.Principal) ([]replication.TargetInfo, error)
	UpdateTargetAccess(ctx context.Context, p auth.Principal, arn string, g replication.Grants) (*replication.TargetInfo, error)
	DeleteTarget(ctx context.Context, p auth.Principal, arn string) error
	TestTarget(ctx context.Context, p auth.Principal, arn string) error
}

// targetJSON is a replication target as the MAPI shows it: never its
// credentials, not even the access key. Owner, AllUsers and Users are
// shown only to the target's owner and admins.
type targetJSON struct {
	ARN      string `json:"arn"`
	Name     string `json:"name"`
	Endpoint string `json:"endpoint"`
	Region   string `json:"region"`
	Bucket   string `json:"bucket"`

	// Pointers: absent for those who do not manage the target, and
	// shown (false, []) to those who do.
	Owner    *targetUserJSON   `json:"owner,omitempty"`
	AllUsers *bool             `json:"allUsers,omitempty"`
	Users    *[]targetUserJSON `json:"users,omitempty"`
}

// targetUserJSON is a user a target names: its owner or a granted user.
// Username is empty for a user deleted since.
type targetUserJSON struct {
	ID       idJSON `json:"id"`
	Username string `json:"username"`
}

func newTargetJSON(info *replication.TargetInfo) targetJSON {
	t := &info.ReplicationTarget
	out := targetJSON{ARN: t.ARN, Name: t.Name, Endpoint: t.Endpoint, Region: t.Region, Bucket: t.Bucket}
	if !info.Managed {
		return out
	}
	owner := newTargetUserJSON(info.Owner)
	allUsers := info.Grants.AllUsers
	out.Owner, out.AllUsers = &owner, &allUsers
	users := make([]targetUserJSON, 0, len(info.Grants.Users))
	for _, u := range info.Grants.Users {
		users = append(users, newTargetUserJSON(u))
	}
	out.Users = &users
	return out
}

func newTargetUserJSON(u replication.UserRef) targetUserJSON {
	return targetUserJSON{ID: idJSON{ID: u.ID}, Username: u.Username}
}

type createTargetRequest struct {
	Name               string   `json:"name"`
	Endpoint           string   `json:"endpoint"`
	Region             string   `json:"region"`
	AccessKey          string   `json:"accessKey"`
	SecretKey          string   `json:"secretKey"`
	Bucket             string   `json:"bucket"`
	InsecureSkipVerify bool     `json:"insecureSkipVerify"`
	Users              userRefs `json:"users"`
	AllUsers           bool     `json:"allUsers"`
}

// userRefs is the users field of the target create and update_access
// calls: usernames, or ids in the MAPI's {"id": n} form.
type userRefs []replication.UserRef

// UnmarshalJSON implements json.Unmarshaler.
func (u *userRefs) UnmarshalJSON(data []byte) error {
	if bytes.Equal(bytes.TrimSpace(data), []byte("null")) {
		return nil
	}
	var items []json.RawMessage
	if err := json.Unmarshal(data, &items); err != nil {
		return &fieldTypeError{field: "users", want: "an array of usernames"}
	}
	out := make(userRefs, 0, len(items))
	for _, item := range items {
		var name string
		if err := json.Unmarshal(item, &name); err == nil {
			out = append(out, replication.UserRef{Username: name})
			continue
		}
		var id idJSON
		if err := json.Unmarshal(item, &id); err != nil || id.ID <= 0 || bytes.Equal(bytes.TrimSpace(item), []byte("null")) {
			return &fieldTypeError{field: "users", want: `an array of usernames (or {"id": n} user ids)`}
		}
		out = append(out, replication.UserRef{ID: id.ID})
	}
	*u = out
	return nil
}

// missing names the first required field left out, in the order of the
// contract.
func (r *createTargetRequest) missing() string {
	for _, f := range []struct{ name, value string }{
		{"name", r.Name}, {"endpoint", r.Endpoint}, {"accessKey", r.AccessKey},
		{"secretKey", r.SecretKey}, {"bucket", r.Bucket},
	} {
		if strings.TrimSpace(f.value) == "" {
			return f.name
		}
	}
	return ""
}

func (h *Handler) createTarget(ctx context.Context, c *call) (any, error) {
	var req createTargetRequest
	if err := decodeJSON(c.body, &req); err != nil {
		return nil, err
	}
	if field := req.missing(); field != "" {
		return nil, invalid("%s is required", field)
	}
	t, err := h.cfg.Replication.CreateTarget(ctx, c.p, replication.TargetInput{
		Name:               req.Name,
		Endpoint:           req.Endpoint,
		Region:             req.Region,
		AccessKey:          req.AccessKey,
		SecretKey:          req.SecretKey,
		Bucket:             req.Bucket,
		InsecureSkipVerify: req.InsecureSkipVerify,
		Grants:             replication.Grants{AllUsers: req.AllUsers, Users: req.Users},
	})
	if err != nil {
		return nil, targetError(err, req.Name)
	}
	return map[string]any{"target": newTargetJSON(t)}, nil
}

// updateAccessRequest is the body of replication_target/update_access:
// the new grants, which replace the old ones (none given: none left).
type updateAccessRequest struct {
	ARN      string   `json:"arn"`
	Users    userRefs `json:"users"`
	AllUsers bool     `json:"allUsers"`
}

// updateTargetAccess replaces who besides its owner may use a target.
func (h *Handler) updateTargetAccess(ctx context.Context, c *call) (any, error) {
	var req updateAccessRequest
	if err := decodeJSON(c.body, &req); err != nil {
		return nil, err
	}
	if strings.TrimSpace(req.ARN) == "" {
		return nil, invalid("arn is required")
	}
	t, err := h.cfg.Replication.UpdateTargetAccess(ctx, c.p, req.ARN,
		replication.Grants{AllUsers: req.AllUsers, Users: req.Users})
	if err != nil {
		return nil, targetError(err, req.ARN)
	}
	return map[string]any{"target": newTargetJSON(t)}, nil
}

func (h *Handler) listTargets(ctx context.Context, c *call) (any, error) {
	if err := decodeJSON(c.body, &struct{}{}); err != nil {
		return nil, err
	}
	targets, err := h.cfg.Replication.ListTargets(ctx, c.p)
	if err != nil {
		return nil, targetError(err, "")
	}
	out := make([]targetJSON, len(targets))
	for i := range targets {
		out[i] = newTargetJSON(&targets[i])
	}
	return map[string]any{"targets": out}, nil
}

// arnRequest is the body of replication_target/delete and /test.
type arnRequest struct {
	ARN string `json:"arn"`
}

// decodeARN reads an arnRequest; strict refuses unknown fields, as the
// calls that delete do.
func decodeARN(body []byte, strict bool) (string, error) {
	var req arnRequest
	if err := decode(body, &req, strict); err != nil {
		return "", err
	}
	if strings.TrimSpace(req.ARN) == "" {
		return "", invalid("arn is required")
	}
	return req.ARN, nil
}

// deleteTarget removes a target; 409 while a bucket's replication
// configuration names it, so no bucket is left replicating to nowhere.
func (h *Handler) deleteTarget(ctx context.Context, c *call) (any, error) {
	arn, err := decodeARN(c.body, true)
	if err != nil {
		return nil, err
	}
	if err := h.cfg.Replication.DeleteTarget(ctx, c.p, arn); err != nil {
		return nil, targetError(err, arn)
	}
	return struct{}{}, nil
}

// testTarget checks that the target answers, takes its credentials and
// has its bucket; a failed check is a 400 that says which.
func (h *Handler) testTarget(ctx context.Context, c *call) (any, error) {
	arn, err := decodeARN(c.body, false)
	if err != nil {
		return nil, err
	}
	if err := h.cfg.Replication.TestTarget(ctx, c.p, arn); err != nil {
		return nil, targetError(err, arn)
	}
	return map[string]bool{"ok": true}, nil
}

// targetErrors are the sentinels a kind of target's service wraps its
// errors in; kind names the kind in the texts ("replication").
type targetErrors struct {
	kind                                              string
	invalid, exists, noSuch, inUse, unreachable, deny error
}

// word words a target service's errors for the caller; subject is the
// target's name or ARN. Anything else is returned as is: an internal
// failure the handler logs and answers with a 500. The services build the
// texts they wrap their sentinels with from the request and the remote
// endpoint's answer, never from credentials or authorization values.
func (e targetErrors) word(err error, subject string) error {
	switch {
	case errors.Is(err, e.invalid):
		return invalid("invalid %s target: %s", e.kind, after(err, e.invalid))
	case errors.Is(err, e.exists):
		return conflict("a %s target named %s already exists", e.kind, subject)
	case errors.Is(err, e.noSuch):
		return notFound("%s target %s does not exist", e.kind, subject)
	case errors.Is(err, e.inUse):
		return conflict("%s target %s is in use%s; change those configurations first", e.kind, subject, detail(err, e.inUse))
	case errors.Is(err, e.unreachable):
		return invalid("%s target test failed%s", e.kind, detail(err, e.unreachable))
	case errors.Is(err, e.deny):
		return forbidden("%s", after(err, e.deny))
	}
	return err
}

// targetError words the replication service's errors.
func targetError(err error, subject string) error {
	return targetErrors{"replication", replication.ErrInvalidTarget, replication.ErrTargetExists, replication.ErrNoSuchTarget,
		replication.ErrTargetInUse, replication.ErrTargetUnreachable, replication.ErrTargetForbidden}.word(err, subject)
}

// detail is ": " and what err says besides sentinel ("by bucket photos"),
// or nothing when it says nothing more.
func detail(err, sentinel error) string {
	if s := after(err, sentinel); s != sentinel.Error() {
		return ": " + s
	}
	return ""
}

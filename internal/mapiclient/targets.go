package mapiclient

import (
	"context"
	"encoding/json"
	"errors"
)

// ReplicationTarget is a bucket on a remote S3 endpoint that buckets
// replicate to. The server never returns its credentials. It marshals back
// to JSON exactly as the server sent it, additive fields included.
type ReplicationTarget struct {
	// ARN is what a bucket's replication configuration names in
	// Destination/Bucket: arn:quarry:replication:<region>:<id>:<bucket>.
	ARN      string `json:"arn"`
	Name     string `json:"name"`
	Endpoint string `json:"endpoint"`
	Region   string `json:"region"`
	Bucket   string `json:"bucket"`
	// Owner, AllUsers and Users (who besides its owner may use the
	// target) are sent only to its owner and admins: nil otherwise.
	Owner    *TargetUser  `json:"owner,omitempty"`
	AllUsers *bool        `json:"allUsers,omitempty"`
	Users    []TargetUser `json:"users,omitempty"`

	raw json.RawMessage
}

// TargetUser is a user a replication target names: its owner or a user
// granted it. Username is empty for a user deleted since.
type TargetUser struct {
	ID       UserID `json:"id"`
	Username string `json:"username"`
}

// Managed reports whether the server sent who may use the target: the
// caller is its owner or an admin.
func (t *ReplicationTarget) Managed() bool { return t.Owner != nil }

func (t *ReplicationTarget) UnmarshalJSON(b []byte) error {
	type plain ReplicationTarget
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*t = ReplicationTarget(p)
	t.raw = append(json.RawMessage(nil), b...)
	return nil
}

func (t ReplicationTarget) MarshalJSON() ([]byte, error) {
	if len(t.raw) > 0 {
		return t.raw, nil
	}
	type plain ReplicationTarget
	return json.Marshal(plain(t))
}

// CreateReplicationTargetRequest is the body of replication_target/create.
// Region and InsecureSkipVerify are optional.
type CreateReplicationTargetRequest struct {
	Name               string `json:"name"`
	Endpoint           string `json:"endpoint"`
	Region             string `json:"region,omitempty"`
	AccessKey          string `json:"accessKey"`
	SecretKey          string `json:"secretKey"`
	Bucket             string `json:"bucket"`
	InsecureSkipVerify bool   `json:"insecureSkipVerify,omitempty"`
	// Users (usernames) and AllUsers grant the target to users besides
	// its owner; only admins may grant a target to others.
	Users    []string `json:"users,omitempty"`
	AllUsers bool     `json:"allUsers,omitempty"`
}

// TargetAccess is who besides its owner (and admins) may use a target:
// the body of replication_target/update_access, which replaces the old
// grants with these.
type TargetAccess struct {
	Users    []string
	AllUsers bool
}

// errTestNotOK: the server answered a target test with 200 but not ok,
// which the contract does not allow; a failed test is a 400 with why.
var errTestNotOK = errors.New("replication_target/test: the server did not answer ok")

// CreateReplicationTarget creates a replication target owned by the
// caller. The secret key is sent once and never comes back.
func (c *Client) CreateReplicationTarget(ctx context.Context, req CreateReplicationTargetRequest) (*ReplicationTarget, error) {
	var resp struct {
		Target ReplicationTarget `json:"target"`
	}
	if err := c.Call(ctx, "replication_target/create", req, &resp); err != nil {
		return nil, err
	}
	return &resp.Target, nil
}

// ListReplicationTargets returns the replication targets the caller may
// use (every one for an admin).
func (c *Client) ListReplicationTargets(ctx context.Context) ([]ReplicationTarget, error) {
	var resp struct {
		Targets []ReplicationTarget `json:"targets"`
	}
	if err := c.Call(ctx, "replication_target/list", nil, &resp); err != nil {
		return nil, err
	}
	if resp.Targets == nil {
		resp.Targets = []ReplicationTarget{}
	}
	return resp.Targets, nil
}

// DeleteReplicationTarget deletes the target with arn (its owner or an
// admin): an *APIError NOT_FOUND when there is none (or the caller may not
// use it), CONFLICT while a bucket's replication configuration names it.
func (c *Client) DeleteReplicationTarget(ctx context.Context, arn string) error {
	return c.Call(ctx, "replication_target/delete", arnRequest{arn}, nil)
}

// TestReplicationTarget checks that the target's endpoint answers, accepts
// its credentials and has its bucket (its owner or an admin). A failed check is an
// *APIError INVALID_REQUEST whose message says why.
func (c *Client) TestReplicationTarget(ctx context.Context, arn string) error {
	var resp struct {
		OK bool `json:"ok"`
	}
	if err := c.Call(ctx, "replication_target/test", arnRequest{arn}, &resp); err != nil {
		return err
	}
	if !resp.OK {
		return errTestNotOK
	}
	return nil
}

// UpdateReplicationTargetAccess replaces who besides its owner may use
// the target arn (its owner or an admin; only admins grant to others) and
// returns the target with its new grants.
func (c *Client) UpdateReplicationTargetAccess(ctx context.Context, arn string, access TargetAccess) (*ReplicationTarget, error) {
	req := struct {
		ARN      string   `json:"arn"`
		Users    []string `json:"users"`
		AllUsers bool     `json:"allUsers"`
	}{ARN: arn, Users: access.Users, AllUsers: access.AllUsers}
	if req.Users == nil {
		req.Users = []string{}
	}
	var resp struct {
		Target ReplicationTarget `json:"target"`
	}
	if err := c.Call(ctx, "replication_target/update_access", req, &resp); err != nil {
		return nil, err
	}
	return &resp.Target, nil
}

// arnRequest is the body of replication_target/delete and /test.
type arnRequest struct {
	ARN string `json:"arn"`
}

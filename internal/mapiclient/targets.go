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

	raw json.RawMessage
}

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
}

// errTestNotOK: the server answered a target test with 200 but not ok,
// which the contract does not allow; a failed test is a 400 with why.
var errTestNotOK = errors.New("replication_target/test: the server did not answer ok")

// CreateReplicationTarget creates a replication target (admin only). The
// secret key is sent once and never comes back.
func (c *Client) CreateReplicationTarget(ctx context.Context, req CreateReplicationTargetRequest) (*ReplicationTarget, error) {
	var resp struct {
		Target ReplicationTarget `json:"target"`
	}
	if err := c.Call(ctx, "replication_target/create", req, &resp); err != nil {
		return nil, err
	}
	return &resp.Target, nil
}

// ListReplicationTargets returns every replication target (admin only).
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

// DeleteReplicationTarget deletes the target with arn (admin only): an
// *APIError NOT_FOUND when there is none, CONFLICT while a bucket's
// replication configuration names it.
func (c *Client) DeleteReplicationTarget(ctx context.Context, arn string) error {
	return c.Call(ctx, "replication_target/delete", arnRequest{arn}, nil)
}

// TestReplicationTarget checks that the target's endpoint answers, accepts
// its credentials and has its bucket (admin only). A failed check is an
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

// arnRequest is the body of replication_target/delete and /test.
type arnRequest struct {
	ARN string `json:"arn"`
}

package mapiclient

import (
	"context"
	"encoding/json"
	"errors"
)

// NotificationTarget is where buckets' events are delivered: a webhook.
// The server never returns its authorization value, only whether it has
// one. It marshals back to JSON exactly as the server sent it.
type NotificationTarget struct {
	// ARN is what a bucket's notification configuration names in
	// QueueConfiguration/Queue: arn:quarry:sqs:<region>:<id>:<type>.
	ARN                string `json:"arn"`
	Name               string `json:"name"`
	Type               string `json:"type"`
	Endpoint           string `json:"endpoint"`
	HasAuthHeader      bool   `json:"hasAuthHeader"`
	InsecureSkipVerify bool   `json:"insecureSkipVerify"`
	// Owner, AllUsers and Users are sent only to its owner and admins.
	Owner    *TargetUser  `json:"owner,omitempty"`
	AllUsers *bool        `json:"allUsers,omitempty"`
	Users    []TargetUser `json:"users,omitempty"`

	raw json.RawMessage
}

// Managed reports whether the server sent who may use the target.
func (t *NotificationTarget) Managed() bool { return t.Owner != nil }

func (t *NotificationTarget) UnmarshalJSON(b []byte) error {
	type plain NotificationTarget
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*t = NotificationTarget(p)
	t.raw = append(json.RawMessage(nil), b...)
	return nil
}

func (t NotificationTarget) MarshalJSON() ([]byte, error) {
	if len(t.raw) > 0 {
		return t.raw, nil
	}
	type plain NotificationTarget
	return json.Marshal(plain(t))
}

// CreateNotificationTargetRequest is the body of notification_target/create.
type CreateNotificationTargetRequest struct {
	Name string `json:"name"`
	// Type is "webhook" (the server's default when empty).
	Type     string `json:"type,omitempty"`
	Endpoint string `json:"endpoint"`
	// Authorization is sent as the Authorization header of every event;
	// stored encrypted, never returned.
	Authorization      string   `json:"authHeader,omitempty"`
	InsecureSkipVerify bool     `json:"insecureSkipVerify,omitempty"`
	Users              []string `json:"users,omitempty"`
	AllUsers           bool     `json:"allUsers,omitempty"`
}

var errNotificationTestNotOK = errors.New("notification_target/test: the server did not answer ok")

// CreateNotificationTarget creates a notification target owned by the caller.
func (c *Client) CreateNotificationTarget(ctx context.Context, req CreateNotificationTargetRequest) (*NotificationTarget, error) {
	var resp struct {
		Target NotificationTarget `json:"target"`
	}
	if err := c.Call(ctx, "notification_target/create", req, &resp); err != nil {
		return nil, err
	}
	return &resp.Target, nil
}

// ListNotificationTargets returns the notification targets the caller may use.
func (c *Client) ListNotificationTargets(ctx context.Context) ([]NotificationTarget, error) {
	var resp struct {
		Targets []NotificationTarget `json:"targets"`
	}
	if err := c.Call(ctx, "notification_target/list", nil, &resp); err != nil {
		return nil, err
	}
	if resp.Targets == nil {
		resp.Targets = []NotificationTarget{}
	}
	return resp.Targets, nil
}

// DeleteNotificationTarget deletes the target with arn: an *APIError
// NOT_FOUND when there is none, CONFLICT while a bucket's notification
// configuration names it.
func (c *Client) DeleteNotificationTarget(ctx context.Context, arn string) error {
	return c.Call(ctx, "notification_target/delete", arnRequest{arn}, nil)
}

// TestNotificationTarget sends the target a test event; a failure is an
// *APIError INVALID_REQUEST whose message says why.
func (c *Client) TestNotificationTarget(ctx context.Context, arn string) error {
	var resp struct {
		OK bool `json:"ok"`
	}
	if err := c.Call(ctx, "notification_target/test", arnRequest{arn}, &resp); err != nil {
		return err
	}
	if !resp.OK {
		return errNotificationTestNotOK
	}
	return nil
}

// UpdateNotificationTargetAccess replaces who besides its owner may use
// the target and returns it with its new grants.
func (c *Client) UpdateNotificationTargetAccess(ctx context.Context, arn string, access TargetAccess) (*NotificationTarget, error) {
	req := struct {
		ARN      string   `json:"arn"`
		Users    []string `json:"users"`
		AllUsers bool     `json:"allUsers"`
	}{ARN: arn, Users: access.Users, AllUsers: access.AllUsers}
	if req.Users == nil {
		req.Users = []string{}
	}
	var resp struct {
		Target NotificationTarget `json:"target"`
	}
	if err := c.Call(ctx, "notification_target/update_access", req, &resp); err != nil {
		return nil, err
	}
	return &resp.Target, nil
}

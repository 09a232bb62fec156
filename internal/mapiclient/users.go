package mapiclient

import "context"

// UserInfo returns the logged-in user.
func (c *Client) UserInfo(ctx context.Context) (*User, error) {
	var u User
	if err := c.Call(ctx, "user/info", nil, &u); err != nil {
		return nil, err
	}
	return &u, nil
}

// ListBuckets returns one page of the caller's buckets.
func (c *Client) ListBuckets(ctx context.Context, pageSize int, pageToken string) (*BucketPage, error) {
	var page BucketPage
	if err := c.Call(ctx, "user/list_buckets", pageRequest{pageSize, pageToken}, &page); err != nil {
		return nil, err
	}
	return &page, nil
}

// CreateUser creates a user (admin only).
func (c *Client) CreateUser(ctx context.Context, req CreateUserRequest) (*User, error) {
	var resp struct {
		User User `json:"user"`
	}
	if err := c.Call(ctx, "user/create", req, &resp); err != nil {
		return nil, err
	}
	return &resp.User, nil
}

// ListUsers returns one page of users (admin only).
func (c *Client) ListUsers(ctx context.Context, pageSize int, pageToken string) (*UserPage, error) {
	var page UserPage
	if err := c.Call(ctx, "user/list", pageRequest{pageSize, pageToken}, &page); err != nil {
		return nil, err
	}
	return &page, nil
}

// DeleteUser deletes a user (admin only); its tokens stop working.
func (c *Client) DeleteUser(ctx context.Context, id int64) error {
	return c.Call(ctx, "user/delete", struct {
		ID UserID `json:"id"`
	}{UserID{id}}, nil)
}

// GenerateCredentials creates an S3 access key for the caller. The secret
// is returned only here.
func (c *Client) GenerateCredentials(ctx context.Context) (*Credentials, error) {
	var cr Credentials
	if err := c.Call(ctx, "s3/user/generate_credentials", nil, &cr); err != nil {
		return nil, err
	}
	return &cr, nil
}

// RevokeCredentials revokes one of the caller's access keys, or all of
// them when accessKey is empty.
func (c *Client) RevokeCredentials(ctx context.Context, accessKey string) error {
	return c.Call(ctx, "user/revoke_credentials", struct {
		AccessKey string `json:"accessKey,omitempty"`
	}{accessKey}, nil)
}

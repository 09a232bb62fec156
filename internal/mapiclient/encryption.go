package mapiclient

import "context"

// EncryptionInfo is the server-wide encryption mode and its rekey events,
// newest first.
type EncryptionInfo struct {
	// EncryptionMode is NONE (encrypt what asks to be) or INTERNAL
	// (encrypt every new object).
	EncryptionMode string       `json:"encryptionMode"`
	RekeyEvents    []RekeyEvent `json:"rekeyEvents"`
}

// RekeyEvent is a change of mode (MODE_CHANGED) or a key rotation
// (KEY_ROTATED).
type RekeyEvent struct {
	User string `json:"user"`
	// Timestamp is in unix seconds.
	Timestamp int64  `json:"timestamp"`
	Code      string `json:"code"`
	Message   string `json:"message"`
}

// Encryption returns the mode and the rekey events (admin only).
func (c *Client) Encryption(ctx context.Context) (*EncryptionInfo, error) {
	var info EncryptionInfo
	if err := c.Call(ctx, "s3_encryption/get", nil, &info); err != nil {
		return nil, err
	}
	return &info, nil
}

// SetEncryptionMode sets the mode (admin only).
func (c *Client) SetEncryptionMode(ctx context.Context, mode string) (*EncryptionInfo, error) {
	var info EncryptionInfo
	if err := c.Call(ctx, "s3_encryption/set", map[string]string{"encryptionMode": mode}, &info); err != nil {
		return nil, err
	}
	return &info, nil
}

// RotateEncryptionKey rotates the key-encryption key (admin only); it
// returns once every data key is rewrapped.
func (c *Client) RotateEncryptionKey(ctx context.Context) (*EncryptionInfo, error) {
	var info EncryptionInfo
	if err := c.Call(ctx, "s3_encryption/rotate_key", nil, &info); err != nil {
		return nil, err
	}
	return &info, nil
}

package mapi

import (
	"context"
	"errors"
	"fmt"

	"github.com/quarrylabs/quarry/internal/sse"
)

// The s3_encryption endpoints read and set the server-wide encryption mode
// (NONE: what asks to be encrypted is; INTERNAL: every new object is) and
// rotate the key-encryption key that wraps every object's data key. Each
// change is a rekey event, listed newest first.

// Encryption is what the s3_encryption endpoints call (implemented by
// *sse.Service).
type Encryption interface {
	Info(ctx context.Context) (*sse.Info, error)
	SetMode(ctx context.Context, user string, mode sse.Mode) (*sse.Info, error)
	RotateKey(ctx context.Context, user string) (*sse.Info, error)
}

type encryptionInfo struct {
	EncryptionMode string       `json:"encryptionMode"`
	RekeyEvents    []rekeyEvent `json:"rekeyEvents"`
}

type rekeyEvent struct {
	User string `json:"user"`
	// Timestamp is unix seconds, as the vendor's clients read it.
	Timestamp int64  `json:"timestamp"`
	Code      string `json:"code"`
	Message   string `json:"message"`
}

type setEncryptionRequest struct {
	EncryptionMode *string `json:"encryptionMode"`
}

func encryptionInfoOf(info *sse.Info) encryptionInfo {
	out := encryptionInfo{EncryptionMode: string(info.Mode), RekeyEvents: make([]rekeyEvent, 0, len(info.Events))}
	for _, e := range info.Events {
		out.RekeyEvents = append(out.RekeyEvents, rekeyEvent{User: e.User, Timestamp: e.Time.Unix(), Code: e.Code, Message: e.Message})
	}
	return out
}

func (h *Handler) getEncryption(ctx context.Context, c *call) (any, error) {
	if err := decodeJSON(c.body, &struct{}{}); err != nil {
		return nil, err
	}
	info, err := h.cfg.Encryption.Info(ctx)
	if err != nil {
		return nil, fmt.Errorf("s3_encryption/get: %w", err)
	}
	return encryptionInfoOf(info), nil
}

func (h *Handler) setEncryption(ctx context.Context, c *call) (any, error) {
	var req setEncryptionRequest
	if err := decodeJSON(c.body, &req); err != nil {
		return nil, err
	}
	if req.EncryptionMode == nil {
		return nil, invalid("encryptionMode is required: %s or %s", sse.ModeNone, sse.ModeInternal)
	}
	mode, err := sse.ParseMode(*req.EncryptionMode)
	if errors.Is(err, sse.ErrInvalidMode) {
		return nil, invalid("encryptionMode %q is not one of %s, %s", *req.EncryptionMode, sse.ModeNone, sse.ModeInternal)
	}
	if err != nil {
		return nil, err
	}
	info, err := h.cfg.Encryption.SetMode(ctx, c.p.Username, mode)
	if err != nil {
		return nil, fmt.Errorf("s3_encryption/set: %w", err)
	}
	h.cfg.Logger.Info("encryption mode set", "user", c.p.Username, "mode", string(mode))
	return encryptionInfoOf(info), nil
}

func (h *Handler) rotateEncryptionKey(ctx context.Context, c *call) (any, error) {
	if err := decodeJSON(c.body, &struct{}{}); err != nil {
		return nil, err
	}
	info, err := h.cfg.Encryption.RotateKey(ctx, c.p.Username)
	if err != nil {
		return nil, fmt.Errorf("s3_encryption/rotate_key: %w", err)
	}
	h.cfg.Logger.Info("encryption key rotated", "user", c.p.Username)
	return encryptionInfoOf(info), nil
}

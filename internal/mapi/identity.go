package mapi

import "context"

func (h *Handler) serialNumber(ctx context.Context, c *call) (any, error) {
	if err := decodeJSON(c.body, &struct{}{}); err != nil {
		return nil, err
	}
	return map[string]string{"value": h.cfg.Serial}, nil
}

func (h *Handler) regionIdentity(ctx context.Context, c *call) (any, error) {
	if err := decodeJSON(c.body, &struct{}{}); err != nil {
		return nil, err
	}
	return map[string]string{"region": h.cfg.Region}, nil
}

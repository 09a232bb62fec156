package mapi

import (
	"context"
	"strings"

	"github.com/quarrylabs/quarry/internal/auth"
	"github.com/quarrylabs/quarry/internal/grant"
	"github.com/quarrylabs/quarry/internal/notify"
)

// NotificationTargets is what the notification_target endpoints need of
// the notify service (*notify.Service). Any user may call them: the service
// decides who may see, use and manage each target.
type NotificationTargets interface {
	CreateTarget(ctx context.Context, p auth.Principal, in notify.TargetInput) (*notify.TargetInfo, error)
	ListTargets(ctx context.Context, p auth.Principal) ([]notify.TargetInfo, error)
	UpdateTargetAccess(ctx context.Context, p auth.Principal, arn string, g grant.Grants) (*notify.TargetInfo, error)
	DeleteTarget(ctx context.Context, p auth.Principal, arn string) error
	TestTarget(ctx context.Context, p auth.Principal, arn string) error
}

// notificationTargetJSON is a notification target as the MAPI shows it:
// never its authorization value, only whether it has one. Owner, AllUsers
// and Users are shown only to the target's owner and admins.
type notificationTargetJSON struct {
	ARN                string `json:"arn"`
	Name               string `json:"name"`
	Type               string `json:"type"`
	Endpoint           string `json:"endpoint"`
	HasAuthHeader      bool   `json:"hasAuthHeader"`
	InsecureSkipVerify bool   `json:"insecureSkipVerify"`

	Owner    *targetUserJSON   `json:"owner,omitempty"`
	AllUsers *bool             `json:"allUsers,omitempty"`
	Users    *[]targetUserJSON `json:"users,omitempty"`
}

func newNotificationTargetJSON(info *notify.TargetInfo) notificationTargetJSON {
	t := &info.NotificationTarget
	out := notificationTargetJSON{ARN: t.ARN, Name: t.Name, Type: t.Type, Endpoint: t.Endpoint,
		HasAuthHeader: info.HasSecret, InsecureSkipVerify: t.InsecureSkipVerify}
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

type createNotificationTargetRequest struct {
	Name               string   `json:"name"`
	Type               string   `json:"type"`
	Endpoint           string   `json:"endpoint"`
	Authorization      string   `json:"authHeader"`
	InsecureSkipVerify bool     `json:"insecureSkipVerify"`
	Users              userRefs `json:"users"`
	AllUsers           bool     `json:"allUsers"`
}

func (h *Handler) createNotificationTarget(ctx context.Context, c *call) (any, error) {
	var req createNotificationTargetRequest
	if err := decodeJSON(c.body, &req); err != nil {
		return nil, err
	}
	for _, f := range []struct{ name, value string }{{"name", req.Name}, {"endpoint", req.Endpoint}} {
		if strings.TrimSpace(f.value) == "" {
			return nil, invalid("%s is required", f.name)
		}
	}
	t, err := h.cfg.Notifications.CreateTarget(ctx, c.p, notify.TargetInput{
		Name:               req.Name,
		Type:               req.Type,
		Endpoint:           req.Endpoint,
		Secret:             req.Authorization,
		InsecureSkipVerify: req.InsecureSkipVerify,
		Grants:             grant.Grants{AllUsers: req.AllUsers, Users: req.Users},
	})
	if err != nil {
		return nil, notificationTargetError(err, req.Name)
	}
	return map[string]any{"target": newNotificationTargetJSON(t)}, nil
}

func (h *Handler) listNotificationTargets(ctx context.Context, c *call) (any, error) {
	if err := decodeJSON(c.body, &struct{}{}); err != nil {
		return nil, err
	}
	targets, err := h.cfg.Notifications.ListTargets(ctx, c.p)
	if err != nil {
		return nil, notificationTargetError(err, "")
	}
	out := make([]notificationTargetJSON, len(targets))
	for i := range targets {
		out[i] = newNotificationTargetJSON(&targets[i])
	}
	return map[string]any{"targets": out}, nil
}

func (h *Handler) updateNotificationTargetAccess(ctx context.Context, c *call) (any, error) {
	var req updateAccessRequest
	if err := decodeJSON(c.body, &req); err != nil {
		return nil, err
	}
	if strings.TrimSpace(req.ARN) == "" {
		return nil, invalid("arn is required")
	}
	t, err := h.cfg.Notifications.UpdateTargetAccess(ctx, c.p, req.ARN, grant.Grants{AllUsers: req.AllUsers, Users: req.Users})
	if err != nil {
		return nil, notificationTargetError(err, req.ARN)
	}
	return map[string]any{"target": newNotificationTargetJSON(t)}, nil
}

// deleteNotificationTarget removes a target; 409 while a bucket's
// notification configuration names it.
func (h *Handler) deleteNotificationTarget(ctx context.Context, c *call) (any, error) {
	arn, err := decodeARN(c.body, true)
	if err != nil {
		return nil, err
	}
	if err := h.cfg.Notifications.DeleteTarget(ctx, c.p, arn); err != nil {
		return nil, notificationTargetError(err, arn)
	}
	return struct{}{}, nil
}

// testNotificationTarget sends the target a test event; a failed test is
// a 400 that says why.
func (h *Handler) testNotificationTarget(ctx context.Context, c *call) (any, error) {
	arn, err := decodeARN(c.body, false)
	if err != nil {
		return nil, err
	}
	if err := h.cfg.Notifications.TestTarget(ctx, c.p, arn); err != nil {
		return nil, notificationTargetError(err, arn)
	}
	return map[string]bool{"ok": true}, nil
}

// notificationTargetError words the notify service's errors.
func notificationTargetError(err error, subject string) error {
	return targetErrors{"notification", notify.ErrInvalidTarget, notify.ErrTargetExists, notify.ErrNoSuchTarget,
		notify.ErrTargetInUse, notify.ErrTargetUnreachable, notify.ErrTargetForbidden}.word(err, subject)
}

package mapi

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/quarrylabs/quarry/internal/auth"
)

// accessEntry is what the access log says of one request, filled in as
// the request is served. Only what is no secret goes in: never a token, a
// password or a body.
type accessEntry struct {
	user   string // the authenticated user, or the username a login tried
	bucket string // the bucket the call names, when it names one
	code   string // the error code answered
	msg    string // the error message answered
	err    error  // an internal failure's cause (5xx only)
}

type accessKey struct{}

func withAccess(ctx context.Context, a *accessEntry) context.Context {
	return context.WithValue(ctx, accessKey{}, a)
}

func accessOf(ctx context.Context) *accessEntry {
	a, _ := ctx.Value(accessKey{}).(*accessEntry)
	if a == nil {
		return &accessEntry{} // a handler called outside ServeHTTP (tests)
	}
	return a
}

// noteUser records who the request is from.
func noteUser(ctx context.Context, p auth.Principal) { accessOf(ctx).user = p.Username }

// noteBucket records the bucket a call names.
func noteBucket(ctx context.Context, bucket string) { accessOf(ctx).bucket = bucket }

// noteError records the error code and message answered.
func noteError(ctx context.Context, code, msg string) {
	a := accessOf(ctx)
	a.code, a.msg = code, msg
}

// logAccess writes the access log line of a request that was refused
// (4xx and 501, at info) or failed (other 5xx, at error); a success is not
// logged. The
// S3 API logs with the same field names.
func (h *Handler) logAccess(r *http.Request, reqID, op string, status int, a *accessEntry) {
	if status < http.StatusBadRequest {
		return
	}
	level, msg := slog.LevelInfo, "mapi request refused"
	// 501 is a refusal too: the client asked for what Quarry does not serve.
	if status >= http.StatusInternalServerError && status != http.StatusNotImplemented {
		level, msg = slog.LevelError, "mapi request failed"
		if r.Context().Err() != nil {
			level = slog.LevelInfo // the client went away
		}
	}
	attrs := []any{"request_id", reqID, "op", op, "method", r.Method, "path", r.URL.Path,
		"status", status, "code", a.code, "user", a.user, "address", clientAddress(r)}
	if a.bucket != "" {
		attrs = append(attrs, "bucket", a.bucket)
	}
	if a.msg != "" {
		attrs = append(attrs, "message", a.msg)
	}
	if a.err != nil {
		attrs = append(attrs, "err", a.err)
	}
	h.cfg.Logger.Log(r.Context(), level, msg, attrs...)
}

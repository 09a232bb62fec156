package mapi

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/quarrylabs/quarry/internal/auth"
	"github.com/quarrylabs/quarry/internal/job"
	"github.com/quarrylabs/quarry/internal/meta"
	"github.com/quarrylabs/quarry/internal/object"
)

// Error codes: stable for programs (MAPI.md, "Errors").
const (
	CodeInvalidRequest   = "INVALID_REQUEST"
	CodeUnauthorized     = "UNAUTHORIZED"
	CodeForbidden        = "FORBIDDEN"
	CodeCSRFInvalid      = "CSRF_TOKEN_INVALID"
	CodeNotFound         = "NOT_FOUND"
	CodeMethodNotAllowed = "METHOD_NOT_ALLOWED"
	CodeConflict         = "CONFLICT"
	CodePayloadTooLarge  = "PAYLOAD_TOO_LARGE"
	CodeInternal         = "INTERNAL"
	CodeNotImplemented   = "NOT_IMPLEMENTED"
)

// unauthorizedMessage is the vendor's wording for every 401.
const unauthorizedMessage = "Access was denied due to invalid credentials."

// apiError is an error response: the MAPI error body and its status. Its
// message and details are written for the caller, so they must never hold
// the text of an internal failure.
type apiError struct {
	Status  int    `json:"-"`
	Code    string `json:"code"`
	Message string `json:"message"`
	Details string `json:"details"`
}

func (e *apiError) Error() string { return fmt.Sprintf("%d %s: %s", e.Status, e.Code, e.Message) }

func invalid(format string, args ...any) *apiError {
	return &apiError{Status: http.StatusBadRequest, Code: CodeInvalidRequest, Message: fmt.Sprintf(format, args...)}
}

func unauthorized(details string) *apiError {
	return &apiError{Status: http.StatusUnauthorized, Code: CodeUnauthorized, Message: unauthorizedMessage, Details: details}
}

func forbidden(format string, args ...any) *apiError {
	return &apiError{Status: http.StatusForbidden, Code: CodeForbidden, Message: fmt.Sprintf(format, args...)}
}

func csrfInvalid(details string) *apiError {
	return &apiError{Status: http.StatusForbidden, Code: CodeCSRFInvalid,
		Message: "The XSRF token is missing or invalid; get one with GET /mapi/v1/csrf.", Details: details}
}

func notFound(format string, args ...any) *apiError {
	return &apiError{Status: http.StatusNotFound, Code: CodeNotFound, Message: fmt.Sprintf(format, args...)}
}

func conflict(format string, args ...any) *apiError {
	return &apiError{Status: http.StatusConflict, Code: CodeConflict, Message: fmt.Sprintf(format, args...)}
}

func notImplemented(format string, args ...any) *apiError {
	return &apiError{Status: http.StatusNotImplemented, Code: CodeNotImplemented, Message: fmt.Sprintf(format, args...)}
}

func internalError(requestID string) *apiError {
	return &apiError{Status: http.StatusInternalServerError, Code: CodeInternal,
		Message: "The server failed to handle the request.", Details: "request id " + requestID}
}

// publicError maps the errors of the services the MAPI calls to a response.
// It returns nil for an error it does not know: an internal failure, which
// the caller logs and answers with a generic 500.
func publicError(err error) *apiError {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae
	}
	var active *meta.ActiveJobError
	if errors.As(err, &active) {
		e := conflict("job %d is already active on this bucket", active.ID)
		e.Details = fmt.Sprintf("jobId=%d", active.ID)
		return e
	}
	switch {
	case errors.Is(err, job.ErrUnknownType):
		return invalid("jobType must be one of %s", strings.Join(job.Types(), ", "))
	case errors.Is(err, job.ErrUnsupportedType):
		return invalid("this jobType is not supported yet")
	case errors.Is(err, job.ErrInvalidParams):
		return invalid("%s", after(err, job.ErrInvalidParams))
	case errors.Is(err, job.ErrNotFound):
		return notFound("no such job")
	case errors.Is(err, job.ErrEnded):
		return conflict("the job already ended")
	case errors.Is(err, object.ErrNoSuchBucket):
		return notFound("no such bucket")
	case errors.Is(err, object.ErrAccessDenied):
		return forbidden("you do not own this bucket")
	case errors.Is(err, auth.ErrNoSuchUser):
		return notFound("no such user")
	case errors.Is(err, auth.ErrUserExists):
		return conflict("a user with this username already exists")
	case errors.Is(err, auth.ErrInvalidUsername):
		return invalid("invalid username: %s", after(err, auth.ErrInvalidUsername))
	case errors.Is(err, auth.ErrInvalidPassword):
		return invalid("invalid password: %s", after(err, auth.ErrInvalidPassword))
	case errors.Is(err, auth.ErrNoSuchAccessKey):
		return notFound("no such access key")
	}
	return nil
}

// after returns what err's text says after sentinel's own text: the part
// of a validation error meant for people ("dryRun must be ..."). The
// services build those texts from the request only, never from internals.
func after(err, sentinel error) string {
	msg, prefix := err.Error(), sentinel.Error()+": "
	if i := strings.LastIndex(msg, prefix); i >= 0 {
		return msg[i+len(prefix):]
	}
	return sentinel.Error()
}

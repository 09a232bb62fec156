package mapiclient

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

var (
	// ErrNotLoggedIn: there is no saved session for the client's endpoint.
	ErrNotLoggedIn = errors.New("not logged in")
	// ErrSessionExpired: the refresh token expired or was refused, so only a
	// new password login can get tokens again.
	ErrSessionExpired = errors.New("session expired")
)

// APIError is an error answer of the MAPI ({code, message, details}) or of
// the token endpoint ({error, error_description}, mapped to Code and
// Message).
type APIError struct {
	Status  int    // HTTP status
	Code    string // stable, for programs: INVALID_REQUEST, CONFLICT, invalid_grant...
	Message string // for people
	Details string // raw JSON text when the server sent a non-string value
}

// Error is the server's message, as people should read it.
func (e *APIError) Error() string {
	if e.Message != "" {
		return e.Message
	}
	if e.Code != "" {
		return fmt.Sprintf("%s (HTTP %d)", e.Code, e.Status)
	}
	return fmt.Sprintf("HTTP %d %s", e.Status, http.StatusText(e.Status))
}

// IsCode reports whether err is an *APIError with that code.
func IsCode(err error, code string) bool {
	var apiErr *APIError
	return errors.As(err, &apiErr) && apiErr.Code == code
}

// decodeError builds an *APIError from an error response body, which may be
// a MAPI error, an OAuth error, or something else entirely (a proxy's HTML
// page): the status alone still makes a usable error.
func decodeError(status int, body []byte) *APIError {
	var wire struct {
		Code             string          `json:"code"`
		Message          string          `json:"message"`
		Details          json.RawMessage `json:"details"`
		Error            string          `json:"error"`
		ErrorDescription string          `json:"error_description"`
	}
	apiErr := &APIError{Status: status}
	if err := json.Unmarshal(body, &wire); err != nil {
		apiErr.Message = plainMessage(status, body)
		return apiErr
	}
	apiErr.Code, apiErr.Message = wire.Code, wire.Message
	if apiErr.Code == "" {
		apiErr.Code = wire.Error
	}
	if apiErr.Message == "" {
		apiErr.Message = wire.ErrorDescription
	}
	apiErr.Details = detailsText(wire.Details)
	return apiErr
}

// detailsText returns a JSON string's value, or other JSON as its text.
func detailsText(raw json.RawMessage) string {
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s
	}
	return string(raw)
}

// plainMessage describes a non-JSON error body: its first line when short
// text, else just the status.
func plainMessage(status int, body []byte) string {
	text := strings.TrimSpace(string(body))
	if line, _, _ := strings.Cut(text, "\n"); line != "" && len(line) <= 200 && !strings.HasPrefix(line, "<") {
		return fmt.Sprintf("HTTP %d: %s", status, line)
	}
	return fmt.Sprintf("HTTP %d %s", status, http.StatusText(status))
}

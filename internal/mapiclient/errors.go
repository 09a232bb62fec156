package mapiclient

import (
	"encoding/json"
	"encoding/xml"
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
	// ErrUserGone: the session's user was deleted since it logged in; no
	// login as that user can work again.
	ErrUserGone = errors.New("the session's user no longer exists")
	// ErrS3Endpoint: the endpoint answered as an S3 service does (an S3
	// XML error), not as a management API: it is an S3 port, such as
	// Quarry's own S3 listener. An *APIError that is one unwraps to it.
	ErrS3Endpoint = errors.New("the endpoint is an S3 endpoint, not a management API")
)

// userGoneText is what Quarry's MAPI says, in a 401's details (and in the
// token endpoint's error_description), of a token whose user was deleted.
const userGoneText = "user no longer exists"

// APIError is an error answer of the MAPI ({code, message, details}) or of
// the token endpoint ({error, error_description}, mapped to Code and
// Message).
type APIError struct {
	Status  int    // HTTP status
	Code    string // stable, for programs: INVALID_REQUEST, CONFLICT, invalid_grant...
	Message string // for people
	Details string // raw JSON text when the server sent a non-string value
	// S3Code is the code of an S3 error answer (AccessDenied...): set
	// when the endpoint is an S3 service, not a management API.
	S3Code string
	// Server is the answer's Server header ("Quarry" for Quarry's S3
	// listener).
	Server string
}

// Error is the server's message, as people should read it.
func (e *APIError) Error() string {
	if e.S3Code != "" {
		return fmt.Sprintf("%s (it answered HTTP %d %s)", ErrS3Endpoint, e.Status, e.S3Code)
	}
	if e.Message != "" {
		return e.Message
	}
	if e.Code != "" {
		return fmt.Sprintf("%s (HTTP %d)", e.Code, e.Status)
	}
	return fmt.Sprintf("HTTP %d %s", e.Status, http.StatusText(e.Status))
}

// Unwrap makes an S3 answer an ErrS3Endpoint, and a refusal of a deleted
// user's token an ErrUserGone.
func (e *APIError) Unwrap() error {
	switch {
	case e.S3Code != "":
		return ErrS3Endpoint
	case e.userGone():
		return ErrUserGone
	}
	return nil
}

// userGone reports whether e refuses a token because its user was deleted.
func (e *APIError) userGone() bool {
	return e.Status == http.StatusUnauthorized &&
		(strings.Contains(e.Details, userGoneText) || strings.Contains(e.Message, userGoneText))
}

// FromQuarryS3 reports whether e is the answer of Quarry's own S3 listener.
func (e *APIError) FromQuarryS3() bool {
	return e.S3Code != "" && strings.EqualFold(e.Server, "Quarry")
}

// IsCode reports whether err is an *APIError with that code.
func IsCode(err error, code string) bool {
	var apiErr *APIError
	return errors.As(err, &apiErr) && apiErr.Code == code
}

// decodeError builds an *APIError from an error response, whose body may
// be a MAPI error, an OAuth error, an S3 error (the endpoint is an S3
// port), or something else entirely (a proxy's HTML page): the status
// alone still makes a usable error.
func decodeError(status int, header http.Header, body []byte) *APIError {
	apiErr := &APIError{Status: status, Server: header.Get("Server")}
	if code, ok := s3ErrorCode(status, header, body); ok {
		apiErr.S3Code = code
		return apiErr
	}
	var wire struct {
		Code             string          `json:"code"`
		Message          string          `json:"message"`
		Details          json.RawMessage `json:"details"`
		Error            string          `json:"error"`
		ErrorDescription string          `json:"error_description"`
	}
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

// s3ErrorCode reads the code of an S3 error answer: an <Error> XML body,
// or the request id header every S3 service sends (the body of a HEAD, or
// of some errors, is empty).
func s3ErrorCode(status int, header http.Header, body []byte) (string, bool) {
	var doc struct {
		XMLName xml.Name `xml:"Error"`
		Code    string   `xml:"Code"`
	}
	if err := xml.Unmarshal(body, &doc); err == nil && doc.Code != "" {
		return doc.Code, true
	}
	if header.Get("X-Amz-Request-Id") != "" {
		return http.StatusText(status), true
	}
	return "", false
}

// BadAnswerError is a 200 answer that is not what the MAPI sends (not
// JSON, or JSON of another shape): the endpoint is likely something else,
// a web server or a proxy's page.
type BadAnswerError struct {
	Err error // the decoding error, for whoever debugs it
}

func (e *BadAnswerError) Error() string {
	return fmt.Sprintf("the answer is not what a Quarry management API sends (%v)", e.Err)
}

func (e *BadAnswerError) Unwrap() error { return e.Err }

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

package job

import (
	"encoding/base64"
	"fmt"
	"strconv"
)

// Page sizes for List and Failures (MAPI: pageSize default 100, max 1000).
const (
	DefaultPageSize = 100
	MaxPageSize     = 1000
)

// pageSize applies the default and clamps to the maximum: a client asking
// for more than the server gives still gets a valid, shorter page.
func pageSize(n int) (int, error) {
	switch {
	case n < 0:
		return 0, fmt.Errorf("%w: pageSize must not be negative", ErrInvalidParams)
	case n == 0:
		return DefaultPageSize, nil
	case n > MaxPageSize:
		return MaxPageSize, nil
	}
	return n, nil
}

// encodeToken makes the opaque page token that resumes after the row with
// id: base64url of its decimal form, so clients cannot mistake it for a
// number they may do arithmetic on.
func encodeToken(id int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(id, 10)))
}

// decodeToken returns the id a token resumes after; 0 for no token.
func decodeToken(token string) (int64, error) {
	if token == "" {
		return 0, nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		return 0, fmt.Errorf("%w: malformed pageToken", ErrInvalidParams)
	}
	id, err := strconv.ParseInt(string(raw), 10, 64)
	if err != nil || id <= 0 {
		return 0, fmt.Errorf("%w: malformed pageToken", ErrInvalidParams)
	}
	return id, nil
}

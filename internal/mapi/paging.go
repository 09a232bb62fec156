package mapi

import (
	"encoding/base64"
	"strconv"
)

// Page sizes of the lists this package pages itself (users, buckets); the
// job engine pages jobs and failures with the same limits.
const (
	defaultPageSize = 100
	maxPageSize     = 1000
)

// pageSize applies the default and the maximum; negative is a 400.
func pageSize(n int) (int, error) {
	switch {
	case n < 0:
		return 0, invalid("pageSize must not be negative")
	case n == 0:
		return defaultPageSize, nil
	case n > maxPageSize:
		return maxPageSize, nil
	}
	return n, nil
}

// Page tokens are opaque to clients: base64url of where the next page
// starts after (a bucket name, a user id).
func encodePageToken(after string) string { return base64.RawURLEncoding.EncodeToString([]byte(after)) }

func decodePageToken(token string) (string, error) {
	b, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		return "", invalid("pageToken is malformed")
	}
	return string(b), nil
}

func decodeIDPageToken(token string) (int64, error) {
	if token == "" {
		return 0, nil
	}
	s, err := decodePageToken(token)
	if err != nil {
		return 0, err
	}
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id < 0 {
		return 0, invalid("pageToken is malformed")
	}
	return id, nil
}

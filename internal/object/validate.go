package object

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Bucket name prefixes and suffixes that S3 reserves.
var (
	reservedBucketPrefixes = []string{"xn--", "sthree-", "amzn-s3-demo-"}
	reservedBucketSuffixes = []string{"-s3alias", "--ol-s3", "--x-s3", "--table-s3", ".mrap"}
)

// validateBucketName applies S3's general purpose bucket naming rules.
func validateBucketName(name string) error {
	if err := bucketNameProblem(name); err != "" {
		return fmt.Errorf("bucket name %q: %s: %w", name, err, ErrInvalidBucketName)
	}
	return nil
}

func bucketNameProblem(name string) string {
	if len(name) < 3 || len(name) > 63 {
		return "must be 3 to 63 characters long"
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !isLowerAlnum(c) && c != '.' && c != '-' {
			return "may hold only lower-case letters, digits, '.' and '-'"
		}
	}
	if !isLowerAlnum(name[0]) || !isLowerAlnum(name[len(name)-1]) {
		return "must begin and end with a letter or digit"
	}
	if strings.Contains(name, "..") {
		return "must not contain two adjacent periods"
	}
	if looksLikeIPv4(name) {
		return "must not be formatted as an IP address"
	}
	for _, p := range reservedBucketPrefixes {
		if strings.HasPrefix(name, p) {
			return "must not start with " + p
		}
	}
	for _, s := range reservedBucketSuffixes {
		if strings.HasSuffix(name, s) {
			return "must not end with " + s
		}
	}
	return ""
}

func isLowerAlnum(c byte) bool { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' }

// looksLikeIPv4 reports whether name is four dot-separated decimal numbers,
// which S3 rejects whether or not they form a valid address.
func looksLikeIPv4(name string) bool {
	parts := strings.Split(name, ".")
	if len(parts) != 4 {
		return false
	}
	for _, p := range parts {
		if p == "" || len(p) > 3 {
			return false
		}
		for i := 0; i < len(p); i++ {
			if p[i] < '0' || p[i] > '9' {
				return false
			}
		}
	}
	return true
}

// validateKey applies S3's key rules. Keys never name files (blobs have
// random ids), so "../x" is an ordinary key.
func validateKey(key string) error {
	switch {
	case key == "":
		return fmt.Errorf("empty key: %w", ErrInvalidKey)
	case len(key) > MaxKeyLength:
		return fmt.Errorf("key of %d bytes (max %d): %w", len(key), MaxKeyLength, ErrKeyTooLong)
	case !utf8.ValidString(key):
		return fmt.Errorf("key is not valid UTF-8: %w", ErrInvalidKey)
	case strings.IndexByte(key, 0) >= 0:
		return fmt.Errorf("key holds a NUL byte: %w", ErrInvalidKey)
	}
	return nil
}

// Tag limits of S3.
const (
	maxObjectTags     = 10
	maxBucketTags     = 50
	maxTagKeyLength   = 128
	maxTagValueLength = 256
)

// validateTags checks a tag set against S3's limits; max is the number of
// tags allowed. Keys are unique by construction (a map).
func validateTags(tags map[string]string, max int) error {
	if len(tags) > max {
		return fmt.Errorf("%d tags (max %d): %w", len(tags), max, ErrInvalidTag)
	}
	for k, v := range tags {
		if !utf8.ValidString(k) || !utf8.ValidString(v) {
			return fmt.Errorf("tag %q: not valid UTF-8: %w", k, ErrInvalidTag)
		}
		if n := utf8.RuneCountInString(k); n < 1 || n > maxTagKeyLength {
			return fmt.Errorf("tag key %q: length must be 1 to %d: %w", k, maxTagKeyLength, ErrInvalidTag)
		}
		if utf8.RuneCountInString(v) > maxTagValueLength {
			return fmt.Errorf("tag %q: value longer than %d: %w", k, maxTagValueLength, ErrInvalidTag)
		}
		if strings.HasPrefix(k, "aws:") {
			return fmt.Errorf("tag key %q: the aws: prefix is reserved: %w", k, ErrInvalidTag)
		}
	}
	return nil
}

// validatePartNumber checks S3's part number range.
func validatePartNumber(n int) error {
	if n < 1 || n > MaxParts {
		return fmt.Errorf("part number %d not in 1..%d: %w", n, MaxParts, ErrInvalidArgument)
	}
	return nil
}

// cloneMap copies m so that stored versions never alias a caller's map; nil
// and empty both give nil.
func cloneMap(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	c := make(map[string]string, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

package object

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/quarrylabs/quarry/internal/meta"
)

// etagMatches reports whether an If-Match / If-None-Match list names etag
// (stored without quotes). "*" matches any existing object; quotes and the
// weak prefix are optional in the list.
func etagMatches(list, etag string) bool {
	for _, item := range strings.Split(list, ",") {
		item = strings.TrimSpace(item)
		if item == "*" {
			return true
		}
		item = strings.TrimPrefix(item, "W/")
		if strings.Trim(item, `"`) == etag {
			return true
		}
	}
	return false
}

// modifiedAfter compares at the one-second precision of HTTP dates.
func modifiedAfter(v *meta.Version, t time.Time) bool {
	return v.LastModified.Unix() > t.Unix()
}

// checkReadConditions evaluates RFC 7232 preconditions the way S3 does for
// GET and HEAD: If-Match takes precedence over If-Unmodified-Since, and
// If-None-Match over If-Modified-Since.
func checkReadConditions(v *meta.Version, c Conditions) error {
	if c.IfMatch != "" {
		if !etagMatches(c.IfMatch, v.ETag) {
			return fmt.Errorf("If-Match %s: %w", c.IfMatch, ErrPreconditionFailed)
		}
	} else if !c.IfUnmodifiedSince.IsZero() && modifiedAfter(v, c.IfUnmodifiedSince) {
		return fmt.Errorf("modified since %s: %w", c.IfUnmodifiedSince.Format(time.RFC1123), ErrPreconditionFailed)
	}
	if c.IfNoneMatch != "" {
		if etagMatches(c.IfNoneMatch, v.ETag) {
			return fmt.Errorf("If-None-Match %s: %w", c.IfNoneMatch, ErrNotModified)
		}
	} else if !c.IfModifiedSince.IsZero() && !modifiedAfter(v, c.IfModifiedSince) {
		return fmt.Errorf("not modified since %s: %w", c.IfModifiedSince.Format(time.RFC1123), ErrNotModified)
	}
	return nil
}

// checkCopySourceConditions is checkReadConditions for x-amz-copy-source-if-*:
// S3 answers every failure of a copy with PreconditionFailed.
func checkCopySourceConditions(v *meta.Version, c Conditions) error {
	err := checkReadConditions(v, c)
	if errors.Is(err, ErrNotModified) {
		return fmt.Errorf("copy source: %w", ErrPreconditionFailed)
	}
	return err
}

// checkWriteConditions evaluates the conditional-write headers of a PUT
// against the current object: If-None-Match "*" fails when the key exists,
// If-Match needs the current ETag (and NoSuchKey when there is none).
func checkWriteConditions(cur *meta.Version, c Conditions) error {
	exists := cur != nil && !cur.DeleteMarker
	if c.IfNoneMatch != "" && exists && etagMatches(c.IfNoneMatch, cur.ETag) {
		return fmt.Errorf("If-None-Match %s: %w", c.IfNoneMatch, ErrPreconditionFailed)
	}
	if c.IfMatch != "" {
		if !exists {
			return fmt.Errorf("If-Match on a missing object: %w", ErrNoSuchKey)
		}
		if !etagMatches(c.IfMatch, cur.ETag) {
			return fmt.Errorf("If-Match %s: %w", c.IfMatch, ErrPreconditionFailed)
		}
	}
	return nil
}

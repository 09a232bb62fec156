package sigv4

import (
	"fmt"
	"net/url"
	"sort"
	"strings"
)

// Query parameter names of a presigned URL.
const (
	queryAlgorithm     = "X-Amz-Algorithm"
	queryCredential    = "X-Amz-Credential"
	queryDate          = "X-Amz-Date"
	queryExpires       = "X-Amz-Expires"
	querySignedHeaders = "X-Amz-SignedHeaders"
	querySignature     = "X-Amz-Signature"
	queryContentSHA256 = "X-Amz-Content-Sha256"
	queryV2AccessKey   = "AWSAccessKeyId" // SigV2 presigned URLs
)

// queryParam is one decoded name=value pair of a query string.
type queryParam struct {
	name, value string
}

// queryParams keeps every pair in the order sent. url.ParseQuery is not used
// because it rejects a raw ';', which the signature still covers like any
// other byte.
type queryParams []queryParam

// parseQuery decodes a raw query string. '+' decodes to a space, as browsers
// and SDKs alike mean it.
func parseQuery(raw string) (queryParams, error) {
	var params queryParams
	for part := range strings.SplitSeq(raw, "&") {
		if part == "" {
			continue
		}
		rawName, rawValue, _ := strings.Cut(part, "=")
		name, err := url.QueryUnescape(rawName)
		if err != nil {
			return nil, fmt.Errorf("query parameter %q: %w", rawName, err)
		}
		value, err := url.QueryUnescape(rawValue)
		if err != nil {
			return nil, fmt.Errorf("query parameter %q: %w", rawName, err)
		}
		params = append(params, queryParam{name: name, value: value})
	}
	return params, nil
}

// get returns the first value of name (names are case-sensitive, as in S3).
func (q queryParams) get(name string) (string, bool) {
	for _, p := range q {
		if p.name == name {
			return p.value, true
		}
	}
	return "", false
}

// isPresigned reports whether the query carries query-string authentication
// (SigV4, or SigV2, which this package refuses: package sigv2 verifies it).
func (q queryParams) isPresigned() bool {
	for _, name := range []string{querySignature, queryAlgorithm, queryCredential, queryV2AccessKey} {
		if _, ok := q.get(name); ok {
			return true
		}
	}
	return false
}

// canonical returns the SigV4 canonical query string: every pair except
// those named in skip, names and values URI-encoded, sorted by encoded name
// then encoded value (AWS sorts after encoding, which orders differently from
// sorting the decoded forms).
func (q queryParams) canonical(skip string) string {
	encoded := make([]queryParam, 0, len(q))
	for _, p := range q {
		if p.name == skip {
			continue
		}
		encoded = append(encoded, queryParam{name: uriEncode(p.name, true), value: uriEncode(p.value, true)})
	}
	sort.Slice(encoded, func(i, j int) bool {
		if encoded[i].name != encoded[j].name {
			return encoded[i].name < encoded[j].name
		}
		return encoded[i].value < encoded[j].value
	})
	var b strings.Builder
	for i, p := range encoded {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(p.name)
		b.WriteByte('=')
		b.WriteString(p.value)
	}
	return b.String()
}

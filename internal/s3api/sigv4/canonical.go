package sigv4

import (
	"net/http"
	"strconv"
	"strings"
)

// canonicalRequest is the SigV4 canonical request: the exact text whose hash
// the client signed.
func canonicalRequest(method, uri, query string, headers []string, canonicalHeaders, payloadHash string) string {
	var b strings.Builder
	b.WriteString(method)
	b.WriteByte('\n')
	b.WriteString(uri)
	b.WriteByte('\n')
	b.WriteString(query)
	b.WriteByte('\n')
	b.WriteString(canonicalHeaders)
	b.WriteByte('\n')
	b.WriteString(strings.Join(headers, ";"))
	b.WriteByte('\n')
	b.WriteString(payloadHash)
	return b.String()
}

// canonicalURIs returns the canonical URIs a client may have signed for r,
// most likely first. S3 clients sign the AWS URI encoding of the object key
// without encoding it a second time; SDKs send that same encoding, but a
// client may send a path escaped differently (e.g. a literal '!' or '$') and
// sign what it sent, so the path as sent is the second candidate. Both name
// the same resource, so accepting either grants nothing extra.
func canonicalURIs(r *http.Request) []string {
	encoded := uriEncode(r.URL.Path, false)
	if encoded == "" {
		encoded = "/"
	}
	sent := sentPath(r)
	if sent == encoded || sent == "" {
		return []string{encoded}
	}
	return []string{encoded, sent}
}

// sentPath is the escaped path exactly as on the request line when the server
// recorded it, else Go's escaping of the path.
func sentPath(r *http.Request) string {
	if strings.HasPrefix(r.RequestURI, "/") {
		path, _, _ := strings.Cut(r.RequestURI, "?")
		return path
	}
	return r.URL.EscapedPath()
}

// uriEncode is AWS's URI encoding: every byte except A-Z a-z 0-9 - . _ ~ as
// %XX with upper-case hex; '/' is kept unless encodeSlash.
func uriEncode(s string, encodeSlash bool) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if isUnreserved(c) || (c == '/' && !encodeSlash) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&0xf])
	}
	return b.String()
}

func isUnreserved(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~'
}

// canonicalHeaders returns "name:value\n" for each signed header, in the
// order the client listed them. Values are trimmed with inner runs of spaces
// collapsed; repeated headers are joined with ','.
func canonicalHeaders(r *http.Request, signed []string) string {
	var b strings.Builder
	for _, name := range signed {
		b.WriteString(name)
		b.WriteByte(':')
		for i, value := range headerValues(r, name) {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(collapseSpaces(value))
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// headerValues returns the values of a signed header, including those Go's
// net/http moves out of r.Header: Host always, Content-Length and
// Transfer-Encoding sometimes, and an Expect: 100-continue the server has
// already answered.
func headerValues(r *http.Request, name string) []string {
	if name == "host" {
		if r.Host != "" {
			return []string{r.Host}
		}
		return []string{r.URL.Host}
	}
	if values := r.Header.Values(name); len(values) > 0 {
		return values
	}
	switch name {
	case "content-length":
		if r.ContentLength >= 0 {
			return []string{strconv.FormatInt(r.ContentLength, 10)}
		}
	case "transfer-encoding":
		if len(r.TransferEncoding) > 0 {
			return []string{strings.Join(r.TransferEncoding, ",")}
		}
	case "expect":
		return []string{"100-continue"}
	}
	return nil
}

// collapseSpaces trims leading and trailing spaces and collapses inner runs
// of spaces to one, as the SigV4 canonical header value requires.
func collapseSpaces(s string) string {
	s = strings.TrimSpace(s)
	if !strings.Contains(s, "  ") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	previousSpace := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == ' ' && previousSpace {
			continue
		}
		previousSpace = c == ' '
		b.WriteByte(c)
	}
	return b.String()
}

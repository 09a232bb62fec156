package sigv2

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
)

// subresources are the query parameters that are part of the signed
// resource: AWS's documented list, the response-* overrides, and those the
// AWS SDKs (botocore) add for the operations that came later. A request
// with any other parameter signs the same resource as without it.
var subresources = []string{
	"accelerate", "acl", "analytics", "cors", "defaultObjectAcl", "delete",
	"inventory", "lifecycle", "location", "logging", "metrics",
	"notification", "object-lock", "partNumber", "policy", "replication",
	"requestPayment", "response-cache-control", "response-content-disposition",
	"response-content-encoding", "response-content-language",
	"response-content-type", "response-expires", "restore", "select",
	"select-type", "storageClass", "tagging", "torrent", "uploadId",
	"uploads", "versionId", "versioning", "versions", "website",
}

// param is one name=value pair of a query string.
type param struct {
	name     string // decoded
	rawValue string // as sent
	value    string // decoded; '+' stays '+', as the SDKs decode it
	hasEqual bool   // "name=" or "name=value", not a bare "name"
}

// params keeps every pair in the order sent.
type params []param

// parseQuery splits a raw query string. Undecodable escapes are kept as
// sent rather than refused: the signature covers them like any byte.
func parseQuery(raw string) params {
	var q params
	for part := range strings.SplitSeq(raw, "&") {
		if part == "" {
			continue
		}
		rawName, rawValue, hasEqual := strings.Cut(part, "=")
		q = append(q, param{name: unescape(rawName), rawValue: rawValue, value: unescape(rawValue), hasEqual: hasEqual})
	}
	return q
}

func unescape(s string) string {
	if u, err := url.PathUnescape(s); err == nil {
		return u
	}
	return s
}

func (q params) has(name string) bool {
	_, ok := q.get(name)
	return ok
}

// get returns the first value of name (names are case-sensitive, as in S3).
func (q params) get(name string) (string, bool) {
	for _, p := range q {
		if p.name == name {
			return p.value, true
		}
	}
	return "", false
}

// resourcePaths are the paths a client may have signed for r: "/bucket"
// for a virtual-host request, then the path exactly as on the request line.
// A path-style request of a bucket itself ("/bucket") is also signed as
// AWS names every bucket, "/bucket/", which the SDKs sign; that comes first.
func resourcePaths(r *http.Request, hostBucket string) []string {
	path := requestPath(r)
	if hostBucket != "" {
		return []string{"/" + hostBucket + path}
	}
	if len(path) > 1 && strings.IndexByte(path[1:], '/') < 0 {
		return []string{path + "/", path}
	}
	return []string{path}
}

// canonicalResource is the resource path followed by the sub-resources,
// sorted by name. Their values are decoded, AWS's rule, and "name=" stays
// "name=", as the SDKs sign it; or, asSent, the values are signed as sent
// (still escaped, as s3cmd signs them) and an empty one as a bare name.
// Both forms sign the same sub-resources: a signature that left one out
// could be replayed as another operation, so none is accepted.
func canonicalResource(path string, q params, asSent bool) string {
	var b strings.Builder
	b.WriteString(path)
	var sub []param
	for _, p := range q {
		if slices.Contains(subresources, p.name) {
			sub = append(sub, p)
		}
	}
	sort.SliceStable(sub, func(i, j int) bool { return sub[i].name < sub[j].name })
	for i, p := range sub {
		if i == 0 {
			b.WriteByte('?')
		} else {
			b.WriteByte('&')
		}
		b.WriteString(p.name)
		switch {
		case asSent && p.rawValue != "":
			b.WriteString("=" + p.rawValue)
		case !asSent && p.hasEqual:
			b.WriteString("=" + p.value)
		}
	}
	return b.String()
}

// requestPath is the path of the request line, not decoded. A client-side
// request (no RequestURI) gives its escaped path.
func requestPath(r *http.Request) string {
	uri := r.RequestURI
	if uri == "" {
		uri = r.URL.EscapedPath()
	}
	if !strings.HasPrefix(uri, "/") {
		// Absolute form, "http://host/path?query".
		if _, rest, ok := strings.Cut(uri, "://"); ok {
			if i := strings.IndexByte(rest, '/'); i >= 0 {
				uri = rest[i:]
			} else {
				uri = "/"
			}
		}
	}
	path, _, _ := strings.Cut(uri, "?")
	if path == "" {
		return "/"
	}
	return path
}

// amzHeader is one canonicalized x-amz-* header.
type amzHeader struct{ name, value string }

// amzHeaders collects the x-amz-* headers: names lower-cased, each value
// unfolded and trimmed, repeated headers joined with ','. A presigned URL
// also carries them as query parameters (the SDKs move headers there);
// those count when no header of that name was sent.
func amzHeaders(h http.Header, query params) []amzHeader {
	values := map[string][]string{}
	for name, vs := range h {
		lower := strings.ToLower(name)
		if !strings.HasPrefix(lower, "x-amz-") {
			continue
		}
		for _, v := range vs {
			values[lower] = append(values[lower], unfold(v))
		}
	}
	fromQuery := map[string]bool{}
	for _, p := range query {
		lower := strings.ToLower(p.name)
		if !strings.HasPrefix(lower, "x-amz-") {
			continue
		}
		if _, sent := values[lower]; sent && !fromQuery[lower] {
			continue
		}
		fromQuery[lower] = true
		values[lower] = append(values[lower], unfold(p.value))
	}
	out := make([]amzHeader, 0, len(values))
	for name, vs := range values {
		out = append(out, amzHeader{name: name, value: strings.Join(vs, ",")})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

// unfold replaces each line break of a folded header value, with the
// whitespace around it, by one space, and trims the value.
func unfold(v string) string {
	if !strings.ContainsAny(v, "\r\n") {
		return strings.TrimSpace(v)
	}
	var b strings.Builder
	for i := 0; i < len(v); {
		c := v[i]
		if c != '\r' && c != '\n' {
			b.WriteByte(c)
			i++
			continue
		}
		trimmed := strings.TrimRight(b.String(), " \t")
		b.Reset()
		b.WriteString(trimmed)
		for i < len(v) && strings.IndexByte(" \t\r\n", v[i]) >= 0 {
			i++
		}
		b.WriteByte(' ')
	}
	return strings.TrimSpace(b.String())
}

// stringToSign joins the parts of a SigV2 string to sign. date is the
// Date (or x-amz-date) header of a header-signed request, or the Expires of
// a presigned URL.
func stringToSign(method, contentMD5, contentType, date string, amz []amzHeader, resource string) string {
	var b strings.Builder
	b.WriteString(method + "\n")
	b.WriteString(contentMD5 + "\n")
	b.WriteString(contentType + "\n")
	b.WriteString(date + "\n")
	for _, h := range amz {
		b.WriteString(h.name + ":" + h.value + "\n")
	}
	b.WriteString(resource)
	return b.String()
}

// sign is base64 of the HMAC-SHA1 of s under secret.
func sign(secret, s string) string {
	mac := hmac.New(sha1.New, []byte(secret))
	mac.Write([]byte(s))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// signatureMatches compares in constant time, so the time taken does not
// tell an attacker how many leading bytes of a forged signature are right.
func signatureMatches(computed, claimed string) bool {
	return hmac.Equal([]byte(computed), []byte(claimed))
}

// candidates returns the strings a client may have signed for r, AWS's
// rule first, without repeats. date is the positional date; dateHeader
// names the x-amz-* header it came from ("" for Date or Expires).
func candidates(r *http.Request, hostBucket string, q params, date, dateHeader string, amz []amzHeader) []string {
	method := r.Method
	md5, ctype := r.Header.Get("Content-Md5"), r.Header.Get("Content-Type")
	type dated struct {
		date string
		amz  []amzHeader
	}
	dates := []dated{{date, amz}}
	if dateHeader != "" {
		// The rule: with x-amz-date the Date position is empty and
		// x-amz-date is signed as the header it is. AWS's own example
		// ("Delete") signs its value in the Date position instead,
		// without the header line; both sign the same time.
		without := slices.DeleteFunc(slices.Clone(amz), func(h amzHeader) bool { return h.name == dateHeader })
		dates = []dated{{"", amz}, {date, without}}
	}
	var out []string
	for _, path := range resourcePaths(r, hostBucket) {
		for _, asSent := range []bool{false, true} {
			resource := canonicalResource(path, q, asSent)
			for _, d := range dates {
				s := stringToSign(method, md5, ctype, d.date, d.amz, resource)
				if !slices.Contains(out, s) {
					out = append(out, s)
				}
			}
		}
	}
	return out
}

package sigv4

import (
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"
	"time"
)

const (
	iso8601Basic = "20060102T150405Z"
	scopeDate    = "20060102"
)

// claim is what a request says about its own signature, read from the
// Authorization header or from a presigned URL's query.
type claim struct {
	credential    credential
	signedHeaders []string
	signature     []byte
	date          time.Time
	amzDate       string // date as it appears in the string to sign
}

// credential is a Credential value: "AK/20261128/us-east-1/s3/aws4_request".
type credential struct {
	accessKey, date, region, service, terminator string
}

func (c credential) scope() string {
	return c.date + "/" + c.region + "/" + c.service + "/" + c.terminator
}

func parseCredential(s string) (credential, error) {
	// Access keys never contain '/', but split from the right anyway so the
	// scope is always the last four parts.
	parts := strings.Split(s, "/")
	if len(parts) < 5 {
		return credential{}, fmt.Errorf("credential %q: want AccessKey/date/region/service/aws4_request", s)
	}
	n := len(parts)
	c := credential{
		accessKey:  strings.Join(parts[:n-4], "/"),
		date:       parts[n-4],
		region:     parts[n-3],
		service:    parts[n-2],
		terminator: parts[n-1],
	}
	if c.accessKey == "" {
		return credential{}, fmt.Errorf("credential %q: empty access key", s)
	}
	return c, nil
}

// parseAuthorizationHeader reads
// "AWS4-HMAC-SHA256 Credential=..., SignedHeaders=a;b, Signature=hex".
// It fills everything but the date, which comes from other headers.
func parseAuthorizationHeader(header string) (claim, error) {
	algorithm, rest, _ := strings.Cut(strings.TrimSpace(header), " ")
	if algorithm != algorithmHMAC {
		return claim{}, fmt.Errorf("%w: authorization algorithm %q", ErrUnsupportedAlgorithm, algorithm)
	}
	fields := map[string]string{}
	for part := range strings.SplitSeq(rest, ",") {
		name, value, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return claim{}, fmt.Errorf("%w: authorization component %q is not name=value", ErrAuthorizationHeaderMalformed, part)
		}
		if _, dup := fields[name]; dup {
			return claim{}, fmt.Errorf("%w: authorization component %q repeated", ErrAuthorizationHeaderMalformed, name)
		}
		fields[name] = value
	}
	var c claim
	var err error
	if c.credential, err = parseCredential(fields["Credential"]); err != nil {
		return claim{}, fmt.Errorf("%w: %v", ErrAuthorizationHeaderMalformed, err)
	}
	if c.signedHeaders, err = parseSignedHeaders(fields["SignedHeaders"]); err != nil {
		return claim{}, fmt.Errorf("%w: %v", ErrAuthorizationHeaderMalformed, err)
	}
	if c.signature, err = parseSignature(fields["Signature"]); err != nil {
		return claim{}, fmt.Errorf("%w: %v", ErrAuthorizationHeaderMalformed, err)
	}
	return c, nil
}

// parseSignedHeaders reads "host;x-amz-date". The list must name host: a
// signature that does not cover it could be replayed against another host.
func parseSignedHeaders(s string) ([]string, error) {
	if s == "" {
		return nil, fmt.Errorf("no signed headers")
	}
	names := strings.Split(s, ";")
	hasHost := false
	for _, name := range names {
		if name == "" || name != strings.ToLower(name) {
			return nil, fmt.Errorf("signed header %q is empty or not lower-case", name)
		}
		hasHost = hasHost || name == "host"
	}
	if !hasHost {
		return nil, fmt.Errorf("signed headers %q do not include host", s)
	}
	return names, nil
}

// parseSignature decodes a signature. Its errors never quote it: they
// reach the log, and a signature is a credential for as long as its
// request may be replayed.
func parseSignature(s string) ([]byte, error) {
	if len(s) != 64 {
		return nil, fmt.Errorf("signature is not 64 hex digits (%d characters)", len(s))
	}
	sig, err := hex.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("signature is not hex")
	}
	return sig, nil
}

// requestDate returns the signing time of a header-signed request and its
// form in the string to sign: X-Amz-Date, else Date (which some clients sign
// instead).
func requestDate(r *http.Request) (time.Time, string, error) {
	if v := r.Header.Get("X-Amz-Date"); v != "" {
		t, err := time.Parse(iso8601Basic, v)
		if err != nil {
			return time.Time{}, "", fmt.Errorf("%w: X-Amz-Date %q is not yyyyMMddTHHmmssZ", ErrAccessDenied, v)
		}
		return t, v, nil
	}
	if v := r.Header.Get("Date"); v != "" {
		t, err := http.ParseTime(v)
		if err != nil {
			return time.Time{}, "", fmt.Errorf("%w: Date %q is not an HTTP date", ErrAccessDenied, v)
		}
		t = t.UTC()
		return t, t.Format(iso8601Basic), nil
	}
	return time.Time{}, "", fmt.Errorf("%w: AWS authentication requires a valid Date or x-amz-date header", ErrAccessDenied)
}

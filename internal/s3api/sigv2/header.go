package sigv2

import (
	"fmt"
	"net/http"
	"strings"
	"time"
)

// verifyHeader authenticates "Authorization: AWS AccessKeyId:Signature"
// and returns the access key.
func (v *Verifier) verifyHeader(r *http.Request, header string, q params) (string, error) {
	for _, name := range append([]string{queryAccessKey, querySignature}, sigV4QueryParams...) {
		if q.has(name) {
			return "", refuse(ErrInvalidArgument, "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified")
		}
	}
	accessKey, signature, ok := strings.Cut(strings.TrimPrefix(header, headerScheme), ":")
	accessKey, signature = strings.TrimSpace(accessKey), strings.TrimSpace(signature)
	if !ok || accessKey == "" || signature == "" || strings.Contains(signature, ":") {
		return "", refuse(ErrInvalidArgument, "AWS authorization header is invalid.  Expected AwsAccessKeyId:signature")
	}
	when, date, dateHeader, err := requestDate(r.Header)
	if err != nil {
		return "", err
	}
	// A signed request is only good near the time it was signed, which
	// limits how long a captured request can be replayed.
	now := v.now()
	if skew := now.Sub(when); skew > v.maxSkew() || skew < -v.maxSkew() {
		return "", &Error{Code: ErrRequestTimeTooSkewed, Detail: fmt.Sprintf("request time %q differs from server time %s by more than %s",
			date, now.UTC().Format(http.TimeFormat), v.maxSkew())}
	}
	if err := checkBody(r); err != nil {
		return "", err
	}
	amz := amzHeaders(r.Header, nil)
	strs := candidates(r, v.hostBucket(r.Host), q, date, dateHeader, amz)
	if err := v.authenticate(r.Context(), accessKey, signature, strs); err != nil {
		return "", err
	}
	return accessKey, nil
}

// dateLayouts are the forms of Date and x-amz-date accepted: the three of
// RFC 2616, RFC 1123 with a numeric zone (AWS's own examples use "+0000"),
// and the ISO 8601 form of SigV4 that some clients put in x-amz-date.
var dateLayouts = []string{
	time.RFC1123, time.RFC1123Z, time.RFC850, time.ANSIC,
	"Mon, _2 Jan 2006 15:04:05 MST", "Mon, _2 Jan 2006 15:04:05 -0700",
	"20060102T150405Z",
}

// requestDate returns the signing time of a header-signed request and its
// text as signed. x-amz-date, when sent, wins over Date (which clients may
// not be able to set); dateHeader is then "x-amz-date".
func requestDate(h http.Header) (when time.Time, date, dateHeader string, err error) {
	date = h.Get("X-Amz-Date")
	if date != "" {
		dateHeader = "x-amz-date"
	} else {
		date = h.Get("Date")
	}
	if date != "" {
		for _, layout := range dateLayouts {
			if t, perr := time.Parse(layout, date); perr == nil {
				return t, date, dateHeader, nil
			}
		}
	}
	return time.Time{}, "", "", refuse(ErrAccessDenied, "AWS authentication requires a valid Date or x-amz-date header")
}

package sigv2

import (
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// verifyPresigned authenticates a presigned URL and returns the access key.
// Expires, in seconds since the epoch, takes the place of the date: the URL
// is good until then, however long that is, as on AWS.
func (v *Verifier) verifyPresigned(r *http.Request, q params) (string, error) {
	accessKey, _ := q.get(queryAccessKey)
	signature, _ := q.get(querySignature)
	expires, _ := q.get(queryExpires)
	if accessKey == "" || signature == "" || expires == "" {
		return "", refuse(ErrAccessDenied, "Query-string authentication requires the Signature, Expires and AWSAccessKeyId parameters")
	}
	seconds, err := strconv.ParseInt(expires, 10, 64)
	if err != nil || seconds < 0 {
		return "", refuse(ErrAccessDenied, "Invalid date (should be seconds since epoch): "+expires)
	}
	if now := v.now(); now.Unix() > seconds {
		return "", &Error{Code: ErrAccessDenied, Message: "Request has expired", Detail: fmt.Sprintf("expired at %s, now %s",
			time.Unix(seconds, 0).UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))}
	}
	if err := checkBody(r); err != nil {
		return "", err
	}
	amz := amzHeaders(r.Header, q)
	strs := candidates(r, v.hostBucket(r.Host), q, expires, "", amz)
	if err := v.authenticate(r.Context(), accessKey, signature, strs); err != nil {
		return "", err
	}
	return accessKey, nil
}

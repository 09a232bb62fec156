package s3api

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/quarrylabs/quarry/internal/acl"
	"github.com/quarrylabs/quarry/internal/auth"
	"github.com/quarrylabs/quarry/internal/s3api/sigv4"
)

// Requests without credentials.
//
// A request that carries no credentials at all is not refused here: it is
// served as auth.Anonymous(), and the object service lets it do exactly
// what the ACLs grant everyone (see acl.BucketAllows and acl.ObjectAllows).
// A request that carries credentials of any kind, valid or not, is
// authenticated (Handler.authenticate) and never falls back to anonymous.

// presignQueryParams are the query parameters that carry a signature: a
// SigV4 presigned URL's, and a SigV2 one's.
var presignQueryParams = []string{
	"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature",
	"AWSAccessKeyId", "Signature",
}

// isAnonymous reports whether r carries no credentials: no Authorization
// header (not even an empty one) and no presigned-URL parameter.
func isAnonymous(r *http.Request) bool {
	if _, ok := r.Header["Authorization"]; ok {
		return false
	}
	q := r.URL.Query()
	for _, name := range presignQueryParams {
		if _, ok := q[name]; ok {
			return false
		}
	}
	return true
}

// identify returns the payload and the caller of a request: the
// authenticated user of a signed one, auth.Anonymous() for one without
// credentials.
func (h *Handler) identify(r *http.Request) (*authenticated, auth.Principal, error) {
	if !isAnonymous(r) {
		return h.authenticate(r)
	}
	res, err := sigv4.Unsigned(r)
	if errors.Is(err, sigv4.ErrSignedPayloadUnsigned) {
		return nil, auth.Principal{}, &apiError{
			code:    codeInvalidRequest,
			message: "Anonymous requests don't support this x-amz-content-sha256 value. Please use UNSIGNED-PAYLOAD or STREAMING-UNSIGNED-PAYLOAD-TRAILER.",
			cause:   err,
		}
	}
	if err != nil {
		return nil, auth.Principal{}, err
	}
	out := &authenticated{body: res.Body, contentLength: res.ContentLength, trailer: res.Trailer}
	if out.trailer == nil {
		out.trailer = noTrailer
	}
	return out, auth.Anonymous(), nil
}

// anonymousRefusal is what S3 answers an anonymous request for an
// operation that only a user may call whatever the ACLs say; nil for every
// other operation, which the ACLs decide.
func anonymousRefusal(req *request) error {
	switch req.op {
	case opListBuckets:
		return errorf(codeAccessDenied, "Anonymous users cannot invoke this API. Please authenticate.")
	case opCreateMultipartUpload:
		return errorf(codeAccessDenied, "Anonymous users cannot initiate multipart uploads. Please authenticate.")
	case opCopyObject, opUploadPartCopy:
		return errorf(codeAccessDenied, "Anonymous users cannot copy objects. Please authenticate.")
	case opGetObject:
		for name := range req.query {
			if strings.HasPrefix(name, "response-") {
				return errorf(codeInvalidRequest, "Request specific response headers cannot be used for anonymous GET requests.")
			}
		}
	}
	return nil
}

// anonymousMayWrite reports, as nil, that a request without credentials may
// write objects to bucket (its ACL is public-read-write); otherwise the S3
// error it gets (NoSuchBucket, AccessDenied). It is for a browser form
// upload (POST Object) that carries no signed policy, to refuse before the
// form's file is read; the write itself checks again.
func (h *Handler) anonymousMayWrite(ctx context.Context, bucket string) error {
	_, err := h.cfg.Objects.BucketAccess(ctx, auth.Anonymous(), bucket, acl.Write)
	return err
}

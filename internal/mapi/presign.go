package mapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/quarrylabs/quarry/internal/auth"
	"github.com/quarrylabs/quarry/internal/object"
)

// Lifetimes of presigned URLs, in seconds: short by default, since a URL
// is as good as the key for what it names until it expires.
const (
	defaultPresignSeconds = 300
	maxPresignSeconds     = 3600
)

// presignMethods are the S3 requests s3/presign signs: reads, uploads of
// one body and deletes. Bodies that must carry a checksum (DeleteObjects)
// are not for a presigned URL.
var presignMethods = []string{http.MethodGet, http.MethodHead, http.MethodPut, http.MethodDelete}

// presignRequest is the body of s3/presign.
type presignRequest struct {
	Method         string            `json:"method"`
	BucketName     string            `json:"bucketName"`
	Key            string            `json:"key"`
	Query          map[string]string `json:"query"`
	ExpiresSeconds *int              `json:"expiresSeconds"`
	AccessKey      string            `json:"accessKey"`
}

// presign signs one S3 request with one of the caller's own access keys
// (the one named, or its newest) and answers the URL: what an S3 SDK's
// presigner would make with those credentials, for the S3 endpoint the
// caller's browser reaches. It grants nothing the key does not: S3 checks
// the signature and the key owner's rights when the URL is used. The
// console downloads, uploads, lists and reads bucket configurations with
// such URLs, so that it speaks S3 to S3 and the MAPI to the MAPI.
//
// The body is read strictly: a misspelt "key" must not presign a request
// on the bucket itself (a DELETE would be DeleteBucket).
func (h *Handler) presign(ctx context.Context, c *call) (any, error) {
	var req presignRequest
	if err := decodeStrictJSON(c.body, &req); err != nil {
		return nil, err
	}
	method, query, expires, err := req.check()
	if err != nil {
		return nil, err
	}
	accessKey, secret, err := h.signingKey(ctx, c.p, req.AccessKey)
	if err != nil {
		return nil, err
	}
	base := h.cfg.S3URL(c.host)
	target := &url.URL{Scheme: base.Scheme, Host: base.Host,
		Path:    "/" + req.BucketName + "/" + req.Key,
		RawPath: "/" + req.BucketName + "/" + s3Escape(req.Key)}
	if req.Key == "" {
		target.Path, target.RawPath = "/"+req.BucketName, "/"+req.BucketName
	}
	query.Set("X-Amz-Expires", fmt.Sprint(expires))
	target.RawQuery = strings.ReplaceAll(query.Encode(), "+", "%20")
	r, err := http.NewRequestWithContext(ctx, method, target.String(), nil)
	if err != nil {
		return nil, invalid("the request cannot be presigned: %v", err)
	}
	now := h.cfg.Now().UTC()
	creds := aws.Credentials{AccessKeyID: accessKey, SecretAccessKey: secret}
	signer := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
	signed, _, err := signer.PresignHTTP(ctx, creds, r, "UNSIGNED-PAYLOAD", "s3", h.cfg.Region, now)
	if err != nil {
		return nil, fmt.Errorf("presign %s %s: %w", method, req.BucketName, err)
	}
	return map[string]any{"url": signed, "method": method, "accessKey": accessKey,
		"expiresAt": rfc3339(now.Add(time.Duration(expires) * time.Second))}, nil
}

// check validates the request and returns its method, query and lifetime.
func (req presignRequest) check() (method string, query url.Values, expires int, err error) {
	method = strings.ToUpper(req.Method)
	switch {
	case req.Method == "":
		return "", nil, 0, invalid("method is required: one of %s", strings.Join(presignMethods, ", "))
	case !slices.Contains(presignMethods, method):
		return "", nil, 0, invalid("method %q cannot be presigned; allowed: %s", req.Method, strings.Join(presignMethods, ", "))
	case req.BucketName == "":
		return "", nil, 0, invalid("bucketName is required")
	case !plausibleBucketName(req.BucketName):
		return "", nil, 0, invalid("bucketName %q is not a bucket name", req.BucketName)
	case len(req.Key) > object.MaxKeyLength || !utf8.ValidString(req.Key) || strings.IndexByte(req.Key, 0) >= 0:
		return "", nil, 0, invalid("key must be at most %d bytes of UTF-8 without NUL", object.MaxKeyLength)
	}
	expires = defaultPresignSeconds
	if req.ExpiresSeconds != nil {
		expires = *req.ExpiresSeconds
		if expires < 1 || expires > maxPresignSeconds {
			return "", nil, 0, invalid("expiresSeconds must be 1 to %d", maxPresignSeconds)
		}
	}
	query = url.Values{}
	for k, v := range req.Query {
		if k == "" || strings.HasPrefix(strings.ToLower(k), "x-amz-") {
			return "", nil, 0, invalid("query parameter %q cannot be presigned: the signature sets the X-Amz-* parameters", k)
		}
		query.Set(k, v)
	}
	return method, query, expires, nil
}

// plausibleBucketName says whether name may be put in a URL path as a
// bucket: S3's characters and length. S3 itself judges the rest.
func plausibleBucketName(name string) bool {
	if len(name) < 3 || len(name) > 63 {
		return false
	}
	for _, c := range []byte(name) {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '-') {
			return false
		}
	}
	return true
}

// signingKey is the caller's access key to sign with and its secret: the
// one named (which must be the caller's), else its newest.
func (h *Handler) signingKey(ctx context.Context, p auth.Principal, named string) (accessKey, secret string, err error) {
	keys, err := h.cfg.Users.ListAccessKeys(ctx, p.UserID)
	if err != nil {
		return "", "", err
	}
	var pick *auth.AccessKeyInfo
	for i := range keys {
		k := &keys[i]
		switch {
		case named != "":
			if k.AccessKey == named {
				pick = k
			}
		case pick == nil || k.CreatedAt.After(pick.CreatedAt) ||
			k.CreatedAt.Equal(pick.CreatedAt) && k.AccessKey > pick.AccessKey:
			pick = k
		}
	}
	switch {
	case pick == nil && named != "":
		return "", "", notFound("access key %s does not exist", named)
	case pick == nil:
		return "", "", conflict("you have no S3 access key to sign with; generate one (s3/user/generate_credentials)")
	}
	secret, owner, err := h.cfg.Users.LookupAccessKey(ctx, pick.AccessKey)
	if errors.Is(err, auth.ErrNoSuchAccessKey) || err == nil && owner.UserID != p.UserID {
		// Revoked between the listing and the lookup.
		return "", "", conflict("access key %s was revoked meanwhile; try again", pick.AccessKey)
	}
	if err != nil {
		return "", "", err
	}
	return pick.AccessKey, secret, nil
}

// s3Escape escapes a key for an S3 path as S3 and its SDKs do: every byte
// but the unreserved characters and "/" percent-encoded.
func s3Escape(key string) string {
	var b strings.Builder
	for _, c := range []byte(key) {
		if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' ||
			c == '-' || c == '.' || c == '_' || c == '~' || c == '/' {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}

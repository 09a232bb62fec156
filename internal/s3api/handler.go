// Package s3api is the S3 REST protocol layer: it routes requests,
// authenticates them (SigV4, SigV2, or a browser form's signed policy; a
// request without any credentials runs as the anonymous principal),
// answers CORS preflights, parses S3 headers and XML, calls the object
// service and writes responses and errors as AWS S3 does. What an
// operation means, and who may do it, lives in the object
// service; this package only translates.
package s3api

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/quarrylabs/quarry/internal/auth"
	"github.com/quarrylabs/quarry/internal/meta"
	"github.com/quarrylabs/quarry/internal/object"
	"github.com/quarrylabs/quarry/internal/s3api/sigv2"
	"github.com/quarrylabs/quarry/internal/s3api/sigv4"
)

// Credentials resolves an access key to its secret and owner (implemented
// by *auth.Service).
type Credentials interface {
	LookupAccessKey(ctx context.Context, accessKey string) (secret string, p auth.Principal, err error)
}

// Config configures a Handler. Objects and Creds are required.
type Config struct {
	Objects *object.Service
	Creds   Credentials
	// Region is the region requests are signed for and buckets live in
	// ("us-east-1" when empty).
	Region string
	// Domain, when set, makes "<bucket>.<Domain>" Host headers address
	// buckets (virtual-host style); path style always works.
	Domain string
	// Logger defaults to slog.Default().
	Logger *slog.Logger
	// MaxSkew is the allowed clock difference of signed requests (15
	// minutes when zero).
	MaxSkew time.Duration
	// Now defaults to time.Now.
	Now func() time.Time
	// Observe, when set, is called once per request with the operation
	// name (e.g. "PutObject"), the HTTP status and the duration.
	Observe func(op string, status int, d time.Duration)
	// Replication serves Put/Get/DeleteBucketReplication; nil answers
	// them with NotImplemented.
	Replication BucketReplication
	// Notifications serves Put/GetBucketNotificationConfiguration; nil
	// answers them with NotImplemented.
	Notifications BucketNotifications
	// LifecycleDay is the length of a lifecycle day, for the expiry
	// x-amz-expiration announces (lifecycle.DefaultDay when zero).
	LifecycleDay time.Duration
	// Lifecycle serves Put/Get/DeleteBucketLifecycleConfiguration; nil
	// answers them with NotImplemented.
	Lifecycle BucketLifecycle
	// CORS serves Put/Get/DeleteBucketCors and answers cross-origin
	// requests (preflights and the Access-Control-* headers of actual
	// requests); nil answers the calls with NotImplemented and preflights
	// as for a bucket without a configuration.
	CORS BucketCORS
	// ConsoleOrigin, when set, says whether a page of origin may call the
	// API sent to host (its Host header): the web console's pages, served
	// by the management listener, are another origin. Their requests get
	// CORS allowances whatever the bucket's rules say (see consoleCORS).
	ConsoleOrigin func(origin, host string) bool
}

// Handler serves the S3 API. It implements http.Handler.
type Handler struct {
	cfg      Config
	verifier sigv4.Verifier
	v2       sigv2.Verifier
}

// New returns a Handler.
func New(cfg Config) *Handler {
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Handler{
		cfg: cfg,
		verifier: sigv4.Verifier{
			Region:  cfg.Region,
			Service: "s3",
			MaxSkew: cfg.MaxSkew,
			Now:     cfg.Now,
		},
		v2: sigv2.Verifier{
			HostBucket: func(host string) string { return virtualHostBucket(host, cfg.Domain) },
			MaxSkew:    cfg.MaxSkew,
			Now:        cfg.Now,
		},
	}
}

// request is one S3 request as the handlers see it: authenticated, routed,
// with the verified body to read instead of r.Body.
type request struct {
	r         *http.Request
	id        string
	hostID    string
	op        string
	bucket    string
	key       string
	query     url.Values
	principal auth.Principal
	// body is the authenticated payload; contentLength its length, -1 when
	// unknown.
	body          io.Reader
	contentLength int64
	trailer       func() map[string]string
	// rawBody is r.Body as read from the connection (nil without a body).
	rawBody *watchedBody
	// bucketInfo is the request's bucket as read for the response headers
	// that depend on its configuration (see Handler.bucketOf); nil until
	// read.
	bucketInfo *meta.Bucket
}

func (req *request) ctx() context.Context { return req.r.Context() }

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := h.cfg.Now()
	rw := &responseRecorder{ResponseWriter: w}
	id := newRequestID()
	hdr := rw.Header()
	hostID := newHostID()
	hdr.Set("X-Amz-Request-Id", id)
	hdr.Set("X-Amz-Id-2", hostID)
	hdr.Set("Server", "Quarry")

	rt := routeRequest(r, h.cfg.Domain)
	if r.Body != nil && r.Body != http.NoBody {
		// The handler reads a copy of the request whose body is watched;
		// the server keeps its own, so that it still knows how much of
		// the body is left unread and closes the connection rather than
		// read the rest as the next request.
		watched := &watchedBody{ReadCloser: r.Body}
		r = r.WithContext(r.Context())
		r.Body = watched
	}
	req := &request{r: r, id: id, hostID: hostID, op: rt.op, bucket: rt.bucket, key: rt.key, query: r.URL.Query()}
	if w, ok := r.Body.(*watchedBody); ok {
		req.rawBody = w
	}
	var err error
	if rt.op == opPreflight {
		err = h.preflight(rw, req)
	} else {
		h.setCORSHeaders(req, rw.Header())
		err = h.serve(rw, req)
	}
	if err != nil {
		h.writeError(rw, req, err)
	}
	if h.cfg.Observe != nil {
		h.cfg.Observe(rt.op, rw.statusCode(), h.cfg.Now().Sub(start))
	}
}

// serve authenticates the request before anything touches the object
// service, then runs its operation. A request without credentials runs as
// the anonymous principal (see anonymous.go). A browser form upload is the
// one request that carries its authentication in its body: postObject
// reads and checks it.
func (h *Handler) serve(w http.ResponseWriter, req *request) error {
	if req.op == opPostObject {
		req.body = req.r.Body
		if req.body == nil {
			req.body = http.NoBody
		}
		req.contentLength = req.r.ContentLength
		req.trailer = noTrailer
		return h.postObject(w, req)
	}
	res, p, err := h.identify(req.r)
	if err != nil {
		return err
	}
	defer res.body.Close()
	if p.IsAnonymous() {
		if err := anonymousRefusal(req); err != nil {
			return err
		}
	}
	req.principal = p
	req.setOrigin()
	if err := checkNoCustomerKeys(req.r.Header); err != nil {
		return err
	}
	req.body = res.body
	req.contentLength = res.contentLength
	req.trailer = res.trailer
	fn := h.operation(req.op)
	if fn == nil {
		return fmt.Errorf("no handler for %s: %w", req.op, errorf(codeInternalError, ""))
	}
	return fn(w, req)
}

// authenticated is what authentication yields besides the caller: the
// payload to read and its length (-1 when unknown), and the trailing
// headers of an aws-chunked body.
type authenticated struct {
	body          io.ReadCloser
	contentLength int64
	trailer       func() map[string]string
}

// authenticate verifies the request's signature, SigV2 or SigV4, and
// returns the authenticated body and the caller.
func (h *Handler) authenticate(r *http.Request) (*authenticated, auth.Principal, error) {
	var p auth.Principal
	if sigv2.Claims(r) {
		v := h.v2
		v.Lookup = h.lookup(&p, sigv2.ErrInvalidAccessKeyID)
		res, err := v.Verify(r)
		if err != nil {
			return nil, auth.Principal{}, fmt.Errorf("authenticate (SigV2): %w", err)
		}
		return &authenticated{body: res.Body, contentLength: res.ContentLength, trailer: noTrailer}, p, nil
	}
	v := h.verifier
	v.Lookup = h.lookup(&p, sigv4.ErrInvalidAccessKeyID)
	res, err := v.Verify(r)
	if err != nil {
		return nil, auth.Principal{}, fmt.Errorf("authenticate: %w", err)
	}
	out := &authenticated{body: res.Body, contentLength: res.ContentLength, trailer: res.Trailer}
	if out.body == nil {
		out.body = http.NoBody
	}
	if out.trailer == nil {
		out.trailer = noTrailer
	}
	return out, p, nil
}

// setOrigin puts who asked on the request's context, once the caller is
// known, so that the changes the request makes report it in their events.
func (req *request) setOrigin() {
	req.r = req.r.WithContext(object.WithOrigin(req.r.Context(), object.Origin{
		RequestID: req.id, HostID: req.hostID, SourceIP: sourceIP(req.r), Principal: req.principal.Username,
	}))
}

func noTrailer() map[string]string { return nil }

// lookup returns an access key lookup for a verifier: it resolves the key
// to its secret and records its owner in *who; an unknown key is an error
// wrapping invalid, the verifier's InvalidAccessKeyId.
func (h *Handler) lookup(who *auth.Principal, invalid error) func(ctx context.Context, accessKey string) (string, error) {
	return func(ctx context.Context, accessKey string) (string, error) {
		secret, p, err := h.cfg.Creds.LookupAccessKey(ctx, accessKey)
		if err != nil {
			if errors.Is(err, auth.ErrNoSuchAccessKey) {
				return "", fmt.Errorf("%w: %w", invalid, err)
			}
			return "", fmt.Errorf("look up access key: %w", err)
		}
		*who = p
		return secret, nil
	}
}

type operationFunc func(w http.ResponseWriter, req *request) error

// operation returns the handler of an operation.
func (h *Handler) operation(op string) operationFunc {
	switch op {
	case opListBuckets:
		return h.listBuckets
	case opCreateBucket:
		return h.createBucket
	case opDeleteBucket:
		return h.deleteBucket
	case opHeadBucket:
		return h.headBucket
	case opGetBucketLocation:
		return h.getBucketLocation
	case opGetBucketVersioning:
		return h.getBucketVersioning
	case opPutBucketVersioning:
		return h.putBucketVersioning
	case opGetBucketTagging:
		return h.getBucketTagging
	case opPutBucketTagging:
		return h.putBucketTagging
	case opDeleteBucketTagging:
		return h.deleteBucketTagging
	case opGetBucketNotification:
		return h.getBucketNotification
	case opPutBucketNotification:
		return h.putBucketNotification
	case opGetBucketReplication:
		return h.getBucketReplication
	case opPutBucketReplication:
		return h.putBucketReplication
	case opDeleteBucketReplication:
		return h.deleteBucketReplication
	case opGetBucketEncryption:
		return h.getBucketEncryption
	case opPutBucketEncryption:
		return h.putBucketEncryption
	case opDeleteBucketEncryption:
		return h.deleteBucketEncryption
	case opGetBucketLifecycle:
		return h.getBucketLifecycle
	case opPutBucketLifecycle:
		return h.putBucketLifecycle
	case opDeleteBucketLifecycle:
		return h.deleteBucketLifecycle
	case opGetBucketACL:
		return h.getBucketACL
	case opPutBucketACL:
		return h.putBucketACL
	case opGetBucketCORS:
		return h.getBucketCORS
	case opPutBucketCORS:
		return h.putBucketCORS
	case opDeleteBucketCORS:
		return h.deleteBucketCORS
	case opListObjects:
		return h.listObjects
	case opListObjectsV2:
		return h.listObjectsV2
	case opListObjectVersions:
		return h.listObjectVersions
	case opListMultipartUploads:
		return h.listMultipartUploads
	case opDeleteObjects:
		return h.deleteObjects
	case opPutObject:
		return h.putObject
	case opCopyObject:
		return h.copyObject
	case opGetObject:
		return h.getObject
	case opHeadObject:
		return h.headObject
	case opDeleteObject:
		return h.deleteObject
	case opGetObjectTagging:
		return h.getObjectTagging
	case opPutObjectTagging:
		return h.putObjectTagging
	case opDeleteObjectTagging:
		return h.deleteObjectTagging
	case opGetObjectACL:
		return h.getObjectACL
	case opPutObjectACL:
		return h.putObjectACL
	case opGetObjectAttributes:
		return h.getObjectAttributes
	case opCreateMultipartUpload:
		return h.createMultipartUpload
	case opUploadPart:
		return h.uploadPart
	case opUploadPartCopy:
		return h.uploadPartCopy
	case opCompleteMultipartUpload:
		return h.completeMultipartUpload
	case opAbortMultipartUpload:
		return h.abortMultipartUpload
	case opListParts:
		return h.listParts
	case opUnsupported:
		return func(http.ResponseWriter, *request) error { return errorf(codeNotImplemented, "") }
	case opMethodNotAllowed:
		return func(http.ResponseWriter, *request) error { return errorf(codeMethodNotAllowed, "") }
	}
	return nil
}

// sourceIP is the address of the connection's peer, as events report it
// (never a forwarded-for header, which the client writes).
func sourceIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

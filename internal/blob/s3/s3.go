// Package s3 is a blob store on a bucket of any S3-compatible endpoint (a
// storage component): MinIO, Ceph RGW, AWS S3, or another Quarry. Each
// blob is one object, PREFIX<id>; a blob up to the part size is sent as
// one PutObject, a larger one as a multipart upload of part-size parts, so
// a Put holds at most Concurrency+1 parts in memory, never the whole blob.
// S3 answers a PUT (or a CompleteMultipartUpload) only once the object is
// durable, which is the store's durability contract; an upload that fails
// or is cancelled is aborted, so nothing partial is ever an object.
package s3

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/quarrylabs/quarry/internal/blob"
)

// ErrInvalidID is returned for an id that blob.ValidID rejects.
var ErrInvalidID = errors.New("s3: invalid blob id")

// Connection defaults: a remote that cannot be reached must fail a request
// within seconds, not hold a client's PUT.
const (
	defaultDialTimeout     = 5 * time.Second
	defaultResponseTimeout = 60 * time.Second
	defaultIdleTimeout     = 90 * time.Second
	// defaultMaxIdleConns must be at least the requests in flight at
	// once, or finished requests close their connections and each new
	// one pays a handshake.
	defaultMaxIdleConns = 128
	maxAttempts         = 3
)

// Store is a blob.Store on an S3 bucket. It is safe for concurrent use.
type Store struct {
	cfg       Config
	client    *awss3.Client
	transport *http.Transport
	// opts are the per-request options of every call that sends a body.
	bodyOpts []func(*awss3.Options)
	parts    *bufferPool
	small    *bufferPool
}

var _ blob.Store = (*Store)(nil)

// New returns a store on cfg's bucket. It does not contact the endpoint:
// Check does.
func New(cfg Config) (*Store, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	transport := newTransport(cfg)
	opts := awss3.Options{
		UsePathStyle: cfg.PathStyle,
		Region:       cfg.Region,
		Credentials:  credentials.NewStaticCredentialsProvider(cfg.AccessKey, cfg.SecretKey, cfg.SessionToken),
		HTTPClient:   &http.Client{Transport: transport},
		Retryer: retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts = maxAttempts
			// An outage must not drain a retry quota that then fails
			// requests after the endpoint is back.
			o.RateLimiter = ratelimit.None
		}),
		// Integrity comes from the signed payload hash (plain HTTP) or
		// TLS; the SDK's extra CRC32 of every body would only cost CPU.
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
	}
	if cfg.Endpoint != "" {
		opts.BaseEndpoint = aws.String(cfg.Endpoint)
	}
	s := &Store{
		cfg:       cfg,
		client:    awss3.New(opts),
		transport: transport,
		parts:     newBufferPool(int(cfg.PartSize)),
		small:     newBufferPool(smallBufferSize),
	}
	// Over TLS the payload is protected in transit: sign it as
	// UNSIGNED-PAYLOAD instead of hashing every byte with SHA-256. Over
	// plain HTTP the signed hash is what lets the endpoint refuse a body
	// damaged on the way.
	if strings.HasPrefix(cfg.Endpoint, "https://") || cfg.Endpoint == "" {
		s.bodyOpts = append(s.bodyOpts, awss3.WithAPIOptions(v4.SwapComputePayloadSHA256ForUnsignedPayloadMiddleware))
	}
	return s, nil
}

// Config returns the store's settings.
func (s *Store) Config() Config { return s.cfg }

// Close drops the store's idle connections.
func (s *Store) Close() { s.transport.CloseIdleConnections() }

func newTransport(cfg Config) *http.Transport {
	dial := cfg.DialTimeout
	if dial <= 0 {
		dial = defaultDialTimeout
	}
	resp := cfg.ResponseTimeout
	if resp <= 0 {
		resp = defaultResponseTimeout
	}
	idle := cfg.IdleTimeout
	if idle <= 0 {
		idle = defaultIdleTimeout
	}
	dialer := &net.Dialer{Timeout: dial, KeepAlive: 30 * time.Second}
	t := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           dialer.DialContext,
		ForceAttemptHTTP2:     true,
		TLSHandshakeTimeout:   dial,
		ResponseHeaderTimeout: resp,
		ExpectContinueTimeout: time.Second,
		IdleConnTimeout:       idle,
		MaxIdleConns:          defaultMaxIdleConns,
		MaxIdleConnsPerHost:   defaultMaxIdleConns,
		MaxConnsPerHost:       cfg.MaxConns,
		TLSClientConfig: &tls.Config{
			MinVersion: tls.VersionTLS12,
			// Only when the operator asked for it (insecure=true).
			InsecureSkipVerify: cfg.Insecure, //nolint:gosec
		},
	}
	if cfg.Proxy != nil {
		t.Proxy = http.ProxyURL(cfg.Proxy)
	}
	return t
}

// key returns the object key of blob id, after checking the id.
func (s *Store) key(id string) (string, error) {
	if !blob.ValidID(id) {
		return "", fmt.Errorf("%w: %q", ErrInvalidID, id)
	}
	return s.cfg.Prefix + id, nil
}

// isNotFound reports whether err is S3's answer for a missing object: a
// 404 with NoSuchKey (GET) or no body at all (HEAD). A missing bucket is
// not a missing blob: that is the store's own failure.
func isNotFound(err error) bool {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		switch apiErr.ErrorCode() {
		case "NoSuchKey", "NotFound":
			return true
		case "NoSuchBucket":
			return false
		}
	}
	var re *awshttp.ResponseError
	return errors.As(err, &re) && re.HTTPStatusCode() == http.StatusNotFound
}

// isInvalidRange reports a 416: the range starts at or after the end.
func isInvalidRange(err error) bool {
	var re *awshttp.ResponseError
	return errors.As(err, &re) && re.HTTPStatusCode() == http.StatusRequestedRangeNotSatisfiable
}

// failure returns the error of a failed call: the context's own error when
// ctx ended (so callers can test for context.Canceled), err otherwise.
func failure(ctx context.Context, err error) error {
	if cerr := ctx.Err(); cerr != nil {
		return cerr
	}
	return err
}

package replication

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/quarrylabs/quarry/internal/meta"
)

// ReplicaHeader marks a write as made by replication: a Quarry destination
// stores the copy with status REPLICA and never replicates it again, so two
// buckets replicating to each other do not loop.
const ReplicaHeader = "X-Quarry-Replica"

// Timeouts and retries of remote clients. A destination that cannot be
// reached must fail a copy within seconds, so that the replicator backs
// off and a batch job ends instead of hanging.
const (
	remoteDialTimeout           = 5 * time.Second
	remoteTLSHandshakeTimeout   = 5 * time.Second
	remoteResponseHeaderTimeout = 30 * time.Second
	remoteIdleConnTimeout       = 90 * time.Second
	// remoteMaxIdleConnsPerHost must be at least the copies running at
	// once to one destination (DefaultBatchConcurrency plus
	// DefaultReplicatorWorkers): below it, finished requests close their
	// connections and each copy pays a new one.
	remoteMaxIdleConnsPerHost = 64
	remoteMaxAttempts         = 2
	remoteMaxBackoff          = time.Second
	// defaultTargetRecheck is how long a pooled client is used before the
	// pool reads its target again to notice a change or a deletion.
	defaultTargetRecheck = 10 * time.Second
)

// TargetResolver returns a replication target with its secret in clear;
// *Service implements it. It returns an error wrapping ErrNoSuchTarget (or
// meta.ErrNotFound) when no target has that ARN.
type TargetResolver interface {
	Target(ctx context.Context, arn string) (*meta.ReplicationTarget, string, error)
}

// Remote is a client for one target's bucket.
type Remote struct {
	ARN    string
	Bucket string
	Client *s3.Client
}

// ClientPool keeps one S3 client per target ARN, so that connections to a
// destination are reused across copies. Clients are rebuilt when their
// target's settings change and dropped when it is deleted.
type ClientPool struct {
	targets TargetResolver
	// recheck is how long a client is trusted before its target is read
	// again.
	recheck time.Duration
	now     func() time.Time

	mu      sync.Mutex
	clients map[string]*pooledClient
}

// pooledClient is a client with what it was built from.
type pooledClient struct {
	remote    *Remote
	transport *http.Transport
	// fingerprint identifies the target settings the client was built
	// with (a hash: the secret is not kept in clear here).
	fingerprint string
	checked     time.Time
}

// NewClientPool returns an empty pool resolving targets through targets.
func NewClientPool(targets TargetResolver) *ClientPool {
	return &ClientPool{
		targets: targets,
		recheck: defaultTargetRecheck,
		now:     time.Now,
		clients: make(map[string]*pooledClient),
	}
}

// Get returns the client of the target arn, building it on first use or
// when the target changed since it was built.
func (p *ClientPool) Get(ctx context.Context, arn string) (*Remote, error) {
	p.mu.Lock()
	pc := p.clients[arn]
	if pc != nil && p.now().Sub(pc.checked) < p.recheck {
		p.mu.Unlock()
		return pc.remote, nil
	}
	p.mu.Unlock()

	t, secret, err := p.targets.Target(ctx, arn)
	if err != nil {
		if errors.Is(err, ErrNoSuchTarget) || errors.Is(err, meta.ErrNotFound) {
			p.Invalidate(arn)
		}
		return nil, fmt.Errorf("replication target %s: %w", arn, err)
	}
	fp := targetFingerprint(t, secret)

	p.mu.Lock()
	defer p.mu.Unlock()
	if pc := p.clients[arn]; pc != nil && pc.fingerprint == fp {
		pc.checked = p.now()
		return pc.remote, nil
	}
	fresh := newPooledClient(t, secret, fp, p.now())
	if old := p.clients[arn]; old != nil {
		old.transport.CloseIdleConnections()
	}
	p.clients[arn] = fresh
	return fresh.remote, nil
}

// Invalidate drops the client of arn (after its target was changed or
// deleted); the next Get builds a new one.
func (p *ClientPool) Invalidate(arn string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if pc := p.clients[arn]; pc != nil {
		pc.transport.CloseIdleConnections()
		delete(p.clients, arn)
	}
}

// Close drops every client and their idle connections.
func (p *ClientPool) Close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for arn, pc := range p.clients {
		pc.transport.CloseIdleConnections()
		delete(p.clients, arn)
	}
}

// targetFingerprint hashes every setting a client is built from.
func targetFingerprint(t *meta.ReplicationTarget, secret string) string {
	h := sha256.New()
	for _, s := range []string{t.Endpoint, t.Region, t.Bucket, t.AccessKey, secret, strconv.FormatBool(t.InsecureSkipVerify)} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// newPooledClient builds the S3 client of a target.
func newPooledClient(t *meta.ReplicationTarget, secret, fingerprint string, now time.Time) *pooledClient {
	transport := newRemoteTransport(t.InsecureSkipVerify)
	region := t.Region
	if region == "" {
		region = "us-east-1"
	}
	client := s3.New(s3.Options{
		BaseEndpoint: aws.String(t.Endpoint),
		UsePathStyle: true,
		Region:       region,
		Credentials:  credentials.NewStaticCredentialsProvider(t.AccessKey, secret, ""),
		HTTPClient:   &http.Client{Transport: replicaMarker{next: transport}},
		Retryer: retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts = remoteMaxAttempts
			o.MaxBackoff = remoteMaxBackoff
			// A dead destination must not drain a shared retry quota
			// and fail the copies of healthy ones.
			o.RateLimiter = ratelimit.None
		}),
		// Checksums only where S3 requires them: bodies are streamed from
		// the source and verified by Content-MD5 and ETags instead.
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
	})
	return &pooledClient{
		remote:      &Remote{ARN: t.ARN, Bucket: t.Bucket, Client: client},
		transport:   transport,
		fingerprint: fingerprint,
		checked:     now,
	}
}

// newRemoteTransport is an HTTP transport with bounded waits, so that an
// unreachable destination fails fast instead of holding a worker.
func newRemoteTransport(insecureSkipVerify bool) *http.Transport {
	dialer := &net.Dialer{Timeout: remoteDialTimeout, KeepAlive: 30 * time.Second}
	return &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           dialer.DialContext,
		ForceAttemptHTTP2:     true,
		TLSHandshakeTimeout:   remoteTLSHandshakeTimeout,
		ResponseHeaderTimeout: remoteResponseHeaderTimeout,
		ExpectContinueTimeout: time.Second,
		IdleConnTimeout:       remoteIdleConnTimeout,
		MaxIdleConns:          remoteMaxIdleConnsPerHost,
		MaxIdleConnsPerHost:   remoteMaxIdleConnsPerHost,
		TLSClientConfig: &tls.Config{
			MinVersion: tls.VersionTLS12,
			// The target's owner asked for it (self-signed destination).
			InsecureSkipVerify: insecureSkipVerify, //nolint:gosec
		},
	}
}

// replicaMarker adds ReplicaHeader to every request. It is added below
// the SDK's signer, so the header is not signed; Quarry only reads it to
// mark the copy, which is harmless to forge.
type replicaMarker struct{ next http.RoundTripper }

func (m replicaMarker) RoundTrip(req *http.Request) (*http.Response, error) {
	// A RoundTripper must not modify the caller's request.
	r := req.Clone(req.Context())
	r.Header.Set(ReplicaHeader, "true")
	return m.next.RoundTrip(r)
}

package replication

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/quarrylabs/quarry/internal/auth"
	"github.com/quarrylabs/quarry/internal/meta"
)

// probeTimeout bounds a target test: an admin waits for its answer.
const probeTimeout = 10 * time.Second

// TestTarget checks that the target answers, accepts its credentials and
// has its bucket (its owner or an admin): a HeadBucket on the remote
// bucket, tried once. ErrTargetUnreachable wraps the reason otherwise.
func (s *Service) TestTarget(ctx context.Context, p auth.Principal, arn string) error {
	err := s.cfg.Meta.View(ctx, func(tx meta.Tx) error {
		_, err := managedTarget(tx, p, arn, "test")
		return err
	})
	if err != nil {
		return err
	}
	t, secret, err := s.Target(ctx, arn)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	_, err = probeClient(t, secret).HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(t.Bucket)})
	if err != nil {
		return fmt.Errorf("%w: %s", ErrTargetUnreachable, probeFailure(t, err))
	}
	return nil
}

// probeClient is a one-shot S3 client for t: path style (any
// S3-compatible endpoint), no retries, bounded by probeTimeout.
func probeClient(t *meta.ReplicationTarget, secret string) *s3.Client {
	transport := http.DefaultTransport.(*http.Transport).Clone()
	if t.InsecureSkipVerify {
		transport.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // the admin asked for it
	}
	return s3.New(s3.Options{
		BaseEndpoint:     aws.String(t.Endpoint),
		UsePathStyle:     true,
		Region:           t.Region,
		Credentials:      credentials.NewStaticCredentialsProvider(t.AccessKey, secret, ""),
		HTTPClient:       &http.Client{Transport: transport, Timeout: probeTimeout},
		RetryMaxAttempts: 1,
	})
}

// probeFailure says in a few words why a HeadBucket failed. HeadBucket
// answers carry no body, so the status code is all there is to go on.
func probeFailure(t *meta.ReplicationTarget, err error) string {
	// A transport failure comes wrapped in a ResponseError too, with no
	// response (status 0).
	var re *awshttp.ResponseError
	if errors.As(err, &re) && re.HTTPStatusCode() != 0 {
		switch code := re.HTTPStatusCode(); code {
		case http.StatusForbidden, http.StatusUnauthorized:
			return fmt.Sprintf("%d invalid credentials: %s refused access key %q to bucket %q", code, t.Endpoint, t.AccessKey, t.Bucket)
		case http.StatusNotFound:
			return fmt.Sprintf("bucket not found: %s has no bucket %q", t.Endpoint, t.Bucket)
		case http.StatusMovedPermanently, http.StatusBadRequest:
			return fmt.Sprintf("%d: bucket %q is in another region than %q or the request was refused", code, t.Bucket, t.Region)
		default:
			return fmt.Sprintf("%s answered HTTP %d", t.Endpoint, code)
		}
	}
	var opErr *net.OpError
	if errors.As(err, &opErr) && opErr.Op == "dial" {
		return fmt.Sprintf("connection refused: cannot connect to %s: %v", t.Endpoint, opErr.Err)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Sprintf("timeout: %s did not answer within %s", t.Endpoint, probeTimeout)
	}
	var netErr net.Error
	if errors.As(err, &netErr) && netErr.Timeout() {
		return fmt.Sprintf("timeout: %s did not answer within %s", t.Endpoint, probeTimeout)
	}
	return fmt.Sprintf("cannot reach %s: %v", t.Endpoint, err)
}

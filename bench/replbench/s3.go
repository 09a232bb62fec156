package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// newS3Client is configured as a user of the SDK would be (checksums
// WhenSupported, what config.LoadDefaultConfig gives), with no retries so
// that a failure is reported rather than hidden in a time, and a transport
// keeping a connection per worker.
func newS3Client(endpoint string, conc int) *s3.Client {
	transport := &http.Transport{
		DialContext:           (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:          2 * conc,
		MaxIdleConnsPerHost:   2 * conc,
		IdleConnTimeout:       90 * time.Second,
		ResponseHeaderTimeout: 2 * time.Minute,
	}
	return s3.New(s3.Options{
		Region:                     region,
		BaseEndpoint:               aws.String(endpoint),
		UsePathStyle:               true,
		Credentials:                credentials.NewStaticCredentialsProvider(rootAccessKey, rootSecretKey, ""),
		HTTPClient:                 &http.Client{Transport: transport},
		Retryer:                    aws.NopRetryer{},
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenSupported,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenSupported,
	})
}

func createBucket(ctx context.Context, c *s3.Client, bucket string, versioned bool) error {
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		return fmt.Errorf("create bucket %s: %w", bucket, err)
	}
	if !versioned {
		return nil
	}
	_, err := c.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{
		Bucket:                  aws.String(bucket),
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled},
	})
	if err != nil {
		return fmt.Errorf("enable versioning of %s: %w", bucket, err)
	}
	return nil
}

// replicateTo makes arn the only destination of bucket's replication
// configuration, existing objects included (what BATCH_REPLICATE copies).
func replicateTo(ctx context.Context, c *s3.Client, bucket, arn string) error {
	_, err := c.PutBucketReplication(ctx, &s3.PutBucketReplicationInput{
		Bucket: aws.String(bucket),
		ReplicationConfiguration: &types.ReplicationConfiguration{
			Role: aws.String("arn:aws:iam::000000000000:role/replbench"),
			Rules: []types.ReplicationRule{{
				ID:                        aws.String("bench"),
				Priority:                  aws.Int32(1),
				Status:                    types.ReplicationRuleStatusEnabled,
				Filter:                    &types.ReplicationRuleFilter{Prefix: aws.String("")},
				Destination:               &types.Destination{Bucket: aws.String(arn)},
				DeleteMarkerReplication:   &types.DeleteMarkerReplication{Status: types.DeleteMarkerReplicationStatusDisabled},
				ExistingObjectReplication: &types.ExistingObjectReplication{Status: types.ExistingObjectReplicationStatusEnabled},
			}},
		},
	})
	if err != nil {
		return fmt.Errorf("put replication configuration of %s: %w", bucket, err)
	}
	return nil
}

// objectKey is the key of object i of a case.
func objectKey(i int) string { return fmt.Sprintf("obj/%06d", i) }

// seed writes count objects of size to bucket with conc concurrent PUTs.
// Bodies are different windows of data, so no two objects are equal.
func seed(ctx context.Context, c *s3.Client, bucket string, count int, size int64, data []byte, conc int) error {
	return forEach(ctx, count, conc, func(ctx context.Context, i int) error {
		off := int64(i) * 4096 % (int64(len(data)) - size + 1)
		_, err := c.PutObject(ctx, &s3.PutObjectInput{
			Bucket: aws.String(bucket), Key: aws.String(objectKey(i)),
			Body: bytes.NewReader(data[off : off+size]), ContentType: aws.String("application/octet-stream"),
			Metadata: map[string]string{"bench": "replbench"},
		})
		if err != nil {
			return fmt.Errorf("seed %s: %w", objectKey(i), err)
		}
		return nil
	})
}

// clientCopy is the baseline: for each object, GET it from the source
// and PUT the body, Content-Type and user metadata to the destination, as
// a plain client-side copy loop does, with conc workers.
func clientCopy(ctx context.Context, src, dst *s3.Client, srcBucket, dstBucket string, count, conc int) error {
	return forEach(ctx, count, conc, func(ctx context.Context, i int) error {
		key := objectKey(i)
		got, err := src.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(srcBucket), Key: aws.String(key)})
		if err != nil {
			return fmt.Errorf("get %s: %w", key, err)
		}
		body, err := io.ReadAll(got.Body)
		got.Body.Close()
		if err != nil {
			return fmt.Errorf("read %s: %w", key, err)
		}
		_, err = dst.PutObject(ctx, &s3.PutObjectInput{
			Bucket: aws.String(dstBucket), Key: aws.String(key), Body: bytes.NewReader(body),
			ContentType: got.ContentType, Metadata: got.Metadata,
		})
		if err != nil {
			return fmt.Errorf("put %s: %w", key, err)
		}
		return nil
	})
}

// forEach runs fn(0..n-1) on conc workers and returns the first error;
// the first error stops the others.
func forEach(ctx context.Context, n, conc int, fn func(ctx context.Context, i int) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var (
		next atomic.Int64
		wg   sync.WaitGroup
	)
	for range conc {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < n && ctx.Err() == nil; i = int(next.Add(1) - 1) {
				if err := fn(ctx, i); err != nil {
					cancel(err)
					return
				}
			}
		})
	}
	wg.Wait()
	return context.Cause(ctx)
}

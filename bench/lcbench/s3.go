package main

import (
	"context"
	"fmt"
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

// ruleID names the one lifecycle rule both buckets carry.
const ruleID = "lcbench-expire-all"

// newS3Client is configured as a user of the SDK would be (checksums
// WhenSupported, what config.LoadDefaultConfig gives: DeleteObjects then
// carries a CRC32 of its body), with no retries so that a failure is
// reported rather than hidden in a time, and a transport keeping a
// connection per worker.
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

// createBucket makes bucket over S3, versioned when asked, with a rule
// expiring every object one (lifecycle) day after its creation. Both
// buckets get the same configuration so that they differ only in name;
// with the scanner off, only the job measured applies it.
func createBucket(ctx context.Context, c *s3.Client, bucket string, versioned bool) error {
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		return fmt.Errorf("create bucket %s: %w", bucket, err)
	}
	if versioned {
		_, err := c.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{
			Bucket:                  aws.String(bucket),
			VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled},
		})
		if err != nil {
			return fmt.Errorf("enable versioning of %s: %w", bucket, err)
		}
	}
	_, err := c.PutBucketLifecycleConfiguration(ctx, &s3.PutBucketLifecycleConfigurationInput{
		Bucket: aws.String(bucket),
		LifecycleConfiguration: &types.BucketLifecycleConfiguration{Rules: []types.LifecycleRule{{
			ID:         aws.String(ruleID),
			Status:     types.ExpirationStatusEnabled,
			Filter:     &types.LifecycleRuleFilter{Prefix: aws.String("")},
			Expiration: &types.LifecycleExpiration{Days: aws.Int32(1)},
		}}},
	})
	if err != nil {
		return fmt.Errorf("put lifecycle configuration of %s: %w", bucket, err)
	}
	return nil
}

// deleteAll is the baseline: the keys of objects 0..n-1, in key order,
// sent as DeleteObjects calls of keysPerDelete keys (without version ids,
// as the expiration acts: removal, or a delete marker when versioned),
// conc calls in flight. Quiet mode: the answer lists only failures, the
// least the server has to write back.
func deleteAll(ctx context.Context, c *s3.Client, bucket string, n, conc int) error {
	calls := (n + keysPerDelete - 1) / keysPerDelete
	return forEach(ctx, calls, conc, func(ctx context.Context, call int) error {
		lo, hi := call*keysPerDelete, min(n, (call+1)*keysPerDelete)
		ids := make([]types.ObjectIdentifier, 0, hi-lo)
		for i := lo; i < hi; i++ {
			ids = append(ids, types.ObjectIdentifier{Key: aws.String(objectKey(i))})
		}
		out, err := c.DeleteObjects(ctx, &s3.DeleteObjectsInput{
			Bucket: aws.String(bucket),
			Delete: &types.Delete{Objects: ids, Quiet: aws.Bool(true)},
		})
		if err != nil {
			return fmt.Errorf("delete objects %d..%d: %w", lo, hi-1, err)
		}
		if len(out.Errors) > 0 {
			e := out.Errors[0]
			return fmt.Errorf("delete objects %d..%d: %d keys failed, the first %s: %s %s",
				lo, hi-1, len(out.Errors), aws.ToString(e.Key), aws.ToString(e.Code), aws.ToString(e.Message))
		}
		return nil
	})
}

// listsEmpty says whether ListObjectsV2 shows bucket without objects.
func listsEmpty(ctx context.Context, c *s3.Client, bucket string) (bool, error) {
	out, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), MaxKeys: aws.Int32(1)})
	if err != nil {
		return false, fmt.Errorf("list %s: %w", bucket, err)
	}
	return aws.ToInt32(out.KeyCount) == 0 && len(out.Contents) == 0, nil
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

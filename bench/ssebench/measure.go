package main

import (
	"bytes"
	"context"
	"crypto/rand"
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

// The two buckets: the same server, the same data, one difference.
const (
	plainBucket  = "plain"
	sealedBucket = "sealed"
)

// requestTimeout bounds one request: a stuck request ends the run.
const requestTimeout = 2 * time.Minute

type bench struct {
	cfg    config
	client *s3.Client
	data   []byte
}

func newBench(ctx context.Context, cfg config, endpoint string) (*bench, error) {
	conc := max(cfg.largeConc, cfg.smallConc)
	transport := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        2 * conc,
		MaxIdleConnsPerHost: 2 * conc,
		IdleConnTimeout:     90 * time.Second,
		WriteBufferSize:     64 << 10,
		ReadBufferSize:      64 << 10,
	}
	b := &bench{cfg: cfg, client: s3.New(s3.Options{
		Region:                     "us-east-1",
		BaseEndpoint:               aws.String(endpoint),
		UsePathStyle:               true,
		Credentials:                credentials.NewStaticCredentialsProvider(rootAccessKey, rootSecretKey, ""),
		HTTPClient:                 &http.Client{Transport: transport},
		Retryer:                    aws.NopRetryer{},
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenSupported,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenSupported,
	})}
	// Random bodies, each a different window: nothing compresses.
	b.data = make([]byte, cfg.largeSize+int64(cfg.largeCount+cfg.smallCount)*4096)
	if _, err := rand.Read(b.data); err != nil {
		return nil, err
	}
	for _, name := range []string{plainBucket, sealedBucket} {
		if _, err := b.client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
			return nil, fmt.Errorf("create bucket %s: %w", name, err)
		}
	}
	_, err := b.client.PutBucketEncryption(ctx, &s3.PutBucketEncryptionInput{Bucket: aws.String(sealedBucket),
		ServerSideEncryptionConfiguration: &types.ServerSideEncryptionConfiguration{Rules: []types.ServerSideEncryptionRule{{
			ApplyServerSideEncryptionByDefault: &types.ServerSideEncryptionByDefault{SSEAlgorithm: types.ServerSideEncryptionAes256}}}}})
	if err != nil {
		return nil, fmt.Errorf("set the default encryption of %s: %w", sealedBucket, err)
	}
	return b, nil
}

func (b *bench) body(size int64, i int) []byte {
	off := int64(i) * 4096
	return b.data[off : off+size]
}

// Row is one operation on one size: each side's best rate.
type Row struct {
	Op    string  `json:"op"`
	Size  int64   `json:"size"`
	Unit  string  `json:"unit"` // MB/s or ops/s
	Plain float64 `json:"plain"`
	SSE   float64 `json:"sse"`
	Ratio float64 `json:"ratio"` // SSE / plain
}

type caseSpec struct {
	op    string
	size  int64
	count int
	conc  int
	unit  string
}

// measure runs every case reps times on both buckets, alternating which
// goes first, and keeps each side's best.
func (b *bench) measure(ctx context.Context) ([]Row, error) {
	cases := []caseSpec{
		{"PUT", b.cfg.largeSize, b.cfg.largeCount, b.cfg.largeConc, "MB/s"},
		{"GET", b.cfg.largeSize, b.cfg.largeCount, b.cfg.largeConc, "MB/s"},
		{"PUT", b.cfg.smallSize, b.cfg.smallCount, b.cfg.smallConc, "ops/s"},
		{"GET", b.cfg.smallSize, b.cfg.smallCount, b.cfg.smallConc, "ops/s"},
	}
	best := make([][2]float64, len(cases))
	for rep := range b.cfg.reps {
		order := []string{plainBucket, sealedBucket}
		if rep%2 == 1 {
			order[0], order[1] = order[1], order[0]
		}
		// PUT then GET of the same objects, per size, per bucket.
		for ci := 0; ci < len(cases); ci += 2 {
			for _, bucket := range order {
				side := 0
				if bucket == sealedBucket {
					side = 1
				}
				for _, c := range cases[ci : ci+2] {
					rate, err := b.run(ctx, bucket, c, rep)
					if err != nil {
						return nil, err
					}
					idx := ci
					if c.op == "GET" {
						idx = ci + 1
					}
					best[idx][side] = max(best[idx][side], rate)
					progress("rep %d %s %s %d B x %d: %.1f %s", rep+1, bucket, c.op, c.size, c.count, rate, c.unit)
				}
			}
		}
	}
	if err := b.checkEncrypted(ctx); err != nil {
		return nil, err
	}
	rows := make([]Row, len(cases))
	for i, c := range cases {
		rows[i] = Row{Op: c.op, Size: c.size, Unit: c.unit, Plain: best[i][0], SSE: best[i][1]}
		if rows[i].Plain > 0 {
			rows[i].Ratio = rows[i].SSE / rows[i].Plain
		}
	}
	return rows, nil
}

// checkEncrypted makes sure the sealed side was what it says.
func (b *bench) checkEncrypted(ctx context.Context) error {
	for bucket, want := range map[string]types.ServerSideEncryption{plainBucket: "", sealedBucket: types.ServerSideEncryptionAes256} {
		out, err := b.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key(b.cfg.largeSize, 0))})
		if err != nil {
			return fmt.Errorf("head %s: %w", bucket, err)
		}
		if out.ServerSideEncryption != want {
			return fmt.Errorf("objects in %s are stored with encryption %q, want %q", bucket, out.ServerSideEncryption, want)
		}
	}
	return nil
}

func key(size int64, i int) string { return fmt.Sprintf("obj-%d-%06d", size, i) }

// run performs one case on one bucket and returns its rate: MB/s (10^6
// bytes/s) or operations per second over the wall time.
func (b *bench) run(ctx context.Context, bucket string, c caseSpec, rep int) (float64, error) {
	var next atomic.Int64
	var firstErr error
	var once sync.Once
	var wg sync.WaitGroup
	start := time.Now()
	for range c.conc {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= c.count {
					return
				}
				if err := b.one(ctx, bucket, c, i, rep); err != nil {
					once.Do(func() { firstErr = err })
					return
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start).Seconds()
	if firstErr != nil {
		return 0, firstErr
	}
	if c.unit == "MB/s" {
		return float64(c.size) * float64(c.count) / elapsed / 1e6, nil
	}
	return float64(c.count) / elapsed, nil
}

func (b *bench) one(ctx context.Context, bucket string, c caseSpec, i, rep int) error {
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	k := key(c.size, i)
	body := b.body(c.size, (i+rep)%(b.cfg.largeCount+b.cfg.smallCount))
	if c.op == "PUT" {
		_, err := b.client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(k), Body: bytes.NewReader(body)})
		if err != nil {
			return fmt.Errorf("put %s/%s: %w", bucket, k, err)
		}
		return nil
	}
	out, err := b.client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(k)})
	if err != nil {
		return fmt.Errorf("get %s/%s: %w", bucket, k, err)
	}
	defer out.Body.Close()
	n, err := io.Copy(io.Discard, out.Body)
	if err != nil {
		return fmt.Errorf("read %s/%s: %w", bucket, k, err)
	}
	if n != c.size {
		return fmt.Errorf("read %d bytes of %s/%s, want %d", n, bucket, k, c.size)
	}
	return nil
}

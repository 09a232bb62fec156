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
)

// dataBucket is the bucket written on both sides; componentBucket the
// component's bucket, which holds the front's blobs.
const (
	dataBucket      = "data"
	componentBucket = "component"
)

// requestTimeout bounds one request: a stuck request ends the run.
const requestTimeout = 2 * time.Minute

type bench struct {
	cfg config
	// clients are the two sides: the disk server's, the component's.
	clients [2]*s3.Client
	data    []byte
}

// newClient is an S3 client of endpoint as the benchmark's root user.
func newClient(endpoint string, conc int) *s3.Client {
	transport := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        2 * conc,
		MaxIdleConnsPerHost: 2 * conc,
		IdleConnTimeout:     90 * time.Second,
		WriteBufferSize:     64 << 10,
		ReadBufferSize:      64 << 10,
	}
	return s3.New(s3.Options{
		Region:                     "us-east-1",
		BaseEndpoint:               aws.String(endpoint),
		UsePathStyle:               true,
		Credentials:                credentials.NewStaticCredentialsProvider(rootAccessKey, rootSecretKey, ""),
		HTTPClient:                 &http.Client{Transport: transport},
		Retryer:                    aws.NopRetryer{},
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenSupported,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenSupported,
	})
}

func createBucket(ctx context.Context, endpoint, name string) error {
	if _, err := newClient(endpoint, 1).CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		return fmt.Errorf("create bucket %s at %s: %w", name, endpoint, err)
	}
	return nil
}

func newBench(ctx context.Context, cfg config, diskURL, componentURL string) (*bench, error) {
	conc := max(cfg.largeConc, cfg.smallConc)
	b := &bench{cfg: cfg, clients: [2]*s3.Client{newClient(diskURL, conc), newClient(componentURL, conc)}}
	// Random bodies, each a different window: nothing compresses.
	b.data = make([]byte, cfg.largeSize+int64(cfg.largeCount+cfg.smallCount)*4096)
	if _, err := rand.Read(b.data); err != nil {
		return nil, err
	}
	for _, url := range []string{diskURL, componentURL} {
		if err := createBucket(ctx, url, dataBucket); err != nil {
			return nil, err
		}
	}
	return b, nil
}

func (b *bench) body(size int64, i int) []byte {
	off := int64(i) * 4096
	return b.data[off : off+size]
}

// Row is one operation on one size: each side's best rate.
type Row struct {
	Op        string  `json:"op"`
	Size      int64   `json:"size"`
	Unit      string  `json:"unit"` // MB/s or ops/s
	Disk      float64 `json:"disk"`
	Component float64 `json:"component"`
	Ratio     float64 `json:"ratio"` // component / disk
}

type caseSpec struct {
	op    string
	size  int64
	count int
	conc  int
	unit  string
}

// measure runs every case reps times on both sides, alternating which
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
		order := []int{0, 1}
		if rep%2 == 1 {
			order[0], order[1] = order[1], order[0]
		}
		// PUT then GET of the same objects, per size, per side.
		for ci := 0; ci < len(cases); ci += 2 {
			for _, side := range order {
				for _, c := range cases[ci : ci+2] {
					rate, err := b.run(ctx, side, c, rep)
					if err != nil {
						return nil, err
					}
					idx := ci
					if c.op == "GET" {
						idx = ci + 1
					}
					best[idx][side] = max(best[idx][side], rate)
					progress("rep %d %s %s %d B x %d: %.1f %s", rep+1, sideName[side], c.op, c.size, c.count, rate, c.unit)
				}
			}
		}
	}
	rows := make([]Row, len(cases))
	for i, c := range cases {
		rows[i] = Row{Op: c.op, Size: c.size, Unit: c.unit, Disk: best[i][0], Component: best[i][1]}
		if rows[i].Disk > 0 {
			rows[i].Ratio = rows[i].Component / rows[i].Disk
		}
	}
	return rows, nil
}

var sideName = [2]string{"disk", "component"}

func key(size int64, i int) string { return fmt.Sprintf("obj-%d-%06d", size, i) }

// run performs one case on one bucket and returns its rate: MB/s (10^6
// bytes/s) or operations per second over the wall time.
func (b *bench) run(ctx context.Context, side int, c caseSpec, rep int) (float64, error) {
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
				if err := b.one(ctx, b.clients[side], c, i, rep); err != nil {
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

func (b *bench) one(ctx context.Context, client *s3.Client, c caseSpec, i, rep int) error {
	bucket := dataBucket
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	k := key(c.size, i)
	body := b.body(c.size, (i+rep)%(b.cfg.largeCount+b.cfg.smallCount))
	if c.op == "PUT" {
		_, err := client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(k), Body: bytes.NewReader(body)})
		if err != nil {
			return fmt.Errorf("put %s/%s: %w", bucket, k, err)
		}
		return nil
	}
	out, err := client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(k)})
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

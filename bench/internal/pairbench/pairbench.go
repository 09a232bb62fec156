// Package pairbench measures two S3 sides against each other in one run:
// PUT and GET of large and small objects on side A and side B, alternating
// which goes first in each repetition so that a machine busy for a moment
// slows both, keeping each side's best rate. The benchmarks that compare
// one setting with another (encryption at rest, a storage component against
// local disk) differ only in how they set their two sides up.
package pairbench

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"flag"
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

// requestTimeout bounds one request: a stuck request ends the run.
const requestTimeout = 2 * time.Minute

// Load is the workload: how many objects of each size, at what
// concurrency, how many repetitions.
type Load struct {
	LargeSize  int64 `json:"largeSize"`
	LargeCount int   `json:"largeCount"`
	LargeConc  int   `json:"largeConc"`
	SmallSize  int64 `json:"smallSize"`
	SmallCount int   `json:"smallCount"`
	SmallConc  int   `json:"smallConc"`
	Reps       int   `json:"reps"`
}

// RegisterFlags adds the workload's flags to fs, with the defaults every
// pair benchmark shares (64 MiB and 4 KiB objects).
func (l *Load) RegisterFlags(fs *flag.FlagSet) {
	l.LargeSize, l.SmallSize = 64<<20, 4<<10
	fs.IntVar(&l.LargeCount, "large-count", 8, "large objects per run")
	fs.IntVar(&l.LargeConc, "large-conc", 1, "concurrent large-object requests")
	fs.IntVar(&l.SmallCount, "small-count", 2000, "small objects per run")
	fs.IntVar(&l.SmallConc, "small-conc", 8, "concurrent small-object requests")
	fs.IntVar(&l.Reps, "reps", 3, "repetitions; each side's best is reported")
}

// Check refuses a workload that would measure nothing.
func (l Load) Check() error {
	if l.LargeCount < 1 || l.SmallCount < 1 || l.LargeConc < 1 || l.SmallConc < 1 || l.Reps < 1 {
		return errors.New("counts, concurrency and -reps must be positive")
	}
	return nil
}

// Side is one of the two things measured: a client and the bucket it
// writes.
type Side struct {
	Name   string
	Client *s3.Client
	Bucket string
}

// Row is one operation on one size: each side's best rate.
type Row struct {
	Op    string  `json:"op"`
	Size  int64   `json:"size"`
	Unit  string  `json:"unit"` // MB/s or ops/s
	A     float64 `json:"a"`
	B     float64 `json:"b"`
	Ratio float64 `json:"ratio"` // B / A
}

// NewClient is an S3 client of endpoint with static credentials, sized
// for conc concurrent requests, without retries (a failed request ends the
// run rather than hiding in its figures).
func NewClient(endpoint, accessKey, secretKey string, conc int) *s3.Client {
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
		Credentials:                credentials.NewStaticCredentialsProvider(accessKey, secretKey, ""),
		HTTPClient:                 &http.Client{Transport: transport},
		Retryer:                    aws.NopRetryer{},
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenSupported,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenSupported,
	})
}

// Key is the name of object i of the given size, the same on both sides.
func Key(size int64, i int) string { return fmt.Sprintf("obj-%d-%06d", size, i) }

type caseSpec struct {
	op    string
	size  int64
	count int
	conc  int
	unit  string
}

// pair is one measurement in progress.
type pair struct {
	load     Load
	sides    [2]Side
	data     []byte
	progress func(format string, args ...any)
}

// Measure runs every case Reps times on both sides and returns each
// side's best. The buckets must exist. progress reports each run.
func Measure(ctx context.Context, load Load, a, b Side, progress func(format string, args ...any)) ([]Row, error) {
	p := &pair{load: load, sides: [2]Side{a, b}, progress: progress}
	// Random bodies, each a different window: nothing compresses.
	p.data = make([]byte, load.LargeSize+int64(load.LargeCount+load.SmallCount)*4096)
	if _, err := rand.Read(p.data); err != nil {
		return nil, err
	}
	cases := []caseSpec{
		{"PUT", load.LargeSize, load.LargeCount, load.LargeConc, "MB/s"},
		{"GET", load.LargeSize, load.LargeCount, load.LargeConc, "MB/s"},
		{"PUT", load.SmallSize, load.SmallCount, load.SmallConc, "ops/s"},
		{"GET", load.SmallSize, load.SmallCount, load.SmallConc, "ops/s"},
	}
	best := make([][2]float64, len(cases))
	for rep := range load.Reps {
		order := []int{0, 1}
		if rep%2 == 1 {
			order[0], order[1] = order[1], order[0]
		}
		// PUT then GET of the same objects, per size, per side.
		for ci := 0; ci < len(cases); ci += 2 {
			for _, side := range order {
				for j, c := range cases[ci : ci+2] {
					rate, err := p.run(ctx, p.sides[side], c, rep)
					if err != nil {
						return nil, err
					}
					best[ci+j][side] = max(best[ci+j][side], rate)
					progress("rep %d %s %s %d B x %d: %.1f %s", rep+1, p.sides[side].Name, c.op, c.size, c.count, rate, c.unit)
				}
			}
		}
	}
	rows := make([]Row, len(cases))
	for i, c := range cases {
		rows[i] = Row{Op: c.op, Size: c.size, Unit: c.unit, A: best[i][0], B: best[i][1]}
		if rows[i].A > 0 {
			rows[i].Ratio = rows[i].B / rows[i].A
		}
	}
	return rows, nil
}

func (p *pair) body(size int64, i int) []byte {
	off := int64(i) * 4096
	return p.data[off : off+size]
}

// run performs one case on one side and returns its rate: MB/s (10^6
// bytes/s) or operations per second over the wall time.
func (p *pair) run(ctx context.Context, side Side, c caseSpec, rep int) (float64, error) {
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
				if err := p.one(ctx, side, c, i, rep); err != nil {
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

func (p *pair) one(ctx context.Context, side Side, c caseSpec, i, rep int) error {
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	bucket, k := side.Bucket, Key(c.size, i)
	body := p.body(c.size, (i+rep)%(p.load.LargeCount+p.load.SmallCount))
	if c.op == "PUT" {
		_, err := side.Client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(k), Body: bytes.NewReader(body)})
		if err != nil {
			return fmt.Errorf("%s: put %s/%s: %w", side.Name, bucket, k, err)
		}
		return nil
	}
	out, err := side.Client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(k)})
	if err != nil {
		return fmt.Errorf("%s: get %s/%s: %w", side.Name, bucket, k, err)
	}
	defer out.Body.Close()
	n, err := io.Copy(io.Discard, out.Body)
	if err != nil {
		return fmt.Errorf("%s: read %s/%s: %w", side.Name, bucket, k, err)
	}
	if n != c.size {
		return fmt.Errorf("%s: read %d bytes of %s/%s, want %d", side.Name, n, bucket, k, c.size)
	}
	return nil
}

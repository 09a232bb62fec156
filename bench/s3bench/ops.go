package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/quarrylabs/quarry/bench/internal/oprate"
)

// listPage is the max-keys of every LIST: the page size S3 clients browsing a
// prefix typically ask for.
const listPage = 100

// errNoObjects is reported for reads when the PUT phase wrote nothing.
var errNoObjects = errors.New("no objects were written to read back")

// OpsResult is the rate and latency of one small-object operation at one
// concurrency.
type OpsResult struct {
	Op          string  `json:"op"`
	ObjectSize  int64   `json:"object_size"`
	Concurrency int     `json:"concurrency"`
	Ops         int     `json:"ops"`
	Errors      int     `json:"errors"`
	Seconds     float64 `json:"seconds"`
	OpsPerSec   float64 `json:"ops_per_s"`
	P50Ms       float64 `json:"p50_ms"`
	P99Ms       float64 `json:"p99_ms"`
	// ServerCores and ClientCores are the average CPU cores the server and
	// this program used during the measurement. Zero when not measured.
	ServerCores float64 `json:"server_cores,omitempty"`
	ClientCores float64 `json:"client_cores,omitempty"`
	FirstError  string  `json:"first_error,omitempty"`
}

// runOps measures PUT, GET, HEAD and LIST of small objects at each
// concurrency level. GET and HEAD read the objects the PUT phase wrote; LIST
// pages through a prefix of cfg.listKeys keys written beforehand, untimed.
func (b *bench) runOps(ctx context.Context) ([]OpsResult, error) {
	size := b.cfg.smallSize
	listKeys, err := b.prepareListPrefix(ctx)
	if err != nil {
		return nil, err
	}
	var out []OpsResult
	for _, conc := range b.cfg.smallConcs {
		// Each worker appends only to its own slice, so no lock is needed.
		written := make([][]string, conc)
		put := b.measure(ctx, "PUT", conc, func(ctx context.Context, w, n int) error {
			key := fmt.Sprintf("ops/c%d/w%03d/%08d", conc, w, n)
			if err := b.putSmall(ctx, key, w+n*conc); err != nil {
				return err
			}
			written[w] = append(written[w], key)
			return nil
		})
		var keys []string
		for _, ks := range written {
			keys = append(keys, ks...)
		}
		// Worker w's n-th read goes to a key spread over all that were
		// written, so that workers do not read the same object in lockstep.
		pick := func(w, n int) (string, error) {
			if len(keys) == 0 {
				return "", errNoObjects
			}
			return keys[(w+n*conc)%len(keys)], nil
		}
		get := b.measure(ctx, "GET", conc, func(ctx context.Context, w, n int) error {
			key, err := pick(w, n)
			if err != nil {
				return err
			}
			return b.getObject(ctx, key, size)
		})
		head := b.measure(ctx, "HEAD", conc, func(ctx context.Context, w, n int) error {
			key, err := pick(w, n)
			if err != nil {
				return err
			}
			return b.headObject(ctx, key, size)
		})
		list := b.measure(ctx, "LIST", conc, func(ctx context.Context, w, n int) error {
			return b.listPage(ctx, listKeys, w+n*conc)
		})
		list.ObjectSize = 0
		out = append(out, put, get, head, list)
		if err := ctx.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// measure runs one operation-rate measurement and turns it into a result.
func (b *bench) measure(ctx context.Context, op string, conc int, fn func(ctx context.Context, w, n int) error) OpsResult {
	progress("ops: %s at concurrency %d", op, conc)
	before := sampleCPU(b.serverPID)
	st := oprate.Measure(ctx, conc, b.cfg.dur, b.cfg.opsCount, fn)
	serverCores, clientCores := sampleCPU(b.serverPID).coresSince(before)
	r := OpsResult{
		Op:          op,
		ObjectSize:  b.cfg.smallSize,
		Concurrency: conc,
		Ops:         st.OK,
		Errors:      st.Errors,
		Seconds:     st.Elapsed.Seconds(),
		OpsPerSec:   st.PerSecond(),
		P50Ms:       ms(oprate.Percentile(st.Latencies, 0.50)),
		P99Ms:       ms(oprate.Percentile(st.Latencies, 0.99)),
		ServerCores: serverCores,
		ClientCores: clientCores,
	}
	if st.FirstErr != nil {
		r.FirstError = st.FirstErr.Error()
	}
	return r
}

// prepareListPrefix writes the keys LIST pages through and returns them in
// lexical order.
func (b *bench) prepareListPrefix(ctx context.Context) ([]string, error) {
	n := b.cfg.listKeys
	progress("ops: writing %d keys for LIST", n)
	keys := make([]string, n)
	for i := range keys {
		keys[i] = fmt.Sprintf("list/%08d", i)
	}
	_, err := runN(ctx, n, b.cfg.maxConcurrency(), func(ctx context.Context, i int) error {
		return b.putSmall(ctx, keys[i], i)
	})
	if err != nil {
		return nil, fmt.Errorf("write keys for LIST: %w", err)
	}
	return keys, nil
}

func (b *bench) putSmall(ctx context.Context, key string, i int) error {
	size := b.cfg.smallSize
	_, err := b.client.PutObject(ctx, &s3.PutObjectInput{
		Bucket:        aws.String(bucketName),
		Key:           aws.String(key),
		Body:          bytes.NewReader(b.body(size, i)),
		ContentLength: aws.Int64(size),
	})
	return err
}

func (b *bench) headObject(ctx context.Context, key string, want int64) error {
	out, err := b.client.HeadObject(ctx, &s3.HeadObjectInput{
		Bucket: aws.String(bucketName),
		Key:    aws.String(key),
	})
	if err != nil {
		return err
	}
	if got := aws.ToInt64(out.ContentLength); got != want {
		return fmt.Errorf("head %s: content length %d, want %d", key, got, want)
	}
	return nil
}

// listPage lists page i (cycling) of the LIST prefix, starting after the
// last key of the page before, and checks it is full.
func (b *bench) listPage(ctx context.Context, keys []string, i int) error {
	page := i % (len(keys) / listPage)
	in := &s3.ListObjectsV2Input{
		Bucket:  aws.String(bucketName),
		Prefix:  aws.String("list/"),
		MaxKeys: aws.Int32(listPage),
	}
	if page > 0 {
		in.StartAfter = aws.String(keys[page*listPage-1])
	}
	out, err := b.client.ListObjectsV2(ctx, in)
	if err != nil {
		return err
	}
	if len(out.Contents) != listPage {
		return fmt.Errorf("list page %d: %d keys, want %d", page, len(out.Contents), listPage)
	}
	if first := aws.ToString(out.Contents[0].Key); first != keys[page*listPage] {
		return fmt.Errorf("list page %d: starts at %q, want %q", page, first, keys[page*listPage])
	}
	return nil
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

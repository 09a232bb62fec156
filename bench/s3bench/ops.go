package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
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
// concurrency on one server (or on the baseline's plain files).
type OpsResult struct {
	// Server is "quarry", the peer's name ("minio"), or "baseline" for the
	// same operation on plain files: a write+fsync per PUT, a read per GET.
	Server      string  `json:"server"`
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

// serverBaseline names the baseline's rows among the servers'.
const serverBaseline = "baseline"

// runOps measures PUT, GET, HEAD and LIST of small objects at each
// concurrency level, on Quarry and on the peer when there is one, and PUT
// and GET of plain files as the baseline. GET and HEAD read the objects the
// PUT phase wrote on the same side; LIST pages through a prefix of
// cfg.listKeys keys written beforehand, untimed.
func (b *bench) runOps(ctx context.Context) ([]OpsResult, error) {
	size := b.cfg.smallSize
	listKeys := make([]string, b.cfg.listKeys)
	for i := range listKeys {
		listKeys[i] = fmt.Sprintf("list/%08d", i)
	}
	for _, s := range b.sides(0) {
		if err := b.prepareListPrefix(ctx, s, listKeys); err != nil {
			return nil, err
		}
	}
	var out []OpsResult
	for ci, conc := range b.cfg.smallConcs {
		basePut, baseGet, err := b.baselineOps(ctx, conc)
		if err != nil {
			return nil, err
		}
		out = append(out, basePut, baseGet)
		sides := b.sides(ci)
		// Each worker appends only to its own slice, so no lock is needed.
		written := map[*side][][]string{}
		for _, s := range sides {
			written[s] = make([][]string, conc)
			out = append(out, b.measure(ctx, s, "PUT", conc, func(ctx context.Context, w, n int) error {
				key := fmt.Sprintf("ops/c%d/w%03d/%08d", conc, w, n)
				if err := b.putSmall(ctx, s, key, w+n*conc); err != nil {
					return err
				}
				written[s][w] = append(written[s][w], key)
				return nil
			}))
		}
		keys := map[*side][]string{}
		for _, s := range sides {
			for _, ks := range written[s] {
				keys[s] = append(keys[s], ks...)
			}
		}
		// Worker w's n-th read goes to a key spread over all that were
		// written, so that workers do not read the same object in lockstep.
		pick := func(s *side, w, n int) (string, error) {
			if len(keys[s]) == 0 {
				return "", errNoObjects
			}
			return keys[s][(w+n*conc)%len(keys[s])], nil
		}
		for _, s := range sides {
			out = append(out, b.measure(ctx, s, "GET", conc, func(ctx context.Context, w, n int) error {
				key, err := pick(s, w, n)
				if err != nil {
					return err
				}
				return b.getObject(ctx, s, key, size)
			}))
		}
		for _, s := range sides {
			out = append(out, b.measure(ctx, s, "HEAD", conc, func(ctx context.Context, w, n int) error {
				key, err := pick(s, w, n)
				if err != nil {
					return err
				}
				return b.headObject(ctx, s, key, size)
			}))
		}
		for _, s := range sides {
			list := b.measure(ctx, s, "LIST", conc, func(ctx context.Context, w, n int) error {
				return b.listPage(ctx, s, listKeys, w+n*conc)
			})
			list.ObjectSize = 0
			out = append(out, list)
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// baselineOps measures what the filesystem does for small PUTs and GETs at
// conc: create, write, fsync and close a file of the small size per PUT,
// then read the files back, each for the same duration or count as the
// servers' operations.
func (b *bench) baselineOps(ctx context.Context, conc int) (put, get OpsResult, err error) {
	dir := filepath.Join(b.baselineDir, fmt.Sprintf("ops-c%d", conc))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return put, get, fmt.Errorf("baseline dir: %w", err)
	}
	size := b.cfg.smallSize
	written := make([][]string, conc)
	put = b.measure(ctx, nil, "PUT", conc, func(ctx context.Context, w, n int) error {
		path := filepath.Join(dir, fmt.Sprintf("w%03d-%08d", w, n))
		if err := writeFileSync(ctx, path, b.body(size, w+n*conc)); err != nil {
			return err
		}
		written[w] = append(written[w], path)
		return nil
	})
	var files []string
	for _, fs := range written {
		files = append(files, fs...)
	}
	get = b.measure(ctx, nil, "GET", conc, func(ctx context.Context, w, n int) error {
		if len(files) == 0 {
			return errNoObjects
		}
		return readFileDiscard(ctx, files[(w+n*conc)%len(files)], size)
	})
	return put, get, nil
}

// measure runs one operation-rate measurement on side s (nil for the
// baseline's files) and turns it into a result.
func (b *bench) measure(ctx context.Context, s *side, op string, conc int, fn func(ctx context.Context, w, n int) error) OpsResult {
	server, pid := serverBaseline, 0
	if s != nil {
		server, pid = s.name, s.pid
	}
	progress("ops: %s %s at concurrency %d", server, op, conc)
	var stopProfile func()
	if s == b.quarry && op == "PUT" && conc == b.cfg.maxSmallConc() {
		stopProfile = b.profileServer(ctx)
	}
	before := sampleCPU(pid)
	st := oprate.Measure(ctx, conc, b.cfg.dur, b.cfg.opsCount, fn)
	serverCores, clientCores := sampleCPU(pid).coresSince(before)
	if stopProfile != nil {
		stopProfile()
	}
	if s == nil {
		serverCores = 0 // no server: the files are written by this process
	}
	r := OpsResult{
		Server:      server,
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

// prepareListPrefix writes the keys LIST pages through to side s.
func (b *bench) prepareListPrefix(ctx context.Context, s *side, keys []string) error {
	progress("ops: writing %d keys for LIST to %s", len(keys), s.name)
	_, err := runN(ctx, len(keys), b.cfg.maxConcurrency(), func(ctx context.Context, i int) error {
		return b.putSmall(ctx, s, keys[i], i)
	})
	if err != nil {
		return fmt.Errorf("%s: write keys for LIST: %w", s.name, err)
	}
	return nil
}

func (b *bench) putSmall(ctx context.Context, s *side, key string, i int) error {
	size := b.cfg.smallSize
	_, err := s.client.PutObject(ctx, &s3.PutObjectInput{
		Bucket:        aws.String(bucketName),
		Key:           aws.String(key),
		Body:          bytes.NewReader(b.body(size, i)),
		ContentLength: aws.Int64(size),
	})
	return err
}

func (b *bench) headObject(ctx context.Context, s *side, key string, want int64) error {
	out, err := s.client.HeadObject(ctx, &s3.HeadObjectInput{
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
func (b *bench) listPage(ctx context.Context, s *side, keys []string, i int) error {
	page := i % (len(keys) / listPage)
	in := &s3.ListObjectsV2Input{
		Bucket:  aws.String(bucketName),
		Prefix:  aws.String("list/"),
		MaxKeys: aws.Int32(listPage),
	}
	if page > 0 {
		in.StartAfter = aws.String(keys[page*listPage-1])
	}
	out, err := s.client.ListObjectsV2(ctx, in)
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

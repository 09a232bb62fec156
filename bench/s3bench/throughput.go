package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// largeTarget is the goal: large-object PUT and GET at no less than
// this fraction of the baseline's throughput.
const largeTarget = 0.60

// The directions a throughput case measures. GET reads what was just written
// (page cache warm on both sides); GET-cold reads it again after both sides'
// files were evicted from the page cache, so both go to the disk.
const (
	opPut     = "PUT"
	opGet     = "GET"
	opGetCold = "GET-cold"
)

// ThroughputResult compares one direction of moving count objects of one
// size at one concurrency through Quarry and through plain files. Rates are
// the best of the repetitions, for each side separately.
type ThroughputResult struct {
	Op           string  `json:"op"`
	ObjectSize   int64   `json:"object_size"`
	Objects      int     `json:"objects"`
	Concurrency  int     `json:"concurrency"`
	QuarryMBps   float64 `json:"quarry_mb_per_s"`
	BaselineMBps float64 `json:"baseline_mb_per_s"`
	Ratio        float64 `json:"ratio"`
	Target       float64 `json:"target,omitempty"`
	Verdict      string  `json:"verdict,omitempty"` // PASS or BELOW when there is a target
	// ServerCores and ClientCores are the average number of CPU cores the
	// server and this program used during Quarry's best repetition; they show
	// which side a CPU-bound run is limited by. Zero when not measured.
	ServerCores float64 `json:"server_cores,omitempty"`
	ClientCores float64 `json:"client_cores,omitempty"`
	Error       string  `json:"error,omitempty"`
	// Peer is the same measurement on the -peer server, when there is one.
	Peer *PeerFigures `json:"peer,omitempty"`
}

// PeerFigures is a measurement on the -peer server and how Quarry compares.
type PeerFigures struct {
	Name        string  `json:"name"`
	MBps        float64 `json:"mb_per_s,omitempty"`
	OpsPerSec   float64 `json:"ops_per_s,omitempty"`
	ServerCores float64 `json:"server_cores,omitempty"`
	ClientCores float64 `json:"client_cores,omitempty"`
	// Ratio is Quarry's rate over the peer's.
	Ratio   float64 `json:"ratio,omitempty"`
	Target  float64 `json:"target,omitempty"`
	Verdict string  `json:"verdict,omitempty"`
	Error   string  `json:"error,omitempty"`
}

// peerLargeTarget is the goal against the peer for 1 MiB and 64 MiB
// objects, each way: Quarry at least as fast.
const peerLargeTarget = 1.0

// judge computes Quarry's ratio to the peer from quarry's rate and, when
// there is a target, the verdict.
func (p *PeerFigures) judge(quarry float64, quarryErr string) {
	rate := max(p.MBps, p.OpsPerSec)
	if p.Error != "" || quarryErr != "" || rate <= 0 {
		return
	}
	p.Ratio = quarry / rate
	if p.Target > 0 {
		p.Verdict = "BELOW"
		if p.Ratio >= p.Target {
			p.Verdict = "PASS"
		}
	}
}

func (b *bench) runThroughput(ctx context.Context) ([]ThroughputResult, error) {
	cases := []struct {
		sizeCase
		target float64
	}{
		{b.cfg.large, largeTarget},
		{b.cfg.medium, 0},
	}
	var out []ThroughputResult
	for _, c := range cases {
		for _, conc := range c.concs {
			rs, err := b.throughputCase(ctx, c.size, c.count, conc)
			if err != nil {
				return nil, err
			}
			for i := range rs {
				rs[i].Target = c.target
				rs[i].judge()
				if p := rs[i].Peer; p != nil {
					p.Target = peerLargeTarget
					p.judge(rs[i].QuarryMBps, rs[i].Error)
				}
			}
			out = append(out, rs...)
		}
	}
	return out, nil
}

// throughputCase measures one size and concurrency cfg.reps times, with new
// objects and files each time, and keeps each side's best rate. Quarry
// failures are recorded in the results; baseline failures and cancellation
// end the run.
func (b *bench) throughputCase(ctx context.Context, size int64, count, conc int) ([]ThroughputResult, error) {
	var best []ThroughputResult
	for rep := range b.cfg.reps {
		progress("throughput: %d x %s at concurrency %d, repetition %d of %d", count, humanBytes(size), conc, rep+1, b.cfg.reps)
		rs, err := b.throughputRep(ctx, size, count, conc, rep)
		if err != nil {
			return nil, err
		}
		if best == nil {
			best = rs
			continue
		}
		for i := range rs {
			best[i].keepBest(rs[i])
		}
	}
	return best, nil
}

// throughputRep is one repetition: baseline write, Quarry (and peer) PUT,
// baseline read, Quarry (and peer) GET, and (where the page cache can be
// dropped) all reads again cold.
func (b *bench) throughputRep(ctx context.Context, size int64, count, conc, rep int) ([]ThroughputResult, error) {
	label := fmt.Sprintf("%s-c%d-r%d", sizeLabel(size), conc, rep)
	dir := filepath.Join(b.baselineDir, label)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("baseline dir: %w", err)
	}
	file := func(i int) string { return filepath.Join(dir, fmt.Sprintf("%06d", i)) }
	key := func(i int) string { return fmt.Sprintf("tp/%s/%06d", label, i) }
	total := size * int64(count)
	newResult := func(op string) ThroughputResult {
		r := ThroughputResult{Op: op, ObjectSize: size, Objects: count, Concurrency: conc}
		if b.peer != nil {
			r.Peer = &PeerFigures{Name: b.peer.name}
		}
		return r
	}
	results := []ThroughputResult{newResult(opPut), newResult(opGet)}
	if canEvict {
		results = append(results, newResult(opGetCold))
	}
	put, get := &results[0], &results[1]

	baseline := func(r *ThroughputResult, what string, fn func(context.Context, int) error) error {
		elapsed, err := runN(ctx, count, conc, fn)
		if err != nil {
			return fmt.Errorf("baseline %s %s: %w", what, label, err)
		}
		r.BaselineMBps = mbps(total, elapsed)
		return nil
	}
	writeFiles := func(ctx context.Context, i int) error { return writeFileSync(ctx, file(i), b.body(size, i)) }
	readFiles := func(ctx context.Context, i int) error { return readFileDiscard(ctx, file(i), size) }
	getObjects := func(s *side) func(context.Context, int) error {
		return func(ctx context.Context, i int) error { return b.getObject(ctx, s, key(i), size) }
	}
	putObjects := func(s *side) func(context.Context, int) error {
		return func(ctx context.Context, i int) error {
			_, err := s.client.PutObject(ctx, &s3.PutObjectInput{
				Bucket:        aws.String(bucketName),
				Key:           aws.String(key(i)),
				Body:          bytes.NewReader(b.body(size, i)),
				ContentLength: aws.Int64(size),
			})
			return err
		}
	}
	// Each side reads back only what it wrote in full.
	putOK := map[*side]bool{}
	measureSides := func(r *ThroughputResult, fn func(*side) func(context.Context, int) error) {
		for _, s := range b.sides(rep) {
			if r.Op == opPut {
				putOK[s] = b.measureSide(ctx, s, r, total, count, conc, fn(s))
			} else if putOK[s] {
				b.measureSide(ctx, s, r, total, count, conc, fn(s))
			}
		}
	}

	if err := baseline(put, "write", writeFiles); err != nil {
		return nil, err
	}
	measureSides(put, putObjects)
	if err := baseline(get, "read", readFiles); err != nil {
		return nil, err
	}
	measureSides(get, getObjects)
	if canEvict {
		cold := &results[2]
		if err := b.evictAll(dir); err != nil {
			return nil, err
		}
		if err := baseline(cold, "cold read", readFiles); err != nil {
			return nil, err
		}
		measureSides(cold, getObjects)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	for i := 1; i < len(results); i++ {
		if !putOK[b.quarry] {
			results[i].Error = "not measured: PUT failed"
		}
		if b.peer != nil && !putOK[b.peer] {
			results[i].Peer.Error = "not measured: PUT failed"
		}
	}
	return results, nil
}

// evictAll drops from the page cache the baseline files of this repetition
// and everything under the data directories of the servers measured.
func (b *bench) evictAll(baselineFiles string) error {
	roots := []string{baselineFiles}
	for _, s := range b.sides(0) {
		roots = append(roots, s.dataDir)
	}
	for _, root := range roots {
		if err := evictTree(root); err != nil {
			return fmt.Errorf("drop page cache: %w", err)
		}
	}
	return nil
}

// measureSide runs fn as one throughput measurement against side s and
// records its rate and CPU use in r (in r.Peer for the peer), or its error.
// It reports success.
func (b *bench) measureSide(ctx context.Context, s *side, r *ThroughputResult, total int64, count, conc int, fn func(context.Context, int) error) bool {
	before := sampleCPU(s.pid)
	elapsed, err := runN(ctx, count, conc, fn)
	serverCores, clientCores := sampleCPU(s.pid).coresSince(before)
	if s != b.quarry {
		if err != nil {
			r.Peer.Error = err.Error()
			return false
		}
		r.Peer.MBps, r.Peer.ServerCores, r.Peer.ClientCores = mbps(total, elapsed), serverCores, clientCores
		return true
	}
	if err != nil {
		r.Error = err.Error()
		return false
	}
	r.ServerCores, r.ClientCores = serverCores, clientCores
	r.QuarryMBps = mbps(total, elapsed)
	return true
}

// keepBest folds another repetition of the same measurement into r: each
// side keeps its best rate, and any error is kept.
func (r *ThroughputResult) keepBest(o ThroughputResult) {
	if o.QuarryMBps > r.QuarryMBps {
		r.QuarryMBps, r.ServerCores, r.ClientCores = o.QuarryMBps, o.ServerCores, o.ClientCores
	}
	r.BaselineMBps = max(r.BaselineMBps, o.BaselineMBps)
	if r.Error == "" {
		r.Error = o.Error
	}
	if r.Peer != nil && o.Peer != nil {
		if o.Peer.MBps > r.Peer.MBps {
			r.Peer.MBps, r.Peer.ServerCores, r.Peer.ClientCores = o.Peer.MBps, o.Peer.ServerCores, o.Peer.ClientCores
		}
		if r.Peer.Error == "" {
			r.Peer.Error = o.Peer.Error
		}
	}
}

// judge computes the ratio and, when there is a target, the verdict.
func (r *ThroughputResult) judge() {
	if r.Error != "" || r.BaselineMBps <= 0 {
		return
	}
	r.Ratio = r.QuarryMBps / r.BaselineMBps
	if r.Target > 0 {
		r.Verdict = "BELOW"
		if r.Ratio >= r.Target {
			r.Verdict = "PASS"
		}
	}
}

// getObject reads key from side s to its end and checks its length.
func (b *bench) getObject(ctx context.Context, s *side, key string, want int64) error {
	out, err := s.client.GetObject(ctx, &s3.GetObjectInput{
		Bucket: aws.String(bucketName),
		Key:    aws.String(key),
	})
	if err != nil {
		return err
	}
	defer out.Body.Close()
	n, err := drain(out.Body)
	if err != nil {
		return fmt.Errorf("read body of %s: %w", key, err)
	}
	if n != want {
		return fmt.Errorf("get %s: got %d bytes, want %d", key, n, want)
	}
	return nil
}

// mbps is decimal megabytes (10^6 bytes) per second.
func mbps(bytes int64, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return float64(bytes) / 1e6 / d.Seconds()
}

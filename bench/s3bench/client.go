package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/quarrylabs/quarry/bench/internal/quarryproc"
)

const (
	bucketName = "bench"
	// objectStride makes every object's body a different window of the random
	// data, so no object is byte-for-byte another.
	objectStride = 4 << 10
	// maxObjectsPerWindow bounds how far the windows slide (and so the extra
	// random data generated).
	maxObjectsPerWindow = 256
)

// bench is one benchmark run's shared state: the servers measured, the
// random data that bodies are cut from, and where baseline files go.
type bench struct {
	cfg         config
	quarry      *side
	peer        *side // nil without -peer
	baselineDir string
	data        []byte
	// debugAddr is the quarry server's --debug-addr, when -server-profile
	// asked for one.
	debugAddr string
}

// side is one S3 server measured: Quarry, or the peer it is compared with.
type side struct {
	name    string
	client  *s3.Client
	pid     int
	dataDir string
}

func newBench(ctx context.Context, cfg config, srv *quarryproc.Server, peer *peerProc, baselineDir string) (*bench, error) {
	if err := os.MkdirAll(baselineDir, 0o755); err != nil {
		return nil, fmt.Errorf("baseline dir: %w", err)
	}
	largest := max(cfg.large.size, cfg.medium.size, cfg.smallSize)
	data := make([]byte, largest+objectStride*maxObjectsPerWindow)
	// Random bodies: nothing on the path (compression, dedup) gets a free ride.
	if _, err := rand.Read(data); err != nil {
		return nil, fmt.Errorf("random data: %w", err)
	}
	b := &bench{
		cfg: cfg,
		quarry: &side{name: "quarry", client: newS3Client(srv.S3URL, cfg.maxConcurrency()),
			pid: srv.PID(), dataDir: srv.DataDir},
		baselineDir: baselineDir,
		data:        data,
	}
	if peer != nil {
		b.peer = &side{name: peer.name, client: newS3Client(peer.s3URL, cfg.maxConcurrency()),
			pid: peer.pid(), dataDir: peer.dataDir}
	}
	for _, s := range b.sides(0) {
		cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		_, err := s.client.CreateBucket(cctx, &s3.CreateBucketInput{Bucket: aws.String(bucketName)})
		cancel()
		if err != nil {
			return nil, fmt.Errorf("%s: create bucket %s: %w", s.name, bucketName, err)
		}
	}
	return b, nil
}

// sides are the servers measured, in the order repetition rep measures
// them: with a peer, who goes first alternates, so that a moment of other
// load on the machine does not always fall on the same side.
func (b *bench) sides(rep int) []*side {
	if b.peer == nil {
		return []*side{b.quarry}
	}
	if rep%2 == 1 {
		return []*side{b.peer, b.quarry}
	}
	return []*side{b.quarry, b.peer}
}

// body returns the bytes of object i of the given size: a window of the
// random data that differs from its neighbours.
func (b *bench) body(size int64, i int) []byte {
	off := int64(i%maxObjectsPerWindow) * objectStride
	return b.data[off : off+size]
}

// newS3Client is configured as a user of the SDK would be, with two
// deliberate choices: no retries, so that a failure is counted rather than
// hidden in a latency, and a transport that keeps a connection per worker.
//
// Checksums are the SDK default (WhenSupported, what config.LoadDefaultConfig
// gives): over plain HTTP every PUT hashes its body twice on the client,
// SHA-256 for the SigV4 signature and CRC32 for x-amz-checksum-crc32, and GET
// asks for the stored checksum and verifies it when the server returns one.
func newS3Client(endpoint string, maxConc int) *s3.Client {
	transport := &http.Transport{
		Proxy:                 nil,
		DialContext:           (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:          2 * maxConc,
		MaxIdleConnsPerHost:   2 * maxConc,
		IdleConnTimeout:       90 * time.Second,
		ResponseHeaderTimeout: 2 * time.Minute,
		// Larger than the 4 KiB default so that large bodies move in fewer
		// syscalls, as a tuned client would.
		WriteBufferSize: 64 << 10,
		ReadBufferSize:  64 << 10,
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

package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/quarrylabs/quarry/bench/internal/mapicall"
)

// login returns a client of the MAPI at base, logged in as the root user.
func login(ctx context.Context, base string) (*mapicall.Client, error) {
	return mapicall.Login(ctx, &http.Client{Timeout: time.Minute}, base, rootUser, rootPassword)
}

// createTarget creates a replication target for bucket on the server at
// endpoint, with the benchmark's root keys, and returns its ARN.
func createTarget(ctx context.Context, c *mapicall.Client, name, endpoint, bucket string) (string, error) {
	var out struct {
		Target struct {
			ARN string `json:"arn"`
		} `json:"target"`
	}
	err := c.Post(ctx, "replication_target/create", map[string]any{
		"name": name, "endpoint": endpoint, "region": region,
		"accessKey": rootAccessKey, "secretKey": rootSecretKey, "bucket": bucket,
	}, &out)
	if err != nil {
		return "", err
	}
	return out.Target.ARN, nil
}

// runBatchReplicate creates a BATCH_REPLICATE job on bucket and polls it
// every poll until it ends; it returns the final status and how long the
// job was seen EXAMINING (from the create call on).
func runBatchReplicate(ctx context.Context, c *mapicall.Client, bucket string, poll time.Duration) (mapicall.JobStatus, time.Duration, error) {
	start := time.Now()
	created, err := c.CreateJob(ctx, "BATCH_REPLICATE", bucket)
	if err != nil {
		return mapicall.JobStatus{}, 0, err
	}
	var examining time.Duration
	st, err := c.WaitJob(ctx, created.JobID.ID, poll, func(s mapicall.JobStatus) {
		if examining == 0 && s.JobState != "EXAMINING" {
			examining = time.Since(start)
		}
	})
	return st, examining, err
}

// s3Requests reads quarry_s3_requests_total from the server's /metrics:
// requests by S3 operation, whatever their status.
func s3Requests(ctx context.Context, mapiURL string) (map[string]float64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, mapiURL+"/metrics", nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("scrape metrics: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("scrape metrics: %s", resp.Status)
	}
	return parseRequestCounts(resp.Body)
}

// parseRequestCounts sums the quarry_s3_requests_total series by their
// operation label.
func parseRequestCounts(r io.Reader) (map[string]float64, error) {
	const name = "quarry_s3_requests_total{"
	out := map[string]float64{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, name) {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			return nil, fmt.Errorf("metrics line %q: %w", line, err)
		}
		op := "?"
		if _, rest, ok := strings.Cut(line[:i], `operation="`); ok {
			op, _, _ = strings.Cut(rest, `"`)
		}
		out[op] += v
	}
	return out, sc.Err()
}

package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// mapiClient does what a VSP One Object client does: a password grant, GET
// csrf for the XSRF-TOKEN cookie, then JSON POSTs with the bearer token and
// the X-XSRF-TOKEN header.
type mapiClient struct {
	base   string
	hc     *http.Client
	bearer string
	xsrf   string
}

// login returns a client of the MAPI at base, logged in as the root user.
func login(ctx context.Context, base string) (*mapiClient, error) {
	c := &mapiClient{base: base, hc: &http.Client{Timeout: time.Minute}}
	form := url.Values{"grant_type": {"password"}, "client_id": {"vsp-object-external-client"},
		"username": {rootUser}, "password": {rootPassword}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost,
		base+"/ui/auth/realms/vsp-object/protocol/openid-connect/token", strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := c.roundTrip(req, &tok); err != nil {
		return nil, fmt.Errorf("token: %w", err)
	}
	c.bearer = tok.AccessToken
	req, err = http.NewRequestWithContext(ctx, http.MethodGet, base+"/mapi/v1/csrf", nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("csrf: %w", err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	for _, ck := range resp.Cookies() {
		if ck.Name == "XSRF-TOKEN" {
			c.xsrf = ck.Value
		}
	}
	if c.xsrf == "" {
		return nil, fmt.Errorf("csrf: %s set no XSRF-TOKEN cookie", resp.Status)
	}
	return c, nil
}

// post sends a JSON POST to /mapi/v1/<endpoint> and decodes a 200 answer
// into out; any other status is an error carrying the body.
func (c *mapiClient) post(ctx context.Context, endpoint string, body, out any) error {
	b, err := json.Marshal(body)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+"/mapi/v1/"+endpoint, bytes.NewReader(b))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+c.bearer)
	req.Header.Set("X-XSRF-TOKEN", c.xsrf)
	req.AddCookie(&http.Cookie{Name: "XSRF-TOKEN", Value: c.xsrf})
	if err := c.roundTrip(req, out); err != nil {
		return fmt.Errorf("%s: %w", endpoint, err)
	}
	return nil
}

func (c *mapiClient) roundTrip(req *http.Request, out any) error {
	resp, err := c.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", resp.Status, bytes.TrimSpace(b))
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(b, out)
}

// createTarget creates a replication target for bucket on the server at
// endpoint, with the benchmark's root keys, and returns its ARN.
func (c *mapiClient) createTarget(ctx context.Context, name, endpoint, bucket string) (string, error) {
	var out struct {
		Target struct {
			ARN string `json:"arn"`
		} `json:"target"`
	}
	err := c.post(ctx, "replication_target/create", map[string]any{
		"name": name, "endpoint": endpoint, "region": region,
		"accessKey": rootAccessKey, "secretKey": rootSecretKey, "bucket": bucket,
	}, &out)
	if err != nil {
		return "", err
	}
	return out.Target.ARN, nil
}

// jobStatus is the part of the MAPI JobStatus the benchmark reads.
type jobStatus struct {
	JobID struct {
		ID int32 `json:"id"`
	} `json:"jobId"`
	JobState string   `json:"jobState"`
	Message  string   `json:"message"`
	JobStats jobStats `json:"jobStats"`
}

type jobStats struct {
	Processed int64 `json:"processed"`
	Failed    int64 `json:"failed"`
	Skipped   int64 `json:"skipped"`
	Bytes     int64 `json:"bytes"`
}

// runBatchReplicate creates a BATCH_REPLICATE job on bucket and polls it
// every poll until it ends; it returns the final status and how long the
// job was seen EXAMINING (from the create call on).
func (c *mapiClient) runBatchReplicate(ctx context.Context, bucket string, poll time.Duration) (jobStatus, time.Duration, error) {
	start := time.Now()
	var created struct {
		JobStatus jobStatus `json:"jobStatus"`
	}
	if err := c.post(ctx, "jobs/create", map[string]any{"jobType": "BATCH_REPLICATE", "bucketName": bucket}, &created); err != nil {
		return jobStatus{}, 0, err
	}
	id := map[string]any{"jobId": map[string]any{"id": created.JobStatus.JobID.ID}}
	var examining time.Duration
	for {
		var out struct {
			Status jobStatus `json:"status"`
		}
		if err := c.post(ctx, "jobs/status", id, &out); err != nil {
			return out.Status, examining, err
		}
		if examining == 0 && out.Status.JobState != "EXAMINING" {
			examining = time.Since(start)
		}
		switch out.Status.JobState {
		case "COMPLETE", "FAILED", "CANCELLED":
			return out.Status, examining, nil
		}
		select {
		case <-ctx.Done():
			return out.Status, examining, ctx.Err()
		case <-time.After(poll):
		}
	}
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

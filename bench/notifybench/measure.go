package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/quarrylabs/quarry/bench/internal/mapicall"
	"github.com/quarrylabs/quarry/bench/internal/quarryproc"
	"github.com/quarrylabs/quarry/internal/meta"
	"github.com/quarrylabs/quarry/internal/meta/sqlite"
	"github.com/quarrylabs/quarry/internal/notify"
)

const (
	bucket = "notifybench"
	// jobPoll is how often the job's status is read: its time is accurate
	// to about this much.
	jobPoll = 50 * time.Millisecond
	// seedBatch is how many objects one seeding transaction writes.
	seedBatch = 10_000
)

// bench is the server, its store, the webhook and the baseline's payloads.
type bench struct {
	cfg      config
	srv      *quarryproc.Server
	store    *sqlite.Store
	hook     *webhook
	mapi     *mapicall.Client
	payloads [][]byte
}

// side is one measured run.
type side struct {
	elapsed time.Duration
	events  int   // distinct events the webhook took
	posts   int64 // POSTs it answered
	conns   int64 // connections it accepted
	// cpu is quarry's CPU time during the run; self this process's (the
	// webhook, and the baseline's POSTers).
	cpu, self time.Duration
}

// results is the best run of each side.
type results struct {
	baseline, job side
	examining     time.Duration
	payloadBytes  int
}

// rate is events per second of a run.
func (s side) rate() float64 {
	if s.elapsed <= 0 {
		return 0
	}
	return float64(s.events) / s.elapsed.Seconds()
}

// ratio is the job's rate over the baseline's.
func (r results) ratio() float64 {
	if b := r.baseline.rate(); b > 0 {
		return r.job.rate() / b
	}
	return 0
}

// setUp seeds the bucket, creates the webhook target and the bucket's
// trigger, and renders the baseline's payloads.
func setUp(ctx context.Context, cfg config, srv *quarryproc.Server, hook *webhook) (*bench, error) {
	b := &bench{cfg: cfg, srv: srv, hook: hook}
	st, err := sqlite.Open(ctx, filepath.Join(srv.DataDir, "meta.db"))
	if err != nil {
		return nil, fmt.Errorf("open the server's metadata: %w", err)
	}
	b.store = st
	progress("seeding %d objects", cfg.objects)
	if err := seed(ctx, st, cfg.objects); err != nil {
		return nil, err
	}
	if b.mapi, err = mapicall.Login(ctx, &http.Client{Timeout: time.Minute}, srv.MAPIURL, rootUser, rootPassword); err != nil {
		return nil, fmt.Errorf("log in to the MAPI: %w", err)
	}
	var out struct {
		Target struct {
			ARN string `json:"arn"`
		} `json:"target"`
	}
	if err := b.mapi.Post(ctx, "notification_target/create", map[string]any{"name": "bench-hook", "endpoint": hook.url}, &out); err != nil {
		return nil, err
	}
	_, err = newS3Client(srv.S3URL).PutBucketNotificationConfiguration(ctx, &s3.PutBucketNotificationConfigurationInput{
		Bucket: aws.String(bucket),
		NotificationConfiguration: &types.NotificationConfiguration{QueueConfigurations: []types.QueueConfiguration{{
			Id: aws.String("bench"), QueueArn: aws.String(out.Target.ARN), Events: []types.Event{"s3:ObjectCreated:*"},
		}}},
	})
	if err != nil {
		return nil, fmt.Errorf("put the bucket's notification configuration: %w", err)
	}
	b.payloads = payloads(cfg.objects)
	return b, nil
}

// seed writes n one-version objects straight into the metadata: the job
// reads only their rows.
func seed(ctx context.Context, st meta.Store, n int) error {
	now := time.Now().UTC()
	for lo := 0; lo < n; lo += seedBatch {
		hi := min(n, lo+seedBatch)
		err := st.Update(ctx, func(tx meta.Tx) error {
			if lo == 0 {
				root, err := tx.GetUserByName(rootUser)
				if err != nil {
					return fmt.Errorf("root user: %w", err)
				}
				if err := tx.CreateBucket(&meta.Bucket{Name: bucket, OwnerID: root.ID, CreatedAt: now}); err != nil {
					return err
				}
			}
			var u meta.Usage
			for i := lo; i < hi; i++ {
				size := int64(1 + (i*7919)%4096)
				v := &meta.Version{Bucket: bucket, Key: objectKey(i), VersionID: meta.NullVersion, IsLatest: true,
					Size: size, ETag: fmt.Sprintf("%032x", i), LastModified: now, ContentType: "application/octet-stream",
					Segments: []meta.Segment{{BlobID: fmt.Sprintf("%032x", i), Size: size}}}
				if err := tx.PutVersion(v); err != nil {
					return err
				}
				u = u.Add(meta.Usage{Objects: 1, Bytes: size, Versions: 1, VersionBytes: size})
			}
			return tx.AddUsage(bucket, u)
		})
		if err != nil {
			return fmt.Errorf("seed objects %d..%d: %w", lo, hi, err)
		}
	}
	return nil
}

func objectKey(i int) string { return fmt.Sprintf("photos/2026/%08d.jpg", i) }

// payloads are the messages the job sends, rendered the same way (one
// ObjectCreated:Reconciled record each) so that both sides move the same
// bytes.
func payloads(n int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		size := int64(1 + (i*7919)%4096)
		var id [16]byte
		_, _ = rand.Read(id[:])
		rec := notify.Record{
			EventVersion: "2.1", EventSource: "quarry:s3", AWSRegion: region,
			EventTime: time.Now().UTC().Format("2006-01-02T15:04:05.000Z"), EventName: string(notify.EventReconciled),
			EventID:          hex.EncodeToString(id[:]),
			UserIdentity:     notify.Identity{PrincipalID: "quarry"},
			ResponseElements: map[string]string{"x-amz-request-id": "", "x-amz-id-2": ""},
			S3: notify.S3Entity{SchemaVersion: "1.0", ConfigurationID: "bench",
				Bucket: notify.BucketEntity{Name: bucket, OwnerIdentity: notify.Identity{PrincipalID: rootUser}, ARN: "arn:quarry:s3:::" + bucket},
				Object: notify.ObjectEntity{Key: objectKey(i), Size: &size, ETag: fmt.Sprintf("%032x", i), Sequencer: notify.Sequencer(int64(i + 1))}},
		}
		out[i], _ = json.Marshal(notify.Envelope{Records: []notify.Record{rec}})
	}
	return out
}

// measure runs each side reps times, keeping each side's best run.
func (b *bench) measure(ctx context.Context) (results, error) {
	res := results{payloadBytes: len(b.payloads[0])}
	for rep := range b.cfg.reps {
		base, err := b.baseline(ctx)
		if err != nil {
			return res, err
		}
		progress("baseline run %d: %d events in %v (%.0f/s)", rep+1, base.events, base.elapsed.Round(time.Millisecond), base.rate())
		if rep == 0 || base.elapsed < res.baseline.elapsed {
			res.baseline = base
		}
		job, examining, err := b.job(ctx)
		if err != nil {
			return res, err
		}
		progress("job run %d: %d events in %v (%.0f/s)", rep+1, job.events, job.elapsed.Round(time.Millisecond), job.rate())
		if rep == 0 || job.elapsed < res.job.elapsed {
			res.job, res.examining = job, examining
		}
	}
	return res, nil
}

// baseline POSTs every payload with conc workers over kept-alive
// connections, as a plain client would.
func (b *bench) baseline(ctx context.Context) (side, error) {
	b.hook.reset()
	transport := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        2 * b.cfg.conc,
		MaxIdleConnsPerHost: 2 * b.cfg.conc,
	}
	client := &http.Client{Transport: transport, Timeout: 30 * time.Second}
	defer transport.CloseIdleConnections()
	work := make(chan []byte)
	errs := make(chan error, b.cfg.conc)
	var wg sync.WaitGroup
	self0, _ := quarryproc.ProcessCPU(os.Getpid())
	start := time.Now()
	for range b.cfg.conc {
		wg.Go(func() {
			for body := range work {
				if err := post(ctx, client, b.hook.url, body); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	var sendErr error
feed:
	for _, p := range b.payloads {
		select {
		case work <- p:
		case sendErr = <-errs:
			break feed
		case <-ctx.Done():
			sendErr = ctx.Err()
			break feed
		}
	}
	close(work)
	wg.Wait()
	elapsed := time.Since(start)
	self1, _ := quarryproc.ProcessCPU(os.Getpid())
	if sendErr != nil {
		return side{}, fmt.Errorf("baseline: %w", sendErr)
	}
	select {
	case err := <-errs:
		return side{}, fmt.Errorf("baseline: %w", err)
	default:
	}
	posts, events, conns := b.hook.reset()
	return side{elapsed: elapsed, events: events, posts: posts, conns: conns, self: self1 - self0}, nil
}

func post(ctx context.Context, c *http.Client, url string, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("webhook answered %s", resp.Status)
	}
	return nil
}

// job runs a TRIGGER_RECONCILIATION ALL over the bucket and times it from
// the create call to COMPLETE.
func (b *bench) job(ctx context.Context) (side, time.Duration, error) {
	b.hook.reset()
	cpu0, _ := quarryproc.ProcessCPU(b.srv.PID())
	self0, _ := quarryproc.ProcessCPU(os.Getpid())
	start := time.Now()
	created, err := b.mapi.CreateJobWith(ctx, "TRIGGER_RECONCILIATION", bucket, map[string]string{"mode": "ALL"})
	if err != nil {
		return side{}, 0, err
	}
	var examining time.Duration
	final, err := b.mapi.WaitJob(ctx, created.JobID.ID, jobPoll, func(s mapicall.JobStatus) {
		if examining == 0 && s.JobState != "EXAMINING" {
			examining = time.Since(start)
		}
	})
	if err != nil {
		return side{}, 0, err
	}
	elapsed := time.Since(start)
	cpu1, _ := quarryproc.ProcessCPU(b.srv.PID())
	self1, _ := quarryproc.ProcessCPU(os.Getpid())
	if final.JobState != "COMPLETE" || final.JobStats.Processed != int64(b.cfg.objects) || final.JobStats.Failed != 0 {
		return side{}, 0, fmt.Errorf("the job ended %s with processed %d, failed %d (%s); want COMPLETE, %d, 0",
			final.JobState, final.JobStats.Processed, final.JobStats.Failed, final.Message, b.cfg.objects)
	}
	posts, events, conns := b.hook.reset()
	if events != b.cfg.objects {
		return side{}, 0, fmt.Errorf("the webhook took %d distinct events of the job's %d", events, b.cfg.objects)
	}
	return side{elapsed: elapsed, events: events, posts: posts, conns: conns, cpu: cpu1 - cpu0, self: self1 - self0}, examining, nil
}

func newS3Client(endpoint string) *s3.Client {
	return s3.New(s3.Options{
		Region:       region,
		BaseEndpoint: aws.String(endpoint),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider(rootAccessKey, rootSecretKey, ""),
		Retryer:      aws.NopRetryer{},
	})
}

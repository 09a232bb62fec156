package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/quarrylabs/quarry/internal/meta"
)

// The notification tests send events from a real quarry process to a real
// webhook receiver, an HTTP server in the test process that records every
// event it takes. This file holds the receiver and the set-up.

const triggerReconciliation = "TRIGGER_RECONCILIATION"

// notifyTimeout bounds every wait for events to arrive or to end FAILED.
const notifyTimeout = time.Minute

// eventRecord is the part of an event record the tests read.
type eventRecord struct {
	EventVersion string `json:"eventVersion"`
	EventName    string `json:"eventName"`
	EventID      string `json:"eventId"`
	EventTime    string `json:"eventTime"`
	S3           struct {
		ConfigurationID string `json:"configurationId"`
		Bucket          struct {
			Name string `json:"name"`
		} `json:"bucket"`
		Object struct {
			Key       string `json:"key"`
			Size      *int64 `json:"size"`
			ETag      string `json:"eTag"`
			VersionID string `json:"versionId"`
			Sequencer string `json:"sequencer"`
		} `json:"object"`
	} `json:"s3"`
}

// label is "eventName key", how the tests compare what arrived.
func (r eventRecord) label() string { return r.EventName + " " + r.S3.Object.Key }

// receiver is a webhook that records every event it takes (any 2xx it
// answers). It can be taken down (its port closed: connections refused)
// and brought back on the same address, made slow, or made to answer 500
// to the first attempts at each event.
type receiver struct {
	t    *testing.T
	addr string

	mu       sync.Mutex
	srv      *http.Server
	records  []eventRecord
	attempts map[string]int // by event id, every POST that reached it
	delay    time.Duration
	failN    int // answer 500 to the first failN attempts of each event
	auth     []string
}

func newReceiver(t *testing.T) *receiver {
	t.Helper()
	r := &receiver{t: t, attempts: map[string]int{}}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r.addr = l.Addr().String()
	r.serve(l)
	t.Cleanup(r.down)
	return r
}

// URL is where targets point.
func (r *receiver) URL() string { return "http://" + r.addr + "/events" }

func (r *receiver) serve(l net.Listener) {
	srv := &http.Server{Handler: http.HandlerFunc(r.handle), ReadHeaderTimeout: 10 * time.Second}
	r.mu.Lock()
	r.srv = srv
	r.mu.Unlock()
	go func() { _ = srv.Serve(l) }()
}

func (r *receiver) handle(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(req.Body)
	var env struct {
		Records []eventRecord `json:"Records"`
		Event   string        `json:"Event"`
	}
	if err == nil && json.Unmarshal(body, &env) == nil && env.Event == "s3:TestEvent" {
		r.mu.Lock()
		r.auth = append(r.auth, req.Header.Get("Authorization"))
		r.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
		return
	}
	if err != nil || len(env.Records) != 1 {
		http.Error(w, "not an event message", http.StatusBadRequest)
		return
	}
	rec := env.Records[0]
	r.mu.Lock()
	r.attempts[rec.EventID]++
	n, delay, failN := r.attempts[rec.EventID], r.delay, r.failN
	r.auth = append(r.auth, req.Header.Get("Authorization"))
	r.mu.Unlock()
	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-req.Context().Done():
			return
		}
	}
	if n <= failN {
		http.Error(w, "receiver busy", http.StatusInternalServerError)
		return
	}
	r.mu.Lock()
	r.records = append(r.records, rec)
	r.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

// down closes the receiver's port: deliveries are refused.
func (r *receiver) down() {
	r.mu.Lock()
	srv := r.srv
	r.srv = nil
	r.mu.Unlock()
	if srv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}
}

// up listens again on the receiver's address.
func (r *receiver) up() {
	r.t.Helper()
	var l net.Listener
	var err error
	for range 50 {
		if l, err = net.Listen("tcp", r.addr); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		r.t.Fatalf("receiver back on %s: %v", r.addr, err)
	}
	r.serve(l)
}

func (r *receiver) got() []eventRecord {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.records)
}

// waitFor waits until n events arrived and returns them.
func (r *receiver) waitFor(t *testing.T, n int) []eventRecord {
	t.Helper()
	waitFor(t, notifyTimeout, "events at the receiver", func() bool { return len(r.got()) >= n })
	return r.got()
}

// settle waits until no event arrived for a while, and returns them all:
// for tests that check that nothing more comes.
func (r *receiver) settle(t *testing.T, quiet time.Duration) []eventRecord {
	t.Helper()
	last, since := -1, time.Now()
	deadline := time.Now().Add(notifyTimeout)
	for time.Now().Before(deadline) {
		n := len(r.got())
		if n != last {
			last, since = n, time.Now()
		} else if time.Since(since) >= quiet {
			return r.got()
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("events kept arriving")
	return nil
}

// labels sorts the labels of records.
func labels(records []eventRecord) []string {
	out := make([]string, 0, len(records))
	for _, r := range records {
		out = append(out, r.label())
	}
	sort.Strings(out)
	return out
}

// notifySetup is a server of its own with a webhook target pointing at a
// receiver, and a bucket. Its outbox retries quickly, so that FAILED comes
// soon when the receiver is down.
type notifySetup struct {
	Srv    *server
	S3     *s3.Client
	MAPI   *mapiClient
	Recv   *receiver
	Bucket string
	ARN    string
}

// fastOutbox are server flags for a short retry budget.
var fastOutbox = []string{"--outbox-max-attempts", "3", "--outbox-backoff", "50ms", "--outbox-backoff-max", "200ms"}

func newNotifySetup(t *testing.T, args ...string) *notifySetup {
	t.Helper()
	n := &notifySetup{Srv: startServer(t, serverOptions{Args: args}), Recv: newReceiver(t)}
	n.S3 = s3Client(n.Srv.S3URL, n.Srv.AccessKey, n.Srv.SecretKey)
	n.MAPI = mapiRoot(t, n.Srv)
	n.Bucket = bucketName(t)
	createBucketOn(t, n.S3, n.Bucket)
	n.ARN = n.createTarget(n.MAPI, "hook-"+n.Bucket, n.Recv.URL())
	return n
}

// createTarget creates a webhook target through c and returns its ARN.
func (n *notifySetup) createTarget(c *mapiClient, name, url string) string {
	c.t.Helper()
	var out struct {
		Target struct {
			ARN string `json:"arn"`
		} `json:"target"`
	}
	c.must("notification_target/create", map[string]any{"name": name, "endpoint": url}, &out)
	if !strings.HasPrefix(out.Target.ARN, "arn:quarry:sqs:"+testRegion+":") {
		c.t.Fatalf("notification_target/create answered ARN %q", out.Target.ARN)
	}
	return out.Target.ARN
}

// trigger is one QueueConfiguration of a test.
type trigger struct {
	ID             string
	Events         []string
	Prefix, Suffix string
}

// configure puts the bucket's notification configuration, every trigger
// to the setup's target.
func (n *notifySetup) configure(t *testing.T, triggers ...trigger) {
	t.Helper()
	if err := putNotification(t.Context(), n.S3, n.Bucket, n.ARN, triggers...); err != nil {
		t.Fatalf("PutBucketNotificationConfiguration: %v", err)
	}
}

func putNotification(ctx context.Context, c *s3.Client, bucket, arn string, triggers ...trigger) error {
	cfg := &types.NotificationConfiguration{}
	for _, tr := range triggers {
		q := types.QueueConfiguration{Id: aws.String(tr.ID), QueueArn: aws.String(arn)}
		for _, e := range tr.Events {
			q.Events = append(q.Events, types.Event(e))
		}
		var rules []types.FilterRule
		if tr.Prefix != "" {
			rules = append(rules, types.FilterRule{Name: types.FilterRuleNamePrefix, Value: aws.String(tr.Prefix)})
		}
		if tr.Suffix != "" {
			rules = append(rules, types.FilterRule{Name: types.FilterRuleNameSuffix, Value: aws.String(tr.Suffix)})
		}
		if rules != nil {
			q.Filter = &types.NotificationConfigurationFilter{Key: &types.S3KeyFilter{FilterRules: rules}}
		}
		cfg.QueueConfigurations = append(cfg.QueueConfigurations, q)
	}
	_, err := c.PutBucketNotificationConfiguration(ctx, &s3.PutBucketNotificationConfigurationInput{
		Bucket: aws.String(bucket), NotificationConfiguration: cfg,
	})
	return err
}

// eventStates counts the bucket's events in the server's outbox by state.
func (n *notifySetup) eventStates(t *testing.T) map[meta.OutboxState]int {
	t.Helper()
	st := openMeta(t, n.Srv)
	out := map[meta.OutboxState]int{}
	err := st.View(t.Context(), func(tx meta.Tx) error {
		all, err := tx.ListOutbox(meta.OutboxFilter{Kind: "notification", Bucket: n.Bucket})
		for _, e := range all {
			out[e.State]++
		}
		return err
	})
	if err != nil && !errors.Is(err, context.Canceled) {
		t.Fatalf("read the outbox: %v", err)
	}
	return out
}

// waitEventStates waits until the bucket holds n events in state.
func (n *notifySetup) waitEventStates(t *testing.T, state meta.OutboxState, want int) {
	t.Helper()
	waitFor(t, notifyTimeout, "events "+string(state), func() bool { return n.eventStates(t)[state] == want })
}

// reconcile runs a TRIGGER_RECONCILIATION on the bucket to its end,
// checking the counter identity on the way (waitJob) and at the end.
func (n *notifySetup) reconcile(t *testing.T, params map[string]string) mapiJob {
	t.Helper()
	j := n.MAPI.createJob(triggerReconciliation, n.Bucket, params)
	done := n.MAPI.waitJobEnded(j.ID(), 2*time.Minute)
	wantCounterIdentity(t, "finished job", done)
	if done.JobState != "COMPLETE" {
		t.Fatalf("%s %v ended %s: %s", triggerReconciliation, params, done.JobState, done.Message)
	}
	return done
}

// wantJobStats fails unless j's counters are these.
func wantJobStats(t *testing.T, what string, j mapiJob, total, processed, failed, skipped int64) {
	t.Helper()
	s := j.JobStats
	if s.Total != total || s.Processed != processed || s.Failed != failed || s.Skipped != skipped {
		t.Errorf("%s: total %d processed %d failed %d skipped %d (%q); want %d %d %d %d",
			what, s.Total, s.Processed, s.Failed, s.Skipped, j.Message, total, processed, failed, skipped)
	}
}

package notify_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/quarrylabs/quarry/internal/job"
	"github.com/quarrylabs/quarry/internal/job/jobtest"
	"github.com/quarrylabs/quarry/internal/meta"
	"github.com/quarrylabs/quarry/internal/notify"
	"github.com/quarrylabs/quarry/internal/notify/webhook"
	"github.com/quarrylabs/quarry/internal/object"
	"github.com/quarrylabs/quarry/internal/outbox"
	"github.com/quarrylabs/quarry/internal/storetest"
)

var alice = jobtest.Alice

// receiver is a webhook receiver that records every event it took. Its
// answer is switchable: 204, a 500, or (hang) no answer until released.
type receiver struct {
	srv *httptest.Server

	mu       sync.Mutex
	status   int
	hang     chan struct{}
	records  []notify.Record
	attempts int
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{status: http.StatusNoContent}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.attempts++
		status, hang := r.status, r.hang
		r.mu.Unlock()
		if hang != nil {
			select {
			case <-hang:
			case <-req.Context().Done():
				return
			}
		}
		if status/100 == 2 {
			var env notify.Envelope
			if err := json.Unmarshal(body, &env); err != nil || len(env.Records) != 1 {
				w.WriteHeader(http.StatusBadRequest)
				return
			}
			r.mu.Lock()
			r.records = append(r.records, env.Records[0])
			r.mu.Unlock()
		}
		w.WriteHeader(status)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) answer(status int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.status = status
}

func (r *receiver) got() []notify.Record {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]notify.Record(nil), r.records...)
}

func (r *receiver) waitFor(t *testing.T, n int) []notify.Record {
	t.Helper()
	deadline := time.Now().Add(jobtest.WaitLimit)
	for len(r.got()) < n {
		if time.Now().After(deadline) {
			t.Fatalf("the receiver got %d events, want %d", len(r.got()), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
	return r.got()
}

// harness is the job test harness with a notify service on its stores and
// an object service that plans events.
type harness struct {
	*jobtest.Harness
	svc   *notify.Service
	recv  *receiver
	drain *outbox.Drainer
	arn   string
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func newHarness(t *testing.T) *harness {
	h := &harness{Harness: jobtest.New(t), recv: newReceiver(t)}
	h.svc = notify.NewService(notify.ServiceConfig{Meta: h.Meta, Sealer: storetest.Sealer(t),
		Types: map[string]notify.TargetType{"webhook": webhook.Type{Timeout: 2 * time.Second}}, Logger: quiet()})
	h.Objects = object.New(object.Config{Meta: h.Meta, Blobs: h.Blobs, Events: h.svc, Logger: quiet(),
		Notify: func() {
			if h.drain != nil {
				h.drain.Notify()
			}
		}})
	h.Bucket(alice, "photos")
	tg, err := h.svc.CreateTarget(h.Ctx, alice, notify.TargetInput{Name: "hook", Endpoint: h.recv.srv.URL + "/events"})
	if err != nil {
		t.Fatal(err)
	}
	h.arn = tg.ARN
	return h
}

// configure sets the bucket's triggers, all to the harness's target.
func (h *harness) configure(queues ...notify.Queue) {
	h.T.Helper()
	for i := range queues {
		queues[i].TargetARN = h.arn
	}
	if err := h.svc.PutBucketNotification(h.Ctx, alice, "photos", &notify.Config{Queues: queues}); err != nil {
		h.T.Fatalf("configure: %v", err)
	}
}

// startDrainer delivers live events until the test ends.
func (h *harness) startDrainer(maxAttempts int) (stop func()) {
	h.drain = outbox.New(outbox.Config{
		Meta: h.Meta, Deliveries: map[string]outbox.Delivery{notify.OutboxKind: h.svc.Delivery()},
		Poll: 10 * time.Millisecond, BackoffBase: 10 * time.Millisecond, BackoffMax: 20 * time.Millisecond,
		MaxAttempts: maxAttempts, InstanceID: "drainer", Logger: quiet(),
	})
	ctx, cancel := context.WithCancel(h.Ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = h.drain.Run(ctx)
	}()
	var once sync.Once
	stop = func() { once.Do(func() { cancel(); <-done }) }
	h.T.Cleanup(stop)
	return stop
}

// events counts the bucket's notification entries by state.
func (h *harness) events() map[meta.OutboxState]int {
	h.T.Helper()
	out := map[meta.OutboxState]int{}
	err := h.Meta.View(h.Ctx, func(tx meta.Tx) error {
		all, err := tx.ListOutbox(meta.OutboxFilter{Kind: notify.OutboxKind, Bucket: "photos"})
		for _, e := range all {
			out[e.State]++
		}
		return err
	})
	if err != nil {
		h.T.Fatal(err)
	}
	return out
}

func (h *harness) waitEvents(state meta.OutboxState, n int) {
	h.T.Helper()
	deadline := time.Now().Add(jobtest.WaitLimit)
	for h.events()[state] != n {
		if time.Now().After(deadline) {
			h.T.Fatalf("events by state %v, want %d %s", h.events(), n, state)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// engine runs TRIGGER_RECONCILIATION jobs until the test ends.
func (h *harness) engine(cfg notify.ReconConfig, tweak func(*job.Config)) *job.Engine {
	cfg.Service = h.svc
	if cfg.Backoff == 0 {
		cfg.Backoff = 5 * time.Millisecond
	}
	e := h.Engine(tweak, notify.NewReconciliation(cfg))
	h.Start(e)
	return e
}

// reconcile runs a job to its end and returns it, its counters checked.
func (h *harness) reconcile(e *job.Engine, params map[string]string) *meta.Job {
	h.T.Helper()
	j := h.Create(e, alice, job.TypeTriggerReconciliation, "photos", params)
	return h.Finished(j.ID)
}

func created() []string { return []string{"s3:ObjectCreated:*"} }

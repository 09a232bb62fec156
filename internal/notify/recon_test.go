package notify_test

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/quarrylabs/quarry/internal/job"
	"github.com/quarrylabs/quarry/internal/job/jobtest"
	"github.com/quarrylabs/quarry/internal/meta"
	"github.com/quarrylabs/quarry/internal/notify"
)

func keysOf(records []notify.Record) []string {
	var keys []string
	for _, r := range records {
		keys = append(keys, r.S3.Object.Key)
	}
	sort.Strings(keys)
	return keys
}

func idsOf(records []notify.Record) map[string]string {
	ids := map[string]string{}
	for _, r := range records {
		ids[r.EventID] = r.S3.Object.Key
	}
	return ids
}

func wantStats(t *testing.T, j *meta.Job, total, processed, failed, skipped int64) {
	t.Helper()
	s := j.Stats
	if j.State != meta.JobComplete || s.Total != total || s.Processed != processed || s.Failed != failed || s.Skipped != skipped {
		t.Fatalf("job %s (%q) total %d processed %d failed %d skipped %d; want COMPLETE %d %d %d %d",
			j.State, j.Message, s.Total, s.Processed, s.Failed, s.Skipped, total, processed, failed, skipped)
	}
}

func TestLiveEventsReachTheWebhookWithTheMessageStructure(t *testing.T) {
	h := newHarness(t)
	h.configure(notify.Queue{ID: "jpg", Events: created(), Prefix: "img/", Suffix: ".jpg"})
	h.startDrainer(3)
	v := h.Put("photos", "img/a cat.jpg", "meow")
	h.Put("photos", "img/a.png", "not reported")
	h.Put("photos", "doc/a.jpg", "not reported")
	got := h.recv.waitFor(t, 1)
	r := got[0]
	if r.EventVersion != "2.1" || r.EventName != "ObjectCreated:Put" || r.S3.ConfigurationID != "jpg" ||
		r.S3.Bucket.Name != "photos" || r.S3.Object.Key != "img/a+cat.jpg" || r.S3.Object.ETag != v.ETag ||
		r.S3.Object.Size == nil || *r.S3.Object.Size != 4 || r.EventID == "" || len(r.S3.Object.Sequencer) != 16 ||
		r.UserIdentity.PrincipalID != "quarry" || r.S3.Bucket.OwnerIdentity.PrincipalID == "" {
		t.Errorf("record = %+v", r)
	}
	if _, err := time.Parse("2006-01-02T15:04:05.000Z", r.EventTime); err != nil {
		t.Errorf("eventTime %q: %v", r.EventTime, err)
	}
	h.waitEvents(meta.OutboxDone, 1)
	time.Sleep(50 * time.Millisecond)
	if n := len(h.recv.got()); n != 1 {
		t.Errorf("the receiver got %d events, want the one the filters let through", n)
	}
}

func TestAKeysEventsArriveInOrderWithGrowingSequencers(t *testing.T) {
	h := newHarness(t)
	h.configure(notify.Queue{ID: "all", Events: []string{"s3:ObjectCreated:*", "s3:ObjectRemoved:*"}})
	h.startDrainer(3)
	for i := range 10 {
		h.Put("photos", "k", fmt.Sprint(i))
	}
	if _, err := h.Objects.DeleteObject(h.Ctx, alice, "photos", "k", ""); err != nil {
		t.Fatal(err)
	}
	got := h.recv.waitFor(t, 11)
	for i := 1; i < len(got); i++ {
		if got[i].S3.Object.Sequencer <= got[i-1].S3.Object.Sequencer {
			t.Fatalf("event %d's sequencer %s does not follow %s", i, got[i].S3.Object.Sequencer, got[i-1].S3.Object.Sequencer)
		}
	}
	if last := got[10]; last.EventName != "ObjectRemoved:Delete" {
		t.Errorf("last event %s, want the delete", last.EventName)
	}
}

func TestMissingDeliversExactlyTheEventsThatWereNotDelivered(t *testing.T) {
	h := newHarness(t)
	h.configure(notify.Queue{ID: "all", Events: created()})
	h.recv.answer(http.StatusInternalServerError)
	stop := h.startDrainer(2)
	for i := range 5 {
		h.Put("photos", fmt.Sprintf("k%d", i), "x")
	}
	h.waitEvents(meta.OutboxFailed, 5)
	stop()
	h.recv.answer(http.StatusNoContent)
	h.Put("photos", "delivered-before", "x") // pending, but no drainer runs: MISSING delivers it too
	e := h.engine(notify.ReconConfig{PageSize: 2}, nil)

	dry := h.reconcile(e, map[string]string{"dryRun": "true"})
	wantStats(t, dry, 6, 6, 0, 0)
	if n := len(h.recv.got()); n != 0 {
		t.Fatalf("a dry run sent %d events", n)
	}

	j := h.reconcile(e, nil)
	wantStats(t, j, 6, 6, 0, 0)
	got := h.recv.got()
	if want := []string{"delivered-before", "k0", "k1", "k2", "k3", "k4"}; !slices.Equal(keysOf(got), want) {
		t.Errorf("delivered %v, want exactly %v", keysOf(got), want)
	}
	if ev := h.events(); ev[meta.OutboxDone] != 6 || len(ev) != 1 {
		t.Errorf("events by state %v, want 6 DONE", ev)
	}
	again := h.reconcile(e, nil)
	wantStats(t, again, 0, 0, 0, 0)
	if !strings.Contains(again.Message, "nothing to deliver") {
		t.Errorf("message %q does not say why it found nothing", again.Message)
	}
}

func TestAReDeliveredEventKeepsItsID(t *testing.T) {
	h := newHarness(t)
	h.configure(notify.Queue{ID: "all", Events: created()})
	h.Put("photos", "k", "x")
	e := h.engine(notify.ReconConfig{}, nil)
	first := h.reconcile(e, nil)
	wantStats(t, first, 1, 1, 0, 0)
	// The event was delivered; were it sent again (a lost answer, a
	// retry), it would carry the same id: a FAILED entry re-delivered by
	// MISSING is the same event.
	h.recv.answer(http.StatusInternalServerError)
	h.Put("photos", "k2", "y")
	failed := h.reconcile(e, nil)
	wantStats(t, failed, 1, 0, 1, 0)
	h.recv.answer(http.StatusNoContent)
	ok := h.reconcile(e, nil)
	wantStats(t, ok, 1, 1, 0, 0)
	h.recv.mu.Lock()
	attempts := h.recv.attempts
	h.recv.mu.Unlock()
	if attempts < 3 {
		t.Fatalf("receiver saw %d attempts", attempts)
	}
	ids := idsOf(h.recv.got())
	if len(ids) != 2 {
		t.Errorf("delivered ids %v, want two distinct events", ids)
	}
}

func TestAllBackFillsEveryMatchingObjectAsReconciled(t *testing.T) {
	h := newHarness(t)
	for i := range 7 {
		h.Put("photos", fmt.Sprintf("img/%d.jpg", i), "x")
	}
	h.Put("photos", "img/skip.png", "x")
	h.Put("photos", "doc/skip.jpg", "x")
	if _, err := h.Objects.DeleteObject(h.Ctx, alice, "photos", "img/0.jpg", ""); err != nil {
		t.Fatal(err)
	}
	h.configure(
		notify.Queue{ID: "jpg", Events: []string{"s3:ObjectCreated:Put"}, Prefix: "img/", Suffix: ".jpg"},
		notify.Queue{ID: "removals", Events: []string{"s3:ObjectRemoved:*"}},
	)
	e := h.engine(notify.ReconConfig{PageSize: 3}, nil)

	dry := h.reconcile(e, map[string]string{"mode": "ALL", "dryRun": "true"})
	wantStats(t, dry, 6, 6, 0, 0)
	if n := len(h.recv.got()); n != 0 {
		t.Fatalf("a dry run sent %d events", n)
	}

	j := h.reconcile(e, map[string]string{"mode": "ALL"})
	wantStats(t, j, 6, 6, 0, 0)
	got := h.recv.got()
	want := []string{"img/1.jpg", "img/2.jpg", "img/3.jpg", "img/4.jpg", "img/5.jpg", "img/6.jpg"}
	if !slices.Equal(keysOf(got), want) {
		t.Errorf("back-filled %v, want %v", keysOf(got), want)
	}
	for _, r := range got {
		if r.EventName != "ObjectCreated:Reconciled" || r.S3.ConfigurationID != "jpg" {
			t.Errorf("record %s %s from %s, want ObjectCreated:Reconciled from jpg", r.S3.Object.Key, r.EventName, r.S3.ConfigurationID)
		}
	}
	prefixed := h.reconcile(e, map[string]string{"mode": "ALL", "prefix": "img/5"})
	wantStats(t, prefixed, 1, 1, 0, 0)
}

func TestAnAllJobWithNothingToSendSaysWhy(t *testing.T) {
	h := newHarness(t)
	e := h.engine(notify.ReconConfig{}, nil)
	none := h.reconcile(e, map[string]string{"mode": "ALL"})
	wantStats(t, none, 0, 0, 0, 0)
	if !strings.Contains(none.Message, "no notification configuration") {
		t.Errorf("message %q", none.Message)
	}
	h.configure(notify.Queue{ID: "removals", Events: []string{"s3:ObjectRemoved:*"}})
	h.Put("photos", "k", "x")
	unmatched := h.reconcile(e, map[string]string{"mode": "ALL"})
	wantStats(t, unmatched, 0, 0, 0, 0)
	if !strings.Contains(unmatched.Message, "none of the 1 current object(s)") {
		t.Errorf("message %q", unmatched.Message)
	}
}

func TestEventsAJobCannotDeliverAreFailuresKeptForALaterRun(t *testing.T) {
	h := newHarness(t)
	for i := range 4 {
		h.Put("photos", fmt.Sprintf("k%d", i), "x")
	}
	h.configure(notify.Queue{ID: "all", Events: created()})
	h.recv.answer(http.StatusInternalServerError)
	e := h.engine(notify.ReconConfig{Attempts: 2}, nil)
	j := h.reconcile(e, map[string]string{"mode": "ALL"})
	wantStats(t, j, 4, 0, 4, 0)
	failures, _, err := e.Failures(h.Ctx, alice, j.ID, 100, "")
	if err != nil || len(failures) != 4 || !strings.Contains(failures[0].Reason, "HTTP 500") {
		t.Fatalf("failures %+v (%v), want 4 naming the receiver's answer", failures, err)
	}
	if !strings.Contains(j.Message, "4 event(s) could not be delivered") {
		t.Errorf("message %q", j.Message)
	}
	if ev := h.events(); ev[meta.OutboxFailed] != 4 {
		t.Errorf("events by state %v, want 4 FAILED", ev)
	}
	h.recv.answer(http.StatusNoContent)
	missing := h.reconcile(e, nil)
	wantStats(t, missing, 4, 4, 0, 0)
	got := h.recv.got()
	if len(got) != 4 || got[0].EventName != "ObjectCreated:Reconciled" {
		t.Errorf("MISSING sent %+v, want the 4 reconciled events", got)
	}
}

func TestAResumedAllJobSendsTheSameEventsNotNewOnes(t *testing.T) {
	h := newHarness(t)
	const objects = 12
	for i := range objects {
		h.Put("photos", fmt.Sprintf("k%02d", i), "x")
	}
	h.configure(notify.Queue{ID: "all", Events: created()})
	// The first engine dies (no lease released) while its second page is
	// out: the receiver holds every delivery until then.
	noRelease := false
	a := h.Engine(func(c *job.Config) { c.Lease = time.Second; c.ReleaseOnStop = &noRelease },
		notify.NewReconciliation(notify.ReconConfig{Service: h.svc, PageSize: 5, Backoff: 5 * time.Millisecond}))
	stopA := h.Start(a)
	j := h.Create(a, alice, job.TypeTriggerReconciliation, "photos", map[string]string{"mode": "ALL"})
	h.Sig.Wait(t, job.SignalCheckpoint, j.ID, 2) // examined, first page
	h.recv.mu.Lock()
	h.recv.hang = make(chan struct{})
	hang := h.recv.hang
	h.recv.mu.Unlock()
	deadline := time.Now().Add(jobtest.WaitLimit)
	for {
		h.recv.mu.Lock()
		n := h.recv.attempts
		h.recv.mu.Unlock()
		if n > 5 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the second page was never sent")
		}
		time.Sleep(5 * time.Millisecond)
	}
	stopA()
	h.recv.mu.Lock()
	h.recv.hang = nil
	h.recv.mu.Unlock()
	close(hang)

	b := h.engine(notify.ReconConfig{PageSize: 5}, func(c *job.Config) { c.Lease = time.Second })
	_ = b
	done := h.Finished(j.ID)
	wantStats(t, done, objects, done.Stats.Processed, 0, done.Stats.Skipped)
	byKey := map[string]map[string]bool{}
	sequencers := map[string]map[string]bool{}
	for _, r := range h.recv.got() {
		k := r.S3.Object.Key
		if byKey[k] == nil {
			byKey[k], sequencers[k] = map[string]bool{}, map[string]bool{}
		}
		byKey[k][r.EventID] = true
		sequencers[k][r.S3.Object.Sequencer] = true
	}
	for k, seqs := range sequencers {
		if len(seqs) != 1 {
			t.Errorf("key %s was sent under %d sequencers, want one", k, len(seqs))
		}
	}
	if len(byKey) != objects {
		t.Errorf("events reached %d keys, want all %d", len(byKey), objects)
	}
	for k, ids := range byKey {
		if len(ids) != 1 {
			t.Errorf("key %s got %d different event ids, want one (re-sent under the same id)", k, len(ids))
		}
	}
}

func TestTheJobsParametersAreChecked(t *testing.T) {
	r := notify.NewReconciliation(notify.ReconConfig{})
	for _, ok := range []map[string]string{{}, {"mode": "MISSING"}, {"mode": "ALL"}} {
		if err := r.Validate(ok); err != nil {
			t.Errorf("Validate(%v) = %v", ok, err)
		}
	}
	for _, bad := range []map[string]string{{"mode": "all"}, {"mode": "NEW"}, {"replicationFilter": "ALL"}} {
		if err := r.Validate(bad); !errors.Is(err, job.ErrInvalidParams) {
			t.Errorf("Validate(%v) = %v, want ErrInvalidParams", bad, err)
		}
	}
}

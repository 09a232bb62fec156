package job_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/quarrylabs/quarry/internal/events"
	"github.com/quarrylabs/quarry/internal/job"
	"github.com/quarrylabs/quarry/internal/meta"
)

// jobEvents lists the events about job id, oldest first.
func jobEvents(h *harness, id int32) []meta.Event {
	h.T.Helper()
	var all []meta.Event
	err := h.Meta.View(h.Ctx, func(tx meta.Tx) error {
		var err error
		all, err = tx.ListEvents(meta.EventFilter{})
		return err
	})
	if err != nil {
		h.T.Fatal(err)
	}
	var out []meta.Event
	for i := len(all) - 1; i >= 0; i-- {
		if all[i].Subject == fmt.Sprintf("job/%d", id) {
			out = append(out, all[i])
		}
	}
	return out
}

// ev is an expected event: its type and actor name.
type ev = struct {
	t     events.Type
	actor string
}

// wantEvents checks the types, actors and owners of evs.
func wantEvents(t *testing.T, evs []meta.Event, want ...ev) {
	t.Helper()
	if len(evs) != len(want) {
		t.Fatalf("%d events %+v, want %d", len(evs), evs, len(want))
	}
	for i, w := range want {
		if evs[i].TypeID != w.t.ID || evs[i].ActorName != w.actor || evs[i].OwnerID != alice.UserID {
			t.Errorf("event %d = %+v, want %s by %q owned by alice", i, evs[i], w.t.Name, w.actor)
		}
	}
}

func TestAJobsCreationAndEndAreRecordedWithIt(t *testing.T) {
	h := newHarness(t)
	h.Bucket(alice, "photos")
	h.Put("photos", "a", "data")
	e := h.Engine(nil, scanning(job.TypeMetricReconciliation))
	h.Start(e)
	j := h.Finished(h.Create(e, alice, job.TypeMetricReconciliation, "photos", nil).ID)
	evs := jobEvents(h, j.ID)
	wantEvents(t, evs, ev{events.JobCreated, "alice"}, ev{events.JobCompleted, ""})
	if !strings.Contains(evs[0].Message, "created by alice") || !strings.Contains(evs[1].Message, "processed 1") {
		t.Errorf("messages %q, %q", evs[0].Message, evs[1].Message)
	}
}

func TestAFailedJobIsRecordedWithWhy(t *testing.T) {
	h := newHarness(t)
	h.Bucket(alice, "photos")
	failing := funcRunner{typ: job.TypeTriggerReconciliation, fn: func(context.Context, *job.Run) error {
		return errors.New("destination unreachable")
	}}
	e := h.Engine(nil, failing)
	h.Start(e)
	j := h.Finished(h.Create(e, alice, job.TypeTriggerReconciliation, "photos", nil).ID)
	evs := jobEvents(h, j.ID)
	wantEvents(t, evs, ev{events.JobCreated, "alice"}, ev{events.JobFailed, ""})
	if evs[1].Severity != events.Warning || !strings.Contains(evs[1].Message, "destination unreachable") {
		t.Errorf("failure event %+v", evs[1])
	}
}

func TestACancelIsRecordedWithWhoCancelledOnce(t *testing.T) {
	t.Run("a running job: the request by its canceller, then its end", func(t *testing.T) {
		h := newHarness(t)
		h.Bucket(alice, "photos")
		e := h.Engine(nil, stalling(job.TypeTriggerReconciliation, 1))
		h.Start(e)
		j := h.Create(e, alice, job.TypeTriggerReconciliation, "photos", nil)
		h.Sig.Wait(t, job.SignalCheckpoint, j.ID, 1)
		if _, err := e.Cancel(h.Ctx, admin, j.ID); err != nil {
			t.Fatal(err)
		}
		h.Sig.Wait(t, job.SignalFinished, j.ID, 1)
		if _, err := e.Cancel(h.Ctx, admin, j.ID); err != nil {
			t.Fatal(err)
		}
		wantEvents(t, jobEvents(h, j.ID), ev{events.JobCreated, "alice"}, ev{events.JobCancelRequested, "root"},
			ev{events.JobCancelled, ""})
	})
	t.Run("a job no engine holds: ended at once by its canceller", func(t *testing.T) {
		h := newHarness(t)
		h.Bucket(alice, "photos")
		e := h.Engine(nil, stalling(job.TypeTriggerReconciliation, 1)) // not started
		j := h.Create(e, alice, job.TypeTriggerReconciliation, "photos", nil)
		if _, err := e.Cancel(h.Ctx, alice, j.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := e.Cancel(h.Ctx, alice, j.ID); err != nil {
			t.Fatal(err)
		}
		evs := jobEvents(h, j.ID)
		wantEvents(t, evs, ev{events.JobCreated, "alice"}, ev{events.JobCancelled, "alice"})
		if !strings.Contains(evs[1].Message, "cancelled by alice") {
			t.Errorf("message %q does not say who cancelled", evs[1].Message)
		}
	})
}

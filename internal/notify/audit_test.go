package notify_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/quarrylabs/quarry/internal/events"
	"github.com/quarrylabs/quarry/internal/grant"
	"github.com/quarrylabs/quarry/internal/job/jobtest"
	"github.com/quarrylabs/quarry/internal/meta"
	"github.com/quarrylabs/quarry/internal/notify"
)

// addUsers stores the principals the tests act as, with their ids.
func (h *harness) addUsers() {
	h.T.Helper()
	err := h.Meta.Update(h.Ctx, func(tx meta.Tx) error {
		for _, p := range []struct {
			id   int64
			name string
			role meta.Role
		}{{jobtest.Alice.UserID, "alice", meta.RoleUser}, {jobtest.Bob.UserID, "bob", meta.RoleUser}, {jobtest.Admin.UserID, "root", meta.RoleAdmin}} {
			u := &meta.User{Username: p.name, Role: p.role}
			if err := tx.CreateUser(u); err != nil {
				return err
			}
			if u.ID != p.id {
				h.T.Fatalf("user %s has id %d, want %d", p.name, u.ID, p.id)
			}
		}
		return nil
	})
	if err != nil {
		h.T.Fatal(err)
	}
}

// eventLog lists the events recorded so far, in the order they were.
func (h *harness) eventLog() []meta.Event {
	h.T.Helper()
	var es []meta.Event
	err := h.Meta.View(h.Ctx, func(tx meta.Tx) error {
		var err error
		es, err = tx.ListEvents(meta.EventFilter{})
		return err
	})
	if err != nil {
		h.T.Fatal(err)
	}
	slices.SortFunc(es, func(a, b meta.Event) int { return int(a.ID - b.ID) })
	return es
}

func TestTargetsAndBucketConfigurationsAreRecordedWhenTheyChange(t *testing.T) {
	h := newHarness(t)
	h.addUsers()
	seen := len(h.eventLog()) // the harness's bucket and target
	tg, err := h.svc.CreateTarget(h.Ctx, alice, notify.TargetInput{Name: "audited",
		Endpoint: h.recv.srv.URL + "/hooks/path-token", Secret: "Bearer secret-hook"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.svc.UpdateTargetAccess(h.Ctx, jobtest.Admin, tg.ARN, grant.Grants{Users: []grant.UserRef{{Username: "bob"}}}); err != nil {
		t.Fatal(err)
	}
	cfg := &notify.Config{Queues: []notify.Queue{{ID: "all", TargetARN: tg.ARN, Events: created()}}}
	if err := h.svc.PutBucketNotification(h.Ctx, alice, "photos", cfg); err != nil {
		t.Fatal(err)
	}
	// Refused changes, and a removal of nothing, record nothing.
	if err := h.svc.DeleteTarget(h.Ctx, alice, tg.ARN); err == nil {
		t.Fatal("a target in use was deleted")
	}
	if err := h.svc.PutBucketNotification(h.Ctx, jobtest.Bob, "photos", &notify.Config{}); err == nil {
		t.Fatal("bob changed alice's bucket")
	}
	for range 2 {
		if err := h.svc.PutBucketNotification(h.Ctx, alice, "photos", &notify.Config{}); err != nil {
			t.Fatal(err)
		}
	}
	if err := h.svc.DeleteTarget(h.Ctx, alice, tg.ARN); err != nil {
		t.Fatal(err)
	}

	wants := []struct {
		ty      events.Type
		subject string
		actor   string
		says    string
	}{
		{events.NotificationTargetCreated, "notification_target/" + tg.ARN, "alice", "audited (" + tg.ARN + ", webhook to " + h.recv.srv.URL + ") added, usable by its owner and admins only"},
		{events.NotificationTargetAccessChanged, "notification_target/" + tg.ARN, "root", "made usable by its owner, admins and bob"},
		{events.BucketNotificationSet, "bucket/photos", "alice", "1 trigger(s) to " + tg.ARN},
		{events.BucketNotificationDeleted, "bucket/photos", "alice", "notification configuration removed"},
		{events.NotificationTargetDeleted, "notification_target/" + tg.ARN, "alice", "deleted by alice"},
	}
	es := h.eventLog()[seen:]
	if len(es) != len(wants) {
		t.Fatalf("%d events %+v, want %d", len(es), es, len(wants))
	}
	for i, w := range wants {
		e := es[i]
		if e.TypeID != w.ty.ID || e.Subject != w.subject || e.ActorName != w.actor || e.OwnerID != alice.UserID || !strings.Contains(e.Message, w.says) {
			t.Errorf("event %d = %+v, want %s on %s by %s owned by alice saying %q", i, e, w.ty.Name, w.subject, w.actor, w.says)
		}
		if strings.Contains(e.Message, "secret-hook") || strings.Contains(e.Message, "path-token") {
			t.Errorf("event %d holds the target's secret or its path: %q", i, e.Message)
		}
	}
}

package replication

import (
	"slices"
	"strings"
	"testing"

	"github.com/quarrylabs/quarry/internal/events"
	"github.com/quarrylabs/quarry/internal/meta"
)

// eventsOf lists the events recorded so far in the order they were (by
// id: the harness's services keep different clocks).
func (h *ctlHarness) eventsOf() []meta.Event {
	h.t.Helper()
	var es []meta.Event
	err := h.meta.View(h.ctx, func(tx meta.Tx) error {
		var err error
		es, err = tx.ListEvents(meta.EventFilter{})
		return err
	})
	if err != nil {
		h.t.Fatal(err)
	}
	slices.SortFunc(es, func(a, b meta.Event) int { return int(a.ID - b.ID) })
	return es
}

func TestTargetsAndBucketConfigurationsAreRecordedWhenTheyChange(t *testing.T) {
	h := newCtlHarness(t)
	h.bucket("src", meta.VersioningEnabled)
	tg := h.targetOf(ctlAlice, "dr", "http://dr.example:9000", Grants{})
	if _, err := h.svc.UpdateTargetAccess(h.ctx, ctlAdmin, tg.ARN, Grants{Users: []UserRef{{Username: "bob"}}}); err != nil {
		t.Fatal(err)
	}
	cfg := &Config{Rules: []Rule{{ID: "r", Enabled: true, DestinationARN: tg.ARN}}}
	if err := h.svc.PutBucketReplication(h.ctx, ctlAlice, "src", cfg); err != nil {
		t.Fatal(err)
	}
	// A refused change records nothing.
	if err := h.svc.DeleteTarget(h.ctx, ctlAlice, tg.ARN); err == nil {
		t.Fatal("a target in use was deleted")
	}
	if err := h.svc.DeleteBucketReplication(h.ctx, ctlAlice, "src"); err != nil {
		t.Fatal(err)
	}
	if err := h.svc.DeleteBucketReplication(h.ctx, ctlAlice, "src"); err != nil {
		t.Fatal(err)
	}
	if err := h.svc.DeleteTarget(h.ctx, ctlAlice, tg.ARN); err != nil {
		t.Fatal(err)
	}
	type want struct {
		ty    events.Type
		actor string
		says  string
	}
	wants := []want{
		{events.BucketCreated, "alice", "src"},
		{events.BucketVersioningChanged, "alice", "Enabled"},
		{events.TargetCreated, "alice", "owner and admins only"},
		{events.TargetAccessChanged, "root", "bob"},
		{events.BucketReplicationSet, "alice", tg.ARN},
		{events.BucketReplicationDeleted, "alice", "removed"},
		{events.TargetDeleted, "alice", "deleted"},
	}
	es := h.eventsOf()
	if len(es) != len(wants) {
		t.Fatalf("%d events %+v, want %d", len(es), es, len(wants))
	}
	for i, w := range wants {
		e := es[i]
		if e.TypeID != w.ty.ID || e.ActorName != w.actor || e.OwnerID != ctlAlice.UserID || !strings.Contains(e.Message, w.says) {
			t.Errorf("event %d = %+v, want %s by %s owned by alice saying %q", i, e, w.ty.Name, w.actor, w.says)
		}
		if strings.Contains(e.Message, "secret-dr") {
			t.Errorf("event %d holds the target's secret: %q", i, e.Message)
		}
	}
}

package object

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/quarrylabs/quarry/internal/meta"
)

// fakeEvents records the events it is asked to plan and plans one outbox
// entry for each.
type fakeEvents struct {
	mu     sync.Mutex
	events []Event
}

func (f *fakeEvents) PlanEvent(b *meta.Bucket, ev Event) []meta.OutboxEntry {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.events = append(f.events, ev)
	return []meta.OutboxEntry{{Kind: "notification", Destination: "arn:hook", Bucket: b.Name, Key: ev.Key,
		VersionID: ev.VersionID, Payload: []byte(ev.Name)}}
}

// take returns the events planned since the last call, as "name key
// version size etag".
func (f *fakeEvents) take() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, ev := range f.events {
		s := fmt.Sprintf("%s %s %s", ev.Name, ev.Key, ev.VersionID)
		if ev.HasData {
			s += fmt.Sprintf(" %d %s", ev.Size, ev.ETag)
		}
		out = append(out, s)
	}
	f.events = nil
	return out
}

func newNotifyingHarness(t *testing.T, v meta.Versioning) (*harness, *fakeEvents) {
	events := &fakeEvents{}
	h := newHarness(t, func(c *Config) { c.Events = events })
	h.bucket("bkt", v)
	if err := h.meta.Update(h.ctx, func(tx meta.Tx) error { return tx.SetBucketNotification("bkt", []byte("{}"), nil) }); err != nil {
		t.Fatal(err)
	}
	return h, events
}

func wantEvents(t *testing.T, what string, got []string, want ...string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s: events\n  %q\nwant\n  %q", what, got, want)
	}
}

func TestEveryObjectChangeReportsItsEvent(t *testing.T) {
	h, ev := newNotifyingHarness(t, meta.VersioningOff)
	v := h.put("bkt", "a.txt", "hello")
	wantEvents(t, "put", ev.take(), fmt.Sprintf("ObjectCreated:Put a.txt  5 %s", v.ETag))

	form, err := h.svc.PutObject(h.ctx, alice, PutInput{Bucket: "bkt", Key: "form.txt", Body: strings.NewReader("posted"), Size: 6, Form: true})
	if err != nil {
		t.Fatal(err)
	}
	wantEvents(t, "form upload", ev.take(), fmt.Sprintf("ObjectCreated:Post form.txt  6 %s", form.ETag))

	res, err := h.svc.CopyObject(h.ctx, alice, CopyInput{SrcBucket: "bkt", SrcKey: "a.txt", Bucket: "bkt", Key: "b.txt"})
	if err != nil {
		t.Fatal(err)
	}
	wantEvents(t, "copy", ev.take(), fmt.Sprintf("ObjectCreated:Copy b.txt  5 %s", res.Version.ETag))

	id := h.upload("bkt", "big")
	p := h.uploadPart("bkt", "big", id, 1, "part")
	mv, err := h.svc.CompleteMultipartUpload(h.ctx, alice, "bkt", "big", id, []CompletePart{{Number: 1, ETag: p.ETag}})
	if err != nil {
		t.Fatal(err)
	}
	wantEvents(t, "multipart", ev.take(), fmt.Sprintf("ObjectCreated:CompleteMultipartUpload big  4 %s", mv.ETag))

	if _, err := h.svc.PutObjectTags(h.ctx, alice, "bkt", "a.txt", "", map[string]string{"k": "v"}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.svc.DeleteObjectTags(h.ctx, alice, "bkt", "a.txt", ""); err != nil {
		t.Fatal(err)
	}
	wantEvents(t, "tagging", ev.take(),
		fmt.Sprintf("ObjectTagging:Put a.txt  5 %s", v.ETag), fmt.Sprintf("ObjectTagging:Delete a.txt  5 %s", v.ETag))

	h.del("bkt", "a.txt", "")
	wantEvents(t, "delete", ev.take(), "ObjectRemoved:Delete a.txt ")
	h.del("bkt", "never-there", "")
	wantEvents(t, "delete of a missing key", ev.take())

	var n int64
	err = h.meta.View(h.ctx, func(tx meta.Tx) error {
		var err error
		n, err = tx.CountOutbox(meta.OutboxFilter{Kind: "notification", Bucket: "bkt"})
		return err
	})
	if err != nil || n != 7 {
		t.Errorf("outbox holds %d notification entries (%v), want one per event: 7", n, err)
	}
}

func TestVersionedDeletesReportMarkersAndVersionRemovals(t *testing.T) {
	h, ev := newNotifyingHarness(t, meta.VersioningEnabled)
	v := h.put("bkt", "k", "data")
	ev.take()
	res := h.del("bkt", "k", "")
	wantEvents(t, "delete without a version", ev.take(), "ObjectRemoved:DeleteMarkerCreated k "+res.VersionID)
	h.del("bkt", "k", v.VersionID)
	wantEvents(t, "delete of a version", ev.take(), "ObjectRemoved:Delete k "+v.VersionID)
	h.del("bkt", "k", "no-such-version")
	wantEvents(t, "delete of a missing version", ev.take())
}

func TestLifecycleRemovalsReportLifecycleExpiration(t *testing.T) {
	h, ev := newNotifyingHarness(t, meta.VersioningEnabled)
	old := h.put("bkt", "k", "one")
	ev.take()
	var marker DeleteResult
	err := h.meta.Update(h.ctx, func(tx meta.Tx) error {
		c, err := h.svc.Begin(tx, "bkt")
		if err != nil {
			return err
		}
		c.SetCause(CauseLifecycle)
		if marker, err = c.DeleteCurrent("k", 0); err != nil {
			return err
		}
		if _, err := c.DeleteVersion("k", old.VersionID); err != nil {
			return err
		}
		return c.Finish()
	})
	if err != nil {
		t.Fatal(err)
	}
	wantEvents(t, "expiration", ev.take(),
		"LifecycleExpiration:DeleteMarkerCreated k "+marker.VersionID, "LifecycleExpiration:Delete k "+old.VersionID)
}

func TestAnEventCarriesTheRequestsOriginAndAFailedWriteReportsNothing(t *testing.T) {
	h, ev := newNotifyingHarness(t, meta.VersioningOff)
	ctx := WithOrigin(context.Background(), Origin{RequestID: "REQ1", SourceIP: "192.0.2.7", Principal: "alice"})
	if _, err := h.svc.PutObject(ctx, alice, PutInput{Bucket: "bkt", Key: "k", Body: stringsReader("x"), Size: 1}); err != nil {
		t.Fatal(err)
	}
	ev.mu.Lock()
	got := ev.events[0].Origin
	ev.mu.Unlock()
	if got.RequestID != "REQ1" || got.SourceIP != "192.0.2.7" || got.Principal != "alice" {
		t.Errorf("origin = %+v", got)
	}
	ev.take()
	_, err := h.svc.PutObject(h.ctx, alice, PutInput{Bucket: "bkt", Key: "k", Body: stringsReader("y"), Size: 1,
		Cond: Conditions{IfMatch: `"nope"`}})
	wantErr(t, err, ErrPreconditionFailed)
	wantEvents(t, "refused write", ev.take())
}

func TestABucketWithoutNotificationsAsksThePlannerNothing(t *testing.T) {
	events := &fakeEvents{}
	h := newHarness(t, func(c *Config) { c.Events = events })
	h.bucket("quiet", meta.VersioningOff)
	h.put("quiet", "k", "x")
	h.del("quiet", "k", "")
	wantEvents(t, "quiet bucket", events.take())
}

package lifecycle_test

import (
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/quarrylabs/quarry/internal/job"
	"github.com/quarrylabs/quarry/internal/lifecycle"
	"github.com/quarrylabs/quarry/internal/meta"
	"github.com/quarrylabs/quarry/internal/object"
)

// plannedEvents is an object.EventPlanner that notes each event it is asked
// to plan ("eventName key") and plans no delivery.
type plannedEvents struct {
	mu    sync.Mutex
	names []string
}

func (p *plannedEvents) PlanEvent(_ *meta.Bucket, ev object.Event) []meta.OutboxEntry {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.names = append(p.names, string(ev.Name)+" "+ev.Key)
	return nil
}

func (p *plannedEvents) take() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := p.names
	p.names = nil
	slices.Sort(out)
	return out
}

// withEvents makes e's engine change objects through an object service
// that reports events to a planner, on a bucket that notifies.
func withEvents(t *testing.T, e *env) *plannedEvents {
	t.Helper()
	planner := &plannedEvents{}
	objects := object.New(object.Config{Meta: e.Meta, Blobs: e.Blobs, Events: planner})
	e.engine = e.Engine(func(c *job.Config) {
		c.Now = func() time.Time { return time.Now().Add(later) }
		c.Objects = objects
	}, &lifecycle.UpdateRunner{Batch: 7})
	err := e.Meta.Update(e.Ctx, func(tx meta.Tx) error {
		return tx.SetBucketNotification(e.bucket, []byte(`{"queues":[]}`), nil)
	})
	if err != nil {
		t.Fatal(err)
	}
	return planner
}

func TestExpirationsReportLifecycleExpirationEventsNotClientDeletes(t *testing.T) {
	tests := []struct {
		name       string
		versioning meta.Versioning
		want       []string
	}{
		{"an unversioned bucket removes the object", meta.VersioningOff,
			[]string{"LifecycleExpiration:Delete old/a"}},
		{"a versioned bucket adds a delete marker and removes the noncurrent version", meta.VersioningEnabled,
			[]string{"LifecycleExpiration:Delete old/a", "LifecycleExpiration:DeleteMarkerCreated old/a"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, tt.versioning, nil, nil)
			e.put("old/a", "first", nil)
			if tt.versioning == meta.VersioningEnabled {
				e.put("old/a", "second", nil)
			}
			e.put("new/b", "kept", nil)
			e.configure(lifecycle.Rule{ID: "old", Enabled: true, Filter: lifecycle.Filter{Prefix: "old/"},
				Expiration: days(1), NoncurrentExpiration: &lifecycle.NoncurrentExpiration{NoncurrentDays: 1}})
			planner := withEvents(t, e)
			e.run(nil)
			if got := planner.take(); !slices.Equal(got, tt.want) {
				t.Errorf("events %q, want %q", got, tt.want)
			}
		})
	}
}

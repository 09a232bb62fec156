package replication_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/quarrylabs/quarry/internal/auth"
	"github.com/quarrylabs/quarry/internal/meta"
	"github.com/quarrylabs/quarry/internal/object"
	"github.com/quarrylabs/quarry/internal/outbox"
	"github.com/quarrylabs/quarry/internal/replication"
)

// createPrincipals makes the principals users of store with the same ids
// (in the order given, on an empty store), since whether a bucket's owner
// may use a target depends on its role.
func createPrincipals(t *testing.T, store meta.Store, ps ...auth.Principal) {
	t.Helper()
	err := store.Update(t.Context(), func(tx meta.Tx) error {
		for _, p := range ps {
			u := &meta.User{Username: p.Username, PasswordHash: "unused", Role: p.Role, CreatedAt: time.Unix(1, 0)}
			if err := tx.CreateUser(u); err != nil {
				return err
			}
			if u.ID != p.UserID {
				return fmt.Errorf("user %s has id %d, want %d", p.Username, u.ID, p.UserID)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("create users: %v", err)
	}
}

// revoke withdraws every grant of the target arn.
func (s *replSource) revoke(arn string) {
	s.t.Helper()
	if _, err := s.service.UpdateTargetAccess(s.ctx, srcAdmin, arn, replication.Grants{}); err != nil {
		s.t.Fatalf("revoke %s: %v", arn, err)
	}
}

func wantNotPermitted(t *testing.T, what string, err error, arn string) {
	t.Helper()
	var np *replication.NotPermittedError
	if !errors.As(err, &np) || !errors.Is(err, replication.ErrTargetNotPermitted) {
		t.Fatalf("%s: error %v, want a NotPermittedError", what, err)
	}
	want := fmt.Sprintf("bucket owner %s may not use target %s", srcOwner.Username, arn)
	if err.Error() != want {
		t.Fatalf("%s: reason %q, want %q", what, err, want)
	}
}

func TestACopyToATargetWhoseGrantWasWithdrawnSendsNothing(t *testing.T) {
	rq := startRemoteQuarry(t)
	s := newReplSource(t)
	arn := s.target("dr", rq)
	s.configure(everything("all", arn, 1))
	first := s.put("doc", []byte("first version"), object.ObjectAttrs{})
	if _, err := s.copier.Copy(s.ctx, srcBucket, first.Key, first.VersionID, arn, replication.CopyOptions{}); err != nil {
		t.Fatalf("copy while granted: %v", err)
	}
	_, before := rq.object("doc")

	s.revoke(arn)
	second := s.put("doc", []byte("second version, never to be sent"), object.ObjectAttrs{})
	rq.served()
	_, err := s.copier.Copy(s.ctx, srcBucket, second.Key, second.VersionID, arn, replication.CopyOptions{CheckExisting: true})
	wantNotPermitted(t, "copy after the grant was withdrawn", err, arn)
	if _, err := s.objects.DeleteObject(s.ctx, srcOwner, srcBucket, "doc", ""); err != nil {
		t.Fatal(err)
	}
	err = s.copier.ReplicateDeleteMarker(s.ctx, srcBucket, "doc", arn)
	wantNotPermitted(t, "delete marker after the grant was withdrawn", err, arn)

	if got := rq.served(); len(got) != 0 {
		t.Errorf("the destination was sent %v after the grant was withdrawn", got)
	}
	if _, after := rq.object("doc"); string(after) != string(before) {
		t.Errorf("destination object = %q, want it unchanged (%q)", after, before)
	}
}

func TestACopierWithoutAnAccessCheckRefusesToCopy(t *testing.T) {
	rq := startRemoteQuarry(t)
	s := newReplSource(t)
	arn := s.target("dr", rq)
	s.configure(everything("all", arn, 1))
	v := s.put("doc", []byte("data"), object.ObjectAttrs{})
	// A pool over a resolver that is not a TargetAccess gives the copier
	// no way to check grants.
	pool := replication.NewClientPool(resolverOnly{s.service})
	t.Cleanup(pool.Close)
	c := replication.NewCopier(replication.CopierConfig{Objects: s.objects, Clients: pool, Logger: quietLogger()})
	_, err := c.Copy(s.ctx, srcBucket, v.Key, v.VersionID, arn, replication.CopyOptions{})
	if err == nil || !strings.Contains(err.Error(), "no target access check") {
		t.Fatalf("copy without an access check: %v, want a refusal", err)
	}
	if got, _ := rq.object("doc"); got != nil {
		t.Fatal("the object was copied without an access check")
	}
}

// resolverOnly hides every method of a Service but Target.
type resolverOnly struct{ svc *replication.Service }

func (r resolverOnly) Target(ctx context.Context, arn string) (*meta.ReplicationTarget, string, error) {
	return r.svc.Target(ctx, arn)
}

func TestTheReplicatorFailsATaskAtOnceWhenTheGrantIsWithdrawn(t *testing.T) {
	rq := startRemoteQuarry(t)
	s := newReplSource(t)
	arn := s.target("dr", rq)
	s.configure(everything("all", arn, 1))
	ev := newEvents()
	r, _ := s.startReplicator(ev, func(c *outbox.Config) { c.MaxAttempts = 5 })

	s.revoke(arn)
	rq.served()
	v := s.put("doc", []byte("never to be sent"), object.ObjectAttrs{})
	s.enqueue(v, arn)
	r.Notify()
	// FAILED on the first attempt: no retry can cure a missing grant.
	ev.wait(t, outbox.SignalFailed, 1, waitLimit)
	if n := ev.count(outbox.SignalRetried); n != 0 {
		t.Errorf("the task was retried %d times, want none", n)
	}
	st := s.state(v, arn)
	if st.Status != meta.ReplicationFailed || st.Error != "bucket owner alice may not use target "+arn {
		t.Errorf("state at the target = %s %q, want FAILED saying who may not use what", st.Status, st.Error)
	}
	if got := s.summary(v); got != meta.ReplicationFailed {
		t.Errorf("version status %s, want FAILED", got)
	}
	if n := s.tasks(); n != 0 {
		t.Errorf("%d tasks left in the outbox, want 0", n)
	}
	if got := rq.served(); len(got) != 0 {
		t.Errorf("the destination was sent %v", got)
	}
	if got, _ := rq.object("doc"); got != nil {
		t.Error("the destination holds the object")
	}
}

// BATCH_REPLICATE asks once per page whether the bucket's owner may use a
// destination: a withdrawn grant fails every object of the page with the
// reason, and nothing reaches the destination.
func TestBatchReplicateToATargetWhoseGrantWasWithdrawnSendsNothing(t *testing.T) {
	env := newBatchEnv(t)
	env.seed("a", "b", "c")
	env.configure(everything("all", env.arn, 1))
	env.revoke(env.arn)
	env.rq.served()

	j, failures := env.run(nil)
	wantStats(t, j, meta.JobStats{Total: 3, Failed: 3})
	if len(failures) != 3 {
		t.Fatalf("%d failures recorded, want one per object: %v", len(failures), failures)
	}
	want := fmt.Sprintf("bucket owner %s may not use target %s", srcOwner.Username, env.arn)
	for _, f := range failures {
		if !strings.Contains(f.Reason, want) {
			t.Errorf("failure of %s: %q, want it to say %q", f.Key, f.Reason, want)
		}
	}
	if got := env.rq.served(); len(got) != 0 {
		t.Errorf("the destination was sent %v after the grant was withdrawn", got)
	}
}

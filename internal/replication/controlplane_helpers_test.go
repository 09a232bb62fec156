package replication

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/quarrylabs/quarry/internal/auth"
	"github.com/quarrylabs/quarry/internal/meta"
	"github.com/quarrylabs/quarry/internal/meta/sqlite"
	"github.com/quarrylabs/quarry/internal/object"
	"github.com/quarrylabs/quarry/internal/storetest"
)

var (
	ctlAdmin = auth.Principal{UserID: 1, Username: "root", Role: meta.RoleAdmin}
	ctlAlice = auth.Principal{UserID: 2, Username: "alice", Role: meta.RoleUser}
	ctlBob   = auth.Principal{UserID: 3, Username: "bob", Role: meta.RoleUser}
)

// ctlHarness is the control plane over real SQLite and disk stores, with
// the object service planning through it, as the server wires them.
type ctlHarness struct {
	t       *testing.T
	ctx     context.Context
	meta    *sqlite.Store
	objects *object.Service
	svc     *Service
	sealer  *auth.Sealer
	// notify, when set, is called when a commit wakes the outbox.
	notify func()
}

func newCtlHarness(t *testing.T) *ctlHarness {
	t.Helper()
	ctx := context.Background()
	store, blobs := storetest.Open(t)
	sealer := storetest.Sealer(t)
	svc := NewService(ServiceConfig{
		Meta: store, Sealer: sealer, Region: "eu-test-1",
		Now: func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) },
	})
	h := &ctlHarness{t: t, ctx: ctx, meta: store, svc: svc, sealer: sealer}
	h.objects = object.New(object.Config{Meta: store, Blobs: blobs, Replication: svc, Notify: func() {
		if h.notify != nil {
			h.notify()
		}
	}})
	// The principals are users of the store, with the same ids, since
	// whether a bucket's owner may use a target depends on its role.
	err := store.Update(ctx, func(tx meta.Tx) error {
		for _, p := range []auth.Principal{ctlAdmin, ctlAlice, ctlBob} {
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
	return h
}

// bucket creates a bucket owned by alice with the given versioning.
func (h *ctlHarness) bucket(name string, v meta.Versioning) {
	h.t.Helper()
	if err := h.objects.CreateBucket(h.ctx, ctlAlice, name); err != nil {
		h.t.Fatalf("create bucket %s: %v", name, err)
	}
	if v != meta.VersioningOff {
		if err := h.objects.SetVersioning(h.ctx, ctlAlice, name, v); err != nil {
			h.t.Fatalf("set versioning of %s: %v", name, err)
		}
	}
}

// target creates, as the admin, a target named name that points at
// endpoint and that every user may use.
func (h *ctlHarness) target(name, endpoint string) *meta.ReplicationTarget {
	h.t.Helper()
	return h.targetOf(ctlAdmin, name, endpoint, Grants{AllUsers: true})
}

// targetOf creates, as p, a target named name with grants g.
func (h *ctlHarness) targetOf(p auth.Principal, name, endpoint string, g Grants) *meta.ReplicationTarget {
	h.t.Helper()
	t, err := h.svc.CreateTarget(h.ctx, p, TargetInput{
		Name: name, Endpoint: endpoint, AccessKey: "AK" + name, SecretKey: "secret-" + name, Bucket: "remote-" + name,
		Grants: g,
	})
	if err != nil {
		h.t.Fatalf("create target %s: %v", name, err)
	}
	return &t.ReplicationTarget
}

func wantIs(t *testing.T, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("got error %v, want %v", err, want)
	}
}

package replication

import (
	"context"
	"errors"
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
	objects := object.New(object.Config{Meta: store, Blobs: blobs, Replication: svc})
	return &ctlHarness{t: t, ctx: ctx, meta: store, objects: objects, svc: svc, sealer: sealer}
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

// target creates a target named name that points at endpoint.
func (h *ctlHarness) target(name, endpoint string) *meta.ReplicationTarget {
	h.t.Helper()
	t, err := h.svc.CreateTarget(h.ctx, ctlAdmin, TargetInput{
		Name: name, Endpoint: endpoint, AccessKey: "AK" + name, SecretKey: "secret-" + name, Bucket: "remote-" + name,
	})
	if err != nil {
		h.t.Fatalf("create target %s: %v", name, err)
	}
	return t
}

func wantIs(t *testing.T, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("got error %v, want %v", err, want)
	}
}

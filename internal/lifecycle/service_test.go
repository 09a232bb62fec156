package lifecycle_test

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"github.com/quarrylabs/quarry/internal/auth"
	"github.com/quarrylabs/quarry/internal/events"
	"github.com/quarrylabs/quarry/internal/lifecycle"
	"github.com/quarrylabs/quarry/internal/meta"
	"github.com/quarrylabs/quarry/internal/object"
	"github.com/quarrylabs/quarry/internal/storetest"
)

var (
	alice = auth.Principal{UserID: 1, Username: "alice", Role: meta.RoleUser}
	bob   = auth.Principal{UserID: 2, Username: "bob", Role: meta.RoleUser}
	admin = auth.Principal{UserID: 99, Username: "root", Role: meta.RoleAdmin}
)

func newService(t *testing.T) (*lifecycle.Service, meta.Store) {
	t.Helper()
	store, _ := storetest.Open(t)
	err := store.Update(context.Background(), func(tx meta.Tx) error {
		return tx.CreateBucket(&meta.Bucket{Name: "photos", OwnerID: alice.UserID})
	})
	if err != nil {
		t.Fatal(err)
	}
	return lifecycle.NewService(store), store
}

func TestServiceStoresReadsAndRemovesAConfiguration(t *testing.T) {
	svc, store := newService(t)
	ctx := context.Background()
	if _, err := svc.Get(ctx, alice, "photos"); !errors.Is(err, lifecycle.ErrNoConfig) {
		t.Fatalf("Get before Put = %v, want ErrNoConfig", err)
	}
	in := &lifecycle.Config{Rules: []lifecycle.Rule{
		{ID: "logs", Enabled: true, Filter: lifecycle.Filter{Prefix: "logs/"}, Expiration: &lifecycle.Expiration{Days: 30}},
		{Enabled: true, AbortIncompleteUpload: &lifecycle.AbortIncompleteUpload{DaysAfterInitiation: 7}},
	}}
	before := in.Clone()
	if err := svc.Put(ctx, alice, "photos", in); err != nil {
		t.Fatalf("Put: %v", err)
	}
	if !reflect.DeepEqual(in, before) {
		t.Fatal("Put changed its argument")
	}
	got, err := svc.Get(ctx, admin, "photos")
	if err != nil {
		t.Fatalf("Get by the admin: %v", err)
	}
	if len(got.Rules) != 2 || got.Rules[0].ID != "logs" || got.Rules[1].ID == "" || got.Rules[1].ID == "logs" {
		t.Fatalf("stored rules %+v: want the given ID kept and a new one generated", got.Rules)
	}
	want := in.Clone()
	want.Rules[1].ID = got.Rules[1].ID
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Get = %+v, want %+v", got, want)
	}
	// What the service stores is the stored form the scanner decodes.
	err = store.View(ctx, func(tx meta.Tx) error {
		b, err := tx.GetBucket("photos")
		if err != nil {
			return err
		}
		decoded, err := lifecycle.DecodeConfig(b.Lifecycle)
		if err != nil {
			return err
		}
		if !reflect.DeepEqual(decoded, got) {
			t.Errorf("stored %s decodes to %+v, want %+v", b.Lifecycle, decoded, got)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	if err := svc.Delete(ctx, alice, "photos"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if _, err := svc.Get(ctx, alice, "photos"); !errors.Is(err, lifecycle.ErrNoConfig) {
		t.Fatalf("Get after Delete = %v, want ErrNoConfig", err)
	}
	if err := svc.Delete(ctx, alice, "photos"); err != nil {
		t.Fatalf("Delete of none: %v", err)
	}
}

func TestServiceGuardsBucketsAndRefusesInvalidConfigurations(t *testing.T) {
	svc, _ := newService(t)
	ctx := context.Background()
	valid := &lifecycle.Config{Rules: []lifecycle.Rule{{ID: "a", Enabled: true, Expiration: &lifecycle.Expiration{Days: 1}}}}
	if err := svc.Put(ctx, alice, "photos", valid); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		call func() error
		want error
	}{
		{"bob may not read alice's configuration", func() error { _, err := svc.Get(ctx, bob, "photos"); return err }, object.ErrAccessDenied},
		{"bob may not replace it", func() error { return svc.Put(ctx, bob, "photos", valid) }, object.ErrAccessDenied},
		{"bob may not delete it", func() error { return svc.Delete(ctx, bob, "photos") }, object.ErrAccessDenied},
		{"a missing bucket is NoSuchBucket on get", func() error { _, err := svc.Get(ctx, alice, "nope"); return err }, object.ErrNoSuchBucket},
		{"a missing bucket is NoSuchBucket on put", func() error { return svc.Put(ctx, alice, "nope", valid) }, object.ErrNoSuchBucket},
		{"a missing bucket is NoSuchBucket on delete", func() error { return svc.Delete(ctx, alice, "nope") }, object.ErrNoSuchBucket},
		{"a nil configuration is malformed", func() error { return svc.Put(ctx, alice, "photos", nil) }, lifecycle.ErrMalformed},
		{"an invalid configuration is refused", func() error {
			return svc.Put(ctx, alice, "photos", &lifecycle.Config{Rules: []lifecycle.Rule{{ID: "x", Enabled: true, Expiration: &lifecycle.Expiration{Days: -1}}}})
		}, lifecycle.ErrInvalidArgument},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.call(); !errors.Is(err, tt.want) {
				t.Fatalf("error %v, want %v", err, tt.want)
			}
		})
	}
	// The refused calls changed nothing.
	got, err := svc.Get(ctx, alice, "photos")
	if err != nil || !reflect.DeepEqual(got, valid) {
		t.Fatalf("configuration after refused calls = %+v, %v; want %+v", got, err, valid)
	}
}

func TestConfigurationChangesAreRecordedInTheEventLog(t *testing.T) {
	svc, store := newService(t)
	ctx := context.Background()
	cfg := &lifecycle.Config{Rules: []lifecycle.Rule{{ID: "x", Enabled: true, Expiration: &lifecycle.Expiration{Days: 1}}}}
	if err := svc.Put(ctx, alice, "photos", cfg); err != nil {
		t.Fatal(err)
	}
	if err := svc.Delete(ctx, admin, "photos"); err != nil {
		t.Fatal(err)
	}
	if err := svc.Delete(ctx, admin, "photos"); err != nil { // nothing left: nothing recorded
		t.Fatal(err)
	}
	var evs []meta.Event
	err := store.View(ctx, func(tx meta.Tx) error {
		var err error
		evs, err = tx.ListEvents(meta.EventFilter{})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 2 || evs[1].TypeID != events.BucketLifecycleSet.ID || evs[1].ActorName != "alice" ||
		evs[0].TypeID != events.BucketLifecycleDeleted.ID || evs[0].ActorName != "root" || evs[0].OwnerID != alice.UserID {
		t.Fatalf("events %+v, want the set by alice then the removal by root, both owned by alice", evs)
	}
}

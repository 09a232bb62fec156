package cors_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/quarrylabs/quarry/internal/auth"
	"github.com/quarrylabs/quarry/internal/cors"
	"github.com/quarrylabs/quarry/internal/events"
	"github.com/quarrylabs/quarry/internal/meta"
	"github.com/quarrylabs/quarry/internal/object"
	"github.com/quarrylabs/quarry/internal/storetest"
)

var (
	alice = auth.Principal{UserID: 1, Username: "alice", Role: meta.RoleUser}
	bob   = auth.Principal{UserID: 2, Username: "bob", Role: meta.RoleUser}
	admin = auth.Principal{UserID: 99, Username: "root", Role: meta.RoleAdmin}
)

func TestConfigurationChangesAreRecordedInTheEventLog(t *testing.T) {
	store, _ := storetest.Open(t)
	ctx := context.Background()
	err := store.Update(ctx, func(tx meta.Tx) error {
		return tx.CreateBucket(&meta.Bucket{Name: "site", OwnerID: alice.UserID})
	})
	if err != nil {
		t.Fatal(err)
	}
	svc := cors.NewService(store)
	cfg := &cors.Config{Rules: []cors.Rule{
		{AllowedMethods: []string{"GET"}, AllowedOrigins: []string{"*"}},
		{AllowedMethods: []string{"PUT"}, AllowedOrigins: []string{"https://app.example.com"}},
	}}
	if err := svc.Put(ctx, alice, "site", cfg); err != nil {
		t.Fatal(err)
	}
	if err := svc.Put(ctx, bob, "site", cfg); !errors.Is(err, object.ErrAccessDenied) {
		t.Fatalf("bob's Put = %v, want AccessDenied", err)
	}
	if err := svc.Delete(ctx, admin, "site"); err != nil {
		t.Fatal(err)
	}
	if err := svc.Delete(ctx, admin, "site"); err != nil { // nothing left: nothing recorded
		t.Fatal(err)
	}
	var evs []meta.Event
	err = store.View(ctx, func(tx meta.Tx) error {
		var err error
		evs, err = tx.ListEvents(meta.EventFilter{})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 2 ||
		evs[1].TypeID != events.BucketCORSSet.ID || evs[1].ActorName != "alice" || !strings.Contains(evs[1].Message, "2 rule(s)") ||
		evs[0].TypeID != events.BucketCORSDeleted.ID || evs[0].ActorName != "root" ||
		evs[0].OwnerID != alice.UserID || evs[0].Subject != "bucket/site" {
		t.Fatalf("events %+v, want the set by alice then the removal by root, both about alice's bucket site", evs)
	}
}

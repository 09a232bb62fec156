package auth

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/quarrylabs/quarry/internal/events"
	"github.com/quarrylabs/quarry/internal/meta"
)

func TestUsersAndKeysAreRecordedWithWhoChangedThem(t *testing.T) {
	store := newFakeStore()
	s, _ := testService(t, store)
	root := Principal{UserID: 99, Username: "root", Role: meta.RoleAdmin}
	ctx := events.WithActor(context.Background(), root.Actor())

	u, err := s.CreateUser(ctx, "alice", "password-alice", meta.RoleUser)
	if err != nil {
		t.Fatal(err)
	}
	ak, secret, err := s.CreateAccessKey(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteAccessKey(ctx, ak); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteUser(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	want := []int{events.UserCreated.ID, events.S3KeyCreated.ID, events.S3KeyRevoked.ID, events.UserDeleted.ID}
	if got := store.eventTypes(); !slices.Equal(got, want) {
		t.Fatalf("event types %v, want %v", got, want)
	}
	for _, e := range store.events {
		if e.ActorID != root.UserID || e.ActorName != "root" || e.OwnerID != u.ID || !strings.Contains(e.Message, "by root") {
			t.Errorf("event %+v: want done by root, owned by alice", e)
		}
		if strings.Contains(e.Message, secret) || strings.Contains(e.Message, "password-alice") {
			t.Errorf("event %+v holds a secret", e)
		}
	}
	if store.events[1].Subject != "s3key/"+ak {
		t.Errorf("key event subject %q", store.events[1].Subject)
	}
}

func TestARefusedChangeRecordsNoEvent(t *testing.T) {
	store := newFakeStore()
	s, _ := testService(t, store)
	ctx := context.Background()
	u := mustCreateUser(t, s, "alice", meta.RoleUser)
	if _, err := s.CreateUser(ctx, "ALICE", "password-alice", meta.RoleUser); err == nil {
		t.Fatal("a taken name was accepted")
	}
	store.failCreateKey = errInjected
	if _, _, err := s.CreateAccessKey(ctx, u.ID); err == nil {
		t.Fatal("an injected failure was not reported")
	}
	if err := s.DeleteAccessKey(ctx, "NOSUCHKEY"); err == nil {
		t.Fatal("deleting a missing key succeeded")
	}
	if got := store.eventTypes(); !slices.Equal(got, []int{events.UserCreated.ID}) {
		t.Fatalf("event types %v, want only the one user created", got)
	}
	// No actor in the context: the server itself (the first-start admin).
	if e := store.events[0]; e.ActorID != 0 || e.ActorName != "" || strings.Contains(e.Message, " by ") {
		t.Errorf("a user created without an actor: %+v", e)
	}
}

package replication

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/quarrylabs/quarry/internal/auth"
	"github.com/quarrylabs/quarry/internal/meta"
)

// bucketOf creates a versioned bucket owned by p.
func (h *ctlHarness) bucketOf(p auth.Principal, name string) {
	h.t.Helper()
	if err := h.objects.CreateBucket(h.ctx, p, name); err != nil {
		h.t.Fatalf("create bucket %s: %v", name, err)
	}
	if err := h.objects.SetVersioning(h.ctx, p, name, meta.VersioningEnabled); err != nil {
		h.t.Fatalf("set versioning of %s: %v", name, err)
	}
}

// putTo configures bucket, as p, with one rule to arn.
func (h *ctlHarness) putTo(p auth.Principal, bucket, arn string) error {
	return h.svc.PutBucketReplication(h.ctx, p, bucket, &Config{Rules: []Rule{{ID: "r", Enabled: true, DestinationARN: arn}}})
}

func users(names ...string) []UserRef {
	var refs []UserRef
	for _, n := range names {
		refs = append(refs, UserRef{Username: n})
	}
	return refs
}

func TestABucketsOwnerMayNameOnlyTargetsItMayUse(t *testing.T) {
	h := newCtlHarness(t)
	h.bucketOf(ctlAdmin, "admins")
	h.bucketOf(ctlAlice, "alices")
	h.bucketOf(ctlBob, "bobs")
	private := h.targetOf(ctlAdmin, "private", "http://a.example", Grants{})
	toBob := h.targetOf(ctlAdmin, "to-bob", "http://b.example", Grants{Users: users("bob")})
	toAll := h.targetOf(ctlAdmin, "to-all", "http://c.example", Grants{AllUsers: true})
	alicesOwn := h.targetOf(ctlAlice, "alices-own", "http://d.example", Grants{})
	tests := []struct {
		name   string
		caller auth.Principal
		bucket string
		arn    string
		ok     bool
	}{
		{"an admin's target granted to nobody is refused to a user", ctlAlice, "alices", private.ARN, false},
		{"an admin's target granted to bob is refused to alice", ctlAlice, "alices", toBob.ARN, false},
		{"an admin's target granted to bob is bob's to use", ctlBob, "bobs", toBob.ARN, true},
		{"a target granted to all users is anyone's to use", ctlAlice, "alices", toAll.ARN, true},
		{"a user's own target is its own to use", ctlAlice, "alices", alicesOwn.ARN, true},
		{"a user's own target is refused to another user", ctlBob, "bobs", alicesOwn.ARN, false},
		{"an admin may use a target granted to nobody", ctlAdmin, "admins", private.ARN, true},
		{"an admin may use a user's own target", ctlAdmin, "admins", alicesOwn.ARN, true},
		{"an admin configuring alice's bucket is bound by alice's grants", ctlAdmin, "alices", private.ARN, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_ = h.svc.DeleteBucketReplication(h.ctx, ctlAdmin, tt.bucket)
			err := h.putTo(tt.caller, tt.bucket, tt.arn)
			if tt.ok {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			wantIs(t, err, ErrTargetNotPermitted)
			if !strings.Contains(err.Error(), "may not use target "+tt.arn) {
				t.Errorf("%q does not say which target may not be used", err)
			}
			_, err = h.svc.GetBucketReplication(h.ctx, ctlAdmin, tt.bucket)
			wantIs(t, err, ErrNoConfig)
		})
	}
}

func TestAnUnknownTargetIsNotPermittedToUsersAndUnknownToAdmins(t *testing.T) {
	h := newCtlHarness(t)
	h.bucketOf(ctlAdmin, "admins")
	h.bucketOf(ctlAlice, "alices")
	private := h.targetOf(ctlAdmin, "private", "http://a.example", Grants{})
	unknown := "arn:quarry:replication:eu-test-1:000000000000:nowhere"
	missing, forbidden := h.putTo(ctlAlice, "alices", unknown), h.putTo(ctlAlice, "alices", private.ARN)
	wantIs(t, missing, ErrTargetNotPermitted)
	// The same words for both, but the ARN: nothing says which exists.
	if strings.ReplaceAll(missing.Error(), unknown, "X") != strings.ReplaceAll(forbidden.Error(), private.ARN, "X") {
		t.Errorf("a missing target (%q) and a forbidden one (%q) are told apart", missing, forbidden)
	}
	wantIs(t, h.putTo(ctlAdmin, "admins", unknown), ErrUnknownTarget)
}

func TestListShowsEachUserTheTargetsItMayUseAndGrantsOnlyToManagers(t *testing.T) {
	h := newCtlHarness(t)
	h.targetOf(ctlAdmin, "private", "http://a.example", Grants{})
	h.targetOf(ctlAdmin, "to-bob", "http://b.example", Grants{Users: users("bob")})
	h.targetOf(ctlAdmin, "to-all", "http://c.example", Grants{AllUsers: true})
	h.targetOf(ctlAlice, "alices-own", "http://d.example", Grants{})
	names := func(list []TargetInfo) string {
		var out []string
		for _, t := range list {
			out = append(out, t.Name)
		}
		return strings.Join(out, ",")
	}
	for _, tt := range []struct {
		caller auth.Principal
		want   string
	}{
		{ctlAdmin, "alices-own,private,to-all,to-bob"},
		{ctlAlice, "alices-own,to-all"},
		{ctlBob, "to-all,to-bob"},
	} {
		list, err := h.svc.ListTargets(h.ctx, tt.caller)
		if err != nil {
			t.Fatal(err)
		}
		if got := names(list); got != tt.want {
			t.Errorf("%s lists %q, want %q", tt.caller.Username, got, tt.want)
		}
		for _, info := range list {
			manager := tt.caller.Admin() || info.OwnerID == tt.caller.UserID
			if info.SecretEnc != nil {
				t.Errorf("%s sees the sealed secret of %s", tt.caller.Username, info.Name)
			}
			if info.Managed != manager {
				t.Errorf("%s: %s managed = %v, want %v", tt.caller.Username, info.Name, info.Managed, manager)
			}
			if !manager && (info.Owner != (UserRef{}) || info.Grants.AllUsers || info.AllUsers || len(info.Grants.Users)+len(info.Users) > 0) {
				t.Errorf("%s sees who may use %s: %+v", tt.caller.Username, info.Name, info)
			}
		}
	}
	list, _ := h.svc.ListTargets(h.ctx, ctlAdmin)
	for _, info := range list {
		if info.Name == "to-bob" {
			if info.Owner != (UserRef{ID: 1, Username: "root"}) || len(info.Grants.Users) != 1 || info.Grants.Users[0] != (UserRef{ID: 3, Username: "bob"}) {
				t.Errorf("the admin sees to-bob as owned by %+v granted to %+v", info.Owner, info.Grants.Users)
			}
		}
	}
}

func TestOnlyAdminsGrantATargetToOtherUsers(t *testing.T) {
	h := newCtlHarness(t)
	in := TargetInput{Name: "mine", Endpoint: "http://a.example", AccessKey: "a", SecretKey: "s", Bucket: "bkt"}
	for _, g := range []Grants{{AllUsers: true}, {Users: users("bob")}, {Users: []UserRef{{ID: ctlBob.UserID}}}, {Users: users("nobody")}} {
		in.Grants = g
		_, err := h.svc.CreateTarget(h.ctx, ctlAlice, in)
		wantIs(t, err, ErrTargetForbidden)
	}
	if list, _ := h.svc.ListTargets(h.ctx, ctlAdmin); len(list) != 0 {
		t.Fatalf("a refused create stored %v", list)
	}
	in.Grants = Grants{Users: users("alice")}
	mine, err := h.svc.CreateTarget(h.ctx, ctlAlice, in)
	if err != nil {
		t.Fatalf("alice naming herself: %v", err)
	}
	if mine.OwnerID != ctlAlice.UserID || len(mine.Grants.Users) != 0 || mine.Grants.AllUsers {
		t.Fatalf("alice's target = %+v, want hers and granted to nobody else", mine)
	}
	_, err = h.svc.UpdateTargetAccess(h.ctx, ctlAlice, mine.ARN, Grants{Users: users("bob")})
	wantIs(t, err, ErrTargetForbidden)
	// An admin may grant it: admins may do anything with any target.
	if _, err := h.svc.UpdateTargetAccess(h.ctx, ctlAdmin, mine.ARN, Grants{Users: users("bob")}); err != nil {
		t.Fatalf("an admin granting alice's target: %v", err)
	}
}

func TestOnlyATargetsOwnerOrAnAdminManagesItAndOthersAreToldItDoesNotExist(t *testing.T) {
	h := newCtlHarness(t)
	tg := h.targetOf(ctlAdmin, "to-bob", "http://127.0.0.1:1", Grants{Users: users("bob")})
	actions := map[string]func(p auth.Principal) error{
		"delete": func(p auth.Principal) error { return h.svc.DeleteTarget(h.ctx, p, tg.ARN) },
		"test":   func(p auth.Principal) error { return h.svc.TestTarget(h.ctx, p, tg.ARN) },
		"update access": func(p auth.Principal) error {
			_, err := h.svc.UpdateTargetAccess(h.ctx, p, tg.ARN, Grants{})
			return err
		},
		"grant to all users": func(p auth.Principal) error {
			_, err := h.svc.UpdateTargetAccess(h.ctx, p, tg.ARN, Grants{AllUsers: true})
			return err
		},
	}
	for name, do := range actions {
		t.Run(name, func(t *testing.T) {
			// bob may use it: he is told he may not manage it.
			wantIs(t, do(ctlBob), ErrTargetForbidden)
			// alice may not even use it: as for a missing target.
			err := do(ctlAlice)
			wantIs(t, err, ErrNoSuchTarget)
			if errors.Is(err, ErrTargetForbidden) {
				t.Errorf("alice is told the target exists: %v", err)
			}
		})
	}
	if list, _ := h.svc.ListTargets(h.ctx, ctlBob); len(list) != 1 {
		t.Fatalf("refused calls changed the target: bob lists %+v", list)
	}
	wantIs(t, h.svc.TestTarget(h.ctx, ctlAdmin, tg.ARN), ErrTargetUnreachable)
	own := h.targetOf(ctlAlice, "alices-own", "http://a.example", Grants{})
	if err := h.svc.DeleteTarget(h.ctx, ctlAlice, own.ARN); err != nil {
		t.Fatalf("alice deleting her own target: %v", err)
	}
	if err := h.svc.DeleteTarget(h.ctx, ctlAdmin, tg.ARN); err != nil {
		t.Fatalf("the admin deleting its target: %v", err)
	}
}

func TestGrantsNameUsersByNameOrIDAndRefuseUnknownOnes(t *testing.T) {
	h := newCtlHarness(t)
	tg := h.targetOf(ctlAdmin, "t", "http://a.example", Grants{})
	info, err := h.svc.UpdateTargetAccess(h.ctx, ctlAdmin, tg.ARN,
		Grants{Users: []UserRef{{Username: "bob"}, {ID: ctlAlice.UserID}, {Username: "bob"}, {Username: "root"}}})
	if err != nil {
		t.Fatal(err)
	}
	// The owner (root) is left out: it may use its target anyway.
	if fmt.Sprint(info.Grants.Users) != fmt.Sprint([]UserRef{{ID: 2, Username: "alice"}, {ID: 3, Username: "bob"}}) {
		t.Errorf("grants = %+v, want alice and bob, once each", info.Grants.Users)
	}
	for _, bad := range []UserRef{{Username: "nobody"}, {ID: 99}, {Username: " "}} {
		_, err := h.svc.UpdateTargetAccess(h.ctx, ctlAdmin, tg.ARN, Grants{Users: []UserRef{{Username: "bob"}, bad}})
		wantIs(t, err, ErrInvalidTarget)
	}
	list, _ := h.svc.ListTargets(h.ctx, ctlAlice)
	if len(list) != 1 {
		t.Fatalf("a refused update changed the grants: alice lists %+v", list)
	}
}

func TestCheckTargetUseFollowsTheGrantsOfTheBucketsOwner(t *testing.T) {
	h := newCtlHarness(t)
	h.bucketOf(ctlBob, "bobs")
	h.bucketOf(ctlAdmin, "admins")
	tg := h.targetOf(ctlAdmin, "t", "http://a.example", Grants{Users: users("bob")})
	if err := h.putTo(ctlBob, "bobs", tg.ARN); err != nil {
		t.Fatal(err)
	}
	if err := h.svc.CheckTargetUse(h.ctx, "bobs", tg.ARN); err != nil {
		t.Fatalf("bob is granted the target: %v", err)
	}
	if _, err := h.svc.UpdateTargetAccess(h.ctx, ctlAdmin, tg.ARN, Grants{Users: users("alice")}); err != nil {
		t.Fatal(err)
	}
	err := h.svc.CheckTargetUse(h.ctx, "bobs", tg.ARN)
	wantIs(t, err, ErrTargetNotPermitted)
	if want := "bucket owner bob may not use target " + tg.ARN; err.Error() != want {
		t.Errorf("reason %q, want %q", err, want)
	}
	if _, err := h.svc.UpdateTargetAccess(h.ctx, ctlAdmin, tg.ARN, Grants{AllUsers: true}); err != nil {
		t.Fatal(err)
	}
	if err := h.svc.CheckTargetUse(h.ctx, "bobs", tg.ARN); err != nil {
		t.Fatalf("the target is granted to all users: %v", err)
	}
	if err := h.svc.CheckTargetUse(h.ctx, "admins", tg.ARN); err != nil {
		t.Fatalf("an admin's bucket: %v", err)
	}
	wantIs(t, h.svc.CheckTargetUse(h.ctx, "gone", tg.ARN), ErrSourceGone)
	wantIs(t, h.svc.CheckTargetUse(h.ctx, "bobs", "arn:quarry:replication:x:000000000000:y"), ErrNoSuchTarget)
}

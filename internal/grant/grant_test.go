package grant

import (
	"errors"
	"testing"

	"github.com/quarrylabs/quarry/internal/auth"
	"github.com/quarrylabs/quarry/internal/meta"
)

func TestWhoMayUseAndManageAnOwnedResource(t *testing.T) {
	o := Owned{OwnerID: 1, Users: []int64{3}}
	tests := []struct {
		name          string
		user          int64
		admin         bool
		use, managing bool
	}{
		{"its owner uses and manages it", 1, false, true, true},
		{"an admin uses and manages it", 9, true, true, true},
		{"a granted user uses it but does not manage it", 3, false, true, false},
		{"another user may do neither", 2, false, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			role := meta.RoleUser
			if tt.admin {
				role = meta.RoleAdmin
			}
			if got := o.MayUse(tt.user, tt.admin); got != tt.use {
				t.Errorf("MayUse = %v, want %v", got, tt.use)
			}
			if got := o.ManagedBy(auth.Principal{UserID: tt.user, Role: role}); got != tt.managing {
				t.Errorf("ManagedBy = %v, want %v", got, tt.managing)
			}
		})
	}
	if !(Owned{OwnerID: 1, AllUsers: true}).MayUse(2, false) {
		t.Error("a resource granted to all users refused a user")
	}
}

func TestOnlyAdminsGrantToOthers(t *testing.T) {
	alice := auth.Principal{UserID: 2, Username: "alice", Role: meta.RoleUser}
	admin := auth.Principal{UserID: 1, Username: "root", Role: meta.RoleAdmin}
	tests := []struct {
		name   string
		p      auth.Principal
		g      Grants
		denied bool
	}{
		{"an admin grants to all", admin, Grants{AllUsers: true}, false},
		{"a user names only itself, by name in any case", alice, Grants{Users: []UserRef{{Username: "ALICE"}}}, false},
		{"a user names only itself, by id", alice, Grants{Users: []UserRef{{ID: 2}}}, false},
		{"a user grants to all", alice, Grants{AllUsers: true}, true},
		{"a user grants to another", alice, Grants{Users: []UserRef{{Username: "bob"}}}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckMayGrant(tt.p, tt.g, "notification target")
			if got := errors.Is(err, ErrForbidden); got != tt.denied {
				t.Fatalf("CheckMayGrant = %v, want denied %v", err, tt.denied)
			}
			if tt.denied && err.Error() != "only an administrator may grant a notification target to other users" {
				t.Errorf("message %q", err)
			}
		})
	}
}

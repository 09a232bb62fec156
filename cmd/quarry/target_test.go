package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/quarrylabs/quarry/internal/mapiclient"
)

func TestTheAccessFlagsChangeTheGrantsTheServerShowed(t *testing.T) {
	no, yes := false, true
	granted := &mapiclient.ReplicationTarget{ARN: "arn:t", AllUsers: &no, Owner: &mapiclient.TargetUser{Username: "root"},
		Users: []mapiclient.TargetUser{{Username: "alice"}, {Username: "bob"}}}
	toAll := &mapiclient.ReplicationTarget{ARN: "arn:t", AllUsers: &yes, Owner: &mapiclient.TargetUser{Username: "root"}}
	tests := []struct {
		name   string
		target *mapiclient.ReplicationTarget
		flags  accessFlags
		want   string // the access sent, or "error: ..." for a refusal
	}{
		{"a grant adds to the users", granted, accessFlags{grant: []string{"carol"}}, "false [alice bob carol]"},
		{"a grant of a user already granted changes nothing", granted, accessFlags{grant: []string{"bob"}}, "false [alice bob]"},
		{"a revoke removes a user", granted, accessFlags{revoke: []string{"alice"}}, "false [bob]"},
		{"grant-all keeps the users", granted, accessFlags{grantAll: true}, "true [alice bob]"},
		{"revoke-all withdraws everything", toAll, accessFlags{revokeAll: true}, "false []"},
		{"revoke-all with a grant leaves exactly those users", granted, accessFlags{revokeAll: true, grant: []string{"carol"}}, "false [carol]"},
		{"revoking a user not granted is refused", granted, accessFlags{revoke: []string{"carol"}}, "error: carol is not granted arn:t"},
		{"granting and revoking one user is refused", granted, accessFlags{grant: []string{"bob"}, revoke: []string{"bob"}}, "error: bob is both granted and revoked"},
		{"grant-all with revoke-all is refused", granted, accessFlags{grantAll: true, revokeAll: true}, "error: give at most one of"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			access, err := tt.flags.apply(replicationView(tt.target))
			got := fmt.Sprint(access.AllUsers, " ", access.Users)
			if access.Users == nil {
				got = fmt.Sprint(access.AllUsers, " []")
			}
			if err != nil {
				got = "error: " + err.Error()
			}
			if !strings.HasPrefix(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestTheTargetTableSaysWhoMayUseATarget(t *testing.T) {
	no, yes := false, true
	owner := &mapiclient.TargetUser{Username: "root"}
	tests := []struct {
		target mapiclient.ReplicationTarget
		owner  string
		access string
	}{
		{mapiclient.ReplicationTarget{}, "-", "-"},
		{mapiclient.ReplicationTarget{Owner: owner, AllUsers: &no}, "root", "owner only"},
		{mapiclient.ReplicationTarget{Owner: owner, AllUsers: &yes}, "root", "all users"},
		{mapiclient.ReplicationTarget{Owner: owner, AllUsers: &no, Users: []mapiclient.TargetUser{{Username: "alice"}, {ID: mapiclient.UserID{ID: 7}}}}, "root", "alice,#7 (deleted)"},
	}
	for _, tt := range tests {
		if got := targetOwner(replicationView(&tt.target)); got != tt.owner {
			t.Errorf("owner of %+v = %q, want %q", tt.target, got, tt.owner)
		}
		if got := targetAccess(replicationView(&tt.target)); got != tt.access {
			t.Errorf("access of %+v = %q, want %q", tt.target, got, tt.access)
		}
	}
}

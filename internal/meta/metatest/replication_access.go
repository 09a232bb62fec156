package metatest

import (
	"testing"

	"github.com/quarrylabs/quarry/internal/meta"
)

// getTarget reads one target, failing the test if it cannot.
func getTarget(t *testing.T, s meta.Store, arn string) meta.ReplicationTarget {
	t.Helper()
	var rt *meta.ReplicationTarget
	view(t, s, func(tx meta.Tx) error {
		var err error
		rt, err = tx.GetReplicationTarget(arn)
		return err
	})
	return *rt
}

// listedTargets lists every target by ARN.
func listedTargets(t *testing.T, s meta.Store) map[string]meta.ReplicationTarget {
	t.Helper()
	out := map[string]meta.ReplicationTarget{}
	view(t, s, func(tx meta.Tx) error {
		all, err := tx.ListReplicationTargets()
		for _, rt := range all {
			out[rt.ARN] = rt
		}
		return err
	})
	return out
}

func setAccess(t *testing.T, s meta.Store, arn string, allUsers bool, users ...int64) {
	t.Helper()
	update(t, s, func(tx meta.Tx) error { return tx.SetReplicationTargetAccess(arn, allUsers, users) })
}

func wantGrants(t *testing.T, what string, rt meta.ReplicationTarget, allUsers bool, users ...int64) {
	t.Helper()
	if rt.AllUsers != allUsers || !sameGrants(rt.Users, users) {
		t.Errorf("%s: allUsers %v, users %v; want %v, %v", what, rt.AllUsers, rt.Users, allUsers, users)
	}
}

func testReplicationTargetAccess(t *testing.T, open func(t *testing.T) meta.Store) {
	t.Run("a target created with grants reads them back ascending and once each, by get and list", func(t *testing.T) {
		s := open(t)
		rt := fullTarget("arn:a", "a")
		rt.AllUsers, rt.Users = false, []int64{9, 3, 9, 5}
		createTarget(t, s, rt)
		wantGrants(t, "get", getTarget(t, s, "arn:a"), false, 3, 5, 9)
		wantGrants(t, "list", listedTargets(t, s)["arn:a"], false, 3, 5, 9)
	})

	t.Run("a target created without grants has none", func(t *testing.T) {
		s := open(t)
		rt := fullTarget("arn:a", "a")
		rt.AllUsers, rt.Users = false, nil
		createTarget(t, s, rt)
		wantGrants(t, "get", getTarget(t, s, "arn:a"), false)
		wantGrants(t, "list", listedTargets(t, s)["arn:a"], false)
	})

	t.Run("setting the access replaces the grants and the all-users flag", func(t *testing.T) {
		s := open(t)
		rt := fullTarget("arn:a", "a")
		rt.AllUsers, rt.Users = false, []int64{3, 4}
		createTarget(t, s, rt)
		setAccess(t, s, "arn:a", true, 4, 8)
		wantGrants(t, "after granting all and 4, 8", getTarget(t, s, "arn:a"), true, 4, 8)
		setAccess(t, s, "arn:a", false)
		wantGrants(t, "after revoking everything", getTarget(t, s, "arn:a"), false)
		wantGrants(t, "listed after revoking everything", listedTargets(t, s)["arn:a"], false)
	})

	t.Run("each target keeps its own grants", func(t *testing.T) {
		s := open(t)
		a, b := fullTarget("arn:a", "a"), fullTarget("arn:b", "b")
		a.AllUsers, a.Users = false, []int64{1}
		b.AllUsers, b.Users = true, []int64{2, 3}
		createTarget(t, s, a)
		createTarget(t, s, b)
		setAccess(t, s, "arn:a", false, 5)
		all := listedTargets(t, s)
		wantGrants(t, "arn:a", all["arn:a"], false, 5)
		wantGrants(t, "arn:b", all["arn:b"], true, 2, 3)
	})

	t.Run("setting the access of a missing target fails with ErrNotFound", func(t *testing.T) {
		s := open(t)
		err := s.Update(ctx(), func(tx meta.Tx) error { return tx.SetReplicationTargetAccess("arn:none", true, []int64{1}) })
		wantErr(t, "set access", err, meta.ErrNotFound)
	})

	t.Run("a deleted target's grants do not come back with a new target of its ARN", func(t *testing.T) {
		s := open(t)
		rt := fullTarget("arn:a", "a")
		rt.AllUsers, rt.Users = false, []int64{3}
		createTarget(t, s, rt)
		update(t, s, func(tx meta.Tx) error { return tx.DeleteReplicationTarget("arn:a") })
		rt.Users = nil
		createTarget(t, s, rt)
		wantGrants(t, "recreated", getTarget(t, s, "arn:a"), false)
	})

	t.Run("deleting a user removes its grants from every target", func(t *testing.T) {
		s := open(t)
		alice, bob := createUser(t, s, "alice"), createUser(t, s, "bob")
		a, b := fullTarget("arn:a", "a"), fullTarget("arn:b", "b")
		a.AllUsers, a.Users = false, []int64{alice.ID, bob.ID}
		b.AllUsers, b.Users = false, []int64{alice.ID}
		createTarget(t, s, a)
		createTarget(t, s, b)
		update(t, s, func(tx meta.Tx) error { return tx.DeleteUser(alice.ID) })
		all := listedTargets(t, s)
		wantGrants(t, "arn:a", all["arn:a"], false, bob.ID)
		wantGrants(t, "arn:b", all["arn:b"], false)
	})
}

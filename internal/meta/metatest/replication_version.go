package metatest

import (
	"testing"

	"github.com/quarrylabs/quarry/internal/meta"
)

func setState(s meta.Store, bucket, key, versionID, arn string, status meta.ReplicationStatus) error {
	return s.Update(ctx(), func(tx meta.Tx) error {
		return tx.SetVersionReplication(meta.VersionReplication{Bucket: bucket, Key: key,
			VersionID: versionID, TargetARN: arn, Status: status, Updated: at(7)})
	})
}

func versionStatus(t *testing.T, s meta.Store, bucket, key, versionID string) meta.ReplicationStatus {
	t.Helper()
	var status meta.ReplicationStatus
	view(t, s, func(tx meta.Tx) error {
		v, err := tx.GetVersion(bucket, key, versionID)
		if err != nil {
			return err
		}
		status = v.ReplicationStatus
		return nil
	})
	return status
}

func listStates(t *testing.T, s meta.Store, bucket, key, versionID string) []meta.VersionReplication {
	t.Helper()
	var got []meta.VersionReplication
	view(t, s, func(tx meta.Tx) error {
		var err error
		got, err = tx.ListVersionReplication(bucket, key, versionID)
		return err
	})
	return got
}

func testVersionReplication(t *testing.T, open func(t *testing.T) meta.Store) {
	const (
		pending   = meta.ReplicationPending
		completed = meta.ReplicationCompleted
		failed    = meta.ReplicationFailed
	)
	type state struct {
		arn    string
		status meta.ReplicationStatus
	}
	sums := []struct {
		name   string
		states []state
		want   meta.ReplicationStatus
	}{
		{"one pending target is pending", []state{{"arn:a", pending}}, pending},
		{"one completed target is completed", []state{{"arn:a", pending}, {"arn:a", completed}}, completed},
		{"a failed target makes the version failed even when another completed",
			[]state{{"arn:a", completed}, {"arn:b", failed}}, failed},
		{"a failed target outweighs a pending one", []state{{"arn:a", failed}, {"arn:b", pending}}, failed},
		{"a pending target keeps the version pending while another completed",
			[]state{{"arn:a", completed}, {"arn:b", pending}}, pending},
		{"a failed target that later completes clears the failure",
			[]state{{"arn:a", failed}, {"arn:b", completed}, {"arn:a", completed}}, completed},
		{"a completed target that is pending again makes the version pending",
			[]state{{"arn:a", completed}, {"arn:a", pending}}, pending},
	}
	for _, tc := range sums {
		t.Run("summed up: "+tc.name, func(t *testing.T) {
			s := open(t)
			createBucket(t, s, "b")
			put(t, s, meta.Version{Bucket: "b", Key: "k", VersionID: "v1", ReplicationStatus: pending})
			for _, st := range tc.states {
				wantErr(t, "set "+st.arn, setState(s, "b", "k", "v1", st.arn, st.status), nil)
			}
			if got := versionStatus(t, s, "b", "k", "v1"); got != tc.want {
				t.Errorf("version status = %q, want %q", got, tc.want)
			}
		})
	}

	t.Run("a replica stays a replica whatever its targets record", func(t *testing.T) {
		s := open(t)
		createBucket(t, s, "b")
		put(t, s, meta.Version{Bucket: "b", Key: "k", VersionID: "v1", ReplicationStatus: meta.ReplicationReplica})
		wantErr(t, "set failed", setState(s, "b", "k", "v1", "arn:a", failed), nil)
		if got := versionStatus(t, s, "b", "k", "v1"); got != meta.ReplicationReplica {
			t.Errorf("version status = %q, want REPLICA", got)
		}
	})

	t.Run("only the named version's status changes", func(t *testing.T) {
		s := open(t)
		createBucket(t, s, "b")
		put(t, s, meta.Version{Bucket: "b", Key: "k", VersionID: "v1", ReplicationStatus: pending})
		put(t, s, meta.Version{Bucket: "b", Key: "k", VersionID: "v2", ReplicationStatus: pending})
		wantErr(t, "set", setState(s, "b", "k", "v2", "arn:a", completed), nil)
		if got := versionStatus(t, s, "b", "k", "v1"); got != pending {
			t.Errorf("other version's status = %q, want PENDING", got)
		}
	})

	t.Run("states list by target ARN with every field, the last write winning", func(t *testing.T) {
		s := open(t)
		createBucket(t, s, "b")
		put(t, s, meta.Version{Bucket: "b", Key: "k", VersionID: "v1"})
		want := []meta.VersionReplication{
			{Bucket: "b", Key: "k", VersionID: "v1", TargetARN: "arn:a", Status: failed, Error: "403 AccessDenied", Updated: at(9)},
			{Bucket: "b", Key: "k", VersionID: "v1", TargetARN: "arn:b", Status: completed, Updated: at(8)},
		}
		update(t, s, func(tx meta.Tx) error {
			first := want[0]
			first.Status, first.Error, first.Updated = pending, "", at(1)
			for _, r := range []meta.VersionReplication{want[1], first, want[0]} {
				if err := tx.SetVersionReplication(r); err != nil {
					return err
				}
			}
			return nil
		})
		got := listStates(t, s, "b", "k", "v1")
		if len(got) != len(want) {
			t.Fatalf("listed %d states, want %d: %+v", len(got), len(want), got)
		}
		for i := range want {
			g, w := got[i], want[i]
			if g.Bucket != w.Bucket || g.Key != w.Key || g.VersionID != w.VersionID || g.TargetARN != w.TargetARN ||
				g.Status != w.Status || g.Error != w.Error || !sameTime(g.Updated, w.Updated) {
				t.Errorf("state %d = %+v, want %+v", i, g, w)
			}
		}
		if got := listStates(t, s, "b", "k", "other"); len(got) != 0 {
			t.Errorf("states of a version without any = %+v, want none", got)
		}
	})

	t.Run("setting the state of a missing version fails with ErrNotFound", func(t *testing.T) {
		s := open(t)
		createBucket(t, s, "b")
		wantErr(t, "set", setState(s, "b", "k", "v1", "arn:a", pending), meta.ErrNotFound)
	})

	t.Run("a per-target state must be pending, completed or failed", func(t *testing.T) {
		s := open(t)
		createBucket(t, s, "b")
		put(t, s, meta.Version{Bucket: "b", Key: "k", VersionID: "v1"})
		for _, bad := range []meta.ReplicationStatus{meta.ReplicationNone, meta.ReplicationReplica, "DONE"} {
			if err := setState(s, "b", "k", "v1", "arn:a", bad); err == nil {
				t.Errorf("state %q was accepted", bad)
			}
		}
		if got := listStates(t, s, "b", "k", "v1"); len(got) != 0 {
			t.Errorf("states after refused writes = %+v, want none", got)
		}
	})

	t.Run("deleting a version removes its states but keeps its outbox tasks", func(t *testing.T) {
		s := open(t)
		createBucket(t, s, "b")
		put(t, s, meta.Version{Bucket: "b", Key: "k", VersionID: "v1"})
		put(t, s, meta.Version{Bucket: "b", Key: "k", VersionID: "v2"})
		wantErr(t, "set v1", setState(s, "b", "k", "v1", "arn:a", pending), nil)
		wantErr(t, "set v2", setState(s, "b", "k", "v2", "arn:a", pending), nil)
		enqueue(t, s, task("b", "k", "v1", "arn:a", at(0)))
		update(t, s, func(tx meta.Tx) error { return tx.DeleteVersion("b", "k", "v1") })
		if got := listStates(t, s, "b", "k", "v1"); len(got) != 0 {
			t.Errorf("states of the deleted version = %+v, want none", got)
		}
		if got := listStates(t, s, "b", "k", "v2"); len(got) != 1 {
			t.Errorf("states of the other version = %+v, want one", got)
		}
		assertTaskCount(t, s, "b", 1)
		// A version put again under the same id starts without states.
		put(t, s, meta.Version{Bucket: "b", Key: "k", VersionID: "v1"})
		if got := listStates(t, s, "b", "k", "v1"); len(got) != 0 {
			t.Errorf("states of the version put again = %+v, want none", got)
		}
	})

	t.Run("a version's status round-trips through every read", func(t *testing.T) {
		s := open(t)
		createBucket(t, s, "b")
		put(t, s, meta.Version{Bucket: "b", Key: "a", VersionID: "v1", IsLatest: true, ReplicationStatus: failed})
		put(t, s, meta.Version{Bucket: "b", Key: "b", VersionID: "v1", ReplicationStatus: completed})
		put(t, s, meta.Version{Bucket: "b", Key: "b", VersionID: "v2", IsLatest: true, ReplicationStatus: meta.ReplicationReplica})
		want := map[string]meta.ReplicationStatus{"a v1": failed, "b v1": completed, "b v2": meta.ReplicationReplica}
		check := func(what string, vs ...meta.Version) {
			for _, v := range vs {
				if w := want[v.Key+" "+v.VersionID]; v.ReplicationStatus != w {
					t.Errorf("%s: %s %s status = %q, want %q", what, v.Key, v.VersionID, v.ReplicationStatus, w)
				}
			}
		}
		view(t, s, func(tx meta.Tx) error {
			v, err := tx.GetVersion("b", "b", "v1")
			wantErr(t, "get version", err, nil)
			check("GetVersion", *v)
			v, err = tx.GetLatest("b", "a")
			wantErr(t, "get latest", err, nil)
			check("GetLatest", *v)
			v, err = tx.NewestVersion("b", "b")
			wantErr(t, "newest version", err, nil)
			check("NewestVersion", *v)
			latest, err := tx.ListLatest("b", "", "", 0)
			wantErr(t, "list latest", err, nil)
			if len(latest) != 2 {
				t.Errorf("ListLatest returned %d versions, want 2", len(latest))
			}
			check("ListLatest", latest...)
			all, err := tx.ListVersions("b", "", "", 0, 0)
			wantErr(t, "list versions", err, nil)
			if len(all) != 3 {
				t.Errorf("ListVersions returned %d versions, want 3", len(all))
			}
			check("ListVersions", all...)
			return nil
		})
	})
}

package metatest

import (
	"bytes"
	"slices"
	"testing"

	"github.com/quarrylabs/quarry/internal/meta"
)

// fullTarget has every field set, to catch one a backend forgets.
func fullTarget(arn, name string) meta.ReplicationTarget {
	return meta.ReplicationTarget{
		ARN: arn, Name: name, Endpoint: "https://s3.example.com:9000", Region: "eu-west-3",
		Bucket: "backup", AccessKey: "AKIAEXAMPLE", SecretEnc: []byte{0, 1, 2, 0xff},
		InsecureSkipVerify: true, OwnerID: 7, AllUsers: true, Users: []int64{3, 9}, CreatedAt: at(3),
	}
}

func createTarget(t *testing.T, s meta.Store, rt meta.ReplicationTarget) {
	t.Helper()
	update(t, s, func(tx meta.Tx) error { return tx.CreateReplicationTarget(&rt) })
}

func assertTarget(t *testing.T, got, want meta.ReplicationTarget) {
	t.Helper()
	if got.ARN != want.ARN || got.Name != want.Name || got.Endpoint != want.Endpoint ||
		got.Region != want.Region || got.Bucket != want.Bucket || got.AccessKey != want.AccessKey ||
		!bytes.Equal(got.SecretEnc, want.SecretEnc) || got.InsecureSkipVerify != want.InsecureSkipVerify ||
		got.OwnerID != want.OwnerID || got.AllUsers != want.AllUsers || !sameGrants(got.Users, want.Users) ||
		!sameTime(got.CreatedAt, want.CreatedAt) {
		t.Errorf("target =\n  %+v\nwant\n  %+v", got, want)
	}
}

// sameGrants compares granted user ids, nil being the same as empty.
func sameGrants(got, want []int64) bool {
	return len(got) == 0 && len(want) == 0 || slices.Equal(got, want)
}

func targetARNs(ts []meta.ReplicationTarget) []string {
	var arns []string
	for _, rt := range ts {
		arns = append(arns, rt.ARN)
	}
	return arns
}

func testReplicationTargets(t *testing.T, open func(t *testing.T) meta.Store) {
	t.Run("a created target reads back as written, every field, by get and list", func(t *testing.T) {
		s := open(t)
		want := fullTarget("arn:quarry:replication:eu-west-3:1:backup", "paris")
		createTarget(t, s, want)
		view(t, s, func(tx meta.Tx) error {
			got, err := tx.GetReplicationTarget(want.ARN)
			wantErr(t, "get target", err, nil)
			assertTarget(t, *got, want)
			all, err := tx.ListReplicationTargets()
			wantErr(t, "list targets", err, nil)
			if len(all) != 1 {
				t.Fatalf("listed %d targets, want 1", len(all))
			}
			assertTarget(t, all[0], want)
			return nil
		})
	})

	t.Run("a target without credentials reads back without them", func(t *testing.T) {
		s := open(t)
		want := meta.ReplicationTarget{ARN: "arn:a", Name: "a", Endpoint: "http://h", Bucket: "b", CreatedAt: at(1)}
		createTarget(t, s, want)
		view(t, s, func(tx meta.Tx) error {
			got, err := tx.GetReplicationTarget("arn:a")
			wantErr(t, "get target", err, nil)
			if len(got.SecretEnc) != 0 || got.AccessKey != "" || got.InsecureSkipVerify {
				t.Errorf("target = %+v, want no credentials and verified TLS", got)
			}
			return nil
		})
	})

	t.Run("a taken ARN or name fails with ErrExists", func(t *testing.T) {
		s := open(t)
		createTarget(t, s, fullTarget("arn:a", "a"))
		for what, rt := range map[string]meta.ReplicationTarget{
			"same ARN":  fullTarget("arn:a", "other"),
			"same name": fullTarget("arn:other", "a"),
		} {
			err := s.Update(ctx(), func(tx meta.Tx) error { return tx.CreateReplicationTarget(&rt) })
			wantErr(t, what, err, meta.ErrExists)
		}
	})

	t.Run("missing targets are ErrNotFound to get and delete", func(t *testing.T) {
		s := open(t)
		err := s.View(ctx(), func(tx meta.Tx) error { _, err := tx.GetReplicationTarget("arn:none"); return err })
		wantErr(t, "get", err, meta.ErrNotFound)
		err = s.Update(ctx(), func(tx meta.Tx) error { return tx.DeleteReplicationTarget("arn:none") })
		wantErr(t, "delete", err, meta.ErrNotFound)
	})

	t.Run("targets list by name and a deleted one is gone", func(t *testing.T) {
		s := open(t)
		view(t, s, func(tx meta.Tx) error {
			none, err := tx.ListReplicationTargets()
			wantErr(t, "list empty", err, nil)
			assertNames(t, "targets of an empty store", targetARNs(none), nil)
			return nil
		})
		createTarget(t, s, fullTarget("arn:1", "zulu"))
		createTarget(t, s, fullTarget("arn:2", "alpha"))
		createTarget(t, s, fullTarget("arn:3", "mike"))
		update(t, s, func(tx meta.Tx) error { return tx.DeleteReplicationTarget("arn:3") })
		view(t, s, func(tx meta.Tx) error {
			all, err := tx.ListReplicationTargets()
			wantErr(t, "list", err, nil)
			assertNames(t, "targets by name", targetARNs(all), []string{"arn:2", "arn:1"})
			_, err = tx.GetReplicationTarget("arn:3")
			wantErr(t, "get deleted", err, meta.ErrNotFound)
			return nil
		})
	})
}

func setBucketReplication(t *testing.T, s meta.Store, bucket string, config []byte, arns ...string) {
	t.Helper()
	update(t, s, func(tx meta.Tx) error { return tx.SetBucketReplication(bucket, config, arns) })
}

func usingTarget(t *testing.T, s meta.Store, arn string) []string {
	t.Helper()
	var names []string
	view(t, s, func(tx meta.Tx) error {
		var err error
		names, err = tx.BucketsUsingTarget(arn)
		return err
	})
	return names
}

func bucketConfig(t *testing.T, s meta.Store, bucket string) []byte {
	t.Helper()
	var config []byte
	view(t, s, func(tx meta.Tx) error {
		b, err := tx.GetBucket(bucket)
		if err != nil {
			return err
		}
		config = b.Replication
		return nil
	})
	return config
}

func testBucketReplication(t *testing.T, open func(t *testing.T) meta.Store) {
	config := []byte(`{"rules":[{"id":"r1","arn":"arn:a"}]}`)

	t.Run("a bucket has no configuration until one is set", func(t *testing.T) {
		s := open(t)
		createBucket(t, s, "b")
		if got := bucketConfig(t, s, "b"); got != nil {
			t.Errorf("new bucket configuration = %q, want nil", got)
		}
	})

	t.Run("a set configuration reads back through GetBucket and ListBuckets", func(t *testing.T) {
		s := open(t)
		createBucket(t, s, "a")
		createBucket(t, s, "b")
		setBucketReplication(t, s, "b", config, "arn:a")
		if got := bucketConfig(t, s, "b"); !bytes.Equal(got, config) {
			t.Errorf("GetBucket configuration = %q, want %q", got, config)
		}
		view(t, s, func(tx meta.Tx) error {
			all, err := tx.ListBuckets(0)
			wantErr(t, "list buckets", err, nil)
			got := map[string][]byte{}
			for _, b := range all {
				got[b.Name] = b.Replication
			}
			if got["a"] != nil || !bytes.Equal(got["b"], config) {
				t.Errorf("listed configurations a=%q b=%q, want nil and %q", got["a"], got["b"], config)
			}
			return nil
		})
	})

	t.Run("buckets using a target are listed by name, each once", func(t *testing.T) {
		s := open(t)
		for _, name := range []string{"c", "a", "b"} {
			createBucket(t, s, name)
		}
		setBucketReplication(t, s, "c", config, "arn:x", "arn:y", "arn:x")
		setBucketReplication(t, s, "a", config, "arn:x")
		setBucketReplication(t, s, "b", config, "arn:y")
		assertNames(t, "using arn:x", usingTarget(t, s, "arn:x"), []string{"a", "c"})
		assertNames(t, "using arn:y", usingTarget(t, s, "arn:y"), []string{"b", "c"})
		assertNames(t, "using arn:z", usingTarget(t, s, "arn:z"), nil)
	})

	t.Run("a new configuration replaces the targets the old one named", func(t *testing.T) {
		s := open(t)
		createBucket(t, s, "b")
		setBucketReplication(t, s, "b", config, "arn:old")
		next := []byte(`{"rules":[{"id":"r2","arn":"arn:new"}]}`)
		setBucketReplication(t, s, "b", next, "arn:new")
		assertNames(t, "using arn:old", usingTarget(t, s, "arn:old"), nil)
		assertNames(t, "using arn:new", usingTarget(t, s, "arn:new"), []string{"b"})
		if got := bucketConfig(t, s, "b"); !bytes.Equal(got, next) {
			t.Errorf("configuration = %q, want %q", got, next)
		}
	})

	t.Run("a nil configuration removes it and its targets", func(t *testing.T) {
		s := open(t)
		createBucket(t, s, "b")
		setBucketReplication(t, s, "b", config, "arn:a")
		setBucketReplication(t, s, "b", nil, "arn:a")
		if got := bucketConfig(t, s, "b"); got != nil {
			t.Errorf("configuration after removal = %q, want nil", got)
		}
		assertNames(t, "using arn:a", usingTarget(t, s, "arn:a"), nil)
	})

	t.Run("setting a missing bucket's configuration fails with ErrNotFound", func(t *testing.T) {
		s := open(t)
		err := s.Update(ctx(), func(tx meta.Tx) error { return tx.SetBucketReplication("nope", config, []string{"arn:a"}) })
		wantErr(t, "set", err, meta.ErrNotFound)
		assertNames(t, "using arn:a", usingTarget(t, s, "arn:a"), nil)
	})

	t.Run("deleting a bucket removes its configuration, targets and outbox tasks", func(t *testing.T) {
		s := open(t)
		createBucket(t, s, "b")
		createBucket(t, s, "other")
		setBucketReplication(t, s, "b", config, "arn:a")
		setBucketReplication(t, s, "other", config, "arn:a")
		enqueue(t, s, task("b", "k", "v1", "arn:a", at(0)))
		enqueue(t, s, task("other", "k", "v1", "arn:a", at(0)))
		update(t, s, func(tx meta.Tx) error { return tx.DeleteBucket("b") })
		assertNames(t, "using arn:a", usingTarget(t, s, "arn:a"), []string{"other"})
		assertTaskCount(t, s, "b", 0)
		assertTaskCount(t, s, "", 1)
		createBucket(t, s, "b")
		if got := bucketConfig(t, s, "b"); got != nil {
			t.Errorf("recreated bucket's configuration = %q, want nil", got)
		}
	})
}

package metatest

import (
	"bytes"
	"slices"
	"testing"

	"github.com/quarrylabs/quarry/internal/meta"
)

func notificationTarget(arn, name string) meta.NotificationTarget {
	return meta.NotificationTarget{ARN: arn, Name: name, Type: "webhook", Endpoint: "https://hooks.example/" + name,
		SecretEnc: []byte{1, 2, 3}, InsecureSkipVerify: true, OwnerID: 2, AllUsers: false, Users: []int64{5, 3, 5},
		CreatedAt: at(4)}
}

func getNotificationTarget(t *testing.T, s meta.Store, arn string) meta.NotificationTarget {
	t.Helper()
	var nt *meta.NotificationTarget
	view(t, s, func(tx meta.Tx) error {
		var err error
		nt, err = tx.GetNotificationTarget(arn)
		return err
	})
	return *nt
}

func assertNotificationTarget(t *testing.T, what string, got, want meta.NotificationTarget) {
	t.Helper()
	if got.ARN != want.ARN || got.Name != want.Name || got.Type != want.Type || got.Endpoint != want.Endpoint ||
		!bytes.Equal(got.SecretEnc, want.SecretEnc) || got.InsecureSkipVerify != want.InsecureSkipVerify ||
		got.OwnerID != want.OwnerID || got.AllUsers != want.AllUsers || !slices.Equal(got.Users, want.Users) ||
		!sameTime(got.CreatedAt, want.CreatedAt) {
		t.Errorf("%s =\n  %+v\nwant\n  %+v", what, got, want)
	}
}

func notifyingTarget(t *testing.T, s meta.Store, arn string) []string {
	t.Helper()
	var got []string
	view(t, s, func(tx meta.Tx) error {
		var err error
		got, err = tx.BucketsNotifyingTarget(arn)
		return err
	})
	return got
}

func testNotificationTargets(t *testing.T, open func(t *testing.T) meta.Store) {
	t.Run("a target reads back with every field and its grants ascending and once each, by get and list", func(t *testing.T) {
		s := open(t)
		nt := notificationTarget("arn:quarry:sqs:us-east-1:1:webhook", "hook")
		update(t, s, func(tx meta.Tx) error { return tx.CreateNotificationTarget(&nt) })
		want := nt
		want.Users = []int64{3, 5}
		assertNotificationTarget(t, "get", getNotificationTarget(t, s, nt.ARN), want)
		view(t, s, func(tx meta.Tx) error {
			all, err := tx.ListNotificationTargets()
			if err != nil {
				return err
			}
			if len(all) != 1 {
				t.Fatalf("listed %d targets, want 1", len(all))
			}
			assertNotificationTarget(t, "list", all[0], want)
			return nil
		})
	})

	t.Run("names and ARNs are unique, and targets list by name", func(t *testing.T) {
		s := open(t)
		b, a := notificationTarget("arn:b", "b"), notificationTarget("arn:a", "a")
		update(t, s, func(tx meta.Tx) error { return tx.CreateNotificationTarget(&b) })
		update(t, s, func(tx meta.Tx) error { return tx.CreateNotificationTarget(&a) })
		sameName, sameARN := notificationTarget("arn:c", "a"), notificationTarget("arn:a", "c")
		for what, nt := range map[string]*meta.NotificationTarget{"same name": &sameName, "same ARN": &sameARN} {
			err := s.Update(ctx(), func(tx meta.Tx) error { return tx.CreateNotificationTarget(nt) })
			wantErr(t, what, err, meta.ErrExists)
		}
		view(t, s, func(tx meta.Tx) error {
			all, err := tx.ListNotificationTargets()
			if len(all) != 2 || all[0].Name != "a" || all[1].Name != "b" {
				t.Errorf("listed %+v, want a then b", all)
			}
			return err
		})
	})

	t.Run("access is replaced, and a deleted user loses its grants", func(t *testing.T) {
		s := open(t)
		var uid int64
		update(t, s, func(tx meta.Tx) error {
			u := &meta.User{Username: "carol", PasswordHash: "x", Role: meta.RoleUser, CreatedAt: at(0)}
			if err := tx.CreateUser(u); err != nil {
				return err
			}
			uid = u.ID
			nt := notificationTarget("arn:a", "a")
			nt.Users = nil
			return tx.CreateNotificationTarget(&nt)
		})
		update(t, s, func(tx meta.Tx) error { return tx.SetNotificationTargetAccess("arn:a", true, []int64{uid, 40}) })
		if got := getNotificationTarget(t, s, "arn:a"); !got.AllUsers || !slices.Equal(got.Users, []int64{min(uid, 40), max(uid, 40)}) {
			t.Errorf("access = %v %v, want all users and %d, 40", got.AllUsers, got.Users, uid)
		}
		update(t, s, func(tx meta.Tx) error { return tx.DeleteUser(uid) })
		if got := getNotificationTarget(t, s, "arn:a"); !slices.Equal(got.Users, []int64{40}) {
			t.Errorf("grants after the user's deletion = %v, want [40]", got.Users)
		}
	})

	t.Run("a deleted target is gone with its grants, and missing ones are ErrNotFound", func(t *testing.T) {
		s := open(t)
		nt := notificationTarget("arn:a", "a")
		update(t, s, func(tx meta.Tx) error { return tx.CreateNotificationTarget(&nt) })
		update(t, s, func(tx meta.Tx) error { return tx.DeleteNotificationTarget("arn:a") })
		for name, fn := range map[string]func(tx meta.Tx) error{
			"get":        func(tx meta.Tx) error { _, err := tx.GetNotificationTarget("arn:a"); return err },
			"set access": func(tx meta.Tx) error { return tx.SetNotificationTargetAccess("arn:a", false, nil) },
			"delete":     func(tx meta.Tx) error { return tx.DeleteNotificationTarget("arn:a") },
		} {
			wantErr(t, name, s.Update(ctx(), fn), meta.ErrNotFound)
		}
		again := notificationTarget("arn:a", "a")
		again.Users = nil
		update(t, s, func(tx meta.Tx) error { return tx.CreateNotificationTarget(&again) })
		if got := getNotificationTarget(t, s, "arn:a"); len(got.Users) != 0 {
			t.Errorf("a target made again under the same ARN has grants %v", got.Users)
		}
	})
}

func testBucketNotification(t *testing.T, open func(t *testing.T) meta.Store) {
	config := []byte(`{"queues":[]}`)
	notificationOf := func(t *testing.T, s meta.Store, bucket string) []byte {
		t.Helper()
		var got []byte
		view(t, s, func(tx meta.Tx) error {
			b, err := tx.GetBucket(bucket)
			if err == nil {
				got = b.Notification
			}
			return err
		})
		return got
	}

	t.Run("a configuration and its targets are set, replaced and removed together", func(t *testing.T) {
		s := open(t)
		createBucket(t, s, "b")
		createBucket(t, s, "c")
		update(t, s, func(tx meta.Tx) error { return tx.SetBucketNotification("b", config, []string{"arn:x", "arn:y"}) })
		update(t, s, func(tx meta.Tx) error { return tx.SetBucketNotification("c", config, []string{"arn:x"}) })
		if got := notificationOf(t, s, "b"); !bytes.Equal(got, config) {
			t.Errorf("configuration = %q, want %q", got, config)
		}
		assertNames(t, "notifying arn:x", notifyingTarget(t, s, "arn:x"), []string{"b", "c"})
		other := []byte(`{"queues":[1]}`)
		update(t, s, func(tx meta.Tx) error { return tx.SetBucketNotification("b", other, []string{"arn:y"}) })
		assertNames(t, "notifying arn:x after the change", notifyingTarget(t, s, "arn:x"), []string{"c"})
		assertNames(t, "notifying arn:y", notifyingTarget(t, s, "arn:y"), []string{"b"})
		update(t, s, func(tx meta.Tx) error { return tx.SetBucketNotification("b", nil, []string{"arn:y"}) })
		if got := notificationOf(t, s, "b"); got != nil {
			t.Errorf("configuration after removal = %q, want nil", got)
		}
		assertNames(t, "notifying arn:y after removal", notifyingTarget(t, s, "arn:y"), nil)
	})

	t.Run("a missing bucket is ErrNotFound and CreateBucket ignores a configuration", func(t *testing.T) {
		s := open(t)
		err := s.Update(ctx(), func(tx meta.Tx) error { return tx.SetBucketNotification("nope", config, []string{"arn:x"}) })
		wantErr(t, "set", err, meta.ErrNotFound)
		update(t, s, func(tx meta.Tx) error {
			return tx.CreateBucket(&meta.Bucket{Name: "b", OwnerID: 1, CreatedAt: at(0), Notification: config})
		})
		if got := notificationOf(t, s, "b"); got != nil {
			t.Errorf("configuration after CreateBucket = %q, want nil", got)
		}
	})

	t.Run("deleting a bucket removes its configuration and targets", func(t *testing.T) {
		s := open(t)
		createBucket(t, s, "b")
		update(t, s, func(tx meta.Tx) error { return tx.SetBucketNotification("b", config, []string{"arn:x"}) })
		update(t, s, func(tx meta.Tx) error { return tx.DeleteBucket("b") })
		assertNames(t, "notifying arn:x", notifyingTarget(t, s, "arn:x"), nil)
		createBucket(t, s, "b")
		if got := notificationOf(t, s, "b"); got != nil {
			t.Errorf("recreated bucket's configuration = %q, want nil", got)
		}
	})
}

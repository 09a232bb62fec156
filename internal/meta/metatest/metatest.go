// Package metatest is the conformance suite for meta.Store backends. Every
// backend runs the same suite, so that a second backend is a matter of
// passing it:
//
//	func TestConformance(t *testing.T) {
//		metatest.Run(t, func(t *testing.T) meta.Store { return openTempStore(t) })
//	}
//
// Besides meta's documented contract, the suite fixes what the interface
// leaves implicit: a limit of zero or less means no limit, versions and
// uploads need their bucket to exist, and lists of nothing are empty, not
// errors.
package metatest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/quarrylabs/quarry/internal/meta"
)

// Run runs the suite. open must return a new, empty store for each call;
// Run closes it when the subtest ends.
func Run(t *testing.T, open func(t *testing.T) meta.Store) {
	groups := []struct {
		name string
		run  func(t *testing.T, open func(t *testing.T) meta.Store)
	}{
		{"Buckets", testBuckets},
		{"Usage", testUsage},
		{"ListBucketsAfter", testListBucketsAfter},
		{"BucketACL", testBucketACL},
		{"BucketCORS", testBucketCORS},
		{"VersionACL", testVersionACL},
		{"UploadACL", testUploadACL},
		{"Versions", testVersions},
		{"InlineVersions", testInlineVersions},
		{"ListLatest", testListLatest},
		{"ListVersions", testListVersions},
		{"Uploads", testUploads},
		{"ListUploads", testListUploads},
		{"Users", testUsers},
		{"AccessKeys", testAccessKeys},
		{"Trash", testTrash},
		{"Settings", testSettings},
		{"Transactions", testTransactions},
		{"Jobs", testJobs},
		{"JobLeases", testJobLeases},
		{"ListJobs", testListJobs},
		{"JobFailures", testJobFailures},
		{"JobRetention", testJobRetention},
		{"CountUsage", testCountUsage},
		{"CountVersions", testCountVersions},
		{"CountJobs", testCountJobs},
		{"ReplicationTargets", testReplicationTargets},
		{"ReplicationTargetAccess", testReplicationTargetAccess},
		{"BucketReplication", testBucketReplication},
		{"BucketLifecycle", testBucketLifecycle},
		{"NotificationTargets", testNotificationTargets},
		{"BucketNotification", testBucketNotification},
		{"Outbox", testOutbox},
		{"ConcurrentClaims", testConcurrentClaims},
		{"WorkText", testWorkText},
		{"VersionReplication", testVersionReplication},
		{"SSE", testSSE},
		{"RefreshFamilies", testRefreshFamilies},
		{"Certificates", testCertificates},
		{"Events", testEvents},
		{"StorageComponents", testStorageComponents},
		{"StorageClasses", testStorageClasses},
		{"StorageFaultDomains", testStorageFaultDomains},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			g.run(t, func(t *testing.T) meta.Store {
				t.Helper()
				s := open(t)
				t.Cleanup(func() {
					if err := s.Close(); err != nil {
						t.Errorf("close store: %v", err)
					}
				})
				return s
			})
		})
	}
}

// update runs fn in an Update and fails the test if it returns an error.
func update(t *testing.T, s meta.Store, fn func(meta.Tx) error) {
	t.Helper()
	if err := s.Update(context.Background(), fn); err != nil {
		t.Fatalf("update: %v", err)
	}
}

// view runs fn in a View and fails the test if it returns an error.
func view(t *testing.T, s meta.Store, fn func(meta.Tx) error) {
	t.Helper()
	if err := s.View(context.Background(), fn); err != nil {
		t.Fatalf("view: %v", err)
	}
}

// wantErr fails unless err matches target (nil meaning success).
func wantErr(t *testing.T, what string, err, target error) {
	t.Helper()
	switch {
	case target == nil && err != nil:
		t.Fatalf("%s: unexpected error %v", what, err)
	case target != nil && !errors.Is(err, target):
		t.Fatalf("%s: error %v, want %v", what, err, target)
	}
}

// at returns a fixed time with nanoseconds, in UTC, so round trips can be
// compared exactly.
func at(sec int64) time.Time {
	return time.Unix(1_700_000_000+sec, 123_456_789).UTC()
}

// createBucket creates a bucket named name owned by user 1.
func createBucket(t *testing.T, s meta.Store, name string) {
	t.Helper()
	update(t, s, func(tx meta.Tx) error {
		return tx.CreateBucket(&meta.Bucket{Name: name, OwnerID: 1, CreatedAt: at(0)})
	})
}

// sameTime reports whether two times are the same instant, since backends
// may return another location than the one stored.
func sameTime(a, b time.Time) bool { return a.Equal(b) }

func ctx() context.Context { return context.Background() }

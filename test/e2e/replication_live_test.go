package e2e

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// liveTimeout bounds the wait for one live copy; the replicator retries
// after 1 s, 2 s, 4 s... so a destination back within seconds is caught
// well within it.
const liveTimeout = time.Minute

// waitStatus polls HEAD on bucket/key until it shows the replication
// status want.
func waitStatus(t *testing.T, c *s3.Client, bucket, key, want string) {
	t.Helper()
	deadline := time.Now().Add(liveTimeout)
	for {
		got, _ := headStatus(t, c, bucket, key)
		if got == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s/%s: x-amz-replication-status still %q after %v, want %s", bucket, key, got, liveTimeout, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitReplica waits until the destination serves o as a replica of what
// was written, and checks it.
func waitReplica(t *testing.T, c *s3.Client, bucket string, o *seedObject) {
	t.Helper()
	waitFor(t, liveTimeout, o.Key+" at the destination", func() bool {
		_, found := headStatus(t, c, bucket, o.Key)
		return found
	})
	if err := replicaOf(t, c, bucket, o, "REPLICA"); err != nil {
		t.Error(err)
	}
}

// versionCount is how many versions and delete markers bucket holds for
// exactly key.
func versionCount(t *testing.T, c *s3.Client, bucket, key string) int {
	t.Helper()
	out, err := c.ListObjectVersions(t.Context(), &s3.ListObjectVersionsInput{Bucket: aws.String(bucket), Prefix: aws.String(key)})
	if err != nil {
		t.Fatalf("ListObjectVersions %s/%s: %v", bucket, key, err)
	}
	n := 0
	for _, v := range out.Versions {
		if aws.ToString(v.Key) == key {
			n++
		}
	}
	for _, m := range out.DeleteMarkers {
		if aws.ToString(m.Key) == key {
			n++
		}
	}
	return n
}

func TestLiveReplicationCarriesPutsCopiesMultipartUploadsAndDeleteMarkers(t *testing.T) {
	t.Parallel()
	p := newReplPair(t, true)
	p.mustReplicate(t, replRule{DeleteMarkers: true})

	// With the destination down the copy cannot have happened: the
	// source must say PENDING, and COMPLETED once the destination is back.
	p.Dst.Stop(t)
	whileDown := seedObject{Key: "live/while-down", Size: 3000, Seed: 31, ContentType: "text/plain",
		Meta: map[string]string{"written": "while-down"}, Tags: map[string]string{"phase": "1"}}
	if err := putSeed(t, p.SrcS3, p.SrcBucket, &whileDown); err != nil {
		t.Fatal(err)
	}
	if status, _ := headStatus(t, p.SrcS3, p.SrcBucket, whileDown.Key); status != "PENDING" {
		t.Fatalf("HEAD of a new object with the destination down: x-amz-replication-status %q, want PENDING", status)
	}
	p.Dst.Restart(t)
	waitStatus(t, p.SrcS3, p.SrcBucket, whileDown.Key, "COMPLETED")
	waitReplica(t, p.DstS3, p.DstBucket, &whileDown)

	plain := seedObject{Key: "live/plain", Size: 70_000, Seed: 32, ContentType: "application/json",
		Meta: map[string]string{"color": "blue"}, Tags: map[string]string{"phase": "2", "kind": "plain"}}
	if err := putSeed(t, p.SrcS3, p.SrcBucket, &plain); err != nil {
		t.Fatal(err)
	}
	if status, _ := headStatus(t, p.SrcS3, p.SrcBucket, plain.Key); status != "PENDING" && status != "COMPLETED" {
		t.Errorf("HEAD right after a PUT: x-amz-replication-status %q, want PENDING (or already COMPLETED)", status)
	}
	waitReplica(t, p.DstS3, p.DstBucket, &plain)
	waitStatus(t, p.SrcS3, p.SrcBucket, plain.Key, "COMPLETED")

	copied := plain
	copied.Key = "live/copied"
	_, err := p.SrcS3.CopyObject(t.Context(), &s3.CopyObjectInput{
		Bucket: aws.String(p.SrcBucket), Key: aws.String(copied.Key), CopySource: aws.String(p.SrcBucket + "/" + plain.Key),
	})
	if err != nil {
		t.Fatalf("CopyObject: %v", err)
	}
	waitReplica(t, p.DstS3, p.DstBucket, &copied)
	waitStatus(t, p.SrcS3, p.SrcBucket, copied.Key, "COMPLETED")

	multi := seedObject{Key: "live/multipart", Size: 12*mib + 1, PartSize: 5 * mib, Seed: 33, ContentType: "video/mp4",
		Meta: map[string]string{"parts": "3"}, Tags: map[string]string{"phase": "3"}}
	if err := putSeed(t, p.SrcS3, p.SrcBucket, &multi); err != nil {
		t.Fatal(err)
	}
	waitReplica(t, p.DstS3, p.DstBucket, &multi)
	waitStatus(t, p.SrcS3, p.SrcBucket, multi.Key, "COMPLETED")

	if _, err := p.SrcS3.DeleteObject(t.Context(), &s3.DeleteObjectInput{Bucket: aws.String(p.SrcBucket), Key: aws.String(plain.Key)}); err != nil {
		t.Fatalf("DeleteObject %s: %v", plain.Key, err)
	}
	waitFor(t, liveTimeout, "the delete marker of "+plain.Key+" at the destination", func() bool {
		_, found := headStatus(t, p.DstS3, p.DstBucket, plain.Key)
		return !found
	})
	versions, err := p.DstS3.ListObjectVersions(t.Context(), &s3.ListObjectVersionsInput{Bucket: aws.String(p.DstBucket), Prefix: aws.String(plain.Key)})
	if err != nil {
		t.Fatalf("ListObjectVersions at the destination: %v", err)
	}
	if len(versions.DeleteMarkers) != 1 || !aws.ToBool(versions.DeleteMarkers[0].IsLatest) || len(versions.Versions) != 1 {
		t.Errorf("destination versions of %s: %d versions, %d delete markers; want the replica and a latest delete marker",
			plain.Key, len(versions.Versions), len(versions.DeleteMarkers))
	}
	// The other keys are untouched by the delete.
	if err := replicaOf(t, p.DstS3, p.DstBucket, &copied, "REPLICA"); err != nil {
		t.Error(err)
	}
}

func TestTwoBucketsReplicatingToEachOtherDoNotLoop(t *testing.T) {
	t.Parallel()
	a, b := startServer(t, serverOptions{}), startServer(t, serverOptions{})
	aS3 := s3Client(a.S3URL, a.AccessKey, a.SecretKey)
	bS3 := s3Client(b.S3URL, b.AccessKey, b.SecretKey)
	aBucket := bucketName(t)
	bBucket := aBucket + "-b"
	for _, s := range []struct {
		c      *s3.Client
		bucket string
	}{{aS3, aBucket}, {bS3, bBucket}} {
		createBucketOn(t, s.c, s.bucket)
		setVersioning(t, s.c, s.bucket, types.BucketVersioningStatusEnabled)
	}
	toB := createTarget(mapiRoot(t, a), "to-b", b, bBucket)
	toA := createTarget(mapiRoot(t, b), "to-a", a, aBucket)
	if err := putReplication(t, aS3, aBucket, replRule{ID: "a-to-b", ARN: toB, DeleteMarkers: true}); err != nil {
		t.Fatalf("PutBucketReplication on A: %v", err)
	}
	if err := putReplication(t, bS3, bBucket, replRule{ID: "b-to-a", ARN: toA, DeleteMarkers: true}); err != nil {
		t.Fatalf("PutBucketReplication on B: %v", err)
	}

	fromA := seedObject{Key: "ping/from-a", Size: 5000, Seed: 41, ContentType: "text/plain", Tags: map[string]string{"side": "a"}}
	fromB := seedObject{Key: "ping/from-b", Size: 6000, Seed: 42, ContentType: "text/plain", Meta: map[string]string{"side": "b"}}
	if err := putSeed(t, aS3, aBucket, &fromA); err != nil {
		t.Fatal(err)
	}
	if err := putSeed(t, bS3, bBucket, &fromB); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, aS3, aBucket, fromA.Key, "COMPLETED")
	waitStatus(t, bS3, bBucket, fromB.Key, "COMPLETED")
	waitReplica(t, bS3, bBucket, &fromA)
	waitReplica(t, aS3, aBucket, &fromB)

	// A loop would show as a second version of a key on its source a poll
	// or two (1 s each) after its replica was written: give it that long.
	time.Sleep(3 * time.Second)
	for _, c := range []struct {
		name   string
		c      *s3.Client
		bucket string
		key    string
		status string
	}{
		{"A's own object on A", aS3, aBucket, fromA.Key, "COMPLETED"},
		{"A's object on B", bS3, bBucket, fromA.Key, "REPLICA"},
		{"B's own object on B", bS3, bBucket, fromB.Key, "COMPLETED"},
		{"B's object on A", aS3, aBucket, fromB.Key, "REPLICA"},
	} {
		if n := versionCount(t, c.c, c.bucket, c.key); n != 1 {
			t.Errorf("%s: %d versions, want exactly 1 (replicated once, never sent back)", c.name, n)
		}
		if status, _ := headStatus(t, c.c, c.bucket, c.key); status != c.status {
			t.Errorf("%s: x-amz-replication-status %q, want %q", c.name, status, c.status)
		}
	}
}

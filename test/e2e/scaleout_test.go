package e2e

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/quarrylabs/quarry/internal/auth"
	"github.com/quarrylabs/quarry/internal/meta"
	"github.com/quarrylabs/quarry/internal/meta/postgres"
	"github.com/quarrylabs/quarry/internal/meta/postgres/pgtest"
)

// cluster is Quarry in scale-out mode: nodes with data directories of their
// own over one PostgreSQL database and one storage component, a bucket of
// another Quarry process (the backend) on local disk.
type cluster struct {
	Nodes   []*server
	Backend *server
	// DSN is the nodes' --meta.
	DSN string
}

// clusterDataBucket is the backend's bucket holding the nodes' object data.
const clusterDataBucket = "quarry-cluster-data"

// startCluster starts n nodes, all at once (so that their first starts race
// to migrate the schema and create the root account and keys), skipping the
// test where PostgreSQL is not installed.
func startCluster(t *testing.T, n int, args ...string) *cluster {
	t.Helper()
	dsn, err := pgtest.NewDatabase()
	if errors.Is(err, pgtest.ErrUnavailable) && os.Getenv("QUARRY_TEST_PG_REQUIRED") != "1" {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	cl := &cluster{DSN: dsn, Backend: startServer(t, serverOptions{})}
	backendS3 := s3Client(cl.Backend.S3URL, cl.Backend.AccessKey, cl.Backend.SecretKey)
	createBucketOn(t, backendS3, clusterDataBucket)

	// One key file for every node: it seals the secrets in the database.
	keyFile := filepath.Join(t.TempDir(), "cluster.key")
	if _, err := auth.LoadOrCreateKey(keyFile); err != nil {
		t.Fatal(err)
	}
	blob := "s3://" + clusterDataBucket + "?" + url.Values{
		"endpoint": {cl.Backend.S3URL}, "region": {testRegion}, "path_style": {"true"},
	}.Encode()
	opts := serverOptions{Meta: dsn, Args: []string{
		"--key-file", keyFile,
		"--blob", blob, "--blob-access-key", cl.Backend.AccessKey, "--blob-secret-key", cl.Backend.SecretKey,
		"--job-lease", "3s",
	}}
	opts.Args = append(opts.Args, args...)
	cl.Nodes = make([]*server, n)
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			srv, err := launch(opts, filepath.Join(t.TempDir(), fmt.Sprintf("node%d", i)))
			if srv != nil {
				t.Cleanup(func() {
					srv.kill()
					if t.Failed() {
						t.Logf("--- node %d output (tail) ---\n%s", i, tail(srv.Output(), 8000))
					}
				})
			}
			cl.Nodes[i], errs[i] = srv, err
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("start the nodes: %v", err)
	}
	return cl
}

// s3Clients are a root S3 client per node.
func (cl *cluster) s3Clients() []*s3.Client {
	cs := make([]*s3.Client, len(cl.Nodes))
	for i, n := range cl.Nodes {
		cs[i] = s3Client(n.S3URL, n.AccessKey, n.SecretKey)
	}
	return cs
}

// store opens the nodes' database beside them.
func (cl *cluster) store(t *testing.T) meta.Store {
	t.Helper()
	st, err := postgres.Open(t.Context(), cl.DSN)
	if err != nil {
		t.Fatalf("open the cluster's database: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// on returns a copy of c, logged in on one node, that talks to another
// node with the same tokens and CSRF cookie.
func (c *mapiClient) on(srv *server) *mapiClient {
	cc := *c
	cc.base = "http://" + srv.MAPIAddr
	return &cc
}

func TestScaleOutNodesServeOneStoreInterchangeably(t *testing.T) {
	t.Parallel()
	cl := startCluster(t, 3)
	s3s := cl.s3Clients()
	bucket := bucketName(t)
	createBucketOn(t, s3s[0], bucket)

	// Written round-robin, read back from the next node.
	const n = 30
	body := func(i int) []byte { return bytes.Repeat([]byte{byte('a' + i%26)}, 1000+i*97) }
	for i := range n {
		putObject(t, s3s[i%3], bucket, fmt.Sprintf("k%02d", i), body(i))
	}
	for i := range n {
		got, _ := mustGet(t, s3s[(i+1)%3], bucket, fmt.Sprintf("k%02d", i), "")
		if !bytes.Equal(got, body(i)) {
			t.Errorf("k%02d read on node %d: %d bytes, not the %d written on node %d", i, (i+1)%3, len(got), len(body(i)), i%3)
		}
	}

	// A login on one node, and its CSRF token, work on every node.
	root := mapiRoot(t, cl.Nodes[0])
	for i, node := range cl.Nodes {
		var out struct {
			Buckets []struct {
				Name string `json:"name"`
			} `json:"buckets"`
		}
		root.on(node).must("user/list_buckets", map[string]any{}, &out)
		found := false
		for _, b := range out.Buckets {
			found = found || b.Name == bucket
		}
		if !found {
			t.Errorf("node %d's user/list_buckets, with node 0's token, does not show %s: %+v", i, bucket, out.Buckets)
		}
	}

	// Writers on every node at once to one key: one consistent winner.
	const perNode = 15
	var wg sync.WaitGroup
	written := sync.Map{} // md5 -> body
	for node := range 3 {
		wg.Go(func() {
			for j := range perNode {
				b := []byte(fmt.Sprintf("node %d write %d %s", node, j, strings.Repeat("x", j*131)))
				sum := md5.Sum(b)
				written.Store(hex.EncodeToString(sum[:]), b)
				_, err := s3s[node].PutObject(t.Context(), &s3.PutObjectInput{
					Bucket: aws.String(bucket), Key: aws.String("contended"), Body: bytes.NewReader(b),
				})
				if err != nil {
					t.Errorf("PUT contended on node %d: %v", node, err)
					return
				}
			}
		})
	}
	wg.Wait()
	var etag string
	for i, c := range s3s {
		got, out := mustGet(t, c, bucket, "contended", "")
		sum := md5.Sum(got)
		if _, ok := written.Load(hex.EncodeToString(sum[:])); !ok {
			t.Fatalf("node %d reads contended as %d bytes that no writer sent", i, len(got))
		}
		tag := strings.Trim(aws.ToString(out.ETag), `"`)
		if etag == "" {
			etag = tag
		} else if tag != etag {
			t.Errorf("node %d reads contended with ETag %s, node 0 with %s", i, tag, etag)
		}
	}

	// The counters are exact: n objects plus the contended one, each one
	// version (the bucket is not versioned).
	st := cl.store(t)
	got := wantExactUsage(t, st, bucket, nil)
	if got.Objects != n+1 || got.Versions != n+1 {
		t.Errorf("usage %+v, want %d objects and versions", got, n+1)
	}
	recon := root.on(cl.Nodes[2]).createJob(metricRecon, bucket, nil)
	j := root.on(cl.Nodes[1]).waitJobEnded(recon.ID(), time.Minute)
	wantJobComplete(t, "METRIC_RECONCILIATION", j, n+1, 0)
	if j.Result == nil || j.Result.Drift != (mapiUsage{}) {
		t.Errorf("METRIC_RECONCILIATION found drift %+v after concurrent writes on three nodes", j.Result)
	}
}

func TestScaleOutAnotherNodeFinishesAJobWhoseNodeWasKilled(t *testing.T) {
	t.Parallel()
	cl := startCluster(t, 3)
	s3s := cl.s3Clients()
	bucket := bucketName(t)
	createBucketOn(t, s3s[0], bucket)
	st := cl.store(t)
	const seeded = 60_000
	usage, err := seedObjects(t.Context(), st, bucket, "obj/", seeded)
	if err != nil {
		t.Fatalf("seed: %v", err)
	}
	setUsage(t, st, bucket, corruptUsage)

	root := mapiRoot(t, cl.Nodes[0])
	created := root.createJob(metricRecon, bucket, nil)
	waitRunningFor(root, created.ID(), seeded)
	survivor := cl.killHolder(t, st, created.ID())

	j := root.on(survivor).waitJobEnded(created.ID(), 3*time.Minute)
	if j.JobState != "COMPLETE" || j.JobStats.Processed != seeded || j.JobStats.Failed != 0 || j.JobStats.Total != seeded {
		t.Fatalf("job %d ended %s (%s) with %+v, want COMPLETE with processed = total = %d", j.ID(), j.JobState, j.Message, j.JobStats, seeded)
	}
	wantCounterIdentity(t, "METRIC_RECONCILIATION", j)
	if row := jobRow(t, st, created.ID()); row.Attempts != 2 {
		t.Errorf("job %d was claimed %d times, want 2 (the killed node, then another)", created.ID(), row.Attempts)
	}
	wantExactUsage(t, st, bucket, &usage)
}

// waitRunningFor is waitRunning for a job over a bucket of total objects:
// it must have started and be far from done.
func waitRunningFor(c *mapiClient, id int32, total int64) {
	c.t.Helper()
	j := waitRunning(c, id)
	if j.JobStats.Processed > total/2 {
		c.t.Logf("job %d was already at %d of %d when the test caught it", id, j.JobStats.Processed, total)
	}
}

// killHolder kills the node holding job id's lease and returns a survivor.
func (cl *cluster) killHolder(t *testing.T, st meta.Store, id int32) *server {
	t.Helper()
	row := jobRow(t, st, id)
	for i, node := range cl.Nodes {
		if ownedBy(row.LeaseOwner, node) {
			node.Kill(t)
			t.Logf("killed node %d, which held job %d", i, id)
			return cl.Nodes[(i+1)%len(cl.Nodes)]
		}
	}
	t.Fatalf("job %d runs under lease owner %q, no node's", id, row.LeaseOwner)
	return nil
}

func TestScaleOutBatchReplicateFinishesOnAnotherNodeAfterAKill(t *testing.T) {
	t.Parallel()
	cl := startCluster(t, 3)
	s3s := cl.s3Clients()
	bucket := bucketName(t)
	createBucketOn(t, s3s[0], bucket)
	setVersioning(t, s3s[0], bucket, types.BucketVersioningStatusEnabled)
	dst := startServer(t, serverOptions{})
	dstS3 := s3Client(dst.S3URL, dst.AccessKey, dst.SecretKey)
	createBucketOn(t, dstS3, bucket+"-dst")
	root := mapiRoot(t, cl.Nodes[1])
	arn := createTarget(root, bucket+"-dst", dst, bucket+"-dst")
	if err := putReplication(t, s3s[2], bucket, replRule{ID: "all", ARN: arn}); err != nil {
		t.Fatalf("PutBucketReplication: %v", err)
	}
	// Small objects kept inline, so the seeding needs no storage component
	// writes and the copies read real data.
	const objects = 12_000
	st := cl.store(t)
	if err := seedInline(t, st, bucket, "obj/", objects); err != nil {
		t.Fatal(err)
	}

	created := root.createJob(batchReplicate, bucket, nil)
	waitRunningFor(root, created.ID(), objects)
	survivor := cl.killHolder(t, st, created.ID())
	j := root.on(survivor).waitJobEnded(created.ID(), 3*time.Minute)
	// The killed node's last page is done again and found in place:
	// skipped, not copied twice.
	if j.JobState != "COMPLETE" || j.JobStats.Failed != 0 || j.JobStats.Total != objects ||
		j.JobStats.Processed+j.JobStats.Skipped != objects {
		t.Fatalf("job %d ended %s (%s) with %+v, want COMPLETE, every one of %d objects processed or skipped", j.ID(), j.JobState, j.Message, j.JobStats, objects)
	}
	wantCounterIdentity(t, "BATCH_REPLICATE", j)
	if n := countKeys(t, dstS3, bucket+"-dst", "obj/"); n != objects {
		t.Errorf("the destination holds %d objects, want %d", n, objects)
	}
	got, _ := mustGet(t, dstS3, bucket+"-dst", "obj/0001234", "")
	if want := inlineBody(1234); !bytes.Equal(got, want) {
		t.Errorf("obj/0001234 arrived as %q, want %q", got, want)
	}
}

func TestScaleOutLifecycleUpdateFinishesOnAnotherNodeAfterAKill(t *testing.T) {
	t.Parallel()
	cl := startCluster(t, 3, "--lifecycle-day", "1s", "--lifecycle-scan=false")
	s3s := cl.s3Clients()
	bucket := bucketName(t)
	createBucketOn(t, s3s[0], bucket)
	setVersioning(t, s3s[0], bucket, types.BucketVersioningStatusEnabled)
	st := cl.store(t)
	const objects = 20_000
	if err := seedVersioned(t.Context(), st, bucket, "k/", objects); err != nil {
		t.Fatal(err)
	}
	putLifecycle(t, s3s[1], bucket, expireRule("all", "", 1))
	time.Sleep(2500 * time.Millisecond) // the objects are a lifecycle day old

	root := mapiRoot(t, cl.Nodes[2])
	created := root.createJob(lifecycleUpdate, bucket, nil)
	waitRunningFor(root, created.ID(), objects)
	survivor := cl.killHolder(t, st, created.ID())
	j := root.on(survivor).waitJobEnded(created.ID(), 3*time.Minute)
	wantJobComplete(t, "LIFECYCLE_UPDATE after a node was killed", j, objects, 0)

	// Every key has exactly one delete marker on top of its one version.
	markers, versions := 0, 0
	p := s3.NewListObjectVersionsPaginator(s3s[0], &s3.ListObjectVersionsInput{Bucket: aws.String(bucket)})
	for p.HasMorePages() {
		page, err := p.NextPage(t.Context())
		if err != nil {
			t.Fatalf("list versions: %v", err)
		}
		markers += len(page.DeleteMarkers)
		versions += len(page.Versions)
	}
	if markers != objects || versions != objects {
		t.Errorf("after the job: %d delete markers and %d versions, want %d of each", markers, versions, objects)
	}
	wantExactUsage(t, st, bucket, nil)
}

// inlineBody is the data of seedInline's object i.
func inlineBody(i int) []byte { return []byte(fmt.Sprintf("object %07d of the cluster's seed", i)) }

// seedInline inserts n current versions of a versioned bucket, each with
// its data inline, as the object service stores small objects.
func seedInline(t *testing.T, st meta.Store, bucket, prefix string, n int) error {
	t.Helper()
	_, err := seedVersions(t.Context(), st, bucket, n, func(i int, now time.Time) *meta.Version {
		body := inlineBody(i)
		sum := md5.Sum(body)
		return &meta.Version{
			Key: fmt.Sprintf("%s%07d", prefix, i), VersionID: fmt.Sprintf("%016x%016x", now.UnixNano(), i),
			Size: int64(len(body)), ETag: hex.EncodeToString(sum[:]), LastModified: now,
			ContentType: "text/plain", Inline: true, InlineData: body,
		}
	})
	return err
}

// Live replication on many nodes: each outbox entry is delivered by one
// node at a time and a key's entries in order, so the destination ends
// with the source's latest version of a key written from every node in
// turn, and no version arrives twice. The lifecycle scanner runs on every
// node, but each bucket gets one scan per lifecycle day in all.
func TestScaleOutLiveReplicationAndTheLifecycleScannerWorkOnceAcrossNodes(t *testing.T) {
	t.Parallel()
	const day = 2 * time.Second
	cl := startCluster(t, 3, "--lifecycle-day", day.String())
	s3s := cl.s3Clients()
	root := mapiRoot(t, cl.Nodes[0])

	// Replication: one key written 12 times, each time through the next
	// node, and 30 keys written once each.
	bucket := bucketName(t)
	createBucketOn(t, s3s[0], bucket)
	setVersioning(t, s3s[0], bucket, types.BucketVersioningStatusEnabled)
	dst := startServer(t, serverOptions{})
	dstS3 := s3Client(dst.S3URL, dst.AccessKey, dst.SecretKey)
	dstBucket := bucket + "-dst"
	createBucketOn(t, dstS3, dstBucket)
	setVersioning(t, dstS3, dstBucket, types.BucketVersioningStatusEnabled)
	arn := createTarget(root, dstBucket, dst, dstBucket)
	if err := putReplication(t, s3s[1], bucket, replRule{ID: "all", ARN: arn}); err != nil {
		t.Fatalf("PutBucketReplication: %v", err)
	}
	const writes, keys = 12, 30
	var last []byte
	for i := range writes {
		last = []byte(fmt.Sprintf("write %d of the shared key, through node %d", i, i%3))
		putObject(t, s3s[i%3], bucket, "shared", last)
	}
	for i := range keys {
		putObject(t, s3s[(i+1)%3], bucket, fmt.Sprintf("k%02d", i), []byte(fmt.Sprintf("key %d", i)))
	}
	waitStatus(t, s3s[2], bucket, "shared", "COMPLETED")
	for i := range keys {
		waitStatus(t, s3s[i%3], bucket, fmt.Sprintf("k%02d", i), "COMPLETED")
		got, _ := mustGet(t, dstS3, dstBucket, fmt.Sprintf("k%02d", i), "")
		if want := fmt.Sprintf("key %d", i); string(got) != want {
			t.Errorf("k%02d at the destination: %q, want %q", i, got, want)
		}
	}
	if got, _ := mustGet(t, dstS3, dstBucket, "shared", ""); !bytes.Equal(got, last) {
		t.Errorf("the destination's latest shared is %q, want the source's last write %q", got, last)
	}
	out, err := dstS3.ListObjectVersions(t.Context(), &s3.ListObjectVersionsInput{Bucket: aws.String(dstBucket), Prefix: aws.String("shared")})
	if err != nil {
		t.Fatalf("list the destination's versions: %v", err)
	}
	seen := map[string]bool{}
	for _, v := range out.Versions {
		etag := aws.ToString(v.ETag)
		if seen[etag] {
			t.Errorf("the destination holds the version with ETag %s twice: an entry was delivered twice", etag)
		}
		seen[etag] = true
	}
	if len(seen) == 0 || len(seen) > writes {
		t.Errorf("the destination holds %d versions of shared, want 1 to %d", len(seen), writes)
	}

	// The scanner: a rule expiring tmp/ after one lifecycle day, and an
	// object under it. Over several days each day's scan of the bucket is
	// scheduled once, whichever node schedules it.
	lc := bucketName(t) + "-lc"
	createBucketOn(t, s3s[0], lc)
	putLifecycle(t, s3s[1], lc, expireRule("tmp", "tmp/", 1))
	putObject(t, s3s[2], lc, "tmp/a", []byte("temporary"))
	putObject(t, s3s[0], lc, "keep/b", []byte("kept"))
	time.Sleep(4*day + day/2)
	waitFor(t, time.Minute, "the scanner's jobs to end", func() bool {
		for _, j := range root.listJobs(map[string]any{"jobType": lifecycleUpdate, "bucketName": lc}) {
			if !j.ended() {
				return false
			}
		}
		return true
	})
	scans := root.on(cl.Nodes[1]).listJobs(map[string]any{"jobType": lifecycleUpdate, "bucketName": lc})
	days := map[string]int32{}
	expired := int64(0)
	for _, j := range scans {
		i := strings.Index(j.Message, "lifecycle day ")
		if i < 0 {
			t.Errorf("job %d on %s was not started by the scanner: %q", j.ID(), lc, j.Message)
			continue
		}
		d := strings.Fields(j.Message[i+len("lifecycle day "):])[0]
		if other, dup := days[d]; dup {
			t.Errorf("lifecycle day %s of %s was scanned twice: jobs %d and %d", d, lc, other, j.ID())
		}
		days[d] = j.ID()
		wantCounterIdentity(t, "a scanner job", j)
		expired += j.JobStats.Processed
	}
	t.Logf("scanner jobs on %s by lifecycle day: %v", lc, days)
	if len(days) < 2 {
		t.Errorf("%d scanner jobs on %s over more than 4 lifecycle days, want one a day from the day after the rule", len(days), lc)
	}
	if expired != 1 || countKeys(t, s3s[0], lc, "tmp/") != 0 || countKeys(t, s3s[1], lc, "keep/") != 1 {
		t.Errorf("the scans expired %d objects in all; tmp/ holds %d keys and keep/ %d, want tmp/a expired once and keep/b kept",
			expired, countKeys(t, s3s[0], lc, "tmp/"), countKeys(t, s3s[1], lc, "keep/"))
	}
}

// Jobs spread over the nodes through their leases: with one job worker a
// node, three BATCH_REPLICATE jobs created on one node at once run on
// three nodes, never two on one node at a time, and each ends exact.
func TestScaleOutJobsSpreadOverTheNodesThroughLeases(t *testing.T) {
	t.Parallel()
	cl := startCluster(t, 3, "--job-workers", "1")
	s3s := cl.s3Clients()
	st := cl.store(t)
	root := mapiRoot(t, cl.Nodes[0])
	dst := startServer(t, serverOptions{})
	dstS3 := s3Client(dst.S3URL, dst.AccessKey, dst.SecretKey)

	const jobs, objects = 3, 1000
	buckets := make([]string, jobs)
	for i := range buckets {
		b := fmt.Sprintf("%s-%d", bucketName(t), i)
		buckets[i] = b
		createBucketOn(t, s3s[i], b)
		setVersioning(t, s3s[i], b, types.BucketVersioningStatusEnabled)
		createBucketOn(t, dstS3, b+"-dst")
		arn := createTarget(root, b+"-dst", dst, b+"-dst")
		if err := putReplication(t, s3s[i], b, replRule{ID: "all", ARN: arn}); err != nil {
			t.Fatalf("PutBucketReplication on %s: %v", b, err)
		}
		if err := seedInline(t, st, b, "obj/", objects); err != nil {
			t.Fatal(err)
		}
	}
	ids := make([]int32, jobs)
	for i, b := range buckets {
		ids[i] = root.createJob(batchReplicate, b, nil).ID()
	}

	// Watch the leases until every job has ended.
	ranOn := map[int32]map[int]bool{} // job -> nodes seen holding it
	deadline := time.Now().Add(3 * time.Minute)
	for {
		held := map[int]int{} // node -> jobs it holds now
		ended := 0
		for _, id := range ids {
			row := jobRow(t, st, id)
			if row.State.Terminal() {
				ended++
				continue
			}
			for n, node := range cl.Nodes {
				if row.LeaseOwner != "" && ownedBy(row.LeaseOwner, node) {
					held[n]++
					if ranOn[id] == nil {
						ranOn[id] = map[int]bool{}
					}
					ranOn[id][n] = true
				}
			}
		}
		for n, k := range held {
			if k > 1 {
				t.Errorf("node %d holds %d jobs at once with --job-workers 1", n, k)
			}
		}
		if ended == jobs {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the jobs did not end within 3 minutes")
		}
		time.Sleep(20 * time.Millisecond)
	}
	nodes := map[int]bool{}
	for _, on := range ranOn {
		for n := range on {
			nodes[n] = true
		}
	}
	t.Logf("nodes seen holding each job: %v", ranOn)
	if len(nodes) < 2 {
		t.Errorf("all %d jobs ran on node(s) %v: they did not spread", jobs, nodes)
	}
	for i, id := range ids {
		j := root.on(cl.Nodes[2]).waitJobEnded(id, time.Minute)
		wantJobComplete(t, "BATCH_REPLICATE on "+buckets[i], j, objects, 0)
		if n := countKeys(t, dstS3, buckets[i]+"-dst", "obj/"); n != objects {
			t.Errorf("%s-dst holds %d objects, want %d", buckets[i], n, objects)
		}
	}
}

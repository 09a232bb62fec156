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
func startCluster(t *testing.T, n int) *cluster {
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
	row := jobRow(t, st, created.ID())
	holder := -1
	for i, node := range cl.Nodes {
		if ownedBy(row.LeaseOwner, node) {
			holder = i
		}
	}
	if holder < 0 {
		t.Fatalf("job %d runs under lease owner %q, no node's", created.ID(), row.LeaseOwner)
	}
	cl.Nodes[holder].Kill(t)
	survivor := cl.Nodes[(holder+1)%3]
	t.Logf("killed node %d, which held job %d", holder, created.ID())

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

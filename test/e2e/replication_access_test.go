package e2e

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/quarrylabs/quarry/internal/meta"
)

// A replication target holds credentials to another system: these tests
// check that only the users allowed to use one can have a bucket write
// there, through the real binary on two servers.

// versionedUser is a USER-role account on srv with a versioned bucket of
// its own.
func versionedUser(t *testing.T, srv *server, root *mapiClient, name string) *mapiUser {
	t.Helper()
	u := newMAPIUser(t, srv, root, name)
	setVersioning(t, u.S3, u.Bucket, types.BucketVersioningStatusEnabled)
	return u
}

// listedTargets is what c sees in replication_target/list, by ARN, with
// the fields only a target's owner and admins see.
func listedTargets(c *mapiClient) map[string]map[string]any {
	c.t.Helper()
	var out struct {
		Targets []map[string]any `json:"targets"`
	}
	c.must("replication_target/list", map[string]any{}, &out)
	byARN := map[string]map[string]any{}
	for _, tg := range out.Targets {
		byARN[tg["arn"].(string)] = tg
	}
	return byARN
}

// etagOf is the ETag and the data of bucket/key.
func etagOf(t *testing.T, c *s3.Client, bucket, key string) (etag string, body []byte) {
	t.Helper()
	body, out := mustGet(t, c, bucket, key, "")
	return aws.ToString(out.ETag), body
}

// wantUnchanged fails t unless bucket/key at the destination still has
// the ETag and body it had.
func wantUnchanged(t *testing.T, c *s3.Client, bucket, key, etag string, body []byte) {
	t.Helper()
	gotETag, gotBody := etagOf(t, c, bucket, key)
	if gotETag != etag || string(gotBody) != string(body) {
		t.Fatalf("destination %s/%s changed: ETag %s, body %q; want ETag %s, body %q", bucket, key, gotETag, gotBody, etag, body)
	}
}

// replicationState reads, in the source's metadata, the state of
// bucket/key's latest version at arn.
func replicationState(t *testing.T, src *server, c *s3.Client, bucket, key, arn string) meta.VersionReplication {
	t.Helper()
	head, err := c.HeadObject(t.Context(), &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		t.Fatalf("HeadObject %s/%s: %v", bucket, key, err)
	}
	var states []meta.VersionReplication
	err = openMeta(t, src).View(t.Context(), func(tx meta.Tx) error {
		var err error
		states, err = tx.ListVersionReplication(bucket, key, aws.ToString(head.VersionId))
		return err
	})
	if err != nil {
		t.Fatalf("replication states of %s/%s: %v", bucket, key, err)
	}
	for _, st := range states {
		if st.TargetARN == arn {
			return st
		}
	}
	t.Fatalf("%s/%s has no replication state at %s: %+v", bucket, key, arn, states)
	return meta.VersionReplication{}
}

// waitOutboxEmpty waits until the source holds no replication task of
// bucket: every copy and delete queued was tried for the last time.
func waitOutboxEmpty(t *testing.T, src *server, bucket string) {
	t.Helper()
	st := openMeta(t, src)
	waitFor(t, liveTimeout, "the outbox of "+bucket+" empty", func() bool {
		var n int64
		err := st.View(t.Context(), func(tx meta.Tx) error {
			var err error
			n, err = tx.CountOutbox(meta.OutboxFilter{Kind: "replication", Bucket: bucket, States: []meta.OutboxState{meta.OutboxPending}})
			return err
		})
		return err == nil && n == 0
	})
}

func TestReplicationTargetOfAnAdminCannotBeNamedByAnotherUserToWriteItsDestination(t *testing.T) {
	t.Parallel()
	// Admin A (root of the source) registers target T for A's DR bucket
	// on a second server, and replicates A's bucket to it.
	p := newReplPair(t, true)
	p.mustReplicate(t, replRule{DeleteMarkers: true})
	const key = "payroll.csv"
	putObject(t, p.SrcS3, p.SrcBucket, key, []byte("A's payroll, v1"))
	waitStatus(t, p.SrcS3, p.SrcBucket, key, "COMPLETED")
	etag, body := etagOf(t, p.DstS3, p.DstBucket, key)
	if string(body) != "A's payroll, v1" {
		t.Fatalf("A's destination holds %q before the attack", body)
	}

	// User B, not an admin, knows T's ARN.
	b := versionedUser(t, p.Src, p.MAPI, "tenant-b")
	err := putReplication(t, b.S3, b.Bucket, replRule{ID: "steal", ARN: p.ARN, DeleteMarkers: true})
	wantErr(t, "B's PutBucketReplication naming A's target", err, http.StatusForbidden, "AccessDenied")
	if err != nil && !strings.Contains(err.Error(), "bucket owner tenant-b may not use target "+p.ARN) {
		t.Errorf("the AccessDenied does not say why: %v", err)
	}
	_, err = b.S3.GetBucketReplication(t.Context(), &s3.GetBucketReplicationInput{Bucket: aws.String(b.Bucket)})
	wantErr(t, "GetBucketReplication of B's bucket after the refusal", err, http.StatusNotFound, "ReplicationConfigurationNotFoundError")

	// B writes over and deletes the key in its own bucket.
	putObject(t, b.S3, b.Bucket, key, []byte("B's forged payroll"))
	if status, _ := headStatus(t, b.S3, b.Bucket, key); status != "" {
		t.Errorf("B's object has replication status %q, want none", status)
	}
	if _, err := b.S3.DeleteObject(t.Context(), &s3.DeleteObjectInput{Bucket: aws.String(b.Bucket), Key: aws.String(key)}); err != nil {
		t.Fatalf("B's DeleteObject: %v", err)
	}
	putObject(t, b.S3, b.Bucket, "other.csv", []byte("B's other file"))

	// A's next write reaching the destination shows the replicator has
	// been at work since; B's writes left A's object as it was.
	putObject(t, p.SrcS3, p.SrcBucket, "after.txt", []byte("A's later write"))
	waitStatus(t, p.SrcS3, p.SrcBucket, "after.txt", "COMPLETED")
	wantUnchanged(t, p.DstS3, p.DstBucket, key, etag, body)
	if n := versionCount(t, p.DstS3, p.DstBucket, key); n != 1 {
		t.Errorf("A's destination holds %d versions of %s, want the one A wrote", n, key)
	}
	if _, found := headStatus(t, p.DstS3, p.DstBucket, "other.csv"); found {
		t.Error("B's other file reached A's destination")
	}

	// B does not see T, and is told it does not exist whatever it asks.
	if tg, seen := listedTargets(b.MAPI)[p.ARN]; seen {
		t.Errorf("B lists A's target: %v", tg)
	}
	for ep, body := range map[string]map[string]any{
		"replication_target/test":          {"arn": p.ARN},
		"replication_target/delete":        {"arn": p.ARN},
		"replication_target/update_access": {"arn": p.ARN, "allUsers": true},
	} {
		r := b.MAPI.post(ep, body)
		wantMAPIError(t, "B's "+ep+" of A's target", r, http.StatusNotFound, "NOT_FOUND", "does not exist")
	}
	if tg := listedTargets(p.MAPI)[p.ARN]; tg == nil || tg["allUsers"] != false || len(tg["users"].([]any)) != 0 {
		t.Errorf("A's target after B's tries: %v, want granted to nobody", tg)
	}
}

func TestReplicationToAGrantedTargetStopsWhenTheGrantIsRevoked(t *testing.T) {
	t.Parallel()
	p := newReplPair(t, true)
	b := versionedUser(t, p.Src, p.MAPI, "granted-b")

	var granted struct {
		Target map[string]any `json:"target"`
	}
	p.MAPI.must("replication_target/update_access", map[string]any{"arn": p.ARN, "users": []string{"granted-b"}}, &granted)
	if users, _ := granted.Target["users"].([]any); len(users) != 1 || !strings.Contains(mustJSON(users[0]), `"granted-b"`) {
		t.Fatalf("update_access answered %v, want the target granted to granted-b", granted.Target)
	}
	// B sees the target, but not who owns it or who else may use it.
	tg := listedTargets(b.MAPI)[p.ARN]
	if tg == nil {
		t.Fatal("B does not list the target it was granted")
	}
	for _, field := range []string{"owner", "users", "allUsers"} {
		if _, shown := tg[field]; shown {
			t.Errorf("B is shown the target's %s: %v", field, tg)
		}
	}

	if err := putReplication(t, b.S3, b.Bucket, replRule{ID: "dr", ARN: p.ARN, DeleteMarkers: true}); err != nil {
		t.Fatalf("B's PutBucketReplication naming a target granted to it: %v", err)
	}
	const key = "report.txt"
	putObject(t, b.S3, b.Bucket, key, []byte("B's report, v1"))
	waitStatus(t, b.S3, b.Bucket, key, "COMPLETED")
	etag, body := etagOf(t, p.DstS3, p.DstBucket, key)
	if string(body) != "B's report, v1" {
		t.Fatalf("the destination holds %q, want B's report", body)
	}

	// The admin withdraws the grant; B's configuration stays stored.
	p.MAPI.must("replication_target/update_access", map[string]any{"arn": p.ARN, "users": []string{}}, nil)
	if _, err := b.S3.GetBucketReplication(t.Context(), &s3.GetBucketReplicationInput{Bucket: aws.String(b.Bucket)}); err != nil {
		t.Fatalf("B's configuration is gone after the revocation: %v", err)
	}
	if _, seen := listedTargets(b.MAPI)[p.ARN]; seen {
		t.Error("B still lists the target after the revocation")
	}

	putObject(t, b.S3, b.Bucket, key, []byte("B's report, v2: must not leave"))
	waitStatus(t, b.S3, b.Bucket, key, "FAILED")
	st := replicationState(t, p.Src, b.S3, b.Bucket, key, p.ARN)
	if want := "bucket owner granted-b may not use target " + p.ARN; st.Status != meta.ReplicationFailed || st.Error != want {
		t.Errorf("replication state = %s %q, want FAILED %q", st.Status, st.Error, want)
	}
	if _, err := b.S3.DeleteObject(t.Context(), &s3.DeleteObjectInput{Bucket: aws.String(b.Bucket), Key: aws.String(key)}); err != nil {
		t.Fatalf("DeleteObject: %v", err)
	}
	waitOutboxEmpty(t, p.Src, b.Bucket)
	wantUnchanged(t, p.DstS3, p.DstBucket, key, etag, body)
	if n := versionCount(t, p.DstS3, p.DstBucket, key); n != 1 {
		t.Errorf("the destination holds %d versions and delete markers of %s, want only the first copy", n, key)
	}
	if !strings.Contains(p.Src.Output(), "may not use target") {
		t.Error("the source's log does not say why the copy failed")
	}

	// Granted again, B's next write replicates.
	p.MAPI.must("replication_target/update_access", map[string]any{"arn": p.ARN, "allUsers": true}, nil)
	putObject(t, b.S3, b.Bucket, "again.txt", []byte("B, granted again"))
	waitStatus(t, b.S3, b.Bucket, "again.txt", "COMPLETED")
}

func TestReplicationTargetOfAUserIsUsableOnlyByItself(t *testing.T) {
	t.Parallel()
	p := newReplPair(t, false)
	c := versionedUser(t, p.Src, p.MAPI, "owner-c")
	d := versionedUser(t, p.Src, p.MAPI, "other-d")

	body := targetBody("cs-own", p.Dst.S3URL, p.DstBucket, p.Dst.AccessKey, p.Dst.SecretKey)
	for _, grant := range []map[string]any{{"users": []string{"other-d"}}, {"allUsers": true}} {
		withGrant := map[string]any{}
		for k, v := range body {
			withGrant[k] = v
		}
		for k, v := range grant {
			withGrant[k] = v
		}
		r := c.MAPI.post("replication_target/create", withGrant)
		wantMAPIError(t, "a user creating a target granted to others ("+mustJSON(grant)+")", r, http.StatusForbidden, "FORBIDDEN", "only an administrator may grant")
	}
	arn := createTarget(c.MAPI, "cs-own", p.Dst, p.DstBucket)

	if tg := listedTargets(c.MAPI)[arn]; tg == nil || !strings.Contains(mustJSON(tg["owner"]), `"owner-c"`) {
		t.Errorf("C lists its own target as %v, want it with C as owner", tg)
	}
	if _, seen := listedTargets(d.MAPI)[arn]; seen {
		t.Error("D lists C's target")
	}
	if _, seen := listedTargets(p.MAPI)[arn]; !seen {
		t.Error("the admin does not list C's target")
	}
	r := c.MAPI.post("replication_target/update_access", map[string]any{"arn": arn, "users": []string{"other-d"}})
	wantMAPIError(t, "C granting its target to D", r, http.StatusForbidden, "FORBIDDEN", "only an administrator may grant")

	err := putReplication(t, d.S3, d.Bucket, replRule{ID: "r", ARN: arn})
	wantErr(t, "D's PutBucketReplication naming C's target", err, http.StatusForbidden, "AccessDenied")

	if err := putReplication(t, c.S3, c.Bucket, replRule{ID: "r", ARN: arn}); err != nil {
		t.Fatalf("C's PutBucketReplication naming its own target: %v", err)
	}
	putObject(t, c.S3, c.Bucket, "c.txt", []byte("C's data"))
	waitStatus(t, c.S3, c.Bucket, "c.txt", "COMPLETED")
	if _, got := etagOf(t, p.DstS3, p.DstBucket, "c.txt"); string(got) != "C's data" {
		t.Errorf("the destination holds %q, want C's data", got)
	}
	var ok struct {
		OK bool `json:"ok"`
	}
	c.MAPI.must("replication_target/test", map[string]any{"arn": arn}, &ok)
	if !ok.OK {
		t.Error("C cannot test its own target")
	}
}

func TestReplicationTargetEndpointsMustBeAbsoluteHTTPURLsOfAHost(t *testing.T) {
	t.Parallel()
	root := mapiRoot(t, sharedSrv)
	before := listedTargets(root)
	name := bucketName(t)
	for i, endpoint := range []string{
		"http://127.0.0.1:0", "http://127.0.0.1:65536", "http://127.0.0.1:", "http://:9000", "//127.0.0.1:9000",
		"127.0.0.1:9000", "http://127.0.0.1:9000/bucket", "http://127.0.0.1:9000/?x=1", "http://127.0.0.1:9000/#top",
		"http://key:secret@127.0.0.1:9000", "file:///etc/passwd",
	} {
		// A name each, so that one stored by mistake cannot hide the next.
		r := root.post("replication_target/create", targetBody(fmt.Sprint(name, "-bad", i), endpoint, "bucket", "ak", "sk"))
		wantMAPIError(t, "replication_target/create with endpoint "+endpoint, r, http.StatusBadRequest, "INVALID_REQUEST", "endpoint")
	}
	after := listedTargets(root)
	for arn := range after {
		if _, had := before[arn]; !had && strings.HasPrefix(after[arn]["name"].(string), name+"-bad") {
			t.Errorf("a refused endpoint was stored: %v", after[arn])
		}
	}
	for i, endpoint := range []string{"http://127.0.0.1:9000", "https://127.0.0.1", "http://127.0.0.1:9000/"} {
		var out struct {
			Target mapiTarget `json:"target"`
		}
		root.must("replication_target/create", targetBody(fmt.Sprint(name, "-ok", i), endpoint, "bucket", "ak", "sk"), &out)
		if want := strings.TrimSuffix(endpoint, "/"); out.Target.Endpoint != want {
			t.Errorf("endpoint %q stored as %q, want %q", endpoint, out.Target.Endpoint, want)
		}
		root.must("replication_target/delete", map[string]any{"arn": out.Target.ARN}, nil)
	}
}

func TestReplicationCLIGrantsAndRevokesATarget(t *testing.T) {
	t.Parallel()
	root := mapiRoot(t, sharedSrv)
	name := bucketName(t)
	u := newMAPIUser(t, sharedSrv, root, name)
	admin := newCLIHome(t, sharedSrv)
	admin.login(rootUser, rootPassword)

	args := []string{"target", "replication", "add", "--name", name, "--endpoint", "http://127.0.0.1:9",
		"--bucket", "backup", "--access-key", "ak", "--secret-key-stdin", "--grant", name, "--no-test", "--output", "json"}
	res := admin.run("sk\n", nil, args...)
	if res.code != 0 {
		t.Fatalf("target replication add --grant: %s", res)
	}
	arn := ""
	for a, tg := range listedTargets(root) {
		if tg["name"] == name {
			arn = a
		}
	}
	if arn == "" {
		t.Fatal("the added target is not listed")
	}
	if _, seen := listedTargets(u.MAPI)[arn]; !seen {
		t.Fatal("the user granted with --grant does not list the target")
	}
	show := admin.ok("target", "replication", "access", arn)
	if !strings.Contains(show.stdout, name) || !strings.Contains(show.stdout, "root") {
		t.Errorf("target replication access %s:\n%s", arn, show.stdout)
	}

	admin.ok("target", "replication", "access", arn, "--revoke", name)
	if _, seen := listedTargets(u.MAPI)[arn]; seen {
		t.Error("the user still lists the target after --revoke")
	}
	admin.ok("target", "replication", "access", arn, "--grant-all")
	if _, seen := listedTargets(u.MAPI)[arn]; !seen {
		t.Error("the user does not list the target after --grant-all")
	}
	res = admin.run("", nil, "target", "replication", "access", arn, "--revoke", "nobody-"+name)
	if res.code != 1 || !strings.Contains(res.stderr, "is not granted") {
		t.Errorf("revoking a user not granted: want exit 1 saying so; %s", res)
	}
	admin.ok("target", "replication", "access", arn, "--revoke-all")
	tg := listedTargets(root)[arn]
	if tg["allUsers"] != false || len(tg["users"].([]any)) != 0 {
		t.Errorf("after --revoke-all: %v, want granted to nobody", tg)
	}
	table := admin.ok("target", "replication", "list")
	line := ""
	for _, l := range strings.Split(table.stdout, "\n") {
		if strings.Contains(l, arn) {
			line = l
		}
	}
	if !slices.Contains(strings.Fields(line), "owner") || !strings.Contains(line, "root") {
		t.Errorf("the list row of %s does not say its owner and that only it may use it: %q", arn, line)
	}
	admin.ok("target", "replication", "rm", arn)
}

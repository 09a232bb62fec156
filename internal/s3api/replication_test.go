package s3api

import (
	"context"
	"html"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/quarrylabs/quarry/internal/auth"
	"github.com/quarrylabs/quarry/internal/meta"
	"github.com/quarrylabs/quarry/internal/object"
	"github.com/quarrylabs/quarry/internal/replication"
)

var replAdmin = auth.Principal{UserID: 999, Username: "root", Role: meta.RoleAdmin}

// replicatingBucket creates a versioned bucket of alice's and a target,
// and returns the target's ARN.
func (ts *testServer) replicatingBucket(bucket string) string {
	ts.t.Helper()
	ts.mustCreateBucket(ts.alice, bucket)
	_, err := ts.client(ts.alice).PutBucketVersioning(context.Background(), &s3.PutBucketVersioningInput{
		Bucket:                  aws.String(bucket),
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled},
	})
	if err != nil {
		ts.t.Fatal(err)
	}
	tg, err := ts.repl.CreateTarget(context.Background(), replAdmin, replication.TargetInput{
		Name: "dr-" + bucket, Endpoint: "http://dr.example", AccessKey: "a", SecretKey: "s", Bucket: "dr-" + bucket,
		Grants: replication.Grants{Users: []replication.UserRef{{Username: "alice"}}},
	})
	if err != nil {
		ts.t.Fatal(err)
	}
	return tg.ARN
}

func enabledRule(id string, priority int32, arn string, filter *types.ReplicationRuleFilter) types.ReplicationRule {
	return types.ReplicationRule{
		ID: aws.String(id), Priority: aws.Int32(priority), Status: types.ReplicationRuleStatusEnabled,
		Filter:                  filter,
		Destination:             &types.Destination{Bucket: aws.String(arn)},
		DeleteMarkerReplication: &types.DeleteMarkerReplication{Status: types.DeleteMarkerReplicationStatusDisabled},
	}
}

func TestBucketReplicationRoundTripsThroughTheSDK(t *testing.T) {
	ts := newTestServer(t)
	arn := ts.replicatingBucket("src")
	c := ts.client(ts.alice)
	ctx := context.Background()

	_, err := c.GetBucketReplication(ctx, &s3.GetBucketReplicationInput{Bucket: aws.String("src")})
	wantCode(t, err, "ReplicationConfigurationNotFoundError", http.StatusNotFound)

	tagged := enabledRule("tagged", 2, arn, &types.ReplicationRuleFilter{And: &types.ReplicationRuleAndOperator{
		Prefix: aws.String("docs/"), Tags: []types.Tag{{Key: aws.String("b"), Value: aws.String("2")}, {Key: aws.String("a"), Value: aws.String("1")}},
	}})
	oneTag := enabledRule("one-tag", 3, arn, &types.ReplicationRuleFilter{Tag: &types.Tag{Key: aws.String("k"), Value: aws.String("v")}})
	logs := enabledRule("logs", 1, arn, &types.ReplicationRuleFilter{Prefix: aws.String("logs/")})
	logs.Status = types.ReplicationRuleStatusDisabled
	logs.DeleteMarkerReplication.Status = types.DeleteMarkerReplicationStatusEnabled
	logs.ExistingObjectReplication = &types.ExistingObjectReplication{Status: types.ExistingObjectReplicationStatusEnabled}
	logs.Destination.StorageClass = types.StorageClassStandardIa
	_, err = c.PutBucketReplication(ctx, &s3.PutBucketReplicationInput{
		Bucket: aws.String("src"),
		ReplicationConfiguration: &types.ReplicationConfiguration{
			Role: aws.String("arn:aws:iam::123:role/replication"), Rules: []types.ReplicationRule{tagged, oneTag, logs},
		},
	})
	if err != nil {
		t.Fatalf("put: %v", err)
	}
	out, err := c.GetBucketReplication(ctx, &s3.GetBucketReplicationInput{Bucket: aws.String("src")})
	if err != nil {
		t.Fatalf("get: %v", err)
	}
	got := out.ReplicationConfiguration
	if aws.ToString(got.Role) != "arn:aws:iam::123:role/replication" || len(got.Rules) != 3 {
		t.Fatalf("configuration %+v", got)
	}
	r0, r1, r2 := got.Rules[0], got.Rules[1], got.Rules[2]
	if aws.ToString(r0.ID) != "tagged" || aws.ToInt32(r0.Priority) != 2 || r0.Status != types.ReplicationRuleStatusEnabled ||
		r0.Filter == nil || r0.Filter.And == nil || aws.ToString(r0.Filter.And.Prefix) != "docs/" || len(r0.Filter.And.Tags) != 2 ||
		aws.ToString(r0.Filter.And.Tags[0].Key) != "a" || aws.ToString(r0.Destination.Bucket) != arn ||
		r0.DeleteMarkerReplication.Status != types.DeleteMarkerReplicationStatusDisabled {
		t.Fatalf("rule 0 %+v", r0)
	}
	if r1.Filter == nil || r1.Filter.Tag == nil || aws.ToString(r1.Filter.Tag.Key) != "k" || aws.ToString(r1.Filter.Tag.Value) != "v" {
		t.Fatalf("rule 1 filter %+v", r1.Filter)
	}
	if r2.Status != types.ReplicationRuleStatusDisabled || aws.ToString(r2.Filter.Prefix) != "logs/" ||
		r2.DeleteMarkerReplication.Status != types.DeleteMarkerReplicationStatusEnabled ||
		r2.ExistingObjectReplication == nil || r2.ExistingObjectReplication.Status != types.ExistingObjectReplicationStatusEnabled ||
		r2.Destination.StorageClass != types.StorageClassStandardIa {
		t.Fatalf("rule 2 %+v", r2)
	}

	// Bob may neither read nor change alice's configuration.
	_, err = ts.client(ts.bob).GetBucketReplication(ctx, &s3.GetBucketReplicationInput{Bucket: aws.String("src")})
	wantCode(t, err, "AccessDenied", http.StatusForbidden)

	if _, err := c.DeleteBucketReplication(ctx, &s3.DeleteBucketReplicationInput{Bucket: aws.String("src")}); err != nil {
		t.Fatalf("delete: %v", err)
	}
	_, err = c.GetBucketReplication(ctx, &s3.GetBucketReplicationInput{Bucket: aws.String("src")})
	wantCode(t, err, "ReplicationConfigurationNotFoundError", http.StatusNotFound)
}

func TestBadReplicationConfigurationsGetAWSErrors(t *testing.T) {
	ts := newTestServer(t)
	arn := ts.replicatingBucket("src")
	ts.mustCreateBucket(ts.alice, "unversioned")
	bobs, err := ts.repl.CreateTarget(context.Background(), replAdmin, replication.TargetInput{
		Name: "bobs", Endpoint: "http://dr.example", AccessKey: "a", SecretKey: "s", Bucket: "dr-bob",
		Grants: replication.Grants{Users: []replication.UserRef{{Username: "bob"}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	rule := func(dest string) string {
		return `<Rule><ID>r</ID><Priority>1</Priority><Status>Enabled</Status><Filter><Prefix></Prefix></Filter>` +
			`<Destination><Bucket>` + dest + `</Bucket></Destination></Rule>`
	}
	doc := func(rules ...string) string {
		return `<ReplicationConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Role>r</Role>` + strings.Join(rules, "") + `</ReplicationConfiguration>`
	}
	tests := []struct {
		name   string
		bucket string
		body   string
		status int
		code   string
		says   string
	}{
		{"unparsable XML", "src", "<ReplicationConfiguration><Rule>", 400, "MalformedXML", ""},
		{"no rule", "src", doc(), 400, "MalformedXML", ""},
		{"a rule without destination", "src", doc(`<Rule><Priority>1</Priority><Status>Enabled</Status><Filter/></Rule>`), 400, "MalformedXML", ""},
		{"a bad status", "src", doc(strings.Replace(rule(arn), "Enabled", "On", 1)), 400, "MalformedXML", ""},
		{"both Prefix and Filter", "src", doc(strings.Replace(rule(arn), "<Filter>", "<Prefix>x</Prefix><Filter>", 1)), 400, "MalformedXML", ""},
		{"a Filter with a Prefix and a Tag outside And", "src", doc(strings.Replace(rule(arn), "<Prefix></Prefix>", "<Prefix>a</Prefix><Tag><Key>k</Key><Value>v</Value></Tag>", 1)), 400, "MalformedXML", ""},
		{"a Filter without Priority", "src", doc(strings.Replace(rule(arn), "<Priority>1</Priority>", "", 1)), 400, "InvalidArgument", "Priority must be specified"},
		{"duplicate tag keys", "src", doc(strings.Replace(rule(arn), "<Prefix></Prefix>", "<And><Tag><Key>k</Key><Value>1</Value></Tag><Tag><Key>k</Key><Value>2</Value></Tag></And>", 1)), 400, "InvalidArgument", "Duplicate Tag Keys"},
		// To a user, an unknown ARN is one it may not use: whether it
		// exists is not told.
		{"an unknown ARN", "src", doc(rule("arn:quarry:replication:us-east-1:000000000000:nope")), 403, "AccessDenied",
			"bucket owner alice may not use target arn:quarry:replication:us-east-1:000000000000:nope"},
		{"a target granted to someone else", "src", doc(rule(bobs.ARN)), 403, "AccessDenied", "bucket owner alice may not use target " + bobs.ARN},
		{"a usable target beside one that is not", "src", doc(rule(arn), strings.Replace(strings.Replace(rule(bobs.ARN), "<ID>r</ID>", "<ID>s</ID>", 1), "<Priority>1", "<Priority>2", 1)),
			403, "AccessDenied", "may not use target " + bobs.ARN},
		{"two rules with one ID", "src", doc(rule(arn), strings.Replace(rule(arn), "<Priority>1", "<Priority>2", 1)), 400, "InvalidArgument", `rule ID "r"`},
		{"two priorities equal for one destination", "src", doc(rule(arn), strings.Replace(rule(arn), "<ID>r</ID>", "<ID>s</ID>", 1)), 400, "InvalidArgument", "same Priority 1"},
		{"versioning not enabled", "unversioned", doc(rule(arn)), 400, "InvalidRequest", "Versioning must be 'Enabled' on the bucket to apply a replication configuration"},
		{"a missing bucket", "nope", doc(rule(arn)), 404, "NoSuchBucket", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, _, body := ts.do(ts.signedRequest(ts.alice, http.MethodPut, "/"+tt.bucket+"?replication", []byte(tt.body)))
			body = html.UnescapeString(body)
			if status != tt.status || !strings.Contains(body, "<Code>"+tt.code+"</Code>") || !strings.Contains(body, tt.says) {
				t.Fatalf("status %d, body %s; want %d %s saying %q", status, body, tt.status, tt.code, tt.says)
			}
		})
	}
	_, err = ts.client(ts.alice).GetBucketReplication(context.Background(), &s3.GetBucketReplicationInput{Bucket: aws.String("src")})
	wantCode(t, err, "ReplicationConfigurationNotFoundError", http.StatusNotFound)

	// A legacy (V1) rule is accepted without Priority.
	legacy := doc(`<Rule><ID>old</ID><Prefix>logs/</Prefix><Status>Enabled</Status><Destination><Bucket>` + arn + `</Bucket></Destination></Rule>`)
	if status, _, body := ts.do(ts.signedRequest(ts.alice, http.MethodPut, "/src?replication", []byte(legacy))); status != http.StatusOK {
		t.Fatalf("legacy rule: %d %s", status, body)
	}
	status, _, body := ts.do(ts.signedRequest(ts.alice, http.MethodGet, "/src?replication", nil))
	if status != http.StatusOK || !strings.Contains(body, "<Prefix>logs/</Prefix>") || strings.Contains(body, "<Filter>") {
		t.Fatalf("legacy rule read back as %d %s", status, body)
	}
}

func TestAReplicatingBucketCannotBeSuspended(t *testing.T) {
	ts := newTestServer(t)
	arn := ts.replicatingBucket("src")
	c := ts.client(ts.alice)
	ctx := context.Background()
	_, err := c.PutBucketReplication(ctx, &s3.PutBucketReplicationInput{
		Bucket:                   aws.String("src"),
		ReplicationConfiguration: &types.ReplicationConfiguration{Role: aws.String("role"), Rules: []types.ReplicationRule{enabledRule("all", 1, arn, &types.ReplicationRuleFilter{Prefix: aws.String("")})}},
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{
		Bucket:                  aws.String("src"),
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusSuspended},
	})
	wantCode(t, err, "InvalidBucketState", http.StatusConflict)
}

func TestReplicationStatusIsShownOnGetAndHead(t *testing.T) {
	ts := newTestServer(t)
	arn := ts.replicatingBucket("src")
	c := ts.client(ts.alice)
	ctx := context.Background()
	_, err := c.PutBucketReplication(ctx, &s3.PutBucketReplicationInput{
		Bucket:                   aws.String("src"),
		ReplicationConfiguration: &types.ReplicationConfiguration{Role: aws.String("role"), Rules: []types.ReplicationRule{enabledRule("docs", 1, arn, &types.ReplicationRuleFilter{Prefix: aws.String("docs/")})}},
	})
	if err != nil {
		t.Fatal(err)
	}
	ts.mustPut(ts.alice, "src", "docs/a", "data")
	ts.mustPut(ts.alice, "src", "img/b", "data")
	replica := ts.signedRequest(ts.alice, http.MethodPut, "/src/docs/replica", []byte("copy"))
	replica.Header.Set("X-Quarry-Replica", "true")
	if status, _, body := ts.do(replica); status != http.StatusOK {
		t.Fatalf("replica put: %d %s", status, body)
	}

	tests := []struct{ key, want string }{
		{"docs/a", "PENDING"},
		{"img/b", ""},
		{"docs/replica", "REPLICA"},
	}
	for _, tt := range tests {
		head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("src"), Key: aws.String(tt.key)})
		if err != nil {
			t.Fatal(err)
		}
		if string(head.ReplicationStatus) != tt.want {
			t.Errorf("HEAD %s: status %q, want %q", tt.key, head.ReplicationStatus, tt.want)
		}
		get, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("src"), Key: aws.String(tt.key)})
		if err != nil {
			t.Fatal(err)
		}
		get.Body.Close()
		if string(get.ReplicationStatus) != tt.want {
			t.Errorf("GET %s: status %q, want %q", tt.key, get.ReplicationStatus, tt.want)
		}
	}
}

func TestReplicaDeletesMakeReplicaMarkers(t *testing.T) {
	ts := newTestServer(t)
	ts.replicatingBucket("src")
	ts.mustPut(ts.alice, "src", "k", "data")
	req := ts.signedRequest(ts.alice, http.MethodDelete, "/src/k", nil)
	req.Header.Set("X-Quarry-Replica", "true")
	status, hdr, body := ts.do(req)
	if status != http.StatusNoContent || hdr.Get("X-Amz-Delete-Marker") != "true" {
		t.Fatalf("replica delete: %d %s", status, body)
	}
	out, err := ts.objects.ListVersions(context.Background(), ts.alice.principal, object.ListVersionsInput{Bucket: "src", MaxKeys: 10})
	if err != nil {
		t.Fatal(err)
	}
	markers := 0
	for _, ver := range out.Versions {
		if ver.DeleteMarker {
			markers++
			if ver.ReplicationStatus != meta.ReplicationReplica {
				t.Fatalf("marker status %q, want REPLICA", ver.ReplicationStatus)
			}
		}
	}
	if markers != 1 {
		t.Fatalf("%d delete markers, want 1", markers)
	}
}

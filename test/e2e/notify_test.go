package e2e

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/quarrylabs/quarry/internal/meta"
)

// change is one step of a live-events test: what a client or a lifecycle
// rule does, and the events (labels: "eventName key") the configuration
// must let through for it.
type change struct {
	name string
	do   func(t *testing.T, n *notifySetup)
	want []string
}

// runChanges does each change in turn and checks, after each, that exactly
// its events arrived.
func runChanges(t *testing.T, n *notifySetup, changes []change) {
	t.Helper()
	seen := len(n.Recv.got())
	for _, c := range changes {
		c.do(t, n)
		if len(c.want) > 0 {
			n.Recv.waitFor(t, seen+len(c.want))
		}
		got := n.Recv.settle(t, 300*time.Millisecond)[seen:]
		want := slices.Clone(c.want)
		slices.Sort(want)
		if !slices.Equal(labels(got), want) {
			t.Errorf("%s: events %q, want %q", c.name, labels(got), want)
		}
		seen += len(got)
	}
}

func put(key, body string) func(t *testing.T, n *notifySetup) {
	return func(t *testing.T, n *notifySetup) { putObject(t, n.S3, n.Bucket, key, []byte(body)) }
}

func TestLiveEventsReportEachChangeThatATriggerSelects(t *testing.T) {
	t.Parallel()
	n := newNotifySetup(t)
	setVersioning(t, n.S3, n.Bucket, types.BucketVersioningStatusEnabled)
	n.configure(t,
		trigger{ID: "jpg-created", Events: []string{"s3:ObjectCreated:*"}, Prefix: "img/", Suffix: ".jpg"},
		trigger{ID: "img-removed", Events: []string{"s3:ObjectRemoved:*"}, Prefix: "img/"},
		trigger{ID: "tagging", Events: []string{"s3:ObjectTagging:*"}, Prefix: "tags/"},
		trigger{ID: "docs-put-only", Events: []string{"s3:ObjectCreated:Put"}, Prefix: "docs/"},
	)
	got, err := n.S3.GetBucketNotificationConfiguration(t.Context(), &s3.GetBucketNotificationConfigurationInput{Bucket: aws.String(n.Bucket)})
	if err != nil || len(got.QueueConfigurations) != 4 || aws.ToString(got.QueueConfigurations[0].QueueArn) != n.ARN ||
		aws.ToString(got.QueueConfigurations[0].Id) != "jpg-created" || len(got.QueueConfigurations[0].Filter.Key.FilterRules) != 2 {
		t.Fatalf("GetBucketNotificationConfiguration = %+v, %v", got, err)
	}

	var markerVersion, firstVersion string
	changes := []change{
		{"a put the filters select", put("img/cat.jpg", "meow"), []string{"ObjectCreated:Put img/cat.jpg"}},
		{"a browser form upload", func(t *testing.T, n *notifySetup) {
			now := time.Now()
			fields := append([]formField{{"key", "img/form.jpg"}}, sigV4Form(now, now.Add(10*time.Minute),
				fmt.Sprintf(`{"bucket": %q}`, n.Bucket), `["starts-with", "$key", "img/"]`)...)
			if r := postForm(t, n.Srv.S3URL+"/"+n.Bucket, fields, "form.jpg", []byte("posted")); r.Status != http.StatusNoContent {
				t.Fatalf("POST: %s", r)
			}
		}, []string{"ObjectCreated:Post img/form.jpg"}},
		{"puts outside the filters", func(t *testing.T, n *notifySetup) {
			putObject(t, n.S3, n.Bucket, "img/cat.png", []byte("x"))
			putObject(t, n.S3, n.Bucket, "other/cat.jpg", []byte("x"))
		}, nil},
		{"a copy", func(t *testing.T, n *notifySetup) {
			_, err := n.S3.CopyObject(t.Context(), &s3.CopyObjectInput{Bucket: aws.String(n.Bucket), Key: aws.String("img/copy.jpg"),
				CopySource: aws.String(n.Bucket + "/img/cat.jpg")})
			if err != nil {
				t.Fatal(err)
			}
		}, []string{"ObjectCreated:Copy img/copy.jpg"}},
		{"a multipart upload", func(t *testing.T, n *notifySetup) {
			id := createUpload(t, n.S3, n.Bucket, "img/big.jpg")
			part := uploadPart(t, n.S3, n.Bucket, "img/big.jpg", id, 1, []byte("one part"))
			if _, err := complete(t, n.S3, n.Bucket, "img/big.jpg", id, []types.CompletedPart{part}); err != nil {
				t.Fatal(err)
			}
		}, []string{"ObjectCreated:CompleteMultipartUpload img/big.jpg"}},
		{"a copy into a trigger that takes puts only", func(t *testing.T, n *notifySetup) {
			putObject(t, n.S3, n.Bucket, "docs/a.txt", []byte("x"))
			_, err := n.S3.CopyObject(t.Context(), &s3.CopyObjectInput{Bucket: aws.String(n.Bucket), Key: aws.String("docs/b.txt"),
				CopySource: aws.String(n.Bucket + "/docs/a.txt")})
			if err != nil {
				t.Fatal(err)
			}
		}, []string{"ObjectCreated:Put docs/a.txt"}},
		{"tagging put and delete", func(t *testing.T, n *notifySetup) {
			putObject(t, n.S3, n.Bucket, "tags/t", []byte("x"))
			_, err := n.S3.PutObjectTagging(t.Context(), &s3.PutObjectTaggingInput{Bucket: aws.String(n.Bucket), Key: aws.String("tags/t"),
				Tagging: &types.Tagging{TagSet: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}}})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := n.S3.DeleteObjectTagging(t.Context(), &s3.DeleteObjectTaggingInput{Bucket: aws.String(n.Bucket), Key: aws.String("tags/t")}); err != nil {
				t.Fatal(err)
			}
		}, []string{"ObjectTagging:Put tags/t", "ObjectTagging:Delete tags/t"}},
		{"a delete that makes a delete marker", func(t *testing.T, n *notifySetup) {
			head, err := n.S3.HeadObject(t.Context(), &s3.HeadObjectInput{Bucket: aws.String(n.Bucket), Key: aws.String("img/cat.jpg")})
			if err != nil {
				t.Fatal(err)
			}
			firstVersion = aws.ToString(head.VersionId)
			out, err := n.S3.DeleteObject(t.Context(), &s3.DeleteObjectInput{Bucket: aws.String(n.Bucket), Key: aws.String("img/cat.jpg")})
			if err != nil {
				t.Fatal(err)
			}
			markerVersion = aws.ToString(out.VersionId)
		}, []string{"ObjectRemoved:DeleteMarkerCreated img/cat.jpg"}},
		{"a delete of a version", func(t *testing.T, n *notifySetup) {
			_, err := n.S3.DeleteObject(t.Context(), &s3.DeleteObjectInput{Bucket: aws.String(n.Bucket), Key: aws.String("img/cat.jpg"),
				VersionId: aws.String(firstVersion)})
			if err != nil {
				t.Fatal(err)
			}
		}, []string{"ObjectRemoved:Delete img/cat.jpg"}},
		{"deletes of several keys at once", func(t *testing.T, n *notifySetup) {
			_, err := n.S3.DeleteObjects(t.Context(), &s3.DeleteObjectsInput{Bucket: aws.String(n.Bucket), Delete: &types.Delete{
				Objects: []types.ObjectIdentifier{{Key: aws.String("img/copy.jpg")}, {Key: aws.String("docs/a.txt")}}}})
			if err != nil {
				t.Fatal(err)
			}
		}, []string{"ObjectRemoved:DeleteMarkerCreated img/copy.jpg"}},
	}
	runChanges(t, n, changes)

	records := n.Recv.got()
	byLabel := map[string]eventRecord{}
	ids := map[string]bool{}
	for _, r := range records {
		byLabel[r.label()] = r
		if ids[r.EventID] {
			t.Errorf("event id %s was used twice", r.EventID)
		}
		ids[r.EventID] = true
		if r.EventVersion != "2.1" || r.S3.Bucket.Name != n.Bucket || len(r.S3.Object.Sequencer) != 16 || r.EventTime == "" {
			t.Errorf("record %+v lacks the message structure", r)
		}
	}
	if r := byLabel["ObjectCreated:Put img/cat.jpg"]; r.S3.ConfigurationID != "jpg-created" || r.S3.Object.Size == nil ||
		*r.S3.Object.Size != 4 || r.S3.Object.ETag != md5Hex([]byte("meow")) || r.S3.Object.VersionID != firstVersion {
		t.Errorf("put record = %+v, want the jpg-created trigger, size 4, the ETag and the version", r.S3)
	}
	if r := byLabel["ObjectRemoved:DeleteMarkerCreated img/cat.jpg"]; r.S3.Object.VersionID != markerVersion || r.S3.Object.Size != nil {
		t.Errorf("delete marker record = %+v, want the marker's version and no size", r.S3.Object)
	}
	created, marked, removed := byLabel["ObjectCreated:Put img/cat.jpg"].S3.Object.Sequencer,
		byLabel["ObjectRemoved:DeleteMarkerCreated img/cat.jpg"].S3.Object.Sequencer, byLabel["ObjectRemoved:Delete img/cat.jpg"].S3.Object.Sequencer
	if !(created < marked && marked < removed) {
		t.Errorf("img/cat.jpg's sequencers do not grow: put %s, marker %s, delete %s", created, marked, removed)
	}

	// An empty configuration removes every trigger: nothing more is sent.
	if err := putNotification(t.Context(), n.S3, n.Bucket, n.ARN); err != nil {
		t.Fatal(err)
	}
	runChanges(t, n, []change{{"a put after the triggers were removed", put("img/late.jpg", "x"), nil}})
	empty, err := n.S3.GetBucketNotificationConfiguration(t.Context(), &s3.GetBucketNotificationConfigurationInput{Bucket: aws.String(n.Bucket)})
	if err != nil || len(empty.QueueConfigurations) != 0 {
		t.Errorf("configuration after removal = %+v, %v", empty, err)
	}
}

func TestLifecycleExpirationsAreDeliveredAsLifecycleEventsNotAsDeletes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		versioning types.BucketVersioningStatus
		want       string
	}{
		{"an unversioned bucket", "", "LifecycleExpiration:Delete tmp/a"},
		{"a versioned bucket", types.BucketVersioningStatusEnabled, "LifecycleExpiration:DeleteMarkerCreated tmp/a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			// A lifecycle day of a second: a rule of one day is due two
			// seconds after a write. The scanner is off: the test's own
			// job is the only one.
			n := newNotifySetup(t, "--lifecycle-day", "1s", "--lifecycle-scan=false")
			if tt.versioning != "" {
				setVersioning(t, n.S3, n.Bucket, tt.versioning)
			}
			// A client's deletes would come through the second trigger:
			// an expiration must not.
			n.configure(t,
				trigger{ID: "expired", Events: []string{"s3:LifecycleExpiration:*"}, Prefix: "tmp/"},
				trigger{ID: "removed", Events: []string{"s3:ObjectRemoved:*"}, Prefix: "tmp/"},
			)
			runChanges(t, n, []change{
				{"objects written, then a rule for one of them", func(t *testing.T, n *notifySetup) {
					putObject(t, n.S3, n.Bucket, "tmp/a", []byte("temporary"))
					putObject(t, n.S3, n.Bucket, "keep/b", []byte("kept"))
					putLifecycle(t, n.S3, n.Bucket, expireRule("tmp", "tmp/", 1))
				}, nil},
				{"a LIFECYCLE_UPDATE once the rule is due", func(t *testing.T, n *notifySetup) {
					time.Sleep(2500 * time.Millisecond)
					j := n.MAPI.waitJobEnded(n.MAPI.createJob(lifecycleUpdate, n.Bucket, nil).ID(), time.Minute)
					wantJobComplete(t, "LIFECYCLE_UPDATE", j, 1, 0)
				}, []string{tt.want}},
			})
			if r := n.Recv.got(); len(r) == 1 && (r[0].S3.ConfigurationID != "expired" || r[0].S3.Object.Size != nil) {
				t.Errorf("expiration record = %+v, want the expired trigger's and no size", r[0].S3)
			}
		})
	}
}

func TestBadNotificationConfigurationsAreRefusedWithAWSErrors(t *testing.T) {
	t.Parallel()
	n := newNotifySetup(t)
	good := trigger{ID: "all", Events: []string{"s3:ObjectCreated:*"}}
	n.configure(t, good)

	// A user with a bucket of its own, and a target of its own.
	n.MAPI.createUser("carol", "carol-password-1", "USER")
	carolMAPI := mapiLogin(t, n.Srv, "carol", "carol-password-1")
	ak, sk := carolMAPI.generateCredentials()
	carol := s3Client(n.Srv.S3URL, ak, sk)
	carolBucket := n.Bucket + "-carol"
	createBucketOn(t, carol, carolBucket)

	raw := func(body string) rawResponse {
		return do(t, n.Srv, rawRequest{Method: http.MethodPut, Target: "/" + n.Bucket + "?notification", Body: []byte(body)})
	}
	queue := func(inner string) string {
		return `<NotificationConfiguration><QueueConfiguration><Id>x</Id><Queue>` + n.ARN + `</Queue>` + inner +
			`</QueueConfiguration></NotificationConfiguration>`
	}
	for _, tt := range []struct {
		name string
		r    rawResponse
		code string
	}{
		{"a body that is not XML", raw("<NotificationConfiguration><QueueConfiguration>"), "MalformedXML"},
		{"an unknown event", raw(queue(`<Event>s3:ObjectRestore:Post</Event>`)), "InvalidArgument"},
		{"a filter rule that is neither prefix nor suffix", raw(queue(`<Event>s3:ObjectCreated:*</Event><Filter><S3Key><FilterRule><Name>middle</Name><Value>x</Value></FilterRule></S3Key></Filter>`)), "InvalidArgument"},
		{"two prefix rules", raw(queue(`<Event>s3:ObjectCreated:*</Event><Filter><S3Key><FilterRule><Name>prefix</Name><Value>a</Value></FilterRule><FilterRule><Name>Prefix</Name><Value>b</Value></FilterRule></S3Key></Filter>`)), "InvalidArgument"},
		{"a topic", raw(`<NotificationConfiguration><TopicConfiguration><Topic>arn:aws:sns:us-east-1:1:t</Topic><Event>s3:ObjectCreated:*</Event></TopicConfiguration></NotificationConfiguration>`), "InvalidArgument"},
	} {
		wantRaw(t, tt.name, tt.r, http.StatusBadRequest, tt.code)
	}

	sdkCases := []struct {
		name     string
		c        *s3.Client
		bucket   string
		arn      string
		triggers []trigger
		status   int
		code     string
	}{
		{"an unknown ARN", n.S3, n.Bucket, "arn:quarry:sqs:us-east-1:000000000000:webhook", []trigger{good}, 400, "InvalidArgument"},
		{"an ARN of another service", n.S3, n.Bucket, "arn:aws:sqs:us-east-1:1:queue", []trigger{good}, 400, "InvalidArgument"},
		{"overlapping prefixes for one event type", n.S3, n.Bucket, n.ARN, []trigger{
			{ID: "a", Events: []string{"s3:ObjectCreated:*"}, Prefix: "img/"},
			{ID: "b", Events: []string{"s3:ObjectCreated:Put"}, Prefix: "img/2026/"}}, 400, "InvalidArgument"},
		{"a target the bucket's owner may not use", carol, carolBucket, n.ARN, []trigger{good}, 403, "AccessDenied"},
		{"an ARN unknown to a user", carol, carolBucket, "arn:quarry:sqs:us-east-1:000000000000:webhook", []trigger{good}, 403, "AccessDenied"},
		{"another user's bucket", carol, n.Bucket, n.ARN, []trigger{good}, 403, "AccessDenied"},
	}
	for _, tt := range sdkCases {
		err := putNotification(t.Context(), tt.c, tt.bucket, tt.arn, tt.triggers...)
		wantErr(t, tt.name, err, tt.status, tt.code)
	}
	// The refused configurations changed nothing.
	got, err := n.S3.GetBucketNotificationConfiguration(t.Context(), &s3.GetBucketNotificationConfigurationInput{Bucket: aws.String(n.Bucket)})
	if err != nil || len(got.QueueConfigurations) != 1 || aws.ToString(got.QueueConfigurations[0].Id) != "all" {
		t.Errorf("configuration after the refusals = %+v, %v; want the first one", got, err)
	}
	// The admin grants its target to carol: now her bucket may name it.
	n.MAPI.must("notification_target/update_access", map[string]any{"arn": n.ARN, "users": []string{"carol"}}, nil)
	if err := putNotification(t.Context(), carol, carolBucket, n.ARN, good); err != nil {
		t.Errorf("carol names a target granted to her: %v", err)
	}
	// A target in use is not deleted.
	if r := n.MAPI.post("notification_target/delete", map[string]any{"arn": n.ARN}); r.Status != http.StatusConflict {
		t.Errorf("delete of a target in use: %s, want 409", r)
	}
}

func TestAReceiverDownFailsEventsAndAMissingJobDeliversExactlyThem(t *testing.T) {
	t.Parallel()
	n := newNotifySetup(t, fastOutbox...)
	n.configure(t, trigger{ID: "all", Events: []string{"s3:ObjectCreated:*", "s3:ObjectRemoved:*"}})
	putObject(t, n.S3, n.Bucket, "before", []byte("x"))
	n.Recv.waitFor(t, 1)
	n.waitEventStates(t, meta.OutboxDone, 1)

	n.Recv.down()
	var want []string
	for i := range 6 {
		key := fmt.Sprintf("while-down/%d", i)
		putObject(t, n.S3, n.Bucket, key, []byte("x"))
		want = append(want, "ObjectCreated:Put "+key)
	}
	if _, err := n.S3.DeleteObject(t.Context(), &s3.DeleteObjectInput{Bucket: aws.String(n.Bucket), Key: aws.String("before")}); err != nil {
		t.Fatal(err)
	}
	want = append(want, "ObjectRemoved:Delete before")
	n.waitEventStates(t, meta.OutboxFailed, 7)

	n.Recv.up()
	dry := n.reconcile(t, map[string]string{"dryRun": "true"})
	wantJobStats(t, "a dry MISSING run", dry, 7, 7, 0, 0)
	if got := len(n.Recv.got()); got != 1 {
		t.Fatalf("a dry run sent events: the receiver has %d", got)
	}
	j := n.reconcile(t, map[string]string{"mode": "MISSING"})
	wantJobStats(t, "MISSING", j, 7, 7, 0, 0)
	got := n.Recv.got()[1:]
	slices.Sort(want)
	if !slices.Equal(labels(got), want) {
		t.Errorf("MISSING delivered %q, want exactly %q", labels(got), want)
	}
	if states := n.eventStates(t); states[meta.OutboxDone] != 8 || len(states) != 1 {
		t.Errorf("events by state after MISSING: %v, want 8 DONE", states)
	}
	again := n.reconcile(t, nil)
	wantJobStats(t, "a second MISSING run", again, 0, 0, 0, 0)
	if !strings.Contains(again.Message, "nothing to deliver") {
		t.Errorf("a run that finds nothing says %q", again.Message)
	}
}

func TestAMissingJobAgainstADeadReceiverCountsEveryEventFailedWithTheReason(t *testing.T) {
	t.Parallel()
	n := newNotifySetup(t, fastOutbox...)
	n.configure(t, trigger{ID: "all", Events: []string{"s3:ObjectCreated:*"}})
	n.Recv.down()
	for i := range 3 {
		putObject(t, n.S3, n.Bucket, fmt.Sprintf("k%d", i), []byte("x"))
	}
	n.waitEventStates(t, meta.OutboxFailed, 3)
	j := n.reconcile(t, nil)
	wantJobStats(t, "MISSING with the receiver down", j, 3, 0, 3, 0)
	failures := n.MAPI.jobFailures(j.ID())
	if len(failures) != 3 || !strings.Contains(failures[0].Reason, n.Recv.addr) {
		t.Errorf("failures %+v, want 3 naming the receiver", failures)
	}
	if states := n.eventStates(t); states[meta.OutboxFailed] != 3 {
		t.Errorf("events by state %v, want them still FAILED", states)
	}
}

func TestAnAllJobBackFillsEveryMatchingObjectThatExistedBefore(t *testing.T) {
	t.Parallel()
	n := newNotifySetup(t)
	var want []string
	for i := range 25 {
		key := fmt.Sprintf("logs/%02d.json", i)
		putObject(t, n.S3, n.Bucket, key, []byte("x"))
		want = append(want, "ObjectCreated:Reconciled "+key)
	}
	putObject(t, n.S3, n.Bucket, "logs/skip.txt", []byte("x"))
	putObject(t, n.S3, n.Bucket, "other/skip.json", []byte("x"))
	n.configure(t, trigger{ID: "json", Events: []string{"s3:ObjectCreated:Put"}, Prefix: "logs/", Suffix: ".json"})
	if got := n.Recv.settle(t, 300*time.Millisecond); len(got) != 0 {
		t.Fatalf("objects written before the trigger sent %q", labels(got))
	}
	dry := n.reconcile(t, map[string]string{"mode": "ALL", "dryRun": "true"})
	wantJobStats(t, "a dry ALL run", dry, 25, 25, 0, 0)
	j := n.reconcile(t, map[string]string{"mode": "ALL"})
	wantJobStats(t, "ALL", j, 25, 25, 0, 0)
	got := n.Recv.settle(t, 300*time.Millisecond)
	if !slices.Equal(labels(got), want) {
		t.Errorf("ALL delivered %q, want %q", labels(got), want)
	}
	for _, r := range got {
		if r.S3.ConfigurationID != "json" || r.S3.Object.Size == nil || *r.S3.Object.Size != 1 {
			t.Errorf("back-filled record %+v", r.S3)
			break
		}
	}
	none := n.reconcile(t, map[string]string{"mode": "ALL", "prefix": "nothing/"})
	wantJobStats(t, "ALL under an empty prefix", none, 0, 0, 0, 0)
	if !strings.Contains(none.Message, "no current objects") {
		t.Errorf("message %q", none.Message)
	}
}

func TestASlowOrFailingReceiverNeitherSlowsWritesNorLosesEvents(t *testing.T) {
	t.Parallel()
	n := newNotifySetup(t, "--outbox-max-attempts", "10", "--outbox-backoff", "50ms", "--outbox-backoff-max", "200ms")
	n.configure(t, trigger{ID: "all", Events: []string{"s3:ObjectCreated:*"}})
	n.Recv.mu.Lock()
	n.Recv.delay, n.Recv.failN = 300*time.Millisecond, 2
	n.Recv.mu.Unlock()

	const writes = 8
	start := time.Now()
	for i := range writes {
		// One key: its events go in order, one at a time.
		putObject(t, n.S3, n.Bucket, "hot", []byte(fmt.Sprint(i)))
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("%d PUTs took %s while the receiver was slow", writes, d)
	}
	got := n.Recv.waitFor(t, writes)
	for i := 1; i < len(got); i++ {
		if got[i].S3.Object.Sequencer <= got[i-1].S3.Object.Sequencer {
			t.Fatalf("event %d arrived with sequencer %s after %s: out of order", i, got[i].S3.Object.Sequencer, got[i-1].S3.Object.Sequencer)
		}
	}
	n.Recv.mu.Lock()
	defer n.Recv.mu.Unlock()
	for _, r := range got {
		if a := n.Recv.attempts[r.EventID]; a != 3 {
			t.Errorf("event %s reached the receiver %d times, want 3 (two 500s, then taken) under one id", r.EventID, a)
		}
	}
}

func TestEventsPendingWhenQuarryIsKilledAreDeliveredAfterTheRestart(t *testing.T) {
	t.Parallel()
	n := newNotifySetup(t, "--outbox-max-attempts", "1000", "--outbox-backoff", "100ms", "--outbox-backoff-max", "300ms")
	n.configure(t, trigger{ID: "all", Events: []string{"s3:ObjectCreated:*"}})
	n.Recv.down()
	var want []string
	for i := range 30 {
		key := fmt.Sprintf("k%02d", i)
		putObject(t, n.S3, n.Bucket, key, []byte("x"))
		want = append(want, "ObjectCreated:Put "+key)
	}
	n.Srv.Kill(t)
	if states := n.eventStates(t); states[meta.OutboxPending] != 30 {
		t.Fatalf("events by state at the kill: %v, want 30 PENDING", states)
	}
	n.Recv.up()
	n.Srv.Restart(t)
	n.Recv.waitFor(t, 30)
	got := n.Recv.settle(t, 500*time.Millisecond)
	seen := map[string]bool{}
	var unique []eventRecord
	for _, r := range got {
		if !seen[r.EventID] {
			seen[r.EventID] = true
			unique = append(unique, r)
		}
	}
	if !slices.Equal(labels(unique), want) {
		t.Errorf("after the restart the receiver has %q, want every one of %q", labels(unique), want)
	}
}

func TestTheCLIManagesNotificationTargets(t *testing.T) {
	t.Parallel()
	recv := newReceiver(t)
	admin := newCLIHome(t, sharedSrv)
	admin.login(rootUser, rootPassword)
	name := "cli-hook-" + bucketName(t)
	const auth = "Bearer cli-hook-secret"
	// add tests the target: the receiver takes one s3:TestEvent.
	res := admin.run(auth+"\n", nil, "target", "notification", "add", "--name", name, "--endpoint", recv.URL(),
		"--authorization-stdin", "--output", "json")
	if res.code != 0 || strings.Contains(res.stdout+res.stderr, auth) {
		t.Fatalf("target notification add: %s", res)
	}
	arn, hasAuth := notificationTargetNamed(t, admin, name)
	if arn == "" || !hasAuth {
		t.Fatalf("target notification list does not show %s with its authorization set", name)
	}
	// Every command takes the name as well as the ARN.
	if res := admin.ok("target", "notification", "test", name); res.stdout != "ok\n" {
		t.Errorf("target notification test NAME: %s", res)
	}
	if res := admin.ok("target", "notification", "test", arn); res.stdout != "ok\n" {
		t.Errorf("target notification test ARN: %s", res)
	}
	recv.mu.Lock()
	if len(recv.auth) != 3 || slices.ContainsFunc(recv.auth, func(a string) bool { return a != auth }) {
		t.Errorf("the receiver got Authorization %q, want the one given for add's test and both tests", recv.auth)
	}
	recv.mu.Unlock()
	if res := admin.ok("target", "notification", "access", name, "--grant-all"); !strings.Contains(res.stdout, "all users") {
		t.Errorf("target notification access NAME --grant-all: %s", res)
	}
	recv.down()
	if res := admin.run("", nil, "target", "notification", "test", name); res.code == 0 || !strings.Contains(res.stderr, "test failed") {
		t.Errorf("test of a receiver that is down: %s", res)
	}

	// A target whose webhook does not answer is not added, unless
	// --no-test says to keep it.
	down := name + "-down"
	res = admin.run("", nil, "target", "notification", "add", "--name", down, "--endpoint", recv.URL())
	line := strings.TrimSuffix(res.stderr, "\n")
	if res.code != 1 || res.stdout != "" || !strings.HasPrefix(line, "quarry: notification target "+down+" was not added: ") ||
		!strings.Contains(line, "--no-test") || strings.Contains(line, "\n") {
		t.Errorf("add of a target whose webhook is down: want exit 1 and one line saying why; %s", res)
	}
	if arn, _ := notificationTargetNamed(t, admin, down); arn != "" {
		t.Errorf("the target that failed its test was kept")
	}
	res = admin.run("", nil, "target", "notification", "add", "--name", down, "--endpoint", recv.URL(), "--no-test")
	if res.code != 0 || !strings.Contains(res.stderr, "was not tested; test it with quarry target notification test "+down) {
		t.Errorf("add --no-test: want exit 0 and a warning; %s", res)
	}
	if arn, _ := notificationTargetNamed(t, admin, down); arn == "" {
		t.Errorf("the target added with --no-test is not listed")
	}

	admin.ok("target", "notification", "rm", name)
	admin.ok("target", "notification", "rm", down)
	if res := admin.ok("target", "notification", "list"); strings.Contains(res.stdout, arn) || strings.Contains(res.stdout, down) {
		t.Errorf("removed targets are still listed:\n%s", res.stdout)
	}
}

// notificationTargetNamed is the ARN of the notification target named
// name that the CLI lists ("" when none), and whether it has an
// authorization header.
func notificationTargetNamed(t *testing.T, h *cliHome, name string) (arn string, hasAuth bool) {
	t.Helper()
	var listed struct {
		Targets []struct {
			ARN           string `json:"arn"`
			Name          string `json:"name"`
			HasAuthHeader bool   `json:"hasAuthHeader"`
		} `json:"targets"`
	}
	h.jsonOf(&listed, "target", "notification", "list")
	for _, tg := range listed.Targets {
		if tg.Name == name {
			return tg.ARN, tg.HasAuthHeader
		}
	}
	return "", false
}

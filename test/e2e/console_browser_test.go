package e2e

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
)

// consoleObjects are the objects of the console test's bucket: a folder
// of ten, a folder of sixty (more than a page), and two at the top.
func consoleObjects() map[string][]byte {
	objs := map[string][]byte{
		"readme.txt":     []byte("read me first\n"),
		"docs/guide.txt": bytes.Repeat([]byte("guide "), 100),
	}
	for i := range 10 {
		objs[fmt.Sprintf("img/%02d.jpg", i)] = bytes.Repeat([]byte{byte(i)}, 1000+i)
	}
	for i := range 60 {
		objs[fmt.Sprintf("many/%03d", i)] = []byte(fmt.Sprintf("object %d", i))
	}
	return objs
}

// TestTheWebConsoleInABrowser signs in to the console of a real server in
// headless Chromium, browses, uploads, downloads and deletes objects, runs
// a METRIC_RECONCILIATION and a BATCH_REPLICATE (to a second server) and
// watches them reach COMPLETE, opens the failures of a replication whose
// destination is down, cancels a long job, manages users, and checks that
// an ordinary user sees only its own buckets and jobs.
func TestTheWebConsoleInABrowser(t *testing.T) {
	browserCtx := newBrowser(t)
	dir, _ := bigDataDir(t)
	src := startServerIn(t, serverOptions{}, dir)
	dst := startServer(t, serverOptions{})
	root := mapiRoot(t, src)
	srcS3 := s3Client(src.S3URL, src.AccessKey, src.SecretKey)
	dstS3 := s3Client(dst.S3URL, dst.AccessKey, dst.SecretKey)

	const bucket, dstBucket = "photos", "photos-dr"
	createBucketOn(t, srcS3, bucket)
	setVersioning(t, srcS3, bucket, types.BucketVersioningStatusEnabled)
	createBucketOn(t, dstS3, dstBucket)
	objs := consoleObjects()
	for key, body := range objs {
		putObject(t, srcS3, bucket, key, body)
	}
	arn := createTarget(root, "dr", dst, dstBucket)
	if err := putReplication(t, srcS3, bucket, replRule{ID: "all", ARN: arn, Existing: true, DeleteMarkers: true, Priority: 1}); err != nil {
		t.Fatal(err)
	}
	_, err := srcS3.PutBucketLifecycleConfiguration(t.Context(), &s3.PutBucketLifecycleConfigurationInput{
		Bucket: aws.String(bucket),
		LifecycleConfiguration: &types.BucketLifecycleConfiguration{Rules: []types.LifecycleRule{{
			ID: aws.String("tmp"), Status: types.ExpirationStatusEnabled,
			Filter:     &types.LifecycleRuleFilter{Prefix: aws.String("tmp/")},
			Expiration: &types.LifecycleExpiration{Days: aws.Int32(7)},
		}}},
	})
	if err != nil {
		t.Fatalf("PutBucketLifecycleConfiguration: %v", err)
	}

	admin := openTab(t, browserCtx, src, true)
	downloads := t.TempDir()
	if _, err := chromedp.CallBrowser(admin.ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
		Behavior: browser.SetDownloadBehaviorBehaviorAllow, DownloadPath: downloads}); err != nil {
		t.Fatalf("set the download directory: %v", err)
	}
	admin.waitFor("the login page", exists("#login-username"), 10*time.Second)
	admin.shot("login")
	admin.login(rootUser, rootPassword)

	t.Run("the bucket list shows usage", func(t *testing.T) {
		admin := admin.as(t)
		admin.open("#/buckets", `tr[data-bucket="photos"]`)
		if got := admin.number(`tr[data-bucket="photos"] [data-field="objects"]`); got != int64(len(objs)) {
			t.Errorf("photos shows %d objects, want %d", got, len(objs))
		}
		if got := admin.number(`tr[data-bucket="big-seeded"] [data-field="objects"]`); got != bigObjects {
			t.Errorf("big-seeded shows %d objects, want %d", got, bigObjects)
		}
		admin.shot("buckets")
	})

	t.Run("the bucket page shows its configuration and browses by folder and page", func(t *testing.T) {
		admin := admin.as(t)
		admin.open("#/buckets/photos", `tr[data-key="readme.txt"]`)
		for _, f := range []string{"img/", "docs/", "many/"} {
			if !js[bool](admin, exists(`tr.folder[data-prefix="`+f+`"]`)) {
				t.Errorf("no folder %s at the top of the bucket", f)
			}
		}
		admin.waitFor("the configuration", exists(`[data-config="lifecycle"]`), 10*time.Second)
		for sub, want := range map[string]string{"versioning": "Enabled", "replication": "1 Rule", "lifecycle": "1 Rule",
			"notification": "None", "cors": "None", "encryption": "None"} {
			if got := admin.text(`[data-config="` + sub + `"] [data-field="state"]`); got != want {
				t.Errorf("%s configuration shows %q, want %q", sub, got, want)
			}
		}
		if got := admin.text(`[data-config="replication"] ul.rules`); !strings.Contains(got, arn) {
			t.Errorf("the replication rule does not name its destination %s: %q", arn, got)
		}
		admin.shot("bucket")

		admin.click(`tr.folder[data-prefix="many/"] a`)
		admin.waitFor("the first page of many/", exists(`tr[data-key="many/000"]`), 10*time.Second)
		if n := js[int](admin, `document.querySelectorAll('#object-list tbody tr').length`); n != 50 {
			t.Errorf("the first page of many/ has %d rows, want 50", n)
		}
		admin.click("#objects-next")
		admin.waitFor("the second page of many/", exists(`tr[data-key="many/059"]`), 10*time.Second)
		if n := js[int](admin, `document.querySelectorAll('#object-list tbody tr').length`); n != 10 {
			t.Errorf("the second page of many/ has %d rows, want 10", n)
		}
		admin.click("#objects-prev")
		admin.waitFor("the first page again", exists(`tr[data-key="many/000"]`), 10*time.Second)
	})

	t.Run("upload, download and delete go to S3 with presigned URLs", func(t *testing.T) {
		admin := admin.as(t)
		admin.open("#/buckets/photos", `tr[data-key="readme.txt"]`)
		local := filepath.Join(t.TempDir(), "notes.txt")
		content := []byte("uploaded from the console\n")
		if err := os.WriteFile(local, content, 0o644); err != nil {
			t.Fatal(err)
		}
		admin.do(chromedp.SetUploadFiles(chromedp.CSS("#upload-file"), []string{local}))
		admin.click("#upload-submit")
		admin.waitFor("the uploaded object", exists(`tr[data-key="notes.txt"]`), 10*time.Second)
		got, _ := mustGetInput(t, srcS3, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("notes.txt")})
		if !bytes.Equal(got, content) {
			t.Errorf("S3 holds %q for the upload, want %q", got, content)
		}

		admin.click(`tr[data-key="readme.txt"] button[data-action="download"]`)
		saved := filepath.Join(downloads, "readme.txt")
		waitFor(t, 10*time.Second, "the download", func() bool {
			b, err := os.ReadFile(saved)
			return err == nil && bytes.Equal(b, objs["readme.txt"])
		})

		admin.click(`tr[data-key="notes.txt"] button[data-action="delete"]`)
		admin.click(`tr[data-key="notes.txt"] button[data-action="delete"]`)
		admin.waitFor("the deleted object to go", "!("+exists(`tr[data-key="notes.txt"]`)+")", 10*time.Second)
		_, err := srcS3.HeadObject(t.Context(), &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("notes.txt")})
		if err == nil {
			t.Error("notes.txt is still there after the console deleted it")
		}
	})

	// After the upload and delete: every object of consoleObjects, plus
	// notes.txt's version and its delete marker.
	current := int64(len(objs))

	t.Run("a METRIC_RECONCILIATION started in the page reaches COMPLETE there", func(t *testing.T) {
		admin := admin.as(t)
		id := admin.startJob(bucket, metricRecon, nil)
		j := admin.watchJob(root, id, "COMPLETE", time.Minute)
		// A version per object and notes.txt's, and its delete marker.
		if s := j.JobStats; s.Processed != current+1 || s.Skipped != 1 || s.Failed != 0 || s.Total != current+2 {
			t.Errorf("reconciliation stats %+v, want processed %d, skipped 1 (the delete marker), total %d", s, current+1, current+2)
		}
		admin.shot("job")
	})

	t.Run("a BATCH_REPLICATE started in the page copies every object to the second server", func(t *testing.T) {
		admin := admin.as(t)
		id := admin.startJob(bucket, batchReplicate, map[string]string{"replicationFilter": "ALL"})
		j := admin.watchJob(root, id, "COMPLETE", time.Minute)
		if s := j.JobStats; s.Total != current || s.Failed != 0 || s.Processed+s.Skipped != current || s.Processed == 0 {
			t.Errorf("replication stats %+v, want total %d copied or already in place, none failed", s, current)
		}
		wantSameListing(t, listCurrent(t, srcS3, bucket), listCurrent(t, dstS3, dstBucket))
	})

	t.Run("the failures of a replication whose destination is down are listed", func(t *testing.T) {
		admin := admin.as(t)
		dst.Kill(t)
		id := admin.startJob(bucket, batchReplicate, nil)
		j := admin.watchJob(root, id, "COMPLETE", time.Minute)
		if s := j.JobStats; s.Failed != current || s.Processed != 0 || s.Total != current {
			t.Fatalf("replication to a dead destination: %+v, want all %d failed", s, current)
		}
		if got := admin.text("#failures summary"); got != fmt.Sprintf("Failures (%d)", current) {
			t.Errorf("the failures heading says %q", got)
		}
		admin.click("#failures summary")
		admin.waitFor("the first page of failures", "document.querySelectorAll('#failure-table tbody tr').length === 50", 10*time.Second)
		admin.click("#failures-more")
		admin.waitFor("every failure", fmt.Sprintf("document.querySelectorAll('#failure-table tbody tr').length === %d", current), 10*time.Second)
		listed := js[[]string](admin, `[...document.querySelectorAll('#failure-table tbody tr')].map((r) => r.cells[0].textContent + '|' + r.cells[2].textContent)`)
		failures := root.jobFailures(int32(id))
		if len(failures) != len(listed) {
			t.Errorf("the page lists %d failures, jobs/failures %d", len(listed), len(failures))
		}
		seen := map[string]bool{}
		for _, row := range listed {
			key, reason, _ := strings.Cut(row, "|")
			if _, ok := objs[key]; !ok || reason == "" || seen[key] {
				t.Errorf("failure row %q: not an object of the bucket, without a reason, or listed twice", row)
			}
			seen[key] = true
		}
	})

	t.Run("a long job is cancelled from its page", func(t *testing.T) {
		admin := admin.as(t)
		id := admin.startJob(bigBucket, metricRecon, nil)
		admin.waitFor("progress", `Number((document.querySelector('[data-field="processed"]') || {}).textContent?.replace(/,/g, '')) > 0`, 30*time.Second)
		admin.waitFor("a rate", `/^[0-9,]+\/s$/.test(document.querySelector('[data-field="rate"]').textContent)`, 10*time.Second)
		admin.shot("job-running")
		admin.click("#job-cancel")
		admin.click("#job-cancel")
		j := admin.watchJob(root, id, "CANCELLED", 30*time.Second)
		if j.JobStats.Processed <= 0 || j.JobStats.Processed >= bigObjects {
			t.Errorf("the cancelled job's stats %+v: want the progress it reached", j.JobStats)
		}
	})

	t.Run("the job list filters by bucket, type and state", func(t *testing.T) {
		admin := admin.as(t)
		admin.open("#/jobs", "#job-list tbody tr[data-job]")
		rows := func() []string {
			return js[[]string](admin, `[...document.querySelectorAll('#job-list tbody tr[data-job]')].map((r) => r.cells[1].firstChild.textContent + ' ' + r.cells[2].textContent + ' ' + r.cells[3].textContent)`)
		}
		all := root.listJobs(nil)
		if got := rows(); len(got) != len(all) {
			t.Errorf("the list shows %v, jobs/list has %d jobs", got, len(all))
		}
		admin.shot("jobs")
		shown := func(what, hashHas string, n int) {
			t.Helper()
			admin.waitFor(what, fmt.Sprintf("location.hash.includes(%s) && %s && document.querySelectorAll('#job-list tbody tr[data-job]').length === %d",
				q(hashHas), pageReady, n), 10*time.Second)
		}
		admin.choose("#filter-type", batchReplicate)
		shown("the type filter", "type=BATCH_REPLICATE", 2)
		for _, r := range rows() {
			if !strings.HasPrefix(r, batchReplicate+" photos COMPLETE") {
				t.Errorf("type filter shows %q", r)
			}
		}
		admin.open("#/jobs", "#job-list")
		admin.choose("#filter-state", "CANCELLED")
		shown("the state filter", "state=CANCELLED", 1)
		admin.open("#/jobs", "#job-list")
		admin.choose("#filter-bucket", bigBucket)
		shown("the bucket filter", "bucket=big-seeded", 1)
	})

	t.Run("an admin creates users, changes a role and deletes a user", func(t *testing.T) {
		admin := admin.as(t)
		admin.open("#/users", "#user-create")
		for _, u := range []string{"alice", "carol"} {
			admin.typeInto("#new-username", u)
			admin.typeInto("#new-password", "password-"+u+"-123")
			admin.click("#user-submit")
			admin.waitFor("user "+u, exists(`tr[data-username="`+u+`"]`), 10*time.Second)
		}
		admin.choose(`select[data-user="carol"]`, "ADMIN")
		admin.waitFor("carol's new role", `(document.querySelector('#users-status') || {}).textContent === 'carol is now ADMIN.'`, 10*time.Second)
		if got := roleOf(root, "carol"); got != "ADMIN" {
			t.Errorf("carol is %q after the role change, want ADMIN", got)
		}
		admin.shot("users")
		admin.click(`tr[data-username="carol"] button[data-action="delete"]`)
		admin.click(`tr[data-username="carol"] button[data-action="delete"]`)
		admin.waitFor("carol to go", "!("+exists(`tr[data-username="carol"]`)+")", 10*time.Second)
		if got := roleOf(root, "carol"); got != "" {
			t.Errorf("carol is still there (%s) after the delete", got)
		}
		if got := roleOf(root, "alice"); got != "USER" {
			t.Errorf("alice is %q, want USER", got)
		}
		admin.open("#/targets", `tr[data-arn="`+arn+`"]`)
	})

	// An ordinary user in a browser context of its own.
	alice := openTab(t, browserCtx, src, false)
	alice.login("alice", "password-alice-123")
	const aliceBucket = "alice-files"

	t.Run("an ordinary user gets S3 credentials whose secret is shown once", func(t *testing.T) {
		alice := alice.as(t)
		alice.open("#/buckets", "#buckets")
		if n := js[int](alice, `document.querySelectorAll('#buckets tbody tr[data-bucket]').length`); n != 0 {
			t.Errorf("alice, who owns nothing, sees %d buckets", n)
		}
		alice.open("#/credentials", "#generate-credentials")
		alice.click("#generate-credentials")
		alice.waitFor("the new key", exists("#new-secret-key"), 10*time.Second)
		ak, sk := alice.text("#new-access-key"), alice.text("#new-secret-key")
		alice.waitFor("the key in the list", exists(`#credentials tr[data-key="`+ak+`"]`), 10*time.Second)
		alice.shot("credentials-new")
		alice.click("#dismiss-secret")
		if strings.Contains(js[string](alice, "document.body.innerText"), sk) {
			t.Error("the secret is still on the page after it was dismissed")
		}
		aliceS3 := s3Client(src.S3URL, ak, sk)
		createBucketOn(t, aliceS3, aliceBucket)
		for i := range 3 {
			putObject(t, aliceS3, aliceBucket, fmt.Sprintf("f%d", i), []byte("alice's"))
		}
	})

	t.Run("an ordinary user sees only its own buckets and jobs", func(t *testing.T) {
		alice := alice.as(t)
		alice.open("#/buckets", `tr[data-bucket="`+aliceBucket+`"]`)
		if got := js[[]string](alice, `[...document.querySelectorAll('#buckets tbody tr[data-bucket]')].map((r) => r.dataset.bucket)`); len(got) != 1 {
			t.Errorf("alice sees buckets %v, want only %s", got, aliceBucket)
		}
		if got := alice.number(`tr[data-bucket="` + aliceBucket + `"] [data-field="objects"]`); got != 3 {
			t.Errorf("alice's bucket shows %d objects, want 3", got)
		}
		id := alice.startJob(aliceBucket, metricRecon, nil)
		j := alice.watchJob(root, id, "COMPLETE", time.Minute)
		if j.JobStats.Processed != 3 {
			t.Errorf("alice's reconciliation processed %d, want 3", j.JobStats.Processed)
		}
		alice.open("#/jobs", "#job-list")
		if got := js[[]string](alice, `[...document.querySelectorAll('#job-list tbody tr[data-job]')].map((r) => r.dataset.job + ' ' + r.cells[2].textContent)`); len(got) != 1 || got[0] != fmt.Sprintf("%d %s", id, aliceBucket) {
			t.Errorf("alice's job list shows %v, want only her job %d", got, id)
		}
		// Another's job, bucket and the admin pages are not hers.
		adminJob := root.listJobs(map[string]any{"bucketName": bucket})[0].ID()
		alice.open(fmt.Sprintf("#/jobs/%d", adminJob), "#page .error")
		if got := alice.text("#page .error"); !strings.Contains(got, "NOT_FOUND") {
			t.Errorf("alice opening job %d of photos sees %q, want NOT_FOUND", adminJob, got)
		}
		alice.open("#/buckets/photos", "#objects .error")
		if got := alice.text("#objects .error"); !strings.Contains(got, "AccessDenied") {
			t.Errorf("alice browsing photos sees %q, want AccessDenied", got)
		}
		alice.open("#/users", "#page .error")
		if got := alice.text("#page .error"); !strings.Contains(got, "administrator") {
			t.Errorf("alice on the users page sees %q", got)
		}
		if js[bool](alice, exists("#nav-users")) {
			t.Error("alice's header links to the users page")
		}
	})

	t.Run("signing out ends the session", func(t *testing.T) {
		for _, b := range []*tab{admin.as(t), alice.as(t)} {
			b.click("#logout")
			b.waitFor("the login page", exists("#login-username"), 10*time.Second)
			// Without a session every page leads back to the login.
			js[bool](b, `(location.hash = '#/jobs', true)`)
			b.waitFor("the login again", `location.hash.startsWith('#/login') && `+pageReady+` && `+exists("#login-username"), 10*time.Second)
		}
		// Each sign-out ended its login on the server, not only in the page.
		if n, _ := sumOf(scrapeWith(t, src, root.AccessToken), "quarry_mapi_requests_total", `operation="logout"`, `status="204"`); n != 2 {
			t.Errorf("the server answered %v logouts, want 2 (one per sign-out)", n)
		}
	})

	admin.wantNoProblems()
	alice.wantNoProblems()
}

// roleOf is a user's role as user/list says, "" when there is no such user.
func roleOf(c *mapiClient, name string) string {
	var out struct {
		Users []struct {
			Username string `json:"username"`
			Role     string `json:"role"`
		} `json:"users"`
	}
	c.must("user/list", map[string]any{"pageSize": 1000}, &out)
	for _, u := range out.Users {
		if u.Username == name {
			return u.Role
		}
	}
	return ""
}

// startJob creates a job through the console's form and returns its id
// once its page is shown.
func (b *tab) startJob(bucket, jobType string, params map[string]string) int64 {
	b.t.Helper()
	b.open("#/jobs/new?bucket="+bucket, "#job-submit")
	b.choose("#job-type", jobType)
	for k, v := range params {
		b.choose("#param-"+k, v)
	}
	b.click("#job-submit")
	b.waitFor("the job's page", `/^#\/jobs\/\d+$/.test(location.hash) && document.querySelector('#job-state') !== null`, 10*time.Second)
	var id int64
	if _, err := fmt.Sscanf(js[string](b, "location.hash"), "#/jobs/%d", &id); err != nil {
		b.fatal("job page hash: %v", err)
	}
	return id
}

// watchJob waits until the job's page shows state, then checks that the
// page's counters are the MAPI's, that processed + failed + skipped ==
// total at COMPLETE, and returns the job.
func (b *tab) watchJob(c *mapiClient, id int64, state string, timeout time.Duration) mapiJob {
	b.t.Helper()
	b.waitFor("job "+fmt.Sprint(id)+" "+state, fmt.Sprintf("document.querySelector('#job-state').textContent === %s", q(state)), timeout)
	j := c.jobStatus(int32(id))
	if j.JobState != state {
		b.t.Fatalf("the page shows job %d %s, jobs/status %s", id, state, j.JobState)
	}
	shown := mapiJobStats{Processed: b.number(`[data-field="processed"]`), Failed: b.number(`[data-field="failed"]`),
		Skipped: b.number(`[data-field="skipped"]`), Total: b.number(`[data-field="total"]`), Bytes: j.JobStats.Bytes}
	if shown != j.JobStats {
		b.t.Errorf("job %d: the page shows %+v, jobs/status %+v", id, shown, j.JobStats)
	}
	if state == "COMPLETE" {
		wantCounterIdentity(b.t, fmt.Sprintf("job %d", id), j)
	}
	return j
}

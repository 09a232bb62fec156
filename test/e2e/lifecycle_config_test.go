package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/quarrylabs/quarry/internal/meta"
)

// everyLifecycleElement is a configuration that uses every element Quarry
// accepts.
func everyLifecycleElement(date time.Time) []types.LifecycleRule {
	return []types.LifecycleRule{
		{ID: aws.String("logs"), Status: types.ExpirationStatusEnabled,
			Filter:     &types.LifecycleRuleFilter{Prefix: aws.String("logs/")},
			Expiration: &types.LifecycleExpiration{Days: aws.Int32(30)}},
		{ID: aws.String("by-date"), Status: types.ExpirationStatusDisabled,
			Filter:     &types.LifecycleRuleFilter{Tag: &types.Tag{Key: aws.String("tier"), Value: aws.String("scratch")}},
			Expiration: &types.LifecycleExpiration{Date: aws.Time(date)}},
		{ID: aws.String("old-versions"), Status: types.ExpirationStatusEnabled,
			Filter: &types.LifecycleRuleFilter{And: &types.LifecycleRuleAndOperator{
				Prefix:                aws.String("docs/"),
				Tags:                  []types.Tag{{Key: aws.String("a"), Value: aws.String("1")}, {Key: aws.String("b"), Value: aws.String("2")}},
				ObjectSizeGreaterThan: aws.Int64(1024),
				ObjectSizeLessThan:    aws.Int64(1 << 20),
			}},
			NoncurrentVersionExpiration: &types.NoncurrentVersionExpiration{NoncurrentDays: aws.Int32(14), NewerNoncurrentVersions: aws.Int32(5)}},
		{ID: aws.String("tidy"), Status: types.ExpirationStatusEnabled,
			Filter:                         &types.LifecycleRuleFilter{Prefix: aws.String("")},
			Expiration:                     &types.LifecycleExpiration{ExpiredObjectDeleteMarker: aws.Bool(true)},
			AbortIncompleteMultipartUpload: &types.AbortIncompleteMultipartUpload{DaysAfterInitiation: aws.Int32(3)}},
		{ID: aws.String("small"), Status: types.ExpirationStatusEnabled,
			Filter:     &types.LifecycleRuleFilter{ObjectSizeLessThan: aws.Int64(10)},
			Expiration: &types.LifecycleExpiration{Days: aws.Int32(1)}},
		{ID: aws.String("large"), Status: types.ExpirationStatusEnabled,
			Filter:     &types.LifecycleRuleFilter{ObjectSizeGreaterThan: aws.Int64(1 << 30)},
			Expiration: &types.LifecycleExpiration{Days: aws.Int32(2)}},
	}
}

func TestLifecycleConfigurationRoundTripsEveryElement(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	c := rootClient()
	bucket := newBucket(t, c)
	b := aws.String(bucket)

	_, err := c.GetBucketLifecycleConfiguration(ctx, &s3.GetBucketLifecycleConfigurationInput{Bucket: b})
	wantErr(t, "GetBucketLifecycleConfiguration before any", err, http.StatusNotFound, "NoSuchLifecycleConfiguration")

	date := time.Date(2031, 3, 1, 0, 0, 0, 0, time.UTC)
	rules := everyLifecycleElement(date)
	_, err = c.PutBucketLifecycleConfiguration(ctx, &s3.PutBucketLifecycleConfigurationInput{
		Bucket: b, LifecycleConfiguration: &types.BucketLifecycleConfiguration{Rules: rules},
	})
	if err != nil {
		t.Fatalf("PutBucketLifecycleConfiguration: %v", err)
	}
	out, err := c.GetBucketLifecycleConfiguration(ctx, &s3.GetBucketLifecycleConfigurationInput{Bucket: b})
	if err != nil {
		t.Fatalf("GetBucketLifecycleConfiguration: %v", err)
	}
	if got, want := describeLifecycle(out.Rules), describeLifecycle(rules); got != want {
		t.Fatalf("configuration read back:\n%s\nwant\n%s", got, want)
	}

	// The configuration survives a restart of the server process.
	srv := startServer(t, serverOptions{})
	sc := s3Client(srv.S3URL, srv.AccessKey, srv.SecretKey)
	own := newBucket(t, sc)
	_, err = sc.PutBucketLifecycleConfiguration(ctx, &s3.PutBucketLifecycleConfigurationInput{
		Bucket: aws.String(own), LifecycleConfiguration: &types.BucketLifecycleConfiguration{Rules: rules},
	})
	if err != nil {
		t.Fatalf("PutBucketLifecycleConfiguration on a server of its own: %v", err)
	}
	srv.Stop(t)
	srv.Restart(t)
	sc = s3Client(srv.S3URL, srv.AccessKey, srv.SecretKey)
	after, err := sc.GetBucketLifecycleConfiguration(ctx, &s3.GetBucketLifecycleConfigurationInput{Bucket: aws.String(own)})
	if err != nil {
		t.Fatalf("GetBucketLifecycleConfiguration after a restart: %v", err)
	}
	if got, want := describeLifecycle(after.Rules), describeLifecycle(rules); got != want {
		t.Fatalf("configuration after a restart:\n%s\nwant\n%s", got, want)
	}

	// Replacing keeps only the new rules; deleting leaves none.
	_, err = c.PutBucketLifecycleConfiguration(ctx, &s3.PutBucketLifecycleConfigurationInput{
		Bucket: b, LifecycleConfiguration: &types.BucketLifecycleConfiguration{Rules: rules[:1]},
	})
	if err != nil {
		t.Fatalf("PutBucketLifecycleConfiguration again: %v", err)
	}
	out, err = c.GetBucketLifecycleConfiguration(ctx, &s3.GetBucketLifecycleConfigurationInput{Bucket: b})
	if err != nil || len(out.Rules) != 1 || aws.ToString(out.Rules[0].ID) != "logs" {
		t.Fatalf("after replacing: %v %s", err, describeLifecycle(out.Rules))
	}
	if _, err := c.DeleteBucketLifecycle(ctx, &s3.DeleteBucketLifecycleInput{Bucket: b}); err != nil {
		t.Fatalf("DeleteBucketLifecycle: %v", err)
	}
	_, err = c.GetBucketLifecycleConfiguration(ctx, &s3.GetBucketLifecycleConfigurationInput{Bucket: b})
	wantErr(t, "GetBucketLifecycleConfiguration after delete", err, http.StatusNotFound, "NoSuchLifecycleConfiguration")
}

// describeLifecycle renders rules in one canonical text, so two
// configurations compare as strings and a difference shows where it is.
func describeLifecycle(rules []types.LifecycleRule) string {
	var b strings.Builder
	for _, r := range rules {
		fmt.Fprintf(&b, "%s %s", aws.ToString(r.ID), r.Status)
		if f := r.Filter; f != nil {
			fmt.Fprintf(&b, " filter[prefix=%q", aws.ToString(f.Prefix))
			if f.Tag != nil {
				fmt.Fprintf(&b, " tag=%s:%s", aws.ToString(f.Tag.Key), aws.ToString(f.Tag.Value))
			}
			fmt.Fprintf(&b, " gt=%d lt=%d", aws.ToInt64(f.ObjectSizeGreaterThan), aws.ToInt64(f.ObjectSizeLessThan))
			if a := f.And; a != nil {
				fmt.Fprintf(&b, " and[prefix=%q gt=%d lt=%d", aws.ToString(a.Prefix), aws.ToInt64(a.ObjectSizeGreaterThan), aws.ToInt64(a.ObjectSizeLessThan))
				for _, tg := range a.Tags {
					fmt.Fprintf(&b, " %s:%s", aws.ToString(tg.Key), aws.ToString(tg.Value))
				}
				b.WriteString("]")
			}
			b.WriteString("]")
		}
		if e := r.Expiration; e != nil {
			fmt.Fprintf(&b, " expire[days=%d date=%s marker=%v]", aws.ToInt32(e.Days), aws.ToTime(e.Date).UTC().Format(time.RFC3339), aws.ToBool(e.ExpiredObjectDeleteMarker))
		}
		if n := r.NoncurrentVersionExpiration; n != nil {
			fmt.Fprintf(&b, " noncurrent[days=%d keep=%d]", aws.ToInt32(n.NoncurrentDays), aws.ToInt32(n.NewerNoncurrentVersions))
		}
		if a := r.AbortIncompleteMultipartUpload; a != nil {
			fmt.Fprintf(&b, " abort[days=%d]", aws.ToInt32(a.DaysAfterInitiation))
		}
		b.WriteString("\n")
	}
	return b.String()
}

func TestLifecycleConfigurationRefusesBadRulesWithAWSCodes(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	c := rootClient()
	bucket := newBucket(t, c)
	all := &types.LifecycleRuleFilter{Prefix: aws.String("")}
	expire := &types.LifecycleExpiration{Days: aws.Int32(1)}
	tags := &types.LifecycleRuleFilter{And: &types.LifecycleRuleAndOperator{Tags: []types.Tag{
		{Key: aws.String("a"), Value: aws.String("1")}, {Key: aws.String("b"), Value: aws.String("2")}}}}
	abort := &types.AbortIncompleteMultipartUpload{DaysAfterInitiation: aws.Int32(1)}
	tests := []struct {
		name   string
		rules  []types.LifecycleRule
		status int
		code   string
	}{
		{"Days 0 is InvalidArgument",
			[]types.LifecycleRule{{ID: aws.String("r"), Status: types.ExpirationStatusEnabled, Filter: all, Expiration: &types.LifecycleExpiration{Days: aws.Int32(0)}}},
			http.StatusBadRequest, "InvalidArgument"},
		{"a Date not at midnight UTC is InvalidArgument",
			[]types.LifecycleRule{{ID: aws.String("r"), Status: types.ExpirationStatusEnabled, Filter: all,
				Expiration: &types.LifecycleExpiration{Date: aws.Time(time.Date(2031, 1, 1, 12, 0, 0, 0, time.UTC))}}},
			http.StatusBadRequest, "InvalidArgument"},
		{"two rules with one ID are InvalidArgument",
			[]types.LifecycleRule{
				{ID: aws.String("same"), Status: types.ExpirationStatusEnabled, Filter: all, Expiration: expire},
				{ID: aws.String("same"), Status: types.ExpirationStatusEnabled, Filter: all, Expiration: expire}},
			http.StatusBadRequest, "InvalidArgument"},
		{"an ID of 256 characters is InvalidArgument",
			[]types.LifecycleRule{{ID: aws.String(strings.Repeat("i", 256)), Status: types.ExpirationStatusEnabled, Filter: all, Expiration: expire}},
			http.StatusBadRequest, "InvalidArgument"},
		{"tags with AbortIncompleteMultipartUpload are InvalidRequest",
			[]types.LifecycleRule{{ID: aws.String("r"), Status: types.ExpirationStatusEnabled, Filter: tags, AbortIncompleteMultipartUpload: abort}},
			http.StatusBadRequest, "InvalidRequest"},
		{"a rule without an action is InvalidRequest",
			[]types.LifecycleRule{{ID: aws.String("r"), Status: types.ExpirationStatusEnabled, Filter: all}},
			http.StatusBadRequest, "InvalidRequest"},
		{"Days and ExpiredObjectDeleteMarker together are MalformedXML",
			[]types.LifecycleRule{{ID: aws.String("r"), Status: types.ExpirationStatusEnabled, Filter: all,
				Expiration: &types.LifecycleExpiration{Days: aws.Int32(1), ExpiredObjectDeleteMarker: aws.Bool(true)}}},
			http.StatusBadRequest, "MalformedXML"},
		{"a Transition is NotImplemented",
			[]types.LifecycleRule{{ID: aws.String("r"), Status: types.ExpirationStatusEnabled, Filter: all,
				Transitions: []types.Transition{{Days: aws.Int32(30), StorageClass: types.TransitionStorageClassGlacier}}}},
			http.StatusNotImplemented, "NotImplemented"},
		{"a NoncurrentVersionTransition is NotImplemented",
			[]types.LifecycleRule{{ID: aws.String("r"), Status: types.ExpirationStatusEnabled, Filter: all, Expiration: expire,
				NoncurrentVersionTransitions: []types.NoncurrentVersionTransition{{NoncurrentDays: aws.Int32(30), StorageClass: types.TransitionStorageClassStandardIa}}}},
			http.StatusNotImplemented, "NotImplemented"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.PutBucketLifecycleConfiguration(ctx, &s3.PutBucketLifecycleConfigurationInput{
				Bucket: aws.String(bucket), LifecycleConfiguration: &types.BucketLifecycleConfiguration{Rules: tt.rules},
			})
			wantErr(t, "PutBucketLifecycleConfiguration", err, tt.status, tt.code)
		})
	}

	malformed := []struct{ name, body string }{
		{"truncated XML", `<LifecycleConfiguration><Rule><ID>x</ID>`},
		{"a configuration without rules", `<LifecycleConfiguration/>`},
		{"a rule status that is neither Enabled nor Disabled", `<LifecycleConfiguration><Rule><Filter/><Status>On</Status><Expiration><Days>1</Days></Expiration></Rule></LifecycleConfiguration>`},
		{"a rule with both Prefix and Filter", `<LifecycleConfiguration><Rule><Prefix>a</Prefix><Filter/><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule></LifecycleConfiguration>`},
		{"an Expiration without Days, Date or ExpiredObjectDeleteMarker", `<LifecycleConfiguration><Rule><Filter/><Status>Enabled</Status><Expiration/></Rule></LifecycleConfiguration>`},
	}
	for _, tt := range malformed {
		t.Run(tt.name+" is MalformedXML", func(t *testing.T) {
			body := []byte(tt.body)
			r := do(t, sharedSrv, rawRequest{Method: http.MethodPut, Target: "/" + bucket + "?lifecycle", Body: body,
				Header: map[string]string{"Content-MD5": contentMD5(body), "Content-Type": "application/xml"}})
			wantRaw(t, "PUT ?lifecycle", r, http.StatusBadRequest, "MalformedXML")
		})
	}
	t.Run("a body without Content-MD5 or checksum is InvalidRequest", func(t *testing.T) {
		body := []byte(`<LifecycleConfiguration><Rule><Filter/><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule></LifecycleConfiguration>`)
		r := do(t, sharedSrv, rawRequest{Method: http.MethodPut, Target: "/" + bucket + "?lifecycle", Body: body})
		wantRaw(t, "PUT ?lifecycle without Content-MD5", r, http.StatusBadRequest, "InvalidRequest")
	})

	// Nothing of a refused configuration was stored.
	_, err := c.GetBucketLifecycleConfiguration(ctx, &s3.GetBucketLifecycleConfigurationInput{Bucket: aws.String(bucket)})
	wantErr(t, "GetBucketLifecycleConfiguration after refused configurations", err, http.StatusNotFound, "NoSuchLifecycleConfiguration")
}

func TestLifecycleConfigurationOfAnotherUsersBucketIsAccessDenied(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	run := bucketSeq.Add(1)
	aliceAK, aliceSK := createUser(t, sharedSrv, fmt.Sprintf("lcalice%d", run), meta.RoleUser)
	bobAK, bobSK := createUser(t, sharedSrv, fmt.Sprintf("lcbob%d", run), meta.RoleUser)
	alice := s3Client(sharedSrv.S3URL, aliceAK, aliceSK)
	bob := s3Client(sharedSrv.S3URL, bobAK, bobSK)
	bucket := newBucket(t, alice)
	b := aws.String(bucket)
	rules := everyLifecycleElement(time.Date(2031, 3, 1, 0, 0, 0, 0, time.UTC))[:2]
	if _, err := alice.PutBucketLifecycleConfiguration(ctx, &s3.PutBucketLifecycleConfigurationInput{
		Bucket: b, LifecycleConfiguration: &types.BucketLifecycleConfiguration{Rules: rules},
	}); err != nil {
		t.Fatalf("alice's PutBucketLifecycleConfiguration: %v", err)
	}

	_, err := bob.GetBucketLifecycleConfiguration(ctx, &s3.GetBucketLifecycleConfigurationInput{Bucket: b})
	wantErr(t, "bob's GetBucketLifecycleConfiguration", err, http.StatusForbidden, "AccessDenied")
	_, err = bob.PutBucketLifecycleConfiguration(ctx, &s3.PutBucketLifecycleConfigurationInput{
		Bucket: b, LifecycleConfiguration: &types.BucketLifecycleConfiguration{Rules: rules[:1]},
	})
	wantErr(t, "bob's PutBucketLifecycleConfiguration", err, http.StatusForbidden, "AccessDenied")
	// Access is checked before the document: bob learns nothing from a bad one.
	body := []byte(`<LifecycleConfiguration><Rule>`)
	r := do(t, sharedSrv, rawRequest{Method: http.MethodPut, Target: "/" + bucket + "?lifecycle", Body: body,
		Header: map[string]string{"Content-MD5": contentMD5(body)}, AccessKey: bobAK, SecretKey: bobSK})
	wantRaw(t, "bob's malformed PUT ?lifecycle", r, http.StatusForbidden, "AccessDenied")
	_, err = bob.DeleteBucketLifecycle(ctx, &s3.DeleteBucketLifecycleInput{Bucket: b})
	wantErr(t, "bob's DeleteBucketLifecycle", err, http.StatusForbidden, "AccessDenied")

	// Alice's configuration is untouched; root (an admin) may read it.
	out, err := rootClient().GetBucketLifecycleConfiguration(ctx, &s3.GetBucketLifecycleConfigurationInput{Bucket: b})
	if err != nil {
		t.Fatalf("root's GetBucketLifecycleConfiguration: %v", err)
	}
	if got, want := describeLifecycle(out.Rules), describeLifecycle(rules); got != want {
		t.Fatalf("alice's configuration after bob's attempts:\n%s\nwant\n%s", got, want)
	}
}

// TestLifecycleConfigurationWithTheAWSCLI drives the three calls with the
// aws CLI when it is installed (v1 sends Content-MD5 or a checksum as its
// botocore decides; v2 a CRC checksum).
func TestLifecycleConfigurationWithTheAWSCLI(t *testing.T) {
	t.Parallel()
	cli, err := exec.LookPath("aws")
	if err != nil {
		t.Skip("the aws CLI is not installed")
	}
	bucket := newBucket(t, rootClient())
	dir := t.TempDir()
	env := append(os.Environ(),
		"AWS_ACCESS_KEY_ID="+rootAccessKey, "AWS_SECRET_ACCESS_KEY="+rootSecretKey, "AWS_DEFAULT_REGION="+testRegion,
		"AWS_CONFIG_FILE="+filepath.Join(dir, "config"), "AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(dir, "credentials"),
		"AWS_PAGER=", "HOME="+dir)
	run := func(args ...string) (string, error) {
		cmd := exec.CommandContext(t.Context(), cli, append([]string{"--endpoint-url", sharedSrv.S3URL, "--output", "json"}, args...)...)
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	config := `{"Rules":[
		{"ID":"logs","Status":"Enabled","Filter":{"Prefix":"logs/"},"Expiration":{"Days":30}},
		{"ID":"versions","Status":"Enabled","Filter":{"And":{"Prefix":"docs/","Tags":[{"Key":"k","Value":"v"}],"ObjectSizeGreaterThan":10}},
		 "NoncurrentVersionExpiration":{"NoncurrentDays":7,"NewerNoncurrentVersions":2}},
		{"ID":"tidy","Status":"Disabled","Filter":{},"Expiration":{"ExpiredObjectDeleteMarker":true},
		 "AbortIncompleteMultipartUpload":{"DaysAfterInitiation":3}}]}`
	file := filepath.Join(dir, "lifecycle.json")
	if err := os.WriteFile(file, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := run("s3api", "put-bucket-lifecycle-configuration", "--bucket", bucket, "--lifecycle-configuration", "file://"+file); err != nil {
		t.Fatalf("put-bucket-lifecycle-configuration: %v\n%s", err, out)
	}
	out, err := run("s3api", "get-bucket-lifecycle-configuration", "--bucket", bucket)
	if err != nil {
		t.Fatalf("get-bucket-lifecycle-configuration: %v\n%s", err, out)
	}
	var got struct {
		Rules []struct {
			ID     string
			Status string
			Filter struct {
				Prefix *string
				And    *struct {
					Prefix                string
					ObjectSizeGreaterThan int64
					Tags                  []struct{ Key, Value string }
				}
			}
			Expiration *struct {
				Days                      int
				ExpiredObjectDeleteMarker bool
			}
			NoncurrentVersionExpiration    *struct{ NoncurrentDays, NewerNoncurrentVersions int }
			AbortIncompleteMultipartUpload *struct{ DaysAfterInitiation int }
		}
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("get-bucket-lifecycle-configuration printed %s: %v", out, err)
	}
	r := got.Rules
	if len(r) != 3 || r[0].ID != "logs" || r[0].Filter.Prefix == nil || *r[0].Filter.Prefix != "logs/" || r[0].Expiration == nil || r[0].Expiration.Days != 30 ||
		r[1].Filter.And == nil || r[1].Filter.And.Prefix != "docs/" || r[1].Filter.And.ObjectSizeGreaterThan != 10 || len(r[1].Filter.And.Tags) != 1 ||
		r[1].NoncurrentVersionExpiration == nil || r[1].NoncurrentVersionExpiration.NewerNoncurrentVersions != 2 ||
		r[2].Status != "Disabled" || r[2].Expiration == nil || !r[2].Expiration.ExpiredObjectDeleteMarker ||
		r[2].AbortIncompleteMultipartUpload == nil || r[2].AbortIncompleteMultipartUpload.DaysAfterInitiation != 3 {
		t.Fatalf("get-bucket-lifecycle-configuration printed:\n%s", out)
	}
	if out, err := run("s3api", "delete-bucket-lifecycle", "--bucket", bucket); err != nil {
		t.Fatalf("delete-bucket-lifecycle: %v\n%s", err, out)
	}
	out, err = run("s3api", "get-bucket-lifecycle-configuration", "--bucket", bucket)
	if err == nil || !strings.Contains(out, "NoSuchLifecycleConfiguration") {
		t.Fatalf("get-bucket-lifecycle-configuration after delete: %v\n%s", err, out)
	}
}

package s3api

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

func TestBucketLifecycle(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	c := ts.client(ts.alice)

	ts.mustCreateBucket(ts.alice, "photos")
	// us-east-1 answers 200 to creating a bucket one owns (S3's legacy).
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("photos")}); err != nil {
		t.Fatalf("creating an own bucket again in us-east-1: %v, want 200", err)
	}
	_, err := ts.client(ts.bob).CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("photos")})
	wantCode(t, err, "BucketAlreadyExists", http.StatusConflict)

	if _, err := c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("photos")}); err != nil {
		t.Fatalf("head bucket: %v", err)
	}
	list, err := c.ListBuckets(ctx, &s3.ListBucketsInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Buckets) != 1 || aws.ToString(list.Buckets[0].Name) != "photos" || list.Buckets[0].CreationDate == nil {
		t.Errorf("ListBuckets = %+v, want photos with a creation date", list.Buckets)
	}
	if aws.ToString(list.Owner.DisplayName) != "alice" {
		t.Errorf("owner = %+v, want alice", list.Owner)
	}
	bobList, err := ts.client(ts.bob).ListBuckets(ctx, &s3.ListBucketsInput{})
	if err != nil || len(bobList.Buckets) != 0 {
		t.Errorf("bob lists %d buckets (%v), want none", len(bobList.Buckets), err)
	}

	loc, err := c.GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: aws.String("photos")})
	if err != nil || loc.LocationConstraint != "" {
		t.Errorf("location = %q (%v), want empty for us-east-1", loc.LocationConstraint, err)
	}

	ts.mustPut(ts.alice, "photos", "cat.jpg", "meow")
	_, err = c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String("photos")})
	wantCode(t, err, "BucketNotEmpty", http.StatusConflict)
	if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("photos"), Key: aws.String("cat.jpg")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String("photos")}); err != nil {
		t.Fatalf("delete empty bucket: %v", err)
	}
	_, err = c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("photos")})
	if httpStatus(err) != http.StatusNotFound {
		t.Errorf("head deleted bucket: %v, want 404", err)
	}
	_, err = c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("photos")})
	wantCode(t, err, "NoSuchBucket", http.StatusNotFound)
}

func TestCreateBucketRejects(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	c := ts.client(ts.alice)
	tests := []struct {
		name   string
		in     *s3.CreateBucketInput
		code   string
		status int
	}{
		{"an upper-case name", &s3.CreateBucketInput{Bucket: aws.String("Photos")}, "InvalidBucketName", 400},
		{"a two-letter name", &s3.CreateBucketInput{Bucket: aws.String("ab")}, "InvalidBucketName", 400},
		{"an IP address", &s3.CreateBucketInput{Bucket: aws.String("192.168.1.1")}, "InvalidBucketName", 400},
		{"another region", &s3.CreateBucketInput{
			Bucket:                    aws.String("elsewhere"),
			CreateBucketConfiguration: &types.CreateBucketConfiguration{LocationConstraint: types.BucketLocationConstraintEuWest1},
		}, "IllegalLocationConstraintException", 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.CreateBucket(ctx, tt.in)
			wantCode(t, err, tt.code, tt.status)
		})
	}
	list, err := c.ListBuckets(ctx, &s3.ListBucketsInput{})
	if err != nil || len(list.Buckets) != 0 {
		t.Errorf("after rejected creates: %d buckets (%v), want none", len(list.Buckets), err)
	}
}

func TestBucketVersioningConfiguration(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	c := ts.client(ts.alice)
	ts.mustCreateBucket(ts.alice, "docs")

	got, err := c.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: aws.String("docs")})
	if err != nil || got.Status != "" {
		t.Fatalf("never-versioned bucket: status %q (%v), want empty", got.Status, err)
	}
	for _, status := range []types.BucketVersioningStatus{types.BucketVersioningStatusEnabled, types.BucketVersioningStatusSuspended} {
		_, err := c.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{
			Bucket:                  aws.String("docs"),
			VersioningConfiguration: &types.VersioningConfiguration{Status: status},
		})
		if err != nil {
			t.Fatalf("put %s: %v", status, err)
		}
		got, err := c.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: aws.String("docs")})
		if err != nil || got.Status != status {
			t.Errorf("status %q (%v), want %s", got.Status, err, status)
		}
	}
}

func TestBucketTagging(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	c := ts.client(ts.alice)
	ts.mustCreateBucket(ts.alice, "tagged")

	_, err := c.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: aws.String("tagged")})
	wantCode(t, err, "NoSuchTagSet", http.StatusNotFound)

	_, err = c.PutBucketTagging(ctx, &s3.PutBucketTaggingInput{
		Bucket: aws.String("tagged"),
		Tagging: &types.Tagging{TagSet: []types.Tag{
			{Key: aws.String("team"), Value: aws.String("storage")},
			{Key: aws.String("env"), Value: aws.String("test")},
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: aws.String("tagged")})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.TagSet) != 2 || aws.ToString(got.TagSet[0].Key) != "env" || aws.ToString(got.TagSet[1].Value) != "storage" {
		t.Errorf("tags = %+v, want env=test, team=storage", got.TagSet)
	}
	_, err = c.PutBucketTagging(ctx, &s3.PutBucketTaggingInput{
		Bucket: aws.String("tagged"),
		Tagging: &types.Tagging{TagSet: []types.Tag{
			{Key: aws.String("a"), Value: aws.String("1")},
			{Key: aws.String("a"), Value: aws.String("2")},
		}},
	})
	wantCode(t, err, "InvalidTag", http.StatusBadRequest)

	if _, err := c.DeleteBucketTagging(ctx, &s3.DeleteBucketTaggingInput{Bucket: aws.String("tagged")}); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: aws.String("tagged")})
	wantCode(t, err, "NoSuchTagSet", http.StatusNotFound)
}

func TestBucketACLIsOwnerFullControl(t *testing.T) {
	ts := newTestServer(t)
	ts.mustCreateBucket(ts.alice, "acl")
	got, err := ts.client(ts.alice).GetBucketAcl(context.Background(), &s3.GetBucketAclInput{Bucket: aws.String("acl")})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Grants) != 1 || got.Grants[0].Permission != types.PermissionFullControl ||
		aws.ToString(got.Grants[0].Grantee.DisplayName) != "alice" || got.Grants[0].Grantee.Type != types.TypeCanonicalUser {
		t.Errorf("grants = %+v, want alice FULL_CONTROL", got.Grants)
	}
}

func TestUnsupportedSubresourcesAreNotImplemented(t *testing.T) {
	ts := newTestServer(t)
	ts.mustCreateBucket(ts.alice, "plain")
	_, err := ts.client(ts.alice).GetBucketPolicy(context.Background(), &s3.GetBucketPolicyInput{Bucket: aws.String("plain")})
	wantCode(t, err, "NotImplemented", http.StatusNotImplemented)
	_, err = ts.client(ts.alice).PutBucketWebsite(context.Background(), &s3.PutBucketWebsiteInput{
		Bucket:               aws.String("plain"),
		WebsiteConfiguration: &types.WebsiteConfiguration{IndexDocument: &types.IndexDocument{Suffix: aws.String("index.html")}},
	})
	wantCode(t, err, "NotImplemented", http.StatusNotImplemented)
}

func TestListBucketsPaging(t *testing.T) {
	ts := newTestServer(t)
	for _, name := range []string{"logs-a", "logs-b", "logs-c", "photos"} {
		ts.mustCreateBucket(ts.alice, name)
	}
	var names []string
	p := s3.NewListBucketsPaginator(ts.client(ts.alice), &s3.ListBucketsInput{Prefix: aws.String("logs-"), MaxBuckets: aws.Int32(2)})
	pages := 0
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, b := range page.Buckets {
			names = append(names, aws.ToString(b.Name))
		}
	}
	if got := strings.Join(names, ","); got != "logs-a,logs-b,logs-c" || pages != 2 {
		t.Errorf("buckets %s in %d pages, want logs-a,logs-b,logs-c in 2", got, pages)
	}
}

func TestListBucketsParameters(t *testing.T) {
	ts := newTestServer(t)
	for _, name := range []string{"logs-a", "logs-b", "photos"} {
		ts.mustCreateBucket(ts.alice, name)
	}
	tests := []struct {
		name   string
		query  string
		status int
		body   []string // substrings of the answer
		absent []string
	}{
		{"without parameters every bucket is listed, with no token", "", 200,
			[]string{"<Name>logs-a</Name>", "<Name>photos</Name>"}, []string{"<ContinuationToken>", "<Prefix>"}},
		{"a prefix is echoed", "?prefix=logs-", 200,
			[]string{"<Prefix>logs-</Prefix>", "<Name>logs-b</Name>"}, []string{"<Name>photos</Name>", "<ContinuationToken>"}},
		{"a full page carries a continuation token", "?max-buckets=1", 200,
			[]string{"<Name>logs-a</Name>", "<ContinuationToken>"}, []string{"<Name>logs-b</Name>"}},
		{"the server's region lists its buckets", "?bucket-region=us-east-1", 200,
			[]string{"<Name>logs-a</Name>", "<BucketRegion>us-east-1</BucketRegion>"}, nil},
		{"another region has none", "?bucket-region=eu-west-1", 200, nil, []string{"<Name>"}},
		{"max-buckets 10000 is allowed", "?max-buckets=10000", 200, []string{"<Name>photos</Name>"}, nil},
		{"max-buckets 0 is refused", "?max-buckets=0", 400, []string{"InvalidArgument", "Argument max-buckets must be an integer between 1 and 10000."}, nil},
		{"max-buckets 10001 is refused", "?max-buckets=10001", 400, []string{"InvalidArgument"}, nil},
		{"max-buckets that is not a number is refused", "?max-buckets=ten", 400, []string{"InvalidArgument"}, nil},
		{"a token that is not one is refused", "?continuation-token=bm90LWEtdG9rZW4", 400, []string{"InvalidArgument", "continuation token"}, nil},
		{"a token that is not base64 is refused", "?continuation-token=%21%21", 400, []string{"InvalidArgument"}, nil},
	}
	for _, tt := range tests {
		status, _, body := ts.do(ts.signedRequest(ts.alice, http.MethodGet, "/"+tt.query, nil))
		if status != tt.status {
			t.Errorf("%s: %d %s, want %d", tt.name, status, body, tt.status)
			continue
		}
		for _, s := range tt.body {
			if !strings.Contains(body, s) {
				t.Errorf("%s: answer lacks %q: %s", tt.name, s, body)
			}
		}
		for _, s := range tt.absent {
			if strings.Contains(body, s) {
				t.Errorf("%s: answer has %q: %s", tt.name, s, body)
			}
		}
	}
	// The token of one page starts the next.
	_, _, body := ts.do(ts.signedRequest(ts.alice, http.MethodGet, "/?max-buckets=2", nil))
	_, rest, _ := strings.Cut(body, "<ContinuationToken>")
	token, _, _ := strings.Cut(rest, "</ContinuationToken>")
	status, _, body := ts.do(ts.signedRequest(ts.alice, http.MethodGet, "/?max-buckets=2&continuation-token="+token, nil))
	if status != 200 || !strings.Contains(body, "<Name>photos</Name>") || strings.Contains(body, "logs-") || strings.Contains(body, "<ContinuationToken>") {
		t.Errorf("second page: %d %s, want photos alone and no token", status, body)
	}
}

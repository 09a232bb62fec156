package e2e

import (
	"fmt"
	"net/http"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/quarrylabs/quarry/internal/meta"
)

func TestListBucketsPagesOver25Buckets(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	run := bucketSeq.Add(1)
	ak, sk := createUser(t, sharedSrv, fmt.Sprintf("pager%d", run), meta.RoleUser)
	user := s3Client(sharedSrv.S3URL, ak, sk)
	root := rootClient()

	// 25 buckets of the user's with one prefix, 3 with another, and one of
	// root's with the first prefix, which the user must never see.
	prefix := fmt.Sprintf("pages-%d-", run)
	var want []string
	for i := range 25 {
		name := fmt.Sprintf("%sa%02d", prefix, i)
		if _, err := user.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
			t.Fatalf("CreateBucket %s: %v", name, err)
		}
		want = append(want, name)
	}
	var others []string
	for i := range 3 {
		name := fmt.Sprintf("%sb%02d", prefix, i)
		if _, err := user.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
			t.Fatal(err)
		}
		others = append(others, name)
	}
	rootsOwn := prefix + "a99-root"
	if _, err := root.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(rootsOwn)}); err != nil {
		t.Fatal(err)
	}

	// Page by page by hand: 10, 10, 5, each with the prefix echoed, a
	// continuation token on the full pages and none on the last.
	var got []string
	var token *string
	var sizes []int
	for page := 0; ; page++ {
		out, err := user.ListBuckets(ctx, &s3.ListBucketsInput{Prefix: aws.String(prefix + "a"), MaxBuckets: aws.Int32(10), ContinuationToken: token})
		if err != nil {
			t.Fatalf("ListBuckets page %d: %v", page, err)
		}
		if aws.ToString(out.Prefix) != prefix+"a" {
			t.Errorf("page %d: Prefix = %q", page, aws.ToString(out.Prefix))
		}
		sizes = append(sizes, len(out.Buckets))
		for _, b := range out.Buckets {
			got = append(got, aws.ToString(b.Name))
			if aws.ToString(b.BucketRegion) != testRegion {
				t.Errorf("%s: BucketRegion %q", aws.ToString(b.Name), aws.ToString(b.BucketRegion))
			}
		}
		if out.ContinuationToken == nil {
			break
		}
		if page > 5 {
			t.Fatal("ListBuckets keeps answering continuation tokens")
		}
		token = out.ContinuationToken
	}
	if !slices.Equal(sizes, []int{10, 10, 5}) || !slices.Equal(got, want) {
		t.Errorf("pages of %v holding %v, want pages of [10 10 5] holding %v", sizes, got, want)
	}

	// The SDK's paginator walks the same pages.
	var paged []string
	p := s3.NewListBucketsPaginator(user, &s3.ListBucketsInput{Prefix: aws.String(prefix), MaxBuckets: aws.Int32(10)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range out.Buckets {
			paged = append(paged, aws.ToString(b.Name))
		}
	}
	if wantAll := append(slices.Clone(want), others...); !slices.Equal(paged, wantAll) {
		t.Errorf("paginator listed %v, want %v", paged, wantAll)
	}

	// An unpaged listing has everything of the user's and no token.
	all, err := user.ListBuckets(ctx, &s3.ListBucketsInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(all.Buckets) != 28 || all.ContinuationToken != nil {
		t.Errorf("unpaged ListBuckets: %d buckets, token %v; want 28 and none", len(all.Buckets), all.ContinuationToken)
	}
	// An admin lists every bucket, the user's included.
	adminView, err := root.ListBuckets(ctx, &s3.ListBucketsInput{Prefix: aws.String(prefix + "a")})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, b := range adminView.Buckets {
		names = append(names, aws.ToString(b.Name))
	}
	if wantAdmin := append(slices.Clone(want), rootsOwn); !slices.Equal(names, wantAdmin) {
		t.Errorf("root's listing of the prefix = %v, want %v", names, wantAdmin)
	}
	// Another region holds none; the server's holds them all.
	other, err := user.ListBuckets(ctx, &s3.ListBucketsInput{BucketRegion: aws.String("eu-central-1")})
	if err != nil || len(other.Buckets) != 0 {
		t.Errorf("ListBuckets in another region: %v, %v", other, err)
	}
	same, err := user.ListBuckets(ctx, &s3.ListBucketsInput{BucketRegion: aws.String(testRegion)})
	if err != nil || len(same.Buckets) != 28 {
		t.Errorf("ListBuckets in the server's region: %d buckets, %v", len(same.Buckets), err)
	}
	for _, bad := range []int32{0, -1, 10001} {
		_, err := user.ListBuckets(ctx, &s3.ListBucketsInput{MaxBuckets: aws.Int32(bad)})
		wantErr(t, fmt.Sprintf("max-buckets %d", bad), err, http.StatusBadRequest, "InvalidArgument")
	}
	_, err = user.ListBuckets(ctx, &s3.ListBucketsInput{ContinuationToken: aws.String("not-a-token")})
	wantErr(t, "a made-up continuation token", err, http.StatusBadRequest, "InvalidArgument")
}

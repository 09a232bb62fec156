package e2e

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// inParallel runs do(0) .. do(n-1) on 32 goroutines and fails t on the first
// error.
func inParallel(t *testing.T, n int, do func(i int) error) {
	t.Helper()
	work := make(chan int)
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for range 32 {
		wg.Go(func() {
			for i := range work {
				if err := do(i); err != nil {
					errs <- err
				}
			}
		})
	}
	for i := range n {
		work <- i
	}
	close(work)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

// putVersions writes counts[key] versions of each key into a versioned
// bucket and deletes the keys in markers (a delete marker each); it returns
// how many entries ListObjectVersions then has.
func putVersions(t *testing.T, c *s3.Client, bucket string, counts map[string]int, markers []string) int {
	t.Helper()
	var keys []string
	for k, n := range counts {
		for range n {
			keys = append(keys, k)
		}
	}
	inParallel(t, len(keys), func(i int) error {
		_, err := c.PutObject(t.Context(), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(keys[i]), Body: strings.NewReader(keys[i])})
		return err
	})
	inParallel(t, len(markers), func(i int) error {
		_, err := c.DeleteObject(t.Context(), &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String(markers[i])})
		return err
	})
	return len(keys) + len(markers)
}

// emptyByPages is the loop scripts use to empty a versioned bucket: list a
// page, delete everything on it, list again from the page's markers, until
// a page is not truncated. It returns how many entries it deleted.
func emptyByPages(t *testing.T, c *s3.Client, bucket string, pageSize int32) int {
	t.Helper()
	ctx := t.Context()
	in := &s3.ListObjectVersionsInput{Bucket: aws.String(bucket)}
	if pageSize > 0 {
		in.MaxKeys = aws.Int32(pageSize)
	}
	deleted := 0
	for page := 1; ; page++ {
		out, err := c.ListObjectVersions(ctx, in)
		if err != nil {
			t.Fatalf("ListObjectVersions page %d from %q/%q: %v", page, aws.ToString(in.KeyMarker), aws.ToString(in.VersionIdMarker), err)
		}
		var ids []types.ObjectIdentifier
		for _, v := range out.Versions {
			ids = append(ids, types.ObjectIdentifier{Key: v.Key, VersionId: v.VersionId})
		}
		for _, m := range out.DeleteMarkers {
			ids = append(ids, types.ObjectIdentifier{Key: m.Key, VersionId: m.VersionId})
		}
		if len(ids) > 0 {
			res, err := c.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: aws.String(bucket), Delete: &types.Delete{Objects: ids, Quiet: aws.Bool(true)}})
			if err != nil || len(res.Errors) > 0 {
				t.Fatalf("DeleteObjects of page %d: %v %v", page, err, res)
			}
			deleted += len(ids)
		}
		if !aws.ToBool(out.IsTruncated) {
			return deleted
		}
		if page > 100 {
			t.Fatal("more than 100 pages: the markers do not advance")
		}
		in.KeyMarker, in.VersionIdMarker = out.NextKeyMarker, out.NextVersionIdMarker
	}
}

func wantEmptyAndDeletable(t *testing.T, c *s3.Client, bucket string) {
	t.Helper()
	out, err := c.ListObjectVersions(t.Context(), &s3.ListObjectVersionsInput{Bucket: aws.String(bucket)})
	if err != nil {
		t.Fatalf("ListObjectVersions after emptying: %v", err)
	}
	if n := len(out.Versions) + len(out.DeleteMarkers); n != 0 {
		t.Fatalf("the bucket still lists %d versions and delete markers", n)
	}
	if _, err := c.DeleteBucket(t.Context(), &s3.DeleteBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Errorf("DeleteBucket of the emptied bucket: %v", err)
	}
}

func TestEmptyingAVersionedBucketPageByPageContinuesAfterDeletedMarkers(t *testing.T) {
	t.Parallel()
	c := rootClient()
	for _, tt := range []struct {
		name     string
		counts   map[string]int
		markers  []string
		pageSize int32 // 0: S3's default of 1,000
		atLeast  int
	}{
		{
			// Pages of 1,000 end inside the histories of b and d.
			name:    "2,500 versions over a few keys",
			counts:  map[string]int{"a": 700, "b": 600, "c": 500, "d": 395, "e": 300},
			markers: []string{"a", "c", "d", "e", "f"},
			atLeast: 2500,
		},
		{
			// Pages end between keys, inside a key's two versions and on
			// delete markers.
			name: "many keys",
			counts: func() map[string]int {
				m := map[string]int{}
				for i := range 1000 {
					m[fmt.Sprintf("k/%04d", i)] = 1 + i%3/2 // every third key has two versions
				}
				return m
			}(),
			markers: func() []string {
				var ks []string
				for i := 0; i < 1000; i += 9 {
					ks = append(ks, fmt.Sprintf("k/%04d", i))
				}
				return ks
			}(),
			pageSize: 97,
			atLeast:  1400,
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			bucket := newBucket(t, c)
			setVersioning(t, c, bucket, types.BucketVersioningStatusEnabled)
			total := putVersions(t, c, bucket, tt.counts, tt.markers)
			if total < tt.atLeast {
				t.Fatalf("only %d entries; the test wants at least %d", total, tt.atLeast)
			}
			if got := emptyByPages(t, c, bucket, tt.pageSize); got != total {
				t.Errorf("deleted %d entries page by page, want all %d", got, total)
			}
			wantEmptyAndDeletable(t, c, bucket)
		})
	}
}

func TestVersionIDMarkersArePositions(t *testing.T) {
	t.Parallel()
	c := rootClient()
	ctx := t.Context()
	bucket := newBucket(t, c)
	setVersioning(t, c, bucket, types.BucketVersioningStatusEnabled)
	var ids []string // k's versions, oldest first
	for i := range 4 {
		ids = append(ids, aws.ToString(putObject(t, c, bucket, "k", fmt.Appendf(nil, "v%d", i)).VersionId))
	}
	putObject(t, c, bucket, "z", []byte("z"))
	list := func(what, versionIDMarker string) []string {
		t.Helper()
		out, err := c.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: aws.String(bucket), KeyMarker: aws.String("k"), VersionIdMarker: aws.String(versionIDMarker)})
		if err != nil {
			t.Fatalf("ListObjectVersions after %s: %v", what, err)
		}
		var got []string
		for _, v := range out.Versions {
			got = append(got, aws.ToString(v.Key)+"@"+aws.ToString(v.VersionId))
		}
		return got
	}
	// Versions are listed newest first: after ids[2] come ids[1], ids[0].
	want := []string{"k@" + ids[1], "k@" + ids[0]}
	if got := list("an existing version", ids[2]); len(got) != 3 || !slices.Equal(got[:2], want) {
		t.Fatalf("after version %s: %v, want %v then z", ids[2], got, want)
	}
	if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String("k"), VersionId: aws.String(ids[2])}); err != nil {
		t.Fatal(err)
	}
	if got := list("the same version, deleted", ids[2]); len(got) != 3 || !slices.Equal(got[:2], want) {
		t.Errorf("after the deleted version %s: %v, want %v then z", ids[2], got, want)
	}

	// A marker that is no version id at all is refused as S3 refuses it.
	r := do(t, sharedSrv, rawRequest{Method: http.MethodGet, Target: "/" + bucket + "?versions&key-marker=k&version-id-marker=not-a-version"})
	wantRaw(t, "version-id-marker not-a-version", r, http.StatusBadRequest, "InvalidArgument")
	if !strings.Contains(string(r.Body), "<Message>Invalid version id specified</Message>") ||
		!strings.Contains(string(r.Body), "<ArgumentName>version-id-marker</ArgumentName>") {
		t.Errorf("a malformed version-id-marker answered %s", r.Body)
	}
	r = do(t, sharedSrv, rawRequest{Method: http.MethodGet, Target: "/" + bucket + "?versions&version-id-marker=" + ids[0]})
	wantRaw(t, "version-id-marker without key-marker", r, http.StatusBadRequest, "InvalidArgument")
}

func TestObjectListingMarkersArePositions(t *testing.T) {
	t.Parallel()
	c := rootClient()
	ctx := t.Context()
	bucket := newBucket(t, c)
	const n = 1200
	var keys []string
	for i := range n {
		keys = append(keys, fmt.Sprintf("obj/%04d", i))
	}
	putMany(t, c, bucket, keys)

	// ListObjectsV2: delete each page, continue with its token.
	deleted := 0
	in := &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String("obj/"), MaxKeys: aws.Int32(350)}
	for page := 1; ; page++ {
		out, err := c.ListObjectsV2(ctx, in)
		if err != nil {
			t.Fatalf("ListObjectsV2 page %d: %v", page, err)
		}
		var ids []types.ObjectIdentifier
		for _, o := range out.Contents {
			ids = append(ids, types.ObjectIdentifier{Key: o.Key})
		}
		if _, err := c.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: aws.String(bucket), Delete: &types.Delete{Objects: ids, Quiet: aws.Bool(true)}}); err != nil {
			t.Fatalf("DeleteObjects: %v", err)
		}
		deleted += len(ids)
		if !aws.ToBool(out.IsTruncated) || page > 10 {
			break
		}
		in.ContinuationToken = out.NextContinuationToken
	}
	if deleted != n {
		t.Fatalf("ListObjectsV2 with deletes between pages reached %d keys, want %d", deleted, n)
	}

	// Markers naming deleted or never-written keys: v1 marker and v2
	// start-after go on after that position.
	putMany(t, c, bucket, []string{"m/a", "m/b", "m/c", "m/e"})
	if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String("m/b")}); err != nil {
		t.Fatal(err)
	}
	for _, marker := range []string{"m/b", "m/a0", "m/"} {
		v1, err := c.ListObjects(ctx, &s3.ListObjectsInput{Bucket: aws.String(bucket), Marker: aws.String(marker)})
		want := map[string][]string{"m/b": {"m/c", "m/e"}, "m/a0": {"m/c", "m/e"}, "m/": {"m/a", "m/c", "m/e"}}[marker]
		if err != nil || !slices.Equal(keysOf(v1.Contents), want) {
			t.Errorf("ListObjects marker %q = %v %v, want %v", marker, keysOf(v1.Contents), err, want)
		}
		v2, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), StartAfter: aws.String(marker)})
		if err != nil || !slices.Equal(keysOf(v2.Contents), want) {
			t.Errorf("ListObjectsV2 start-after %q = %v %v, want %v", marker, keysOf(v2.Contents), err, want)
		}
	}
}

func TestEmptyContinuationTokenIsNoToken(t *testing.T) {
	t.Parallel()
	c := rootClient()
	bucket := newBucket(t, c)
	putMany(t, c, bucket, []string{"a", "b"})
	out, err := c.ListObjectsV2(t.Context(), &s3.ListObjectsV2Input{Bucket: aws.String(bucket), ContinuationToken: aws.String("")})
	if err != nil {
		t.Fatalf("ListObjectsV2 with an empty continuation token: %v", err)
	}
	if got := keysOf(out.Contents); !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("listing with an empty continuation token = %v, want [a b]", got)
	}
	r := do(t, sharedSrv, rawRequest{Method: http.MethodGet, Target: "/" + bucket + "?list-type=2&continuation-token="})
	wantRaw(t, "raw ListObjectsV2 with continuation-token=", r, http.StatusOK, "")
	if strings.Contains(string(r.Body), "<ContinuationToken>") {
		t.Errorf("an empty token is echoed as a token: %s", r.Body)
	}
	r = do(t, sharedSrv, rawRequest{Method: http.MethodGet, Target: "/" + bucket + "?list-type=2&continuation-token=%25%25"})
	wantRaw(t, "ListObjectsV2 with a token that is no token", r, http.StatusBadRequest, "InvalidArgument")
}

func TestUploadListingMarkersArePositions(t *testing.T) {
	t.Parallel()
	c := rootClient()
	ctx := t.Context()
	bucket := newBucket(t, c)
	const n = 250
	keys := []string{"up/a", "up/b", "up/c"}
	inParallel(t, n, func(i int) error {
		_, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String(keys[i%len(keys)])})
		return err
	})
	// The cleanup loop: list a page, abort its uploads, list on from the
	// page's markers, which name uploads that no longer exist.
	in := &s3.ListMultipartUploadsInput{Bucket: aws.String(bucket), MaxUploads: aws.Int32(60)}
	aborted := 0
	for page := 1; ; page++ {
		out, err := c.ListMultipartUploads(ctx, in)
		if err != nil {
			t.Fatalf("ListMultipartUploads page %d from %q/%q: %v", page, aws.ToString(in.KeyMarker), aws.ToString(in.UploadIdMarker), err)
		}
		for _, u := range out.Uploads {
			if _, err := c.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: aws.String(bucket), Key: u.Key, UploadId: u.UploadId}); err != nil {
				t.Fatalf("AbortMultipartUpload: %v", err)
			}
			aborted++
		}
		if !aws.ToBool(out.IsTruncated) || page > 20 {
			break
		}
		in.KeyMarker, in.UploadIdMarker = out.NextKeyMarker, out.NextUploadIdMarker
	}
	if aborted != n {
		t.Errorf("aborted %d uploads page by page, want all %d", aborted, n)
	}
	left, err := c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String(bucket)})
	if err != nil || len(left.Uploads) != 0 {
		t.Errorf("uploads left after the loop: %d (%v)", len(left.Uploads), err)
	}
}

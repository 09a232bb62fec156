package e2e

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// putMany stores each key (body: the key itself) with a few concurrent PUTs.
func putMany(t *testing.T, c *s3.Client, bucket string, keys []string) {
	t.Helper()
	work := make(chan string)
	errs := make(chan error, len(keys))
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for k := range work {
				_, err := c.PutObject(t.Context(), &s3.PutObjectInput{
					Bucket: aws.String(bucket), Key: aws.String(k), Body: strings.NewReader(k),
				})
				if err != nil {
					errs <- fmt.Errorf("PutObject %s: %w", k, err)
				}
			}
		})
	}
	for _, k := range keys {
		work <- k
	}
	close(work)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

func TestListPaginatesOverManyKeys(t *testing.T) {
	t.Parallel()
	c := rootClient()
	ctx := t.Context()
	bucket := newBucket(t, c)
	const n = 2500
	var want []string
	for i := range n {
		want = append(want, fmt.Sprintf("page/%05d", i))
	}
	putMany(t, c, bucket, want)

	for _, pageSize := range []int32{0, 700} {
		in := &s3.ListObjectsV2Input{Bucket: aws.String(bucket)}
		if pageSize > 0 {
			in.MaxKeys = aws.Int32(pageSize)
		}
		var got []string
		pages := 0
		p := s3.NewListObjectsV2Paginator(c, in)
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				t.Fatalf("ListObjectsV2 page %d: %v", pages+1, err)
			}
			pages++
			if int(aws.ToInt32(page.KeyCount)) != len(page.Contents) {
				t.Errorf("page %d: KeyCount %d but %d keys", pages, aws.ToInt32(page.KeyCount), len(page.Contents))
			}
			for _, o := range page.Contents {
				got = append(got, aws.ToString(o.Key))
				if aws.ToInt64(o.Size) != int64(len(aws.ToString(o.Key))) || aws.ToString(o.ETag) != quoted(md5Hex([]byte(aws.ToString(o.Key)))) {
					t.Errorf("listed %s with size %d ETag %s", aws.ToString(o.Key), aws.ToInt64(o.Size), aws.ToString(o.ETag))
				}
			}
			if pages > 20 {
				t.Fatal("more than 20 pages: the continuation token does not advance")
			}
		}
		size := int(pageSize)
		if size == 0 {
			size = 1000
		}
		if wantPages := (n + size - 1) / size; pages != wantPages {
			t.Errorf("max-keys %d: %d pages, want %d", pageSize, pages, wantPages)
		}
		if !slices.Equal(got, want) {
			t.Errorf("max-keys %d: paginated listing has %d keys (first diff near %q), want %d in order", pageSize, len(got), firstDiff(got, want), n)
		}
	}

	out, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), StartAfter: aws.String("page/01000"), MaxKeys: aws.Int32(3)})
	if err != nil {
		t.Fatalf("ListObjectsV2 start-after: %v", err)
	}
	if got := keysOf(out.Contents); !slices.Equal(got, []string{"page/01001", "page/01002", "page/01003"}) {
		t.Errorf("start-after page/01000 max-keys 3 = %v", got)
	}
	if !aws.ToBool(out.IsTruncated) || aws.ToString(out.NextContinuationToken) == "" || aws.ToInt32(out.MaxKeys) != 3 {
		t.Errorf("max-keys 3: IsTruncated %v token %q MaxKeys %d, want true, a token, 3", aws.ToBool(out.IsTruncated), aws.ToString(out.NextContinuationToken), aws.ToInt32(out.MaxKeys))
	}
	next, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), ContinuationToken: out.NextContinuationToken, MaxKeys: aws.Int32(2)})
	if err != nil {
		t.Fatalf("ListObjectsV2 with continuation token: %v", err)
	}
	if got := keysOf(next.Contents); !slices.Equal(got, []string{"page/01004", "page/01005"}) {
		t.Errorf("continuation after start-after = %v, want page/01004 page/01005", got)
	}

	zero, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), MaxKeys: aws.Int32(0)})
	if err != nil {
		t.Fatalf("ListObjectsV2 max-keys 0: %v", err)
	}
	if len(zero.Contents) != 0 {
		t.Errorf("max-keys 0 returned %d keys", len(zero.Contents))
	}
}

func firstDiff(got, want []string) string {
	for i := range min(len(got), len(want)) {
		if got[i] != want[i] {
			return got[i]
		}
	}
	return "the end"
}

func keysOf(objs []types.Object) []string {
	var keys []string
	for _, o := range objs {
		keys = append(keys, aws.ToString(o.Key))
	}
	return keys
}

func prefixesOf(cps []types.CommonPrefix) []string {
	var ps []string
	for _, p := range cps {
		ps = append(ps, aws.ToString(p.Prefix))
	}
	return ps
}

func TestListPrefixAndDelimiter(t *testing.T) {
	t.Parallel()
	c := rootClient()
	ctx := t.Context()
	bucket := newBucket(t, c)
	putMany(t, c, bucket, []string{"a/1", "a/2", "a/b/3", "a/b/4", "b/1", "c", "d/e/f", "dz"})

	tests := []struct {
		name, prefix, delimiter string
		keys, prefixes          []string
	}{
		{"a prefix selects the keys under it", "a/", "", []string{"a/1", "a/2", "a/b/3", "a/b/4"}, nil},
		{"a delimiter rolls keys up into common prefixes", "", "/", []string{"c", "dz"}, []string{"a/", "b/", "d/"}},
		{"prefix and delimiter list one level", "a/", "/", []string{"a/1", "a/2"}, []string{"a/b/"}},
		{"a prefix that is not a folder", "d", "/", []string{"dz"}, []string{"d/"}},
		{"a prefix matching nothing", "zzz", "/", nil, nil},
	}
	for _, tt := range tests {
		out, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{
			Bucket: aws.String(bucket), Prefix: aws.String(tt.prefix), Delimiter: aws.String(tt.delimiter),
		})
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if got := keysOf(out.Contents); !slices.Equal(got, tt.keys) {
			t.Errorf("%s: keys %v, want %v", tt.name, got, tt.keys)
		}
		if got := prefixesOf(out.CommonPrefixes); !slices.Equal(got, tt.prefixes) {
			t.Errorf("%s: common prefixes %v, want %v", tt.name, got, tt.prefixes)
		}
		if int(aws.ToInt32(out.KeyCount)) != len(tt.keys)+len(tt.prefixes) {
			t.Errorf("%s: KeyCount %d, want %d", tt.name, aws.ToInt32(out.KeyCount), len(tt.keys)+len(tt.prefixes))
		}
	}

	// Common prefixes count against max-keys and paginate like keys.
	var keys, prefixes []string
	p := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Delimiter: aws.String("/"), MaxKeys: aws.Int32(2)})
	for i := 0; p.HasMorePages() && i < 10; i++ {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatalf("ListObjectsV2 delimiter pages: %v", err)
		}
		keys = append(keys, keysOf(page.Contents)...)
		prefixes = append(prefixes, prefixesOf(page.CommonPrefixes)...)
	}
	if !slices.Equal(keys, []string{"c", "dz"}) || !slices.Equal(prefixes, []string{"a/", "b/", "d/"}) {
		t.Errorf("paginated delimiter listing: keys %v prefixes %v", keys, prefixes)
	}

	// ListObjects v1 with a marker, and NextMarker when a delimiter is used.
	v1, err := c.ListObjects(ctx, &s3.ListObjectsInput{Bucket: aws.String(bucket), Marker: aws.String("a/b/3")})
	if err != nil {
		t.Fatalf("ListObjects v1: %v", err)
	}
	if got := keysOf(v1.Contents); !slices.Equal(got, []string{"a/b/4", "b/1", "c", "d/e/f", "dz"}) {
		t.Errorf("ListObjects v1 marker a/b/3 = %v", got)
	}
	var all []string
	marker := ""
	for i := 0; i < 10; i++ {
		page, err := c.ListObjects(ctx, &s3.ListObjectsInput{Bucket: aws.String(bucket), Marker: aws.String(marker), MaxKeys: aws.Int32(3), Delimiter: aws.String("/")})
		if err != nil {
			t.Fatalf("ListObjects v1 page: %v", err)
		}
		all = append(all, keysOf(page.Contents)...)
		all = append(all, prefixesOf(page.CommonPrefixes)...)
		if !aws.ToBool(page.IsTruncated) {
			break
		}
		if aws.ToString(page.NextMarker) == "" {
			t.Fatal("ListObjects v1 with a delimiter: truncated page without NextMarker")
		}
		marker = aws.ToString(page.NextMarker)
	}
	slices.Sort(all)
	if !slices.Equal(all, []string{"a/", "b/", "c", "d/", "dz"}) {
		t.Errorf("ListObjects v1 pages by NextMarker = %v", all)
	}
}

func TestListEncodingTypeURLAndFetchOwner(t *testing.T) {
	t.Parallel()
	c := rootClient()
	ctx := t.Context()
	bucket := newBucket(t, c)
	keys := []string{"dir one/ü+x%.txt", "plain"}
	putMany(t, c, bucket, keys)

	out, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), EncodingType: types.EncodingTypeUrl})
	if err != nil {
		t.Fatalf("ListObjectsV2 encoding-type=url: %v", err)
	}
	if out.EncodingType != types.EncodingTypeUrl {
		t.Errorf("EncodingType = %q, want url", out.EncodingType)
	}
	got := keysOf(out.Contents)
	if len(got) != 2 {
		t.Fatalf("encoded listing = %q, want 2 keys", got)
	}
	if got[0] == keys[0] {
		t.Errorf("key %q came back unencoded with encoding-type=url", got[0])
	}
	if dec, err := url.QueryUnescape(got[0]); err != nil || dec != keys[0] {
		t.Errorf("encoded key %q decodes to %q (%v), want %q", got[0], dec, err, keys[0])
	}

	delim, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Delimiter: aws.String("/"), EncodingType: types.EncodingTypeUrl})
	if err != nil {
		t.Fatalf("ListObjectsV2 encoding-type=url delimiter: %v", err)
	}
	if ps := prefixesOf(delim.CommonPrefixes); len(ps) != 1 || ps[0] == "dir one/" {
		t.Errorf("encoded common prefixes = %q, want one, encoded", ps)
	} else if dec, _ := url.QueryUnescape(ps[0]); dec != "dir one/" {
		t.Errorf("encoded common prefix %q decodes to %q", ps[0], dec)
	}

	owned, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), FetchOwner: aws.Bool(true)})
	if err != nil {
		t.Fatalf("ListObjectsV2 fetch-owner: %v", err)
	}
	for _, o := range owned.Contents {
		if o.Owner == nil || aws.ToString(o.Owner.ID) == "" {
			t.Errorf("fetch-owner: %s has no owner", aws.ToString(o.Key))
		}
	}
	plain, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
	if err != nil {
		t.Fatalf("ListObjectsV2: %v", err)
	}
	for _, o := range plain.Contents {
		if o.Owner != nil {
			t.Errorf("without fetch-owner %s has owner %v", aws.ToString(o.Key), aws.ToString(o.Owner.ID))
		}
	}
}

func TestListObjectVersionsOfAnUnversionedBucket(t *testing.T) {
	t.Parallel()
	c := rootClient()
	bucket := newBucket(t, c)
	putMany(t, c, bucket, []string{"x", "y"})
	out, err := c.ListObjectVersions(t.Context(), &s3.ListObjectVersionsInput{Bucket: aws.String(bucket)})
	if err != nil {
		t.Fatalf("ListObjectVersions: %v", err)
	}
	var got []string
	for _, v := range out.Versions {
		got = append(got, fmt.Sprintf("%s@%s latest=%v", aws.ToString(v.Key), aws.ToString(v.VersionId), aws.ToBool(v.IsLatest)))
	}
	want := []string{"x@null latest=true", "y@null latest=true"}
	if !slices.Equal(got, want) || len(out.DeleteMarkers) != 0 {
		t.Errorf("versions = %v markers %d, want %v and none", got, len(out.DeleteMarkers), want)
	}
}

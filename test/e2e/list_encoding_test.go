package e2e

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// TestEncodingTypeURLEncodesEveryKeyElement reads the listings' XML as sent:
// with encoding-type=url S3 percent-encodes, in each list API, the elements
// its reference names (Prefix, Delimiter, the markers, Key) and the common
// prefixes, a space as %20 and control characters too.
func TestEncodingTypeURLEncodesEveryKeyElement(t *testing.T) {
	t.Parallel()
	c := rootClient()
	bucket := newBucket(t, c)
	keys := []string{"dir one/a+b%c", "dir one/sub dir/z", "dir one/x\x01y", "plain"} // in listing order
	putMany(t, c, bucket, keys)
	for _, k := range keys {
		createUpload(t, c, bucket, k)
	}
	list := func(sub string, params url.Values) string {
		t.Helper()
		target := "/" + bucket + "?" + sub
		if sub != "" {
			target += "&"
		}
		r := do(t, sharedSrv, rawRequest{Method: http.MethodGet, Target: target + params.Encode()})
		wantRaw(t, "listing "+sub+" "+params.Encode(), r, http.StatusOK, "")
		return string(r.Body)
	}
	wantElements := func(what, body string, elements ...string) {
		t.Helper()
		for _, e := range elements {
			if !strings.Contains(body, e) {
				t.Errorf("%s lacks %s:\n%s", what, e, body)
			}
		}
		if strings.Contains(body, "+") {
			t.Errorf("%s has a '+' (a space must be %%20, a plus %%2B):\n%s", what, body)
		}
	}
	byPrefix := url.Values{"encoding-type": {"url"}, "prefix": {"dir one/"}, "delimiter": {"/"}}
	keyElements := []string{
		"<EncodingType>url</EncodingType>", "<Prefix>dir%20one/</Prefix>", "<Delimiter>/</Delimiter>",
		"<Key>dir%20one/a%2Bb%25c</Key>", "<Key>dir%20one/x%01y</Key>", "<Prefix>dir%20one/sub%20dir/</Prefix>",
	}
	for _, api := range []struct{ name, sub string }{
		{"ListObjects", ""}, {"ListObjectsV2", "list-type=2"}, {"ListObjectVersions", "versions"}, {"ListMultipartUploads", "uploads"},
	} {
		wantElements(api.name+" by prefix", list(api.sub, byPrefix), keyElements...)
		byDelimiter := url.Values{"encoding-type": {"url"}, "delimiter": {" "}}
		wantElements(api.name+" with a space delimiter", list(api.sub, byDelimiter), "<Delimiter>%20</Delimiter>", "<Prefix>dir%20</Prefix>")

		r := do(t, sharedSrv, rawRequest{Method: http.MethodGet, Target: "/" + bucket + "?" + api.sub + "&encoding-type=URL"})
		wantRaw(t, api.name+" with encoding-type=URL", r, http.StatusBadRequest, "InvalidArgument")
	}

	// The markers each API names.
	marker := "dir one/a+b%c"
	const encMarker = "dir%20one/a%2Bb%25c"
	wantElements("ListObjects marker", list("", url.Values{"encoding-type": {"url"}, "marker": {marker}, "prefix": {"dir one/"}, "delimiter": {"/"}, "max-keys": {"1"}}),
		"<Marker>"+encMarker+"</Marker>", "<NextMarker>dir%20one/sub%20dir/</NextMarker>")
	wantElements("ListObjectsV2 start-after", list("list-type=2", url.Values{"encoding-type": {"url"}, "start-after": {marker}}),
		"<StartAfter>"+encMarker+"</StartAfter>")
	wantElements("ListObjectVersions key-marker", list("versions", url.Values{"encoding-type": {"url"}, "key-marker": {marker}, "max-keys": {"1"}}),
		"<KeyMarker>"+encMarker+"</KeyMarker>", "<NextKeyMarker>dir%20one/sub%20dir/z</NextKeyMarker>")
	wantElements("ListMultipartUploads key-marker", list("uploads", url.Values{"encoding-type": {"url"}, "key-marker": {marker}, "max-uploads": {"1"}}),
		"<KeyMarker>"+encMarker+"</KeyMarker>", "<NextKeyMarker>dir%20one/sub%20dir/z</NextKeyMarker>")

	// What a decoding client makes of it is the key itself.
	out, err := c.ListObjectsV2(t.Context(), &s3.ListObjectsV2Input{Bucket: aws.String(bucket), EncodingType: "url"})
	if err != nil {
		t.Fatalf("ListObjectsV2: %v", err)
	}
	for i, o := range out.Contents {
		if dec, err := url.QueryUnescape(aws.ToString(o.Key)); err != nil || dec != keys[i] {
			t.Errorf("key %q decodes to %q (%v), want %q", aws.ToString(o.Key), dec, err, keys[i])
		}
	}
}

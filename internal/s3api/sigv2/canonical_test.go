package sigv2

import (
	"net/http"
	"testing"
	"time"
)

// ruleTime is the Date of the canonicalisation tests' requests.
const ruleDate = "Sat, 28 Nov 2026 12:00:00 GMT"

var ruleTime = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)

// TestEachCanonicalisationRule checks the string to sign AWS's rule gives
// for one request per rule.
func TestEachCanonicalisationRule(t *testing.T) {
	cases := []struct {
		name    string
		request []string
		want    string
	}{
		{
			name:    "the verb is taken as sent and absent positional headers are empty",
			request: []string{"HEAD /b/k HTTP/1.1", "Host: s3.example.com", "Date: " + ruleDate},
			want:    "HEAD\n\n\n" + ruleDate + "\n/b/k",
		},
		{
			name: "Content-MD5 and Content-Type take their positions, other Content-* headers are not signed",
			request: []string{"PUT /b/k HTTP/1.1", "Host: s3.example.com", "Date: " + ruleDate,
				"Content-Type: text/plain", "Content-MD5: 1B2M2Y8AsgTpgAmY7PhCfg==", "Content-Disposition: inline",
				"Content-Encoding: gzip", "Content-Length: 0", "User-Agent: test"},
			want: "PUT\n1B2M2Y8AsgTpgAmY7PhCfg==\ntext/plain\n" + ruleDate + "\n/b/k",
		},
		{
			name: "x-amz-date wins over Date, which is then empty, and is signed as a header",
			request: []string{"GET /b/k HTTP/1.1", "Host: s3.example.com", "Date: Sat, 28 Nov 2026 11:00:00 GMT",
				"X-Amz-Date: " + ruleDate},
			want: "GET\n\n\n\nx-amz-date:" + ruleDate + "\n/b/k",
		},
		{
			name: "x-amz-* names are lower-cased and sorted",
			request: []string{"PUT /b/k HTTP/1.1", "Host: s3.example.com", "Date: " + ruleDate,
				"X-Amz-Meta-Zeta: z", "x-amz-acl: private", "X-AMZ-META-alpha: a"},
			want: "PUT\n\n\n" + ruleDate + "\nx-amz-acl:private\nx-amz-meta-alpha:a\nx-amz-meta-zeta:z\n/b/k",
		},
		{
			name: "x-amz-* values are trimmed and repeated headers joined with commas without spaces",
			request: []string{"PUT /b/k HTTP/1.1", "Host: s3.example.com", "Date: " + ruleDate,
				"X-Amz-Meta-Name:    fred   ", "X-Amz-Meta-Name: barney", "X-Amz-Meta-Inner: a  b"},
			want: "PUT\n\n\n" + ruleDate + "\nx-amz-meta-inner:a  b\nx-amz-meta-name:fred,barney\n/b/k",
		},
		{
			name:    "a path-style resource is the path as sent, escapes and their case kept",
			request: []string{"GET /b/a%2fb/%C3%A9+x HTTP/1.1", "Host: s3.example.com", "Date: " + ruleDate},
			want:    "GET\n\n\n" + ruleDate + "\n/b/a%2fb/%C3%A9+x",
		},
		{
			name:    "a virtual-host resource starts with the bucket",
			request: []string{"GET /photos/cat.jpg HTTP/1.1", "Host: pics.s3.amazonaws.com", "Date: " + ruleDate},
			want:    "GET\n\n\n" + ruleDate + "\n/pics/photos/cat.jpg",
		},
		{
			name:    "a virtual-host bucket's own resource ends with a slash",
			request: []string{"GET /?list-type=2&prefix=a HTTP/1.1", "Host: pics.s3.amazonaws.com:9000", "Date: " + ruleDate},
			want:    "GET\n\n\n" + ruleDate + "\n/pics/",
		},
		{
			name:    "a path-style bucket's own resource ends with a slash, as AWS names buckets",
			request: []string{"PUT /b HTTP/1.1", "Host: s3.example.com", "Date: " + ruleDate},
			want:    "PUT\n\n\n" + ruleDate + "\n/b/",
		},
		{
			name:    "a path-style bucket's sub-resources follow its slash",
			request: []string{"GET /b?versioning HTTP/1.1", "Host: s3.example.com", "Date: " + ruleDate},
			want:    "GET\n\n\n" + ruleDate + "\n/b/?versioning",
		},
		{
			name:    "the service's resource is a slash",
			request: []string{"GET / HTTP/1.1", "Host: s3.example.com", "Date: " + ruleDate},
			want:    "GET\n\n\n" + ruleDate + "\n/",
		},
		{
			name:    "an absolute request target signs only its path",
			request: []string{"GET http://s3.example.com/b/k?acl HTTP/1.1", "Host: s3.example.com", "Date: " + ruleDate},
			want:    "GET\n\n\n" + ruleDate + "\n/b/k?acl",
		},
		{
			name: "sub-resources are sorted by name and other parameters left out",
			request: []string{"GET /b/k?versionId=v1&prefix=x&acl&max-keys=5 HTTP/1.1", "Host: s3.example.com",
				"Date: " + ruleDate},
			want: "GET\n\n\n" + ruleDate + "\n/b/k?acl&versionId=v1",
		},
		{
			name:    "multipart sub-resources sort uploadId before partNumber's successors",
			request: []string{"PUT /b/k?uploadId=abc&partNumber=2 HTTP/1.1", "Host: s3.example.com", "Date: " + ruleDate},
			want:    "PUT\n\n\n" + ruleDate + "\n/b/k?partNumber=2&uploadId=abc",
		},
		{
			name: "response overrides are signed with their values decoded",
			request: []string{"GET /b/k?response-content-disposition=attachment%3B%20filename%3D%22a.txt%22&response-content-type=text/plain HTTP/1.1",
				"Host: s3.example.com", "Date: " + ruleDate},
			want: "GET\n\n\n" + ruleDate + "\n/b/k?response-content-disposition=attachment; filename=\"a.txt\"&response-content-type=text/plain",
		},
		{
			name: "each sub-resource of the list is signed",
			request: []string{"GET /b?cors&delete&lifecycle&location&logging&notification&policy&replication&requestPayment&tagging&torrent&uploads&versioning&versions&website HTTP/1.1",
				"Host: s3.example.com", "Date: " + ruleDate},
			want: "GET\n\n\n" + ruleDate + "\n/b/?cors&delete&lifecycle&location&logging&notification&policy&replication&requestPayment&tagging&torrent&uploads&versioning&versions&website",
		},
		{
			name:    "a sub-resource sent with an empty value keeps its equals sign",
			request: []string{"GET /b?acl= HTTP/1.1", "Host: s3.example.com", "Date: " + ruleDate},
			want:    "GET\n\n\n" + ruleDate + "\n/b/?acl=",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := wireRequest(t, tc.request...)
			if got := stringToSignOf(t, r, ruleTime); got != tc.want {
				t.Errorf("string to sign\n%q, want\n%q", got, tc.want)
			}
		})
	}
}

func TestAPathStyleBucketIsAlsoAcceptedAsSentWithoutItsSlash(t *testing.T) {
	lines := []string{"GET /b?acl HTTP/1.1", "Host: s3.example.com", "Date: " + ruleDate}
	for _, resource := range []string{"/b/?acl", "/b?acl"} {
		r := signedHeaderRequest(t, "GET\n\n\n"+ruleDate+"\n"+resource, lines...)
		if _, err := testVerifier(ruleTime).Verify(r); err != nil {
			t.Errorf("Verify of a signature over %s: %v", resource, err)
		}
	}
}

func TestFoldedHeaderValuesAreUnfolded(t *testing.T) {
	cases := map[string]string{
		"one line":                 "one line",
		"  padded  ":               "padded",
		"first\r\n   second":       "first second",
		"first   \r\n\tsecond":     "first second",
		"a\nb":                     "a b",
		"keeps  inner  spaces\n c": "keeps  inner  spaces c",
	}
	for in, want := range cases {
		if got := unfold(in); got != want {
			t.Errorf("unfold(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestPresignedURLsSignExpiresAndTheirAmzParameters(t *testing.T) {
	h := http.Header{}
	h.Set("X-Amz-Meta-Sent", "as header")
	q := parseQuery("x-amz-acl=public-read&X-Amz-Meta-Sent=ignored&x-amz-security-token=tok%2Ben&Expires=1")
	got := amzHeaders(h, q)
	want := []amzHeader{{"x-amz-acl", "public-read"}, {"x-amz-meta-sent", "as header"}, {"x-amz-security-token", "tok+en"}}
	if len(got) != len(want) {
		t.Fatalf("amz headers %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("amz header %d = %v, want %v", i, got[i], want[i])
		}
	}
}

func TestSubResourceValuesAreAlsoAcceptedAsSent(t *testing.T) {
	// s3cmd signs sub-resource values as it sends them, escaped, and a
	// sub-resource without a value as a bare name.
	lines := []string{"PUT /b/k?tagging=&versionId=a%2Fb HTTP/1.1", "Host: s3.example.com", "Date: " + ruleDate}
	for _, resource := range []string{"/b/k?tagging=&versionId=a/b", "/b/k?tagging&versionId=a%2Fb"} {
		r := signedHeaderRequest(t, "PUT\n\n\n"+ruleDate+"\n"+resource, lines...)
		if _, err := testVerifier(ruleTime).Verify(r); err != nil {
			t.Errorf("Verify of a signature over %s: %v", resource, err)
		}
	}
}

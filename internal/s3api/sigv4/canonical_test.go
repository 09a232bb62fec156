package sigv4

import (
	"net/http/httptest"
	"testing"
)

func TestURIEncodeFollowsAWSRules(t *testing.T) {
	cases := []struct {
		name, in, want string
		encodeSlash    bool
	}{
		{"unreserved characters stay as they are", "AZaz09-._~", "AZaz09-._~", false},
		{"a space becomes %20, never +", "a b", "a%20b", false},
		{"a plus is encoded", "a+b", "a%2Bb", false},
		{"a percent is encoded", "100%", "100%25", false},
		{"slashes stay in paths", "/a/b/", "/a/b/", false},
		{"slashes are encoded in query values", "a/b", "a%2Fb", true},
		{"multi-byte UTF-8 is encoded byte by byte in upper-case hex", "é日", "%C3%A9%E6%97%A5", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := uriEncode(tc.in, tc.encodeSlash); got != tc.want {
				t.Errorf("uriEncode(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestCanonicalQuerySortsAfterEncoding(t *testing.T) {
	q, err := parseQuery("b=2&a=z&a=y&marker=a-b&marker=a%2Fb&uploads&X-Amz-Signature=ff")
	if err != nil {
		t.Fatal(err)
	}
	want := "a=y&a=z&b=2&marker=a%2Fb&marker=a-b&uploads="
	if got := q.canonical(querySignature); got != want {
		t.Errorf("canonical = %q, want %q", got, want)
	}
}

func TestParseQueryRejectsBadEscapes(t *testing.T) {
	if _, err := parseQuery("prefix=%zz"); err == nil {
		t.Error("parseQuery accepted %zz")
	}
}

func TestCanonicalHeadersCollapseSpacesAndFindMovedHeaders(t *testing.T) {
	r := httptest.NewRequest("PUT", "http://h.test/b/k", nil)
	r.Host = "h.test:9000"
	r.ContentLength = 42
	r.Header.Set("X-Amz-Meta-A", "  one   two  ")
	r.Header.Add("X-Amz-Meta-B", "x")
	r.Header.Add("X-Amz-Meta-B", "y")
	got := canonicalHeaders(r, []string{"content-length", "expect", "host", "x-amz-meta-a", "x-amz-meta-b"})
	want := "content-length:42\nexpect:100-continue\nhost:h.test:9000\nx-amz-meta-a:one two\nx-amz-meta-b:x,y\n"
	if got != want {
		t.Errorf("canonical headers =\n%q\nwant\n%q", got, want)
	}
}

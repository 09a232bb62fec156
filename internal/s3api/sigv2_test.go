package s3api

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"encoding/xml"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// v2StringToSign is AWS's SigV2 string to sign for a path-style request
// whose only query parameters are sub-resources, written here from the
// documentation rather than from the verifier.
func v2StringToSign(req *http.Request, date string) string {
	var amz []string
	for name, values := range req.Header {
		if lower := strings.ToLower(name); strings.HasPrefix(lower, "x-amz-") {
			amz = append(amz, lower+":"+strings.Join(values, ","))
		}
	}
	sort.Strings(amz)
	s := req.Method + "\n" + req.Header.Get("Content-MD5") + "\n" + req.Header.Get("Content-Type") + "\n" + date + "\n"
	for _, h := range amz {
		s += h + "\n"
	}
	s += req.URL.EscapedPath()
	if req.URL.RawQuery != "" {
		s += "?" + req.URL.RawQuery
	}
	return s
}

func v2Sign(secret, s string) string {
	m := hmac.New(sha1.New, []byte(secret))
	m.Write([]byte(s))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// v2Request builds a request signed in its Authorization header with SigV2
// by u at when.
func (ts *testServer) v2Request(u testUser, method, target string, body []byte, header http.Header, when time.Time) *http.Request {
	ts.t.Helper()
	req, err := http.NewRequest(method, ts.srv.URL+target, bytes.NewReader(body))
	if err != nil {
		ts.t.Fatal(err)
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	date := when.UTC().Format(http.TimeFormat)
	req.Header.Set("Date", date)
	req.Header.Set("Authorization", "AWS "+u.accessKey+":"+v2Sign(u.secretKey, v2StringToSign(req, date)))
	return req
}

func TestSigV2HeaderRequestsPutGetListAndDeleteAsTheirSigner(t *testing.T) {
	ts := newTestServer(t)
	now := time.Now()
	status, _, body := ts.do(ts.v2Request(ts.alice, http.MethodPut, "/v2bucket", nil, nil, now))
	if status != http.StatusOK {
		t.Fatalf("CreateBucket: %d %s", status, body)
	}
	hdr := http.Header{"Content-Type": {"text/plain"}, "X-Amz-Meta-Color": {"blue"}, "Content-Md5": {"dcLtGpVdF2zKT3PfRMl3Mg=="}}
	status, _, body = ts.do(ts.v2Request(ts.alice, http.MethodPut, "/v2bucket/dir/a%20b.txt", []byte("signed v2"), hdr, now))
	if status != http.StatusOK {
		t.Fatalf("PutObject: %d %s", status, body)
	}
	out, err := ts.client(ts.alice).HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String("v2bucket"), Key: aws.String("dir/a b.txt")})
	if err != nil {
		t.Fatalf("HeadObject: %v", err)
	}
	if aws.ToString(out.ContentType) != "text/plain" || out.Metadata["color"] != "blue" {
		t.Errorf("stored content type %q, metadata %v", aws.ToString(out.ContentType), out.Metadata)
	}
	status, _, body = ts.do(ts.v2Request(ts.alice, http.MethodGet, "/v2bucket/dir/a%20b.txt", nil, nil, now))
	if status != http.StatusOK || body != "signed v2" {
		t.Errorf("GetObject: %d %q", status, body)
	}
	status, _, body = ts.do(ts.v2Request(ts.alice, http.MethodGet, "/v2bucket?versioning", nil, nil, now))
	if status != http.StatusOK || !strings.Contains(body, "VersioningConfiguration") {
		t.Errorf("GetBucketVersioning: %d %s", status, body)
	}
	list := ts.v2Request(ts.alice, http.MethodGet, "/v2bucket", nil, nil, now)
	list.URL.RawQuery = "prefix=dir%2F&max-keys=5" // not sub-resources: not signed
	status, _, body = ts.do(list)
	if status != http.StatusOK || !strings.Contains(body, "<Key>dir/a b.txt</Key>") {
		t.Errorf("ListObjects: %d %s", status, body)
	}
	// Bob's signature is good, and Bob may not touch Alice's bucket.
	status, _, body = ts.do(ts.v2Request(ts.bob, http.MethodGet, "/v2bucket/dir/a%20b.txt", nil, nil, now))
	if status != http.StatusForbidden || !strings.Contains(body, "<Code>AccessDenied</Code>") {
		t.Errorf("Bob's GetObject: %d %s", status, body)
	}
	status, _, body = ts.do(ts.v2Request(ts.alice, http.MethodDelete, "/v2bucket/dir/a%20b.txt", nil, nil, now))
	if status != http.StatusNoContent {
		t.Errorf("DeleteObject: %d %s", status, body)
	}
	ts.assertMissing("v2bucket", "dir/a b.txt")
}

func TestSigV2WorksWithVirtualHostBuckets(t *testing.T) {
	ts := newTestServer(t)
	ts.mustCreateBucket(ts.alice, "vhost")
	ts.mustPut(ts.alice, "vhost", "k", "by host")
	req, err := http.NewRequest(http.MethodGet, ts.srv.URL+"/k", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = "vhost." + testDomain
	date := time.Now().UTC().Format(http.TimeFormat)
	req.Header.Set("Date", date)
	req.Header.Set("Authorization", "AWS "+ts.alice.accessKey+":"+v2Sign(ts.alice.secretKey, "GET\n\n\n"+date+"\n/vhost/k"))
	if status, _, body := ts.do(req); status != http.StatusOK || body != "by host" {
		t.Errorf("virtual-host GET: %d %q", status, body)
	}
}

func TestSigV2RefusalsAreAWSs(t *testing.T) {
	ts := newTestServer(t)
	ts.mustCreateBucket(ts.alice, "refusals")
	ts.mustPut(ts.alice, "refusals", "k", "x")
	now := time.Now()
	cases := []struct {
		name   string
		req    func() *http.Request
		status int
		code   string
		text   string
	}{
		{"an unknown access key", func() *http.Request {
			return ts.v2Request(testUser{accessKey: "AKIANOBODY", secretKey: "s"}, http.MethodGet, "/refusals/k", nil, nil, now)
		}, http.StatusForbidden, "InvalidAccessKeyId", ""},
		{"a wrong secret", func() *http.Request {
			return ts.v2Request(testUser{accessKey: ts.alice.accessKey, secretKey: "wrong"}, http.MethodGet, "/refusals/k", nil, nil, now)
		}, http.StatusForbidden, "SignatureDoesNotMatch", ""},
		{"a request signed 20 minutes ago", func() *http.Request {
			return ts.v2Request(ts.alice, http.MethodGet, "/refusals/k", nil, nil, now.Add(-20*time.Minute))
		}, http.StatusForbidden, "RequestTimeTooSkewed", ""},
		{"a request without a date", func() *http.Request {
			r := ts.v2Request(ts.alice, http.MethodGet, "/refusals/k", nil, nil, now)
			r.Header.Del("Date")
			return r
		}, http.StatusForbidden, "AccessDenied", "AWS authentication requires a valid Date or x-amz-date header"},
		{"a malformed header", func() *http.Request {
			r := ts.v2Request(ts.alice, http.MethodGet, "/refusals/k", nil, nil, now)
			r.Header.Set("Authorization", "AWS "+ts.alice.accessKey)
			return r
		}, http.StatusBadRequest, "InvalidArgument", "Expected AwsAccessKeyId:signature"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, _, body := ts.do(tc.req())
			if status != tc.status || !strings.Contains(body, "<Code>"+tc.code+"</Code>") || !strings.Contains(body, tc.text) {
				t.Errorf("got %d %s, want %d %s %q", status, body, tc.status, tc.code, tc.text)
			}
		})
	}
}

func TestSigV2MismatchShowsTheStringToSignAsAWSDoes(t *testing.T) {
	ts := newTestServer(t)
	ts.mustCreateBucket(ts.alice, "mismatch")
	req := ts.v2Request(ts.alice, http.MethodGet, "/mismatch/k", nil, nil, time.Now())
	date := req.Header.Get("Date")
	req.Header.Set("Authorization", "AWS "+ts.alice.accessKey+":"+v2Sign(ts.alice.secretKey, "GET\n\n\n"+date+"\n/mismatch/other"))
	status, _, body := ts.do(req)
	var doc struct {
		Code              string `xml:"Code"`
		AWSAccessKeyID    string `xml:"AWSAccessKeyId"`
		StringToSign      string `xml:"StringToSign"`
		SignatureProvided string `xml:"SignatureProvided"`
		StringToSignBytes string `xml:"StringToSignBytes"`
	}
	if err := xml.Unmarshal([]byte(body), &doc); err != nil {
		t.Fatalf("error body %q: %v", body, err)
	}
	want := "GET\n\n\n" + date + "\n/mismatch/k"
	if status != http.StatusForbidden || doc.Code != "SignatureDoesNotMatch" || doc.AWSAccessKeyID != ts.alice.accessKey ||
		doc.StringToSign != want || doc.SignatureProvided != strings.TrimPrefix(req.Header.Get("Authorization"), "AWS "+ts.alice.accessKey+":") {
		t.Errorf("got %d %+v, want 403 SignatureDoesNotMatch with the string to sign %q", status, doc, want)
	}
	if !strings.HasPrefix(doc.StringToSignBytes, "47 45 54 0a 0a 0a") {
		t.Errorf("StringToSignBytes %q", doc.StringToSignBytes)
	}
}

func TestSigV2PresignedURLsWorkUntilTheyExpire(t *testing.T) {
	ts := newTestServer(t)
	ts.mustCreateBucket(ts.alice, "presigned")
	ts.mustPut(ts.alice, "presigned", "doc.txt", "shared")
	presign := func(expires int64, path string) string {
		e := strconv.FormatInt(expires, 10)
		sig := v2Sign(ts.alice.secretKey, "GET\n\n\n"+e+"\n"+path)
		return ts.srv.URL + path + "?AWSAccessKeyId=" + url.QueryEscape(ts.alice.accessKey) + "&Expires=" + e + "&Signature=" + url.QueryEscape(sig)
	}
	resp, err := http.Get(presign(time.Now().Add(time.Minute).Unix(), "/presigned/doc.txt"))
	if err != nil {
		t.Fatal(err)
	}
	got := new(bytes.Buffer)
	_, _ = got.ReadFrom(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || got.String() != "shared" {
		t.Errorf("presigned GET: %d %q", resp.StatusCode, got)
	}
	resp, err = http.Get(presign(time.Now().Add(-time.Second).Unix(), "/presigned/doc.txt"))
	if err != nil {
		t.Fatal(err)
	}
	got.Reset()
	_, _ = got.ReadFrom(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(got.String(), "<Message>Request has expired</Message>") {
		t.Errorf("expired presigned GET: %d %s", resp.StatusCode, got)
	}
}

// TestSigV2RequestsAreNeverServedAsAnonymous: SigV2 credentials of any kind,
// in a header or a presigned query, are checked even where the ACLs would
// let an anonymous request through.
func TestSigV2RequestsAreNeverServedAsAnonymous(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	if _, err := ts.client(ts.alice).CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("open"), ACL: types.BucketCannedACLPublicReadWrite}); err != nil {
		t.Fatal(err)
	}
	ts.mustPut(ts.alice, "open", "k", "public")
	now := time.Now()
	wrong := testUser{accessKey: ts.alice.accessKey, secretKey: "wrong"}
	presigned := func(query string) *http.Request {
		r, _ := http.NewRequest(http.MethodGet, ts.srv.URL+"/open/k?"+query, nil)
		return r
	}
	expires := strconv.FormatInt(now.Add(time.Minute).Unix(), 10)
	cases := []struct {
		name   string
		req    *http.Request
		status int
		code   string
	}{
		{"a GET signed with a wrong secret", ts.v2Request(wrong, http.MethodGet, "/open/k", nil, nil, now), http.StatusForbidden, "SignatureDoesNotMatch"},
		{"a GET of an unknown access key", ts.v2Request(testUser{accessKey: "AKIANOBODY", secretKey: "s"}, http.MethodGet, "/open/k", nil, nil, now),
			http.StatusForbidden, "InvalidAccessKeyId"},
		{"a GET signed 20 minutes ago", ts.v2Request(ts.alice, http.MethodGet, "/open/k", nil, nil, now.Add(-20*time.Minute)),
			http.StatusForbidden, "RequestTimeTooSkewed"},
		{"a PUT signed with a wrong secret", ts.v2Request(wrong, http.MethodPut, "/open/sneaky", []byte("x"), nil, now), http.StatusForbidden, "SignatureDoesNotMatch"},
		{"a presigned GET with a wrong signature", presigned("AWSAccessKeyId=" + ts.alice.accessKey + "&Expires=" + expires + "&Signature=bm9wZQ%3D%3D"),
			http.StatusForbidden, "SignatureDoesNotMatch"},
		{"an expired presigned GET", presigned("AWSAccessKeyId=" + ts.alice.accessKey + "&Expires=1&Signature=bm9wZQ%3D%3D"),
			http.StatusForbidden, "AccessDenied"},
		{"a presigned GET without its access key", presigned("Expires=" + expires + "&Signature=bm9wZQ%3D%3D"), http.StatusForbidden, "AccessDenied"},
		{"a presigned GET without its signature", presigned("AWSAccessKeyId=" + ts.alice.accessKey + "&Expires=" + expires), http.StatusForbidden, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, _, body := ts.do(tc.req)
			if status != tc.status || (tc.code != "" && !strings.Contains(body, "<Code>"+tc.code+"</Code>")) {
				t.Errorf("got %d %s, want %d %s (never the anonymous answer)", status, body, tc.status, tc.code)
			}
			if strings.Contains(body, "public") {
				t.Errorf("the object was served: %s", body)
			}
		})
	}
	ts.assertMissing("open", "sneaky")
	// The same GET without any credentials is anonymous, and allowed.
	req, _ := http.NewRequest(http.MethodGet, ts.srv.URL+"/open/k", nil)
	if status, _, body := ts.do(req); status != http.StatusOK || body != "public" {
		t.Errorf("anonymous GET: %d %s", status, body)
	}
}

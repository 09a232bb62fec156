package e2e

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"encoding/xml"
	"io"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// v2Subresources are the query parameters a SigV2 signature covers, from
// AWS's "Signing and authenticating REST requests" (those these tests use),
// besides the response-* overrides.
var v2Subresources = map[string]bool{
	"acl": true, "delete": true, "lifecycle": true, "location": true, "partNumber": true, "tagging": true,
	"uploadId": true, "uploads": true, "versionId": true, "versioning": true, "versions": true,
}

// v2Sig is base64 of the HMAC-SHA1 of s: SigV2, written for these tests
// from AWS's documentation, independent of the server's code.
func v2Sig(secret, s string) string {
	m := hmac.New(sha1.New, []byte(secret))
	m.Write([]byte(s))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// v2Resource is the canonicalized resource of a path-style target: its
// path (a bucket's own with a trailing slash) and its sub-resources sorted.
func v2Resource(target string) string {
	path, rawQuery, _ := strings.Cut(target, "?")
	if strings.Count(path, "/") == 1 && path != "/" {
		path += "/"
	}
	// Sub-resource values are signed decoded.
	var sub []string
	for _, part := range strings.Split(rawQuery, "&") {
		name, value, hasValue := strings.Cut(part, "=")
		if !v2Subresources[name] && !strings.HasPrefix(name, "response-") {
			continue
		}
		if decoded, err := url.QueryUnescape(value); err == nil && hasValue {
			part = name + "=" + decoded
		}
		sub = append(sub, part)
	}
	sort.Strings(sub)
	if len(sub) > 0 {
		path += "?" + strings.Join(sub, "&")
	}
	return path
}

// v2StringToSign is SigV2's string to sign of a header-signed request.
func v2StringToSign(method, target string, h http.Header) string {
	var amz []string
	for name, values := range h {
		if lower := strings.ToLower(name); strings.HasPrefix(lower, "x-amz-") {
			trimmed := make([]string, len(values))
			for i, v := range values {
				trimmed[i] = strings.TrimSpace(v)
			}
			amz = append(amz, lower+":"+strings.Join(trimmed, ","))
		}
	}
	sort.Strings(amz)
	s := method + "\n" + h.Get("Content-MD5") + "\n" + h.Get("Content-Type") + "\n" + h.Get("Date") + "\n"
	for _, line := range amz {
		s += line + "\n"
	}
	return s + v2Resource(target)
}

// v2Call sends a request to the shared server signed with SigV2 in its
// Authorization header at when, by ak/sk (root's when empty).
func v2Call(t *testing.T, method, target string, body []byte, header map[string]string, when time.Time, ak, sk string) rawResponse {
	t.Helper()
	if ak == "" {
		ak, sk = rootAccessKey, rootSecretKey
	}
	req, err := http.NewRequestWithContext(t.Context(), method, sharedSrv.S3URL+target, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body == nil {
		req.Body, req.ContentLength = http.NoBody, 0
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	req.Header.Set("Date", when.UTC().Format(http.TimeFormat))
	req.Header.Set("Authorization", "AWS "+ak+":"+v2Sig(sk, v2StringToSign(method, target, req.Header)))
	return send(t, req)
}

// send sends req and reads the whole response.
func send(t *testing.T, req *http.Request) rawResponse {
	t.Helper()
	client := insecureHTTPClient()
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", req.Method, req.URL, err)
	}
	return rawResponse{Status: resp.StatusCode, Header: resp.Header, Body: body}
}

// v2PresignedURL is a SigV2 presigned GET of target (path style) by root.
func v2PresignedURL(target string, expires time.Time) string {
	e := strconv.FormatInt(expires.Unix(), 10)
	sig := v2Sig(rootSecretKey, "GET\n\n\n"+e+"\n"+v2Resource(target))
	sep := "?"
	if strings.Contains(target, "?") {
		sep = "&"
	}
	return sharedSrv.S3URL + target + sep + "AWSAccessKeyId=" + rootAccessKey + "&Expires=" + e + "&Signature=" + url.QueryEscape(sig)
}

func TestSigV2HeaderSignedRequestsPutGetListAndDelete(t *testing.T) {
	t.Parallel()
	sdk := rootClient()
	bucket := bucketName(t)
	now := time.Now()
	wantRaw(t, "SigV2 CreateBucket", v2Call(t, http.MethodPut, "/"+bucket, nil, nil, now, "", ""), http.StatusOK, "")
	if _, err := sdk.HeadBucket(t.Context(), &s3.HeadBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatalf("the bucket SigV2 created is not there: %v", err)
	}

	body := []byte("stored with a SigV2 signature")
	put := v2Call(t, http.MethodPut, "/"+bucket+"/docs/a%20b%2Bc.txt", body, map[string]string{
		"Content-Type": "text/plain", "Content-MD5": contentMD5(body),
		"X-Amz-Meta-Reviewer": "joe", "x-amz-meta-stage": " draft ",
	}, now, "", "")
	wantRaw(t, "SigV2 PutObject", put, http.StatusOK, "")
	if got := put.Header.Get("ETag"); got != quoted(md5Hex(body)) {
		t.Errorf("PutObject ETag %s, want %s", got, quoted(md5Hex(body)))
	}
	got, head := mustGet(t, sdk, bucket, "docs/a b+c.txt", "")
	if !bytes.Equal(got, body) || aws.ToString(head.ContentType) != "text/plain" ||
		head.Metadata["reviewer"] != "joe" || head.Metadata["stage"] != "draft" {
		t.Errorf("the SDK reads %q, type %q, metadata %v", got, aws.ToString(head.ContentType), head.Metadata)
	}

	get := v2Call(t, http.MethodGet, "/"+bucket+"/docs/a%20b%2Bc.txt", nil, nil, now, "", "")
	if wantRaw(t, "SigV2 GetObject", get, http.StatusOK, ""); !bytes.Equal(get.Body, body) {
		t.Errorf("SigV2 GetObject read %q, want %q", get.Body, body)
	}
	list := v2Call(t, http.MethodGet, "/"+bucket+"?prefix=docs%2F&max-keys=10", nil, nil, now, "", "")
	wantRaw(t, "SigV2 ListObjects", list, http.StatusOK, "")
	var listing struct {
		Keys []string `xml:"Contents>Key"`
	}
	if err := xml.Unmarshal(list.Body, &listing); err != nil || len(listing.Keys) != 1 || listing.Keys[0] != "docs/a b+c.txt" {
		t.Errorf("SigV2 ListObjects keys %v (%v), want [docs/a b+c.txt]", listing.Keys, err)
	}
	tagging := []byte("<Tagging><TagSet><Tag><Key>k</Key><Value>v</Value></Tag></TagSet></Tagging>")
	wantRaw(t, "SigV2 PutObjectTagging", v2Call(t, http.MethodPut, "/"+bucket+"/docs/a%20b%2Bc.txt?tagging", tagging,
		map[string]string{"Content-MD5": contentMD5(tagging)}, now, "", ""), http.StatusOK, "")

	wantRaw(t, "SigV2 DeleteObject", v2Call(t, http.MethodDelete, "/"+bucket+"/docs/a%20b%2Bc.txt", nil, nil, now, "", ""), http.StatusNoContent, "")
	_, err := sdk.HeadObject(t.Context(), &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("docs/a b+c.txt")})
	wantErr(t, "HeadObject after the SigV2 delete", err, http.StatusNotFound, "")
	wantRaw(t, "SigV2 DeleteBucket", v2Call(t, http.MethodDelete, "/"+bucket, nil, nil, now, "", ""), http.StatusNoContent, "")
}

func TestSigV2RequestsAreVerifiedAsStrictlyAsSigV4(t *testing.T) {
	t.Parallel()
	c := rootClient()
	bucket := newBucket(t, c)
	putObject(t, c, bucket, "k", []byte("private"))
	now := time.Now()
	target := "/" + bucket + "/k"

	wrong := v2Call(t, http.MethodGet, target, nil, nil, now, rootAccessKey, "not-the-secret")
	wantRaw(t, "a SigV2 signature made with another secret", wrong, http.StatusForbidden, "SignatureDoesNotMatch")
	var mismatch struct {
		AWSAccessKeyID    string `xml:"AWSAccessKeyId"`
		StringToSign      string `xml:"StringToSign"`
		SignatureProvided string `xml:"SignatureProvided"`
		StringToSignBytes string `xml:"StringToSignBytes"`
	}
	if err := xml.Unmarshal(wrong.Body, &mismatch); err != nil {
		t.Fatal(err)
	}
	wantString := "GET\n\n\n" + now.UTC().Format(http.TimeFormat) + "\n" + target
	if mismatch.AWSAccessKeyID != rootAccessKey || mismatch.StringToSign != wantString || mismatch.SignatureProvided == "" ||
		!strings.HasPrefix(mismatch.StringToSignBytes, "47 45 54 0a") {
		t.Errorf("SignatureDoesNotMatch body %+v, want the string to sign %q", mismatch, wantString)
	}

	tampered := v2Call(t, http.MethodGet, target, nil, nil, now, "", "")
	wantRaw(t, "a good SigV2 request", tampered, http.StatusOK, "")
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, sharedSrv.S3URL+target, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Date", now.UTC().Format(http.TimeFormat))
	req.Header.Set("Authorization", "AWS "+rootAccessKey+":"+v2Sig(rootSecretKey, wantString))
	req.Header.Set("X-Amz-Meta-Added", "after signing")
	wantRaw(t, "a SigV2 request with an x-amz header added after signing", send(t, req), http.StatusForbidden, "SignatureDoesNotMatch")

	wantRaw(t, "a SigV2 request signed 20 minutes ago", v2Call(t, http.MethodGet, target, nil, nil, now.Add(-20*time.Minute), "", ""),
		http.StatusForbidden, "RequestTimeTooSkewed")
	wantRaw(t, "a SigV2 request of an unknown access key", v2Call(t, http.MethodGet, target, nil, nil, now, "AKIANOSUCHKEY0000000", "x"),
		http.StatusForbidden, "InvalidAccessKeyId")
	wantRaw(t, "a SigV2 PUT whose Content-MD5 is not its body's", v2Call(t, http.MethodPut, target, []byte("other"),
		map[string]string{"Content-MD5": contentMD5([]byte("else"))}, now, "", ""), http.StatusBadRequest, "BadDigest")
	if got, _ := mustGet(t, c, bucket, "k", ""); string(got) != "private" {
		t.Errorf("after refused SigV2 requests the object holds %q", got)
	}
}

func TestSigV2PresignedURLsWorkOverPlainHTTPUntilTheyExpire(t *testing.T) {
	t.Parallel()
	c := rootClient()
	bucket := newBucket(t, c)
	putObject(t, c, bucket, "shared.txt", []byte("shared by URL"))

	get := func(u string) rawResponse {
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, u, nil)
		if err != nil {
			t.Fatal(err)
		}
		return send(t, req)
	}
	good := v2PresignedURL("/"+bucket+"/shared.txt", time.Now().Add(5*time.Minute))
	if r := get(good); r.Status != http.StatusOK || string(r.Body) != "shared by URL" {
		t.Errorf("presigned GET: %s", r)
	}
	override := v2PresignedURL("/"+bucket+"/shared.txt?response-content-type=text%2Fcsv", time.Now().Add(5*time.Minute))
	if r := get(override); r.Status != http.StatusOK || r.Header.Get("Content-Type") != "text/csv" {
		t.Errorf("presigned GET with a signed response override: %s, Content-Type %q", r, r.Header.Get("Content-Type"))
	}
	expired := get(v2PresignedURL("/"+bucket+"/shared.txt", time.Now().Add(-time.Second)))
	if wantRaw(t, "an expired presigned URL", expired, http.StatusForbidden, "AccessDenied"); !strings.Contains(string(expired.Body), "<Message>Request has expired</Message>") {
		t.Errorf("expired presigned URL: %s, want the message Request has expired", expired)
	}
	sigAt := strings.Index(good, "&Signature=") + len("&Signature=")
	flipped := good[:sigAt] + "A" + good[sigAt+1:]
	if flipped == good {
		flipped = good[:sigAt] + "B" + good[sigAt+1:]
	}
	wantRaw(t, "a presigned URL with a tampered signature", get(flipped), http.StatusForbidden, "SignatureDoesNotMatch")
	wantRaw(t, "a presigned URL moved to another key", get(strings.Replace(good, "/shared.txt?", "/other.txt?", 1)),
		http.StatusForbidden, "SignatureDoesNotMatch")
	later := strconv.FormatInt(time.Now().Add(time.Hour).Unix(), 10)
	e := good[strings.Index(good, "&Expires=")+len("&Expires=") : strings.Index(good, "&Signature=")]
	wantRaw(t, "a presigned URL whose expiry was extended", get(strings.Replace(good, "&Expires="+e, "&Expires="+later, 1)),
		http.StatusForbidden, "SignatureDoesNotMatch")
	wantRaw(t, "a presigned URL without its expiry", get(strings.Replace(good, "&Expires="+e, "", 1)),
		http.StatusForbidden, "AccessDenied")
}

func TestS3cmdWithSignatureV2MakesPutsListsAndGets(t *testing.T) {
	t.Parallel()
	cmd := newS3cmd(t, sharedSrv)
	f, err := os.OpenFile(cmd.config, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString("signature_v2 = True\n"); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if out := cmd.run("--dump-config"); !strings.Contains(out, "signature_v2 = True") {
		t.Fatalf("s3cmd does not sign with v2:\n%s", out)
	}
	sdk := rootClient()
	bucket := bucketName(t)
	dir := t.TempDir()

	cmd.run("mb", "s3://"+bucket)
	if _, err := sdk.HeadBucket(t.Context(), &s3.HeadBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatalf("s3cmd mb succeeded but the bucket is not there: %v", err)
	}
	small := []byte("hello from s3cmd, signed with v2\n")
	large := randomBytes(17, 6<<20+7)
	for name, data := range map[string][]byte{"small.txt": small, "large.bin": large} {
		if err := os.WriteFile(dir+"/"+name, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cmd.run("put", dir+"/small.txt", "s3://"+bucket+"/v2/small file.txt")
	cmd.run("put", "--multipart-chunk-size-mb=5", dir+"/large.bin", "s3://"+bucket+"/v2/large.bin")
	if got, _ := mustGet(t, sdk, bucket, "v2/small file.txt", ""); !bytes.Equal(got, small) {
		t.Errorf("the SDK reads %q, s3cmd put %q", got, small)
	}
	if got, _ := mustGet(t, sdk, bucket, "v2/large.bin", ""); !bytes.Equal(got, large) {
		t.Errorf("the SDK reads %d bytes of large.bin, s3cmd put %d", len(got), len(large))
	}
	if out := cmd.run("ls", "s3://"+bucket+"/v2/"); !strings.Contains(out, "s3://"+bucket+"/v2/small file.txt") || !strings.Contains(out, "large.bin") {
		t.Errorf("s3cmd ls:\n%s", out)
	}
	cmd.run("get", "s3://"+bucket+"/v2/small file.txt", dir+"/got.txt")
	if got, err := os.ReadFile(dir + "/got.txt"); err != nil || !bytes.Equal(got, small) {
		t.Errorf("s3cmd get: %q (%v)", got, err)
	}
	signed := strings.TrimSpace(cmd.run("signurl", "s3://"+bucket+"/v2/small file.txt", "+300"))
	if !strings.Contains(signed, "AWSAccessKeyId=") {
		t.Fatalf("s3cmd signurl printed %q, want a SigV2 URL", signed)
	}
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, signed, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r := send(t, req); r.Status != http.StatusOK || !bytes.Equal(r.Body, small) {
		t.Errorf("GET of s3cmd's signed URL: %s", r)
	}
	cmd.run("del", "s3://"+bucket+"/v2/small file.txt", "s3://"+bucket+"/v2/large.bin")
	cmd.run("rb", "s3://"+bucket)
	if _, err := sdk.HeadBucket(t.Context(), &s3.HeadBucketInput{Bucket: aws.String(bucket)}); err == nil {
		t.Fatal("s3cmd rb succeeded but the bucket is still there")
	}
}

// TestSigV2RequestsToAPublicBucketAreStillAuthenticated: a bucket that
// anyone may read and write does not let a bad SigV2 signature through as
// an anonymous request; only a request without any credentials is one.
func TestSigV2RequestsToAPublicBucketAreStillAuthenticated(t *testing.T) {
	t.Parallel()
	c := rootClient()
	bucket := newBucket(t, c)
	if _, err := c.PutBucketAcl(t.Context(), &s3.PutBucketAclInput{Bucket: aws.String(bucket), ACL: types.BucketCannedACLPublicReadWrite}); err != nil {
		t.Fatal(err)
	}
	putObject(t, c, bucket, "k", []byte("for everyone"))
	target := "/" + bucket + "/k"
	now := time.Now()
	get := func(u string) rawResponse {
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, u, nil)
		if err != nil {
			t.Fatal(err)
		}
		return send(t, req)
	}
	good := v2PresignedURL(target, now.Add(5*time.Minute))
	sigAt := strings.Index(good, "&Signature=") + len("&Signature=")
	flipped := good[:sigAt] + "A" + good[sigAt+1:]
	if flipped == good {
		flipped = good[:sigAt] + "B" + good[sigAt+1:]
	}
	for _, tc := range []struct {
		name   string
		r      rawResponse
		status int
		code   string
	}{
		{"a SigV2 GET signed with another secret", v2Call(t, http.MethodGet, target, nil, nil, now, rootAccessKey, "not-the-secret"),
			http.StatusForbidden, "SignatureDoesNotMatch"},
		{"a SigV2 GET of an unknown access key", v2Call(t, http.MethodGet, target, nil, nil, now, "AKIANOSUCHKEY0000000", "x"),
			http.StatusForbidden, "InvalidAccessKeyId"},
		{"a SigV2 PUT signed with another secret", v2Call(t, http.MethodPut, "/"+bucket+"/sneaky", []byte("x"), nil, now, rootAccessKey, "not-the-secret"),
			http.StatusForbidden, "SignatureDoesNotMatch"},
		{"a SigV2 presigned GET with a tampered signature", get(flipped), http.StatusForbidden, "SignatureDoesNotMatch"},
		{"an expired SigV2 presigned GET", get(v2PresignedURL(target, now.Add(-time.Second))), http.StatusForbidden, "AccessDenied"},
	} {
		if wantRaw(t, tc.name, tc.r, tc.status, tc.code); bytes.Contains(tc.r.Body, []byte("for everyone")) {
			t.Errorf("%s was served the object: %s", tc.name, tc.r)
		}
	}
	if _, err := c.HeadObject(t.Context(), &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("sneaky")}); errStatus(err) != http.StatusNotFound {
		t.Errorf("HeadObject of the refused SigV2 PUT: %v, want 404", err)
	}
	if r := anonymous(t, http.MethodGet, target, nil); r.Status != http.StatusOK || string(r.Body) != "for everyone" {
		t.Errorf("the same GET without credentials: %s", r)
	}
	if r := get(good); r.Status != http.StatusOK || string(r.Body) != "for everyone" {
		t.Errorf("the good presigned GET: %s", r)
	}
}

package s3api

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// formField is one field of a browser form, in the order sent.
type formField struct{ name, value string }

// browserForm encodes fields, then the file (named filename), then after:
// fields a browser sends after the file (a submit button), which S3
// ignores.
func browserForm(t *testing.T, fields []formField, filename string, file []byte, after ...formField) ([]byte, string) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for _, f := range fields {
		if err := w.WriteField(f.name, f.value); err != nil {
			t.Fatal(err)
		}
	}
	part, err := w.CreateFormFile("file", filename)
	if err != nil {
		t.Fatal(err)
	}
	part.Write(file)
	for _, f := range after {
		if err := w.WriteField(f.name, f.value); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), w.FormDataContentType()
}

// policyDoc is a POST policy document expiring at expiration.
func policyDoc(expiration time.Time, conditions ...string) string {
	doc := fmt.Sprintf(`{"expiration": %q, "conditions": [%s]}`, expiration.UTC().Format("2006-01-02T15:04:05.000Z"), strings.Join(conditions, ", "))
	return base64.StdEncoding.EncodeToString([]byte(doc))
}

// sigV4PostFields signs a policy for u as a browser form's SigV4 fields;
// the policy also names those fields, as a form's policy must.
func sigV4PostFields(u testUser, now, expiration time.Time, conditions ...string) []formField {
	date := now.UTC().Format("20060102T150405Z")
	credential := u.accessKey + "/" + date[:8] + "/us-east-1/s3/aws4_request"
	conditions = append(conditions,
		`{"x-amz-algorithm": "AWS4-HMAC-SHA256"}`,
		fmt.Sprintf(`{"x-amz-credential": %q}`, credential),
		fmt.Sprintf(`{"x-amz-date": %q}`, date))
	policy := policyDoc(expiration, conditions...)
	mac := func(key []byte, s string) []byte {
		m := hmac.New(sha256.New, key)
		m.Write([]byte(s))
		return m.Sum(nil)
	}
	key := mac([]byte("AWS4"+u.secretKey), date[:8])
	key = mac(mac(mac(key, "us-east-1"), "s3"), "aws4_request")
	return []formField{
		{"x-amz-algorithm", "AWS4-HMAC-SHA256"},
		{"x-amz-credential", credential},
		{"x-amz-date", date},
		{"policy", policy},
		{"x-amz-signature", hex.EncodeToString(mac(key, policy))},
	}
}

// sigV2PostFields signs a policy for u as a browser form's SigV2 fields.
func sigV2PostFields(u testUser, expiration time.Time, conditions ...string) []formField {
	policy := policyDoc(expiration, conditions...)
	return []formField{{"AWSAccessKeyId", u.accessKey}, {"policy", policy}, {"signature", v2Sign(u.secretKey, policy)}}
}

// post sends a form to the bucket's URL.
func (ts *testServer) post(bucket string, body []byte, contentType string) (int, http.Header, string) {
	ts.t.Helper()
	req, err := http.NewRequest(http.MethodPost, ts.srv.URL+"/"+bucket, bytes.NewReader(body))
	if err != nil {
		ts.t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		ts.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out bytes.Buffer
	_, _ = out.ReadFrom(resp.Body)
	return resp.StatusCode, resp.Header, out.String()
}

func TestPostObjectWithASigV4PolicyStoresTheObjectAsAPutWould(t *testing.T) {
	ts := newTestServer(t)
	ts.mustCreateBucket(ts.alice, "forms")
	now := time.Now()
	fields := append([]formField{
		{"key", "uploads/${filename}"},
		{"Content-Type", "image/png"},
		{"Cache-Control", "max-age=60"},
		{"x-amz-meta-owner", "alice"},
		{"tagging", "<Tagging><TagSet><Tag><Key>kind</Key><Value>photo</Value></Tag></TagSet></Tagging>"},
		{"success_action_status", "201"},
	}, sigV4PostFields(ts.alice, now, now.Add(time.Hour),
		`{"bucket": "forms"}`, `["starts-with", "$key", "uploads/"]`, `["starts-with", "$Content-Type", "image/"]`,
		`["eq", "$Cache-Control", "max-age=60"]`, `{"x-amz-meta-owner": "alice"}`, `["starts-with", "$tagging", ""]`,
		`{"success_action_status": "201"}`, `["content-length-range", 1, 1048576]`)...)
	file := []byte("\x89PNG pretend image")
	body, ctype := browserForm(t, fields, `C:\Users\alice\cat.png`, file, formField{"submit", "Upload"})
	status, hdr, resp := ts.post("forms", body, ctype)
	if status != http.StatusCreated {
		t.Fatalf("POST: %d %s", status, resp)
	}
	sum := md5.Sum(file)
	etag := `"` + hex.EncodeToString(sum[:]) + `"`
	var doc struct {
		XMLName                     xml.Name `xml:"PostResponse"`
		Location, Bucket, Key, ETag string
	}
	if err := xml.Unmarshal([]byte(resp), &doc); err != nil {
		t.Fatalf("201 body %q: %v", resp, err)
	}
	wantLocation := ts.srv.URL + "/forms/uploads%2Fcat.png"
	if doc.Bucket != "forms" || doc.Key != "uploads/cat.png" || doc.ETag != etag || doc.Location != wantLocation {
		t.Errorf("PostResponse %+v, want forms, uploads/cat.png, %s, %s", doc, etag, wantLocation)
	}
	if hdr.Get("ETag") != etag || hdr.Get("Location") != wantLocation {
		t.Errorf("headers ETag %q Location %q", hdr.Get("ETag"), hdr.Get("Location"))
	}
	ctx := context.Background()
	c := ts.client(ts.alice)
	head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("forms"), Key: aws.String("uploads/cat.png")})
	if err != nil {
		t.Fatalf("HeadObject: %v", err)
	}
	if aws.ToString(head.ContentType) != "image/png" || aws.ToString(head.CacheControl) != "max-age=60" ||
		head.Metadata["owner"] != "alice" || aws.ToString(head.ETag) != etag || aws.ToInt64(head.ContentLength) != int64(len(file)) {
		t.Errorf("stored object: type %q cache %q meta %v etag %q size %d", aws.ToString(head.ContentType),
			aws.ToString(head.CacheControl), head.Metadata, aws.ToString(head.ETag), aws.ToInt64(head.ContentLength))
	}
	if _, ok := head.Metadata["submit"]; ok {
		t.Error("a field after the file was read")
	}
	tags, err := c.GetObjectTagging(ctx, &s3.GetObjectTaggingInput{Bucket: aws.String("forms"), Key: aws.String("uploads/cat.png")})
	if err != nil || len(tags.TagSet) != 1 || aws.ToString(tags.TagSet[0].Key) != "kind" || aws.ToString(tags.TagSet[0].Value) != "photo" {
		t.Errorf("tags %+v, %v; want kind=photo", tags, err)
	}
	if got := ts.mustGet(ts.alice, "forms", "uploads/cat.png"); got != string(file) {
		t.Errorf("body %q, want %q", got, file)
	}
}

func TestPostObjectWithASigV2PolicyStoresTheObject(t *testing.T) {
	ts := newTestServer(t)
	ts.mustCreateBucket(ts.alice, "formsv2")
	fields := append([]formField{{"key", "v2/file.txt"}},
		sigV2PostFields(ts.alice, time.Now().Add(time.Hour), `{"bucket": "formsv2"}`, `{"key": "v2/file.txt"}`)...)
	body, ctype := browserForm(t, fields, "file.txt", []byte("signed with v2"))
	if status, _, resp := ts.post("formsv2", body, ctype); status != http.StatusNoContent || resp != "" {
		t.Fatalf("POST: %d %q, want 204 and no body", status, resp)
	}
	if got := ts.mustGet(ts.alice, "formsv2", "v2/file.txt"); got != "signed with v2" {
		t.Errorf("body %q", got)
	}
}

func TestPostObjectAnswersAsTheFormAsks(t *testing.T) {
	ts := newTestServer(t)
	ts.mustCreateBucket(ts.alice, "answers")
	cases := []struct {
		name     string
		fields   []formField
		status   int
		location string // a prefix of the Location header, for 303
	}{
		{"success_action_status 200", []formField{{"success_action_status", "200"}}, http.StatusOK, ""},
		{"success_action_status 204", []formField{{"success_action_status", "204"}}, http.StatusNoContent, ""},
		{"an invalid success_action_status", []formField{{"success_action_status", "302"}}, http.StatusNoContent, ""},
		{"success_action_redirect", []formField{{"success_action_redirect", "https://app.example.com/done?from=form"}}, http.StatusSeeOther,
			"https://app.example.com/done?from=form&bucket=answers&etag=%22"},
		{"the older redirect field", []formField{{"redirect", "http://app.example.com/done"}}, http.StatusSeeOther,
			"http://app.example.com/done?bucket=answers&etag=%22"},
		{"a redirect that is no URL is ignored", []formField{{"success_action_redirect", "not a url"}, {"success_action_status", "200"}}, http.StatusOK, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			conditions := []string{`{"bucket": "answers"}`, `["starts-with", "$key", ""]`}
			for _, f := range tc.fields {
				conditions = append(conditions, fmt.Sprintf(`["eq", "$%s", %q]`, f.name, f.value))
			}
			fields := append([]formField{{"key", "k"}}, tc.fields...)
			fields = append(fields, sigV2PostFields(ts.alice, time.Now().Add(time.Hour), conditions...)...)
			body, ctype := browserForm(t, fields, "f", []byte("x"))
			status, hdr, resp := ts.post("answers", body, ctype)
			if status != tc.status {
				t.Fatalf("POST: %d %s, want %d", status, resp, tc.status)
			}
			if tc.location != "" {
				loc := hdr.Get("Location")
				if !strings.HasPrefix(loc, tc.location) || !strings.HasSuffix(loc, "%22&key=k") {
					t.Errorf("Location %q, want %q...%%22&key=k", loc, tc.location)
				}
				u, err := url.Parse(loc)
				if err != nil || u.Query().Get("etag") != `"9dd4e461268c8034f5c8564e155c67a6"` {
					t.Errorf("Location %q has etag %q", loc, u.Query().Get("etag"))
				}
			}
		})
	}
}

func TestPostObjectRefusesFormsAsAWSDoes(t *testing.T) {
	ts := newTestServer(t)
	ts.mustCreateBucket(ts.alice, "strict")
	ts.mustCreateBucket(ts.alice, "other")
	now := time.Now()
	hour := now.Add(time.Hour)
	base := []string{`{"bucket": "strict"}`, `["starts-with", "$key", "in/"]`}
	v4 := func(extra ...string) []formField {
		return sigV4PostFields(ts.alice, now, hour, append(base, extra...)...)
	}
	key := formField{"key", "in/f"}
	with := func(fields ...[]formField) []formField {
		var out []formField
		for _, f := range fields {
			out = append(out, f...)
		}
		return out
	}
	edit := func(fields []formField, name, value string) []formField {
		out := append([]formField(nil), fields...)
		for i := range out {
			if out[i].name == name {
				out[i].value = value
			}
		}
		return out
	}
	cases := []struct {
		name        string
		bucket      string
		fields      []formField
		file        []byte
		contentType string // of the request; the form's when empty
		noFile      bool
		status      int
		code, text  string
	}{
		{name: "an expired policy", fields: with([]formField{key}, sigV4PostFields(ts.alice, now, now.Add(-time.Second), base...)),
			status: 403, code: "AccessDenied", text: "Invalid according to Policy: Policy expired."},
		{name: "a key that does not start as the policy says", fields: with([]formField{{"key", "out/f"}}, v4()),
			status: 403, code: "AccessDenied", text: `Policy Condition failed: [&#34;starts-with&#34;, &#34;$key&#34;, &#34;in/&#34;]`},
		{name: "a field that is not what an exact condition says", fields: with([]formField{key, {"x-amz-meta-a", "2"}}, v4(`{"x-amz-meta-a": "1"}`)),
			status: 403, code: "AccessDenied", text: `Policy Condition failed: [&#34;eq&#34;, &#34;$x-amz-meta-a&#34;, &#34;1&#34;]`},
		{name: "an eq condition that does not hold", fields: with([]formField{key, {"Content-Type", "text/html"}}, v4(`["eq", "$Content-Type", "text/plain"]`)),
			status: 403, code: "AccessDenied", text: "Policy Condition failed"},
		{name: "a form posted to another bucket than the policy's", bucket: "other", fields: with([]formField{key}, v4()),
			status: 403, code: "AccessDenied", text: `[&#34;eq&#34;, &#34;$bucket&#34;, &#34;strict&#34;]`},
		{name: "a field the policy does not name", fields: with([]formField{key, {"x-amz-meta-extra", "1"}}, v4()),
			status: 403, code: "AccessDenied", text: "Invalid according to Policy: Extra input fields: x-amz-meta-extra"},
		{name: "a file below the length range", fields: with([]formField{key}, v4(`["content-length-range", 10, 100]`)), file: []byte("short"),
			status: 400, code: "EntityTooSmall", text: "<MinSizeAllowed>10</MinSizeAllowed>"},
		{name: "a file above the length range", fields: with([]formField{key}, v4(`["content-length-range", 1, 4]`)), file: []byte("too long"),
			status: 400, code: "EntityTooLarge", text: "<MaxSizeAllowed>4</MaxSizeAllowed>"},
		{name: "a SigV4 signature of another policy", fields: with([]formField{key}, edit(v4(), "x-amz-signature", strings.Repeat("0", 64))),
			status: 403, code: "SignatureDoesNotMatch"},
		{name: "a SigV2 signature of another secret", fields: with([]formField{key},
			edit(sigV2PostFields(ts.alice, hour, base...), "signature", v2Sign("wrong", policyDoc(hour, base...)))),
			status: 403, code: "SignatureDoesNotMatch"},
		{name: "an unknown access key", fields: with([]formField{key}, sigV2PostFields(testUser{accessKey: "AKIANOBODY", secretKey: "s"}, hour, base...)),
			status: 403, code: "InvalidAccessKeyId"},
		{name: "a credential for another region", fields: with([]formField{key},
			edit(v4(), "x-amz-credential", ts.alice.accessKey+"/"+now.UTC().Format("20060102")+"/eu-west-1/s3/aws4_request")),
			status: 400, code: "AuthorizationHeaderMalformed", text: "<Region>us-east-1</Region>"},
		{name: "a form without a policy, anonymous", fields: []formField{key}, status: 403, code: "AccessDenied"},
		{name: "a form without a key", fields: v4(), status: 400, code: "UserKeyMustBeSpecified"},
		{name: "a form without a file", fields: with([]formField{key}, v4()), noFile: true,
			status: 400, code: "InvalidArgument", text: "POST requires exactly one file upload per request."},
		{name: "a body that is not a form", fields: with([]formField{key}, v4()), contentType: "application/x-www-form-urlencoded",
			status: 412, code: "PreconditionFailed", text: "Bucket POST must be of the enclosure-type multipart/form-data"},
		{name: "a form without a boundary", fields: with([]formField{key}, v4()), contentType: "multipart/form-data",
			status: 400, code: "MalformedPOSTRequest"},
		{name: "a policy that is not JSON", fields: with([]formField{key}, sigV2PostFields(ts.alice, hour)[:1],
			[]formField{{"policy", "bm90IGpzb24="}, {"signature", v2Sign(ts.alice.secretKey, "bm90IGpzb24=")}}),
			status: 400, code: "InvalidPolicyDocument", text: "Invalid Policy: Invalid JSON."},
		{name: "a SigV4 form without its date", fields: with([]formField{key}, v4()[:1], v4()[1:2], v4()[3:]),
			status: 400, code: "InvalidArgument", text: "Bucket POST must contain a field named &#39;x-amz-date&#39;"},
		{name: "a SigV2 form without its access key", fields: with([]formField{key}, sigV2PostFields(ts.alice, hour, base...)[1:]),
			status: 400, code: "InvalidArgument", text: "AWSAccessKeyId"},
		{name: "a Content-MD5 the file does not have", fields: with([]formField{key, {"Content-MD5", "1B2M2Y8AsgTpgAmY7PhCfg=="}},
			v4(`["starts-with", "$Content-MD5", ""]`)), status: 400, code: "BadDigest"},
		{name: "a checksum the file does not have", fields: with([]formField{key, {"x-amz-checksum-crc32", "AAAAAA=="}},
			v4(`["starts-with", "$x-amz-checksum-crc32", ""]`)), status: 400, code: "BadDigest"},
		{name: "fields over 20 KB before the file", fields: with([]formField{key, {"x-amz-meta-big", strings.Repeat("x", 21<<10)}},
			v4(`["starts-with", "$x-amz-meta-big", ""]`)), status: 400, code: "MaxPostPreDataLengthExceededError"},
		{name: "a field far over 20 KB before the file", fields: with([]formField{key, {"x-amz-meta-big", strings.Repeat("x", 200<<10)}},
			v4(`["starts-with", "$x-amz-meta-big", ""]`)), status: 400, code: "MaxPostPreDataLengthExceededError"},
		{name: "thousands of small fields before the file", fields: with([]formField{key}, manyFields(3000), v4()),
			status: 400, code: "MaxPostPreDataLengthExceededError"},
		{name: "a canned ACL Quarry does not have", fields: with([]formField{key, {"acl", "bucket-owner-full-control"}}, v4(`{"acl": "bucket-owner-full-control"}`)),
			status: 501, code: "NotImplemented"},
		{name: "a canned ACL S3 does not have", fields: with([]formField{key, {"acl", "everyone"}}, v4(`{"acl": "everyone"}`)),
			status: 400, code: "InvalidArgument"},
		{name: "signature fields without a policy", fields: []formField{key, {"AWSAccessKeyId", ts.alice.accessKey}, {"signature", "c2ln"}},
			status: 400, code: "InvalidArgument", text: "Bucket POST must contain a field named &#39;policy&#39;"},
		{name: "tagging that is not XML", fields: with([]formField{key, {"tagging", "<Tagging>"}}, v4(`["starts-with", "$tagging", ""]`)),
			status: 400, code: "MalformedXML"},
		{name: "another user's policy for the bucket", fields: with([]formField{key}, sigV4PostFields(ts.bob, now, hour, base...)),
			status: 403, code: "AccessDenied"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			bucket := tc.bucket
			if bucket == "" {
				bucket = "strict"
			}
			file := tc.file
			if file == nil {
				file = []byte("data")
			}
			var body []byte
			var ctype string
			if tc.noFile {
				var buf bytes.Buffer
				w := multipart.NewWriter(&buf)
				for _, f := range tc.fields {
					_ = w.WriteField(f.name, f.value)
				}
				_ = w.Close()
				body, ctype = buf.Bytes(), w.FormDataContentType()
			} else {
				body, ctype = browserForm(t, tc.fields, "f", file)
			}
			if tc.contentType != "" {
				ctype = tc.contentType
			}
			status, _, resp := ts.post(bucket, body, ctype)
			if status != tc.status || !strings.Contains(resp, "<Code>"+tc.code+"</Code>") || !strings.Contains(resp, tc.text) {
				t.Errorf("got %d %s\nwant %d %s %q", status, resp, tc.status, tc.code, tc.text)
			}
			for _, k := range []string{"in/f", "out/f"} {
				_, err := ts.client(ts.alice).HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(k)})
				if err == nil {
					t.Errorf("a refused form stored %s/%s", bucket, k)
				}
			}
		})
	}
}

// manyFields is n distinct small fields.
func manyFields(n int) []formField {
	out := make([]formField, n)
	for i := range out {
		out[i] = formField{fmt.Sprintf("x-ignore-%d", i), "v"}
	}
	return out
}

func TestPostObjectOfATruncatedFileStoresNothing(t *testing.T) {
	ts := newTestServer(t)
	ts.mustCreateBucket(ts.alice, "cut")
	fields := append([]formField{{"key", "k"}}, sigV2PostFields(ts.alice, time.Now().Add(time.Hour), `{"bucket": "cut"}`, `{"key": "k"}`)...)
	body, ctype := browserForm(t, fields, "f", bytes.Repeat([]byte("x"), 1<<16))
	status, _, resp := ts.post("cut", body[:len(body)-(1<<15)], ctype)
	if status != http.StatusBadRequest {
		t.Errorf("truncated POST: %d %s, want 400", status, resp)
	}
	ts.assertMissing("cut", "k")
}

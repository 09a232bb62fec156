package e2e

import (
	"bytes"
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
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// formField is one field of a browser form, in the order sent.
type formField struct{ name, value string }

// postForm posts a multipart form to u as a browser does: the fields in
// order, then the file, then a submit button's field, which S3 ignores.
func postForm(t *testing.T, u string, fields []formField, filename string, file []byte) rawResponse {
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
	if err := w.WriteField("submit", "Upload to Quarry"); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, u, &buf)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", w.FormDataContentType())
	return send(t, req)
}

// postPolicy is a base64 POST policy expiring at expiration.
func postPolicy(expiration time.Time, conditions ...string) string {
	doc := fmt.Sprintf(`{ "expiration": %q,
  "conditions": [
    %s
  ]
}`, expiration.UTC().Format("2006-01-02T15:04:05.000Z"), strings.Join(conditions, ",\n    "))
	return base64.StdEncoding.EncodeToString([]byte(doc))
}

// sigV4Form is the signature fields of a form signed by root with SigV4 at
// now; the policy names them, as a policy must.
func sigV4Form(now, expiration time.Time, conditions ...string) []formField {
	date := now.UTC().Format("20060102T150405Z")
	credential := rootAccessKey + "/" + date[:8] + "/" + testRegion + "/s3/aws4_request"
	policy := postPolicy(expiration, append(conditions,
		`{"x-amz-algorithm": "AWS4-HMAC-SHA256"}`,
		fmt.Sprintf(`{"x-amz-credential": %q}`, credential),
		fmt.Sprintf(`{"x-amz-date": %q}`, date))...)
	mac := func(key []byte, s string) []byte {
		m := hmac.New(sha256.New, key)
		m.Write([]byte(s))
		return m.Sum(nil)
	}
	key := mac(mac(mac(mac([]byte("AWS4"+rootSecretKey), date[:8]), testRegion), "s3"), "aws4_request")
	return []formField{
		{"x-amz-algorithm", "AWS4-HMAC-SHA256"},
		{"x-amz-credential", credential},
		{"x-amz-date", date},
		{"policy", policy},
		{"x-amz-signature", hex.EncodeToString(mac(key, policy))},
	}
}

// sigV2Form is the signature fields of a form signed by root with SigV2.
func sigV2Form(expiration time.Time, conditions ...string) []formField {
	policy := postPolicy(expiration, conditions...)
	return []formField{{"AWSAccessKeyId", rootAccessKey}, {"policy", policy}, {"signature", v2Sig(rootSecretKey, policy)}}
}

func TestBrowserPostUploadWithASigV4PolicyIsStoredAsAPut(t *testing.T) {
	t.Parallel()
	c := rootClient()
	bucket := newBucket(t, c)
	now := time.Now()
	fields := append([]formField{
		{"key", "user/eric/${filename}"},
		{"acl", "private"},
		{"Content-Type", "image/jpeg"},
		{"Content-Disposition", "inline"},
		{"x-amz-meta-uuid", "14365123651274"},
		{"x-amz-meta-tag", "holiday"},
		{"tagging", "<Tagging><TagSet><Tag><Key>album</Key><Value>2026</Value></Tag></TagSet></Tagging>"},
		{"success_action_status", "201"},
	}, sigV4Form(now, now.Add(10*time.Minute),
		fmt.Sprintf(`{"bucket": %q}`, bucket),
		`["starts-with", "$key", "user/eric/"]`,
		`{"acl": "private"}`,
		`["starts-with", "$Content-Type", "image/"]`,
		`["eq", "$Content-Disposition", "inline"]`,
		`{"x-amz-meta-uuid": "14365123651274"}`,
		`["starts-with", "$x-amz-meta-tag", ""]`,
		`["starts-with", "$tagging", "<Tagging>"]`,
		`{"success_action_status": "201"}`,
		`["content-length-range", 1, 10485760]`)...)
	file := randomBytes(3, 300<<10)
	r := postForm(t, sharedSrv.S3URL+"/"+bucket, fields, "photos/beach.jpg", file)
	if r.Status != http.StatusCreated {
		t.Fatalf("POST: %s", r)
	}
	etag := quoted(md5Hex(file))
	var resp struct {
		XMLName                     xml.Name `xml:"PostResponse"`
		Location, Bucket, Key, ETag string
	}
	if err := xml.Unmarshal(r.Body, &resp); err != nil {
		t.Fatalf("201 body %q: %v", r.Body, err)
	}
	location := sharedSrv.S3URL + "/" + bucket + "/user%2Feric%2Fbeach.jpg"
	if resp.Bucket != bucket || resp.Key != "user/eric/beach.jpg" || resp.ETag != etag || resp.Location != location {
		t.Errorf("PostResponse %+v, want %s, user/eric/beach.jpg, %s, %s", resp, bucket, etag, location)
	}
	if r.Header.Get("ETag") != etag {
		t.Errorf("ETag header %q, want %s", r.Header.Get("ETag"), etag)
	}
	got, head := mustGet(t, c, bucket, "user/eric/beach.jpg", "")
	if !bytes.Equal(got, file) || aws.ToString(head.ETag) != etag || aws.ToString(head.ContentType) != "image/jpeg" ||
		aws.ToString(head.ContentDisposition) != "inline" || head.Metadata["uuid"] != "14365123651274" || head.Metadata["tag"] != "holiday" {
		t.Errorf("stored %d bytes, ETag %s, type %q, disposition %q, metadata %v", len(got), aws.ToString(head.ETag),
			aws.ToString(head.ContentType), aws.ToString(head.ContentDisposition), head.Metadata)
	}
	tags, err := c.GetObjectTagging(t.Context(), &s3.GetObjectTaggingInput{Bucket: aws.String(bucket), Key: aws.String("user/eric/beach.jpg")})
	if err != nil || len(tags.TagSet) != 1 || aws.ToString(tags.TagSet[0].Key) != "album" {
		t.Errorf("tags %+v (%v), want album=2026", tags, err)
	}
}

func TestBrowserPostWithASigV2PolicyAnswers204(t *testing.T) {
	t.Parallel()
	c := rootClient()
	bucket := newBucket(t, c)
	fields := append([]formField{{"key", "v2.txt"}, {"Content-MD5", contentMD5([]byte("v2 form"))}},
		sigV2Form(time.Now().Add(time.Minute), fmt.Sprintf(`{"bucket": %q}`, bucket), `{"key": "v2.txt"}`, `["starts-with", "$Content-MD5", ""]`)...)
	r := postForm(t, sharedSrv.S3URL+"/"+bucket, fields, "v2.txt", []byte("v2 form"))
	if r.Status != http.StatusNoContent || len(r.Body) != 0 || r.Header.Get("ETag") != quoted(md5Hex([]byte("v2 form"))) {
		t.Fatalf("POST: %s, ETag %q; want 204 with no body", r, r.Header.Get("ETag"))
	}
	if got, _ := mustGet(t, c, bucket, "v2.txt", ""); string(got) != "v2 form" {
		t.Errorf("stored %q", got)
	}
}

func TestBrowserPostRedirectsWithTheObjectsBucketKeyAndETag(t *testing.T) {
	t.Parallel()
	c := rootClient()
	bucket := newBucket(t, c)
	redirect := "https://app.example.com/uploaded?session=42"
	fields := append([]formField{{"key", "in/a&b.txt"}, {"success_action_redirect", redirect}},
		sigV4Form(time.Now(), time.Now().Add(time.Minute), fmt.Sprintf(`{"bucket": %q}`, bucket),
			`["starts-with", "$key", "in/"]`, `["starts-with", "$success_action_redirect", "https://app.example.com/"]`)...)
	r := postForm(t, sharedSrv.S3URL+"/"+bucket, fields, "x", []byte("redirected"))
	if r.Status != http.StatusSeeOther {
		t.Fatalf("POST: %s, want 303", r)
	}
	loc, err := url.Parse(r.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	q := loc.Query()
	if loc.Host != "app.example.com" || loc.Path != "/uploaded" || q.Get("session") != "42" || q.Get("bucket") != bucket ||
		q.Get("key") != "in/a&b.txt" || q.Get("etag") != quoted(md5Hex([]byte("redirected"))) {
		t.Errorf("Location %s", loc)
	}
	if got, _ := mustGet(t, c, bucket, "in/a&b.txt", ""); string(got) != "redirected" {
		t.Errorf("stored %q", got)
	}
}

func TestBrowserPostRefusesEveryUnmetConditionWithAWSsCode(t *testing.T) {
	t.Parallel()
	c := rootClient()
	bucket := newBucket(t, c)
	other := newBucket(t, c)
	now := time.Now()
	later := now.Add(10 * time.Minute)
	own := fmt.Sprintf(`{"bucket": %q}`, bucket)
	keyRule := `["starts-with", "$key", "in/"]`
	v4 := func(extra ...string) []formField {
		return sigV4Form(now, later, append([]string{own, keyRule}, extra...)...)
	}
	key := formField{"key", "in/f"}
	cases := []struct {
		name   string
		target string // bucket posted to; the test's when empty
		fields []formField
		file   []byte
		status int
		code   string
		text   string
	}{
		{name: "an expired policy", fields: append([]formField{key}, sigV4Form(now, now.Add(-time.Minute), own, keyRule)...),
			status: 403, code: "AccessDenied", text: "Policy expired"},
		{name: "an exact match that fails", fields: append([]formField{key, {"x-amz-meta-a", "2"}}, v4(`{"x-amz-meta-a": "1"}`)...),
			status: 403, code: "AccessDenied", text: "Policy Condition failed"},
		{name: "an eq that fails", fields: append([]formField{key, {"Content-Type", "text/html"}}, v4(`["eq", "$Content-Type", "text/plain"]`)...),
			status: 403, code: "AccessDenied", text: "Policy Condition failed"},
		{name: "a starts-with that fails", fields: append([]formField{{"key", "out/f"}}, v4()...),
			status: 403, code: "AccessDenied", text: "Policy Condition failed"},
		{name: "the bucket condition of another bucket", target: other, fields: append([]formField{key}, v4()...),
			status: 403, code: "AccessDenied", text: "$bucket"},
		{name: "a field no condition covers", fields: append([]formField{key, {"x-amz-meta-sneaky", "1"}}, v4()...),
			status: 403, code: "AccessDenied", text: "Extra input fields: x-amz-meta-sneaky"},
		{name: "a file under content-length-range", fields: append([]formField{key}, v4(`["content-length-range", 100, 200]`)...),
			file: []byte("tiny"), status: 400, code: "EntityTooSmall"},
		{name: "a file over content-length-range", fields: append([]formField{key}, v4(`["content-length-range", 1, 10]`)...),
			file: bytes.Repeat([]byte("big"), 1<<20), status: 400, code: "EntityTooLarge"},
		{name: "a tampered SigV4 signature", fields: append([]formField{key}, tamper(v4(), "x-amz-signature")...),
			status: 403, code: "SignatureDoesNotMatch"},
		{name: "a tampered SigV2 signature", fields: append([]formField{key}, tamper(sigV2Form(later, own, keyRule), "signature")...),
			status: 403, code: "SignatureDoesNotMatch"},
		{name: "an anonymous form", fields: []formField{key}, status: 403, code: "AccessDenied"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			target := tc.target
			if target == "" {
				target = bucket
			}
			file := tc.file
			if file == nil {
				file = []byte("data")
			}
			wantRaw(t, tc.name, postForm(t, sharedSrv.S3URL+"/"+target, tc.fields, "f", file), tc.status, tc.code)
			for _, b := range []string{bucket, other} {
				out, err := c.ListObjectsV2(t.Context(), &s3.ListObjectsV2Input{Bucket: aws.String(b)})
				if err != nil || len(out.Contents) != 0 {
					t.Fatalf("after a refused form %s holds %d objects (%v)", b, len(out.Contents), err)
				}
			}
		})
	}
	// A code's message, as AWS words it.
	r := postForm(t, sharedSrv.S3URL+"/"+bucket, append([]formField{{"key", "out/f"}}, v4()...), "f", []byte("x"))
	if !strings.Contains(string(r.Body), `<Message>Invalid according to Policy: Policy Condition failed: [&#34;starts-with&#34;, &#34;$key&#34;, &#34;in/&#34;]</Message>`) {
		t.Errorf("starts-with refusal: %s", r)
	}
}

// tamper changes the last character of a field's value.
func tamper(fields []formField, name string) []formField {
	out := append([]formField(nil), fields...)
	for i := range out {
		if out[i].name == name {
			v := out[i].value
			last := byte('0')
			if v[len(v)-1] == '0' {
				last = '1'
			}
			out[i].value = v[:len(v)-1] + string(last)
		}
	}
	return out
}

func TestBrowserPostMD5MismatchStoresNothing(t *testing.T) {
	t.Parallel()
	c := rootClient()
	bucket := newBucket(t, c)
	sum := md5.Sum([]byte("something else"))
	fields := append([]formField{{"key", "k"}, {"Content-MD5", base64.StdEncoding.EncodeToString(sum[:])}},
		sigV2Form(time.Now().Add(time.Minute), fmt.Sprintf(`{"bucket": %q}`, bucket), `{"key": "k"}`, `["starts-with", "$Content-MD5", ""]`)...)
	wantRaw(t, "a form whose Content-MD5 is not its file's", postForm(t, sharedSrv.S3URL+"/"+bucket, fields, "k", []byte("the file")),
		http.StatusBadRequest, "BadDigest")
	_, err := c.HeadObject(t.Context(), &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("k")})
	wantErr(t, "HeadObject after the refused form", err, http.StatusNotFound, "")
}

// TestBrowserPostWithoutAPolicyGoesWhereTheACLLetsAnyoneWrite: a form with
// no policy is anonymous; a public-read-write bucket takes it, as its
// owner's object with the form's canned ACL, and any other bucket refuses
// it.
func TestBrowserPostWithoutAPolicyGoesWhereTheACLLetsAnyoneWrite(t *testing.T) {
	t.Parallel()
	c := rootClient()
	ctx := t.Context()
	drop := newBucket(t, c)
	if _, err := c.PutBucketAcl(ctx, &s3.PutBucketAclInput{Bucket: aws.String(drop), ACL: types.BucketCannedACLPublicReadWrite}); err != nil {
		t.Fatal(err)
	}
	site := newBucket(t, c)
	if _, err := c.PutBucketAcl(ctx, &s3.PutBucketAclInput{Bucket: aws.String(site), ACL: types.BucketCannedACLPublicRead}); err != nil {
		t.Fatal(err)
	}
	r := postForm(t, sharedSrv.S3URL+"/"+drop, []formField{{"key", "inbox/${filename}"}, {"Content-Type", "text/plain"},
		{"success_action_status", "201"}}, "note.txt", []byte("left by a stranger"))
	if r.Status != http.StatusCreated || !bytes.Contains(r.Body, []byte("<Key>inbox/note.txt</Key>")) {
		t.Fatalf("anonymous form into a public-read-write bucket: %s", r)
	}
	got, head := mustGet(t, c, drop, "inbox/note.txt", "")
	if string(got) != "left by a stranger" || aws.ToString(head.ContentType) != "text/plain" {
		t.Errorf("stored %q as %q", got, aws.ToString(head.ContentType))
	}
	owner, _ := bucketGrants(t, c, drop)
	acl, err := c.GetObjectAcl(ctx, &s3.GetObjectAclInput{Bucket: aws.String(drop), Key: aws.String("inbox/note.txt")})
	if err != nil || aws.ToString(acl.Owner.ID) != owner || grantList(acl.Grants) != "CanonicalUser "+owner+":FULL_CONTROL" {
		t.Errorf("the anonymous form's object: %v (%v), want the bucket owner's, private", acl, err)
	}

	r = postForm(t, sharedSrv.S3URL+"/"+drop, []formField{{"key", "inbox/public"}, {"acl", "public-read"}}, "f", []byte("readable"))
	wantRaw(t, "an anonymous form with acl public-read", r, http.StatusNoContent, "")
	acl, err = c.GetObjectAcl(ctx, &s3.GetObjectAclInput{Bucket: aws.String(drop), Key: aws.String("inbox/public")})
	if want := "CanonicalUser " + owner + ":FULL_CONTROL, Group " + allUsersURI + ":READ"; err != nil || grantList(acl.Grants) != want {
		t.Errorf("GetObjectAcl of the form with acl public-read: %v (%v), want %s", acl, err, want)
	}

	for _, tc := range []struct {
		name, bucket string
		fields       []formField
		status       int
		code         string
	}{
		{"into a public-read bucket", site, []formField{{"key", "inbox/x"}}, http.StatusForbidden, "AccessDenied"},
		{"into a bucket nobody has", bucketName(t), []formField{{"key", "inbox/x"}}, http.StatusNotFound, "NoSuchBucket"},
		{"with a canned ACL Quarry does not have", drop, []formField{{"key", "inbox/x"}, {"acl", "bucket-owner-read"}}, http.StatusNotImplemented, "NotImplemented"},
		{"with a SigV2 signature but no policy", drop, []formField{{"key", "inbox/x"}, {"AWSAccessKeyId", rootAccessKey}, {"signature", "c2lnbmF0dXJl"}},
			http.StatusBadRequest, "InvalidArgument"},
	} {
		wantRaw(t, "an anonymous form "+tc.name, postForm(t, sharedSrv.S3URL+"/"+tc.bucket, tc.fields, "f", []byte("x")), tc.status, tc.code)
	}
	for _, b := range []string{drop, site} {
		if _, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String("inbox/x")}); errStatus(err) != http.StatusNotFound {
			t.Errorf("a refused form stored %s/inbox/x (%v)", b, err)
		}
	}
}

// TestBrowserPostGivesTheObjectTheFormsCannedACL: a signed form's acl
// field is the object's ACL, as x-amz-acl is a PUT's.
func TestBrowserPostGivesTheObjectTheFormsCannedACL(t *testing.T) {
	t.Parallel()
	c := rootClient()
	bucket := newBucket(t, c)
	now := time.Now()
	fields := append([]formField{{"key", "public/page.html"}, {"acl", "public-read"}}, sigV4Form(now, now.Add(10*time.Minute),
		fmt.Sprintf(`{"bucket": %q}`, bucket), `["starts-with", "$key", "public/"]`, `{"acl": "public-read"}`)...)
	wantRaw(t, "a signed form with acl public-read", postForm(t, sharedSrv.S3URL+"/"+bucket, fields, "page.html", []byte("<p>hi</p>")),
		http.StatusNoContent, "")
	if r := anonymous(t, http.MethodGet, "/"+bucket+"/public/page.html", nil); r.Status != http.StatusOK || string(r.Body) != "<p>hi</p>" {
		t.Errorf("anonymous GET of the public-read form upload: %s", r)
	}
	fields = append([]formField{{"key", "public/secret"}}, sigV4Form(now, now.Add(10*time.Minute),
		fmt.Sprintf(`{"bucket": %q}`, bucket), `["starts-with", "$key", "public/"]`)...)
	wantRaw(t, "a signed form without acl", postForm(t, sharedSrv.S3URL+"/"+bucket, fields, "f", []byte("mine")), http.StatusNoContent, "")
	wantRaw(t, "anonymous GET of the private form upload", anonymous(t, http.MethodGet, "/"+bucket+"/public/secret", nil),
		http.StatusForbidden, "AccessDenied")
}

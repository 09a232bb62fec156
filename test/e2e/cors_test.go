package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/quarrylabs/quarry/internal/meta"
)

// corsVary is what S3 sends in Vary beside its Access-Control-* headers.
const corsVary = "Origin, Access-Control-Request-Headers, Access-Control-Request-Method"

// putCORS sets rules on bucket with the SDK (which sends the checksum
// PutBucketCors requires).
func putCORS(t *testing.T, c *s3.Client, bucket string, rules ...types.CORSRule) {
	t.Helper()
	_, err := c.PutBucketCors(t.Context(), &s3.PutBucketCorsInput{Bucket: aws.String(bucket), CORSConfiguration: &types.CORSConfiguration{CORSRules: rules}})
	if err != nil {
		t.Fatalf("PutBucketCors %s: %v", bucket, err)
	}
}

// preflight sends OPTIONS to url (absolute, or a target on the shared
// server) with the given request headers.
func preflight(t *testing.T, target string, header map[string]string) rawResponse {
	t.Helper()
	if strings.HasPrefix(target, "/") {
		target = sharedSrv.S3URL + target
	}
	req, err := http.NewRequestWithContext(t.Context(), http.MethodOptions, target, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("OPTIONS %s: %v", target, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return rawResponse{Status: resp.StatusCode, Header: resp.Header, Body: body}
}

func wantHeaders(t *testing.T, what string, got http.Header, want map[string]string) {
	t.Helper()
	for name, value := range want {
		if v := got.Get(name); v != value {
			t.Errorf("%s: %s = %q, want %q", what, name, v, value)
		}
	}
}

func TestCORSConfigurationPutGetAndDelete(t *testing.T) {
	t.Parallel()
	c := rootClient()
	ctx := t.Context()
	bucket := newBucket(t, c)
	_, err := c.GetBucketCors(ctx, &s3.GetBucketCorsInput{Bucket: aws.String(bucket)})
	wantErr(t, "GetBucketCors without a configuration", err, http.StatusNotFound, "NoSuchCORSConfiguration")

	putCORS(t, c, bucket,
		types.CORSRule{ID: aws.String("uploads"), AllowedOrigins: []string{"https://app.example.com", "https://*.example.org"},
			AllowedMethods: []string{"PUT", "POST", "DELETE"}, AllowedHeaders: []string{"*"}, ExposeHeaders: []string{"ETag", "x-amz-request-id"},
			MaxAgeSeconds: aws.Int32(3000)},
		types.CORSRule{AllowedOrigins: []string{"*"}, AllowedMethods: []string{"GET", "HEAD"}},
	)
	out, err := c.GetBucketCors(ctx, &s3.GetBucketCorsInput{Bucket: aws.String(bucket)})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.CORSRules) != 2 {
		t.Fatalf("GetBucketCors rules = %+v", out.CORSRules)
	}
	r := out.CORSRules[0]
	if aws.ToString(r.ID) != "uploads" || strings.Join(r.AllowedOrigins, " ") != "https://app.example.com https://*.example.org" ||
		strings.Join(r.AllowedMethods, " ") != "PUT POST DELETE" || strings.Join(r.AllowedHeaders, " ") != "*" ||
		strings.Join(r.ExposeHeaders, " ") != "ETag x-amz-request-id" || aws.ToInt32(r.MaxAgeSeconds) != 3000 {
		t.Errorf("first rule read back as %+v", r)
	}
	if r := out.CORSRules[1]; r.ID != nil || r.MaxAgeSeconds != nil || strings.Join(r.AllowedMethods, " ") != "GET HEAD" {
		t.Errorf("second rule read back as %+v", r)
	}

	refused := []struct {
		name  string
		rules []types.CORSRule
		code  string
	}{
		{"a PATCH rule", []types.CORSRule{{AllowedOrigins: []string{"*"}, AllowedMethods: []string{"PATCH"}}}, "InvalidRequest"},
		{"a lowercase method", []types.CORSRule{{AllowedOrigins: []string{"*"}, AllowedMethods: []string{"get"}}}, "InvalidRequest"},
		{"an origin with two wildcards", []types.CORSRule{{AllowedOrigins: []string{"https://*.*.example.com"}, AllowedMethods: []string{"GET"}}}, "InvalidRequest"},
		{"101 rules", func() []types.CORSRule {
			var rules []types.CORSRule
			for range 101 {
				rules = append(rules, types.CORSRule{AllowedOrigins: []string{"*"}, AllowedMethods: []string{"GET"}})
			}
			return rules
		}(), "MalformedXML"},
	}
	for _, tt := range refused {
		_, err := c.PutBucketCors(ctx, &s3.PutBucketCorsInput{Bucket: aws.String(bucket), CORSConfiguration: &types.CORSConfiguration{CORSRules: tt.rules}})
		wantErr(t, "PutBucketCors with "+tt.name, err, http.StatusBadRequest, tt.code)
	}
	if out, err := c.GetBucketCors(ctx, &s3.GetBucketCorsInput{Bucket: aws.String(bucket)}); err != nil || len(out.CORSRules) != 2 {
		t.Errorf("configuration after refused puts: %v, %v", out, err)
	}

	run := bucketSeq.Add(1)
	bobAK, bobSK := createUser(t, sharedSrv, fmt.Sprintf("corsbob%d", run), meta.RoleUser)
	bob := s3Client(sharedSrv.S3URL, bobAK, bobSK)
	_, err = bob.GetBucketCors(ctx, &s3.GetBucketCorsInput{Bucket: aws.String(bucket)})
	wantErr(t, "another user's GetBucketCors", err, http.StatusForbidden, "AccessDenied")
	_, err = bob.DeleteBucketCors(ctx, &s3.DeleteBucketCorsInput{Bucket: aws.String(bucket)})
	wantErr(t, "another user's DeleteBucketCors", err, http.StatusForbidden, "AccessDenied")

	if _, err := c.DeleteBucketCors(ctx, &s3.DeleteBucketCorsInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetBucketCors(ctx, &s3.GetBucketCorsInput{Bucket: aws.String(bucket)})
	wantErr(t, "GetBucketCors after DeleteBucketCors", err, http.StatusNotFound, "NoSuchCORSConfiguration")
	wantRaw(t, "a preflight after DeleteBucketCors", preflight(t, "/"+bucket+"/k",
		map[string]string{"Origin": "https://app.example.com", "Access-Control-Request-Method": "PUT"}), http.StatusForbidden, "AccessForbidden")
}

func TestCORSPreflightIsAllowedOrRefusedByTheRules(t *testing.T) {
	t.Parallel()
	c := rootClient()
	bucket := newBucket(t, c)
	plain := newBucket(t, c)
	putCORS(t, c, bucket,
		types.CORSRule{AllowedOrigins: []string{"https://app.example.com"}, AllowedMethods: []string{"GET", "PUT"},
			AllowedHeaders: []string{"content-type", "x-amz-*"}, ExposeHeaders: []string{"ETag"}, MaxAgeSeconds: aws.Int32(600)},
		types.CORSRule{AllowedOrigins: []string{"*"}, AllowedMethods: []string{"GET"}},
	)
	ok := preflight(t, "/"+bucket+"/photo.jpg", map[string]string{
		"Origin": "https://app.example.com", "Access-Control-Request-Method": "PUT", "Access-Control-Request-Headers": "content-type,x-amz-meta-album",
	})
	wantRaw(t, "an allowed preflight", ok, http.StatusOK, "")
	wantHeaders(t, "an allowed preflight", ok.Header, map[string]string{
		"Access-Control-Allow-Origin": "https://app.example.com", "Access-Control-Allow-Credentials": "true",
		"Access-Control-Allow-Methods": "GET, PUT", "Access-Control-Allow-Headers": "content-type, x-amz-meta-album",
		"Access-Control-Expose-Headers": "ETag", "Access-Control-Max-Age": "600", "Vary": corsVary,
	})
	if len(ok.Body) != 0 {
		t.Errorf("an allowed preflight has a body: %q", ok.Body)
	}
	anyOrigin := preflight(t, "/"+bucket+"/photo.jpg", map[string]string{"Origin": "http://elsewhere.test:8080", "Access-Control-Request-Method": "GET"})
	wantRaw(t, "a preflight the * rule allows", anyOrigin, http.StatusOK, "")
	wantHeaders(t, "a preflight the * rule allows", anyOrigin.Header, map[string]string{
		"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Credentials": "", "Access-Control-Allow-Methods": "GET",
	})

	refused := []struct {
		name   string
		target string
		header map[string]string
		status int
		code   string
		text   string
	}{
		{"an origin no rule allows for PUT", "/" + bucket + "/photo.jpg",
			map[string]string{"Origin": "https://evil.example.com", "Access-Control-Request-Method": "PUT"},
			http.StatusForbidden, "AccessForbidden", "<Method>PUT</Method><ResourceType>OBJECT</ResourceType>"},
		{"a requested header the rule does not allow", "/" + bucket + "/photo.jpg",
			map[string]string{"Origin": "https://app.example.com", "Access-Control-Request-Method": "PUT", "Access-Control-Request-Headers": "authorization"},
			http.StatusForbidden, "AccessForbidden", "CORSResponse: This CORS request is not allowed."},
		{"a method no rule allows", "/" + bucket,
			map[string]string{"Origin": "https://app.example.com", "Access-Control-Request-Method": "DELETE"},
			http.StatusForbidden, "AccessForbidden", "<ResourceType>BUCKET</ResourceType>"},
		{"a bucket without CORS", "/" + plain + "/photo.jpg",
			map[string]string{"Origin": "https://app.example.com", "Access-Control-Request-Method": "PUT"},
			http.StatusForbidden, "AccessForbidden", "CORSResponse: CORS is not enabled for this bucket."},
		{"a missing bucket", "/" + bucketName(t) + "/photo.jpg",
			map[string]string{"Origin": "https://app.example.com", "Access-Control-Request-Method": "PUT"},
			http.StatusForbidden, "AccessForbidden", "CORSResponse: Bucket not found"},
		{"no Origin", "/" + bucket + "/photo.jpg", map[string]string{"Access-Control-Request-Method": "PUT"},
			http.StatusBadRequest, "BadRequest", "Origin request header needed"},
		{"a method that is not a CORS method", "/" + bucket + "/photo.jpg",
			map[string]string{"Origin": "https://app.example.com", "Access-Control-Request-Method": "PATCH"},
			http.StatusBadRequest, "BadRequest", "Invalid Access-Control-Request-Method: PATCH"},
	}
	for _, tt := range refused {
		r := preflight(t, tt.target, tt.header)
		wantRaw(t, tt.name, r, tt.status, tt.code)
		if !bytes.Contains(r.Body, []byte(tt.text)) {
			t.Errorf("%s: body %s lacks %q", tt.name, r.Body, tt.text)
		}
		wantHeaders(t, tt.name, r.Header, map[string]string{"Access-Control-Allow-Origin": "", "Access-Control-Allow-Methods": ""})
	}
}

func TestCORSHeadersOnActualRequestsAndTheirErrors(t *testing.T) {
	t.Parallel()
	c := rootClient()
	bucket := newBucket(t, c)
	putObject(t, c, bucket, "page.html", []byte("<p>hi</p>"))
	putCORS(t, c, bucket, types.CORSRule{AllowedOrigins: []string{"https://app.example.com"}, AllowedMethods: []string{"GET", "HEAD"},
		ExposeHeaders: []string{"ETag", "Content-Length"}})
	origin := map[string]string{"Origin": "https://app.example.com"}
	corsHeaders := map[string]string{
		"Access-Control-Allow-Origin": "https://app.example.com", "Access-Control-Allow-Credentials": "true",
		"Access-Control-Allow-Methods": "GET, HEAD", "Access-Control-Expose-Headers": "ETag, Content-Length", "Vary": corsVary,
	}
	none := map[string]string{"Access-Control-Allow-Origin": "", "Access-Control-Allow-Methods": "", "Vary": ""}
	tests := []struct {
		name   string
		req    rawRequest
		status int
		code   string
		want   map[string]string
	}{
		{"a signed GET from the allowed origin", rawRequest{Method: http.MethodGet, Target: "/" + bucket + "/page.html", Header: origin}, 200, "", corsHeaders},
		{"a signed HEAD from the allowed origin", rawRequest{Method: http.MethodHead, Target: "/" + bucket + "/page.html", Header: origin}, 200, "", corsHeaders},
		{"a GET of a missing key is an error with the CORS headers", rawRequest{Method: http.MethodGet, Target: "/" + bucket + "/missing", Header: origin}, 404, "NoSuchKey", corsHeaders},
		{"an anonymous GET refused is an error with the CORS headers", rawRequest{Method: http.MethodGet, Target: "/" + bucket + "/page.html", Header: origin, Anonymous: true}, 403, "AccessDenied", corsHeaders},
		{"a GET signed with a wrong key is an error with the CORS headers", rawRequest{Method: http.MethodGet, Target: "/" + bucket + "/page.html", Header: origin,
			AccessKey: rootAccessKey, SecretKey: "not-the-secret"}, 403, "SignatureDoesNotMatch", corsHeaders},
		{"a PUT, which no rule allows, has none", rawRequest{Method: http.MethodPut, Target: "/" + bucket + "/other", Body: []byte("x"), Header: origin}, 200, "", none},
		{"a GET from another origin has none", rawRequest{Method: http.MethodGet, Target: "/" + bucket + "/page.html",
			Header: map[string]string{"Origin": "https://evil.example.com"}}, 200, "", none},
		{"a GET without an Origin has none", rawRequest{Method: http.MethodGet, Target: "/" + bucket + "/page.html"}, 200, "", none},
	}
	for _, tt := range tests {
		r := do(t, sharedSrv, tt.req)
		wantRaw(t, tt.name, r, tt.status, tt.code)
		wantHeaders(t, tt.name, r.Header, tt.want)
	}
}

// presignedPut returns a presigned PUT URL for bucket/key and the headers
// it was signed with (Host aside).
func presignedPut(t *testing.T, c *s3.Client, bucket, key string) (string, http.Header) {
	t.Helper()
	put, err := s3.NewPresignClient(c).PresignPutObject(t.Context(), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)},
		s3.WithPresignExpires(10*time.Minute))
	if err != nil {
		t.Fatalf("PresignPutObject: %v", err)
	}
	hdr := http.Header{}
	for k, vs := range put.SignedHeader {
		if !strings.EqualFold(k, "Host") {
			hdr[k] = vs
		}
	}
	return put.URL, hdr
}

func TestABrowserUploadsWithAPresignedPUT(t *testing.T) {
	t.Parallel()
	c := rootClient()
	bucket := newBucket(t, c)
	const app = "https://photos.example.com"
	putCORS(t, c, bucket, types.CORSRule{AllowedOrigins: []string{app}, AllowedMethods: []string{"PUT"},
		AllowedHeaders: []string{"content-type"}, ExposeHeaders: []string{"ETag"}, MaxAgeSeconds: aws.Int32(300)})
	putURL, signed := presignedPut(t, c, bucket, "upload.jpg")

	// What the browser does: a preflight for the PUT, then the PUT itself,
	// both carrying the page's origin, the PUT without credentials of its
	// own beyond the presigned query.
	pre := preflight(t, putURL, map[string]string{"Origin": app, "Access-Control-Request-Method": "PUT", "Access-Control-Request-Headers": "content-type"})
	wantRaw(t, "the preflight of the presigned PUT", pre, http.StatusOK, "")
	wantHeaders(t, "the preflight of the presigned PUT", pre.Header, map[string]string{
		"Access-Control-Allow-Origin": app, "Access-Control-Allow-Methods": "PUT", "Access-Control-Allow-Headers": "content-type",
		"Access-Control-Max-Age": "300",
	})
	body := []byte("\xff\xd8 not really a jpeg")
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPut, putURL, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, vs := range signed {
		req.Header[k] = vs
	}
	req.Header.Set("Origin", app)
	req.Header.Set("Content-Type", "image/jpeg")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("presigned PUT: %v", err)
	}
	msg, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("presigned PUT with an Origin: %d %s", resp.StatusCode, msg)
	}
	wantHeaders(t, "the presigned PUT", resp.Header, map[string]string{
		"Access-Control-Allow-Origin": app, "Access-Control-Expose-Headers": "ETag", "Vary": corsVary,
	})
	got, out := mustGet(t, c, bucket, "upload.jpg", "")
	if !bytes.Equal(got, body) || aws.ToString(out.ContentType) != "image/jpeg" || aws.ToString(out.ETag) != resp.Header.Get("ETag") {
		t.Errorf("stored %q (%s, ETag %s), want %q (image/jpeg, ETag %s)", got, aws.ToString(out.ContentType), aws.ToString(out.ETag), body, resp.Header.Get("ETag"))
	}

	// A page on another origin gets its preflight refused: the browser
	// would never send the PUT.
	wantRaw(t, "the preflight from another origin", preflight(t, putURL, map[string]string{
		"Origin": "https://evil.example.com", "Access-Control-Request-Method": "PUT"}), http.StatusForbidden, "AccessForbidden")
}

// TestAHeadlessBrowserUploadsAcrossOrigins runs the upload in a real
// browser: a page served from another origin than S3's PUTs a file to a
// presigned URL with fetch, and reads the exposed ETag; the same PUT to a
// bucket whose rules do not allow the page's origin fails in the browser
// and stores nothing. It runs when Debian's chromium is installed.
func TestAHeadlessBrowserUploadsAcrossOrigins(t *testing.T) {
	browser, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("chromium is not installed")
	}
	t.Parallel()
	c := rootClient()
	allowed, refused := newBucket(t, c), newBucket(t, c)

	results := make(chan map[string]any, 1)
	page := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/":
			w.Header().Set("Content-Type", "text/html")
			fmt.Fprint(w, browserPage(r.URL.Query().Get("allowed"), r.URL.Query().Get("refused")))
		case "/result":
			var res map[string]any
			if err := json.NewDecoder(r.Body).Decode(&res); err == nil {
				select {
				case results <- res:
				default:
				}
			}
		}
	}))
	defer page.Close()
	origin := page.URL // http://127.0.0.1:port, another port than S3's: another origin
	putCORS(t, c, allowed, types.CORSRule{AllowedOrigins: []string{origin}, AllowedMethods: []string{"PUT"},
		AllowedHeaders: []string{"*"}, ExposeHeaders: []string{"ETag"}})
	putCORS(t, c, refused, types.CORSRule{AllowedOrigins: []string{"https://somewhere-else.example.com"}, AllowedMethods: []string{"PUT"}})
	allowedURL, _ := presignedPut(t, c, allowed, "from-browser.txt")
	refusedURL, _ := presignedPut(t, c, refused, "from-browser.txt")

	target := page.URL + "/?allowed=" + url.QueryEscape(allowedURL) + "&refused=" + url.QueryEscape(refusedURL)
	cmd := exec.Command(browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
		"--user-data-dir="+t.TempDir(), target)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	defer func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		_ = cmd.Wait()
	}()

	var res map[string]any
	select {
	case res = <-results:
	case <-time.After(90 * time.Second):
		t.Fatalf("the page reported nothing in 90s; chromium said:\n%s", tail(out.String(), 4000))
	}
	t.Logf("the page reported %v", res)
	if res["allowedStatus"] != float64(http.StatusOK) || res["allowedETag"] == "" || res["allowedETag"] == nil {
		t.Errorf("the allowed upload from the browser: %v", res)
	}
	if res["refusedError"] == "" || res["refusedError"] == nil {
		t.Errorf("the upload to a bucket that does not allow the page's origin did not fail in the browser: %v", res)
	}
	got, obj := mustGet(t, c, allowed, "from-browser.txt", "")
	if string(got) != "uploaded by a browser" || aws.ToString(obj.ETag) != res["allowedETag"] {
		t.Errorf("stored %q with ETag %s; the page read ETag %v", got, aws.ToString(obj.ETag), res["allowedETag"])
	}
	if _, err := c.HeadObject(t.Context(), &s3.HeadObjectInput{Bucket: aws.String(refused), Key: aws.String("from-browser.txt")}); errStatus(err) != http.StatusNotFound {
		t.Errorf("the refused upload stored an object: %v", err)
	}
}

// browserPage is the page of TestAHeadlessBrowserUploadsAcrossOrigins. It
// reports what fetch saw to /result on its own origin.
func browserPage(allowedURL, refusedURL string) string {
	urls, _ := json.Marshal(map[string]string{"allowed": allowedURL, "refused": refusedURL})
	return `<!doctype html><html><body><script>
const urls = ` + string(urls) + `;
(async () => {
  const res = {};
  try {
    const r = await fetch(urls.allowed, {method: 'PUT', body: 'uploaded by a browser', headers: {'Content-Type': 'text/plain'}});
    res.allowedStatus = r.status;
    res.allowedETag = r.headers.get('ETag');
  } catch (e) {
    res.allowedError = String(e);
  }
  try {
    const r = await fetch(urls.refused, {method: 'PUT', body: 'uploaded by a browser'});
    res.refusedStatus = r.status;
  } catch (e) {
    res.refusedError = String(e);
  }
  await fetch('/result', {method: 'POST', body: JSON.stringify(res)});
})();
</script></body></html>`
}

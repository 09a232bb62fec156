package s3api

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

func TestBucketCORSConfiguration(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	ts.mustCreateBucket(ts.alice, "web")
	alice := ts.client(ts.alice)
	_, err := alice.GetBucketCors(ctx, &s3.GetBucketCorsInput{Bucket: aws.String("web")})
	wantCode(t, err, "NoSuchCORSConfiguration", http.StatusNotFound)

	rules := []types.CORSRule{
		{ID: aws.String("upload"), AllowedOrigins: []string{"https://app.example.com"}, AllowedMethods: []string{"PUT", "GET"},
			AllowedHeaders: []string{"*"}, ExposeHeaders: []string{"ETag"}, MaxAgeSeconds: aws.Int32(600)},
		{AllowedOrigins: []string{"*"}, AllowedMethods: []string{"GET"}},
	}
	if _, err := alice.PutBucketCors(ctx, &s3.PutBucketCorsInput{Bucket: aws.String("web"), CORSConfiguration: &types.CORSConfiguration{CORSRules: rules}}); err != nil {
		t.Fatalf("PutBucketCors: %v", err)
	}
	out, err := alice.GetBucketCors(ctx, &s3.GetBucketCorsInput{Bucket: aws.String("web")})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.CORSRules) != 2 || aws.ToString(out.CORSRules[0].ID) != "upload" || aws.ToInt32(out.CORSRules[0].MaxAgeSeconds) != 600 ||
		strings.Join(out.CORSRules[0].AllowedMethods, ",") != "PUT,GET" || out.CORSRules[1].MaxAgeSeconds != nil ||
		strings.Join(out.CORSRules[1].AllowedOrigins, ",") != "*" {
		t.Errorf("GetBucketCors = %+v", out.CORSRules)
	}
	_, err = ts.client(ts.bob).GetBucketCors(ctx, &s3.GetBucketCorsInput{Bucket: aws.String("web")})
	wantCode(t, err, "AccessDenied", http.StatusForbidden)

	bad := []struct {
		name string
		rule types.CORSRule
		code string
	}{
		{"an unsupported method", types.CORSRule{AllowedOrigins: []string{"*"}, AllowedMethods: []string{"PATCH"}}, "InvalidRequest"},
		{"an origin with two wildcards", types.CORSRule{AllowedOrigins: []string{"*.*.example.com"}, AllowedMethods: []string{"GET"}}, "InvalidRequest"},
		{"a header name with a space", types.CORSRule{AllowedOrigins: []string{"*"}, AllowedMethods: []string{"GET"}, AllowedHeaders: []string{"bad header"}}, "InvalidRequest"},
	}
	for _, b := range bad {
		_, err := alice.PutBucketCors(ctx, &s3.PutBucketCorsInput{Bucket: aws.String("web"), CORSConfiguration: &types.CORSConfiguration{CORSRules: []types.CORSRule{b.rule}}})
		wantCode(t, err, b.code, http.StatusBadRequest)
	}
	for name, doc := range map[string]string{
		"a rule without an origin": `<CORSConfiguration><CORSRule><AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>`,
		"no rules":                 `<CORSConfiguration></CORSConfiguration>`,
		"a max age that is no integer": `<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod>` +
			`<MaxAgeSeconds>soon</MaxAgeSeconds></CORSRule></CORSConfiguration>`,
	} {
		req := ts.signedRequest(ts.alice, http.MethodPut, "/web?cors", []byte(doc))
		req.Header.Set("Content-Md5", md5Header([]byte(doc))["Content-MD5"])
		ts.sign(ts.alice, req, req.Header.Get("X-Amz-Content-Sha256"))
		if status, _, body := ts.do(req); status != http.StatusBadRequest || !strings.Contains(body, "<Code>MalformedXML</Code>") {
			t.Errorf("PutBucketCors of %s: %d %s, want 400 MalformedXML", name, status, body)
		}
	}
	// A refused configuration changed nothing.
	if out, _ := alice.GetBucketCors(ctx, &s3.GetBucketCorsInput{Bucket: aws.String("web")}); len(out.CORSRules) != 2 {
		t.Errorf("rules after refused puts: %+v", out.CORSRules)
	}
	status, _, body := ts.do(ts.signedRequest(ts.alice, http.MethodPut, "/web?cors", []byte(`<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>`)))
	if status != http.StatusBadRequest || !strings.Contains(body, "Content-MD5") {
		t.Errorf("PutBucketCors without Content-MD5: %d %s", status, body)
	}
	if _, err := alice.DeleteBucketCors(ctx, &s3.DeleteBucketCorsInput{Bucket: aws.String("web")}); err != nil {
		t.Fatal(err)
	}
	_, err = alice.GetBucketCors(ctx, &s3.GetBucketCorsInput{Bucket: aws.String("web")})
	wantCode(t, err, "NoSuchCORSConfiguration", http.StatusNotFound)
	if _, err := alice.DeleteBucketCors(ctx, &s3.DeleteBucketCorsInput{Bucket: aws.String("web")}); err != nil {
		t.Errorf("deleting no configuration: %v", err)
	}
}

func TestPreflight(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	alice := ts.client(ts.alice)
	ts.mustCreateBucket(ts.alice, "web")
	ts.mustCreateBucket(ts.alice, "plain")
	_, err := alice.PutBucketCors(ctx, &s3.PutBucketCorsInput{Bucket: aws.String("web"), CORSConfiguration: &types.CORSConfiguration{CORSRules: []types.CORSRule{
		{AllowedOrigins: []string{"https://app.example.com"}, AllowedMethods: []string{"GET", "PUT"},
			AllowedHeaders: []string{"content-type", "x-amz-*"}, ExposeHeaders: []string{"ETag", "x-amz-version-id"}, MaxAgeSeconds: aws.Int32(3000)},
		{AllowedOrigins: []string{"*"}, AllowedMethods: []string{"GET"}},
	}}})
	if err != nil {
		t.Fatal(err)
	}
	type want struct {
		status  int
		code    string
		message string
		headers map[string]string
	}
	noCORS := map[string]string{"Access-Control-Allow-Origin": "", "Vary": ""}
	tests := []struct {
		name    string
		target  string
		headers map[string]string
		want    want
	}{
		{"an allowed origin, method and headers", "/web/photo.jpg",
			map[string]string{"Origin": "https://app.example.com", "Access-Control-Request-Method": "PUT", "Access-Control-Request-Headers": "Content-Type,X-Amz-Date"},
			want{200, "", "", map[string]string{
				"Access-Control-Allow-Origin": "https://app.example.com", "Access-Control-Allow-Credentials": "true",
				"Access-Control-Allow-Methods": "GET, PUT", "Access-Control-Allow-Headers": "content-type, x-amz-date",
				"Access-Control-Expose-Headers": "ETag, x-amz-version-id", "Access-Control-Max-Age": "3000", "Vary": corsVary}}},
		{"any origin by the wildcard rule", "/web/photo.jpg",
			map[string]string{"Origin": "http://elsewhere.test", "Access-Control-Request-Method": "GET"},
			want{200, "", "", map[string]string{"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Credentials": "", "Access-Control-Allow-Methods": "GET", "Access-Control-Max-Age": ""}}},
		{"a method no rule allows for the origin", "/web/photo.jpg",
			map[string]string{"Origin": "http://elsewhere.test", "Access-Control-Request-Method": "PUT"},
			want{403, "AccessForbidden", "CORSResponse: This CORS request is not allowed.", noCORS}},
		{"a header no rule allows", "/web/photo.jpg",
			map[string]string{"Origin": "https://app.example.com", "Access-Control-Request-Method": "PUT", "Access-Control-Request-Headers": "authorization"},
			want{403, "AccessForbidden", "<ResourceType>OBJECT</ResourceType>", noCORS}},
		{"a bucket without a configuration", "/plain/k",
			map[string]string{"Origin": "https://app.example.com", "Access-Control-Request-Method": "PUT"},
			want{403, "AccessForbidden", "CORSResponse: CORS is not enabled for this bucket.", noCORS}},
		{"a missing bucket", "/no-such-bucket/k",
			map[string]string{"Origin": "https://app.example.com", "Access-Control-Request-Method": "PUT"},
			want{403, "AccessForbidden", "CORSResponse: Bucket not found", noCORS}},
		{"no Origin", "/web/k", map[string]string{"Access-Control-Request-Method": "PUT"},
			want{400, "BadRequest", "Insufficient information. Origin request header needed.", noCORS}},
		{"a method that is not a CORS method", "/web/k", map[string]string{"Origin": "https://app.example.com", "Access-Control-Request-Method": "PATCH"},
			want{400, "BadRequest", "Invalid Access-Control-Request-Method: PATCH", noCORS}},
		{"no request method on a configured bucket", "/web/k", map[string]string{"Origin": "https://app.example.com"},
			want{400, "BadRequest", "Invalid Access-Control-Request-Method: ", noCORS}},
		{"no request method on a bucket without a configuration names OPTIONS", "/plain/k", map[string]string{"Origin": "https://app.example.com"},
			want{403, "AccessForbidden", "<Method>OPTIONS</Method><ResourceType>BUCKET</ResourceType>", noCORS}},
		{"a presigned URL's query is no credential to check", "/web/k?X-Amz-Signature=bogus&X-Amz-Credential=x",
			map[string]string{"Origin": "https://app.example.com", "Access-Control-Request-Method": "GET"},
			want{200, "", "", map[string]string{"Access-Control-Allow-Origin": "https://app.example.com"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodOptions, ts.srv.URL+tt.target, nil)
			for k, v := range tt.headers {
				req.Header.Set(k, v)
			}
			status, hdr, body := ts.do(req)
			if status != tt.want.status || (tt.want.code != "" && !strings.Contains(body, "<Code>"+tt.want.code+"</Code>")) ||
				!strings.Contains(body, tt.want.message) {
				t.Errorf("OPTIONS: %d %s, want %d %s %q", status, body, tt.want.status, tt.want.code, tt.want.message)
			}
			for name, value := range tt.want.headers {
				if got := hdr.Get(name); got != value {
					t.Errorf("%s = %q, want %q", name, got, value)
				}
			}
		})
	}
}

func TestActualRequestsCarryCORSHeaders(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	alice := ts.client(ts.alice)
	ts.mustCreateBucket(ts.alice, "web")
	ts.mustPut(ts.alice, "web", "k", "v")
	_, err := alice.PutBucketCors(ctx, &s3.PutBucketCorsInput{Bucket: aws.String("web"), CORSConfiguration: &types.CORSConfiguration{CORSRules: []types.CORSRule{
		{AllowedOrigins: []string{"https://app.example.com"}, AllowedMethods: []string{"GET", "PUT"}, ExposeHeaders: []string{"ETag"}},
	}}})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name         string
		req          *http.Request
		status       int
		allowOrigin  string
		exposeHeader string
	}{
		{"a signed GET from an allowed origin", ts.signedRequest(ts.alice, http.MethodGet, "/web/k", nil), 200, "https://app.example.com", "ETag"},
		{"a signed GET of a missing key, an error", ts.signedRequest(ts.alice, http.MethodGet, "/web/missing", nil), 404, "https://app.example.com", "ETag"},
		{"an anonymous GET refused, an error", mustRequest(http.MethodGet, ts.srv.URL+"/web/k"), 403, "https://app.example.com", "ETag"},
		{"a DELETE, which no rule allows", ts.signedRequest(ts.alice, http.MethodDelete, "/web/other", nil), 204, "", ""},
	}
	for _, tt := range tests {
		tt.req.Header.Set("Origin", "https://app.example.com")
		status, hdr, body := ts.do(tt.req)
		if status != tt.status || hdr.Get("Access-Control-Allow-Origin") != tt.allowOrigin || hdr.Get("Access-Control-Expose-Headers") != tt.exposeHeader {
			t.Errorf("%s: %d, Allow-Origin %q, Expose %q; want %d %q %q (%s)", tt.name, status,
				hdr.Get("Access-Control-Allow-Origin"), hdr.Get("Access-Control-Expose-Headers"), tt.status, tt.allowOrigin, tt.exposeHeader, body)
		}
		if (tt.allowOrigin != "") != (hdr.Get("Vary") == corsVary) {
			t.Errorf("%s: Vary %q", tt.name, hdr.Get("Vary"))
		}
	}
	// Another origin, or none: no CORS headers at all.
	for _, origin := range []string{"https://evil.example.com", ""} {
		req := ts.signedRequest(ts.alice, http.MethodGet, "/web/k", nil)
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		if _, hdr, _ := ts.do(req); hdr.Get("Access-Control-Allow-Origin") != "" || hdr.Get("Vary") != "" {
			t.Errorf("GET with Origin %q got CORS headers %v", origin, hdr)
		}
	}
}

func mustRequest(method, url string) *http.Request {
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		panic(err)
	}
	return req
}

// The web console's origin may call every bucket, configured or not, and
// no other origin gains anything by it.
func TestTheConsolesOriginIsAllowedOnEveryBucket(t *testing.T) {
	const consoleOrigin = "http://console.test:9001"
	ts := newTestServer(t, func(c *Config) {
		c.ConsoleOrigin = func(origin, host string) bool { return origin == consoleOrigin && host != "" }
	})
	ts.mustCreateBucket(ts.alice, "plain")
	ts.mustPut(ts.alice, "plain", "k", "v")

	preflight := func(origin, target, method, headers string) (int, http.Header, string) {
		req, _ := http.NewRequest(http.MethodOptions, ts.srv.URL+target, nil)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", method)
		if headers != "" {
			req.Header.Set("Access-Control-Request-Headers", headers)
		}
		return ts.do(req)
	}
	for _, target := range []string{"/plain/k", "/no-such-bucket/k", "/plain"} {
		status, hdr, body := preflight(consoleOrigin, target, "PUT", "Content-Type")
		if status != 200 || hdr.Get("Access-Control-Allow-Origin") != consoleOrigin ||
			hdr.Get("Access-Control-Allow-Methods") != "GET, PUT, POST, DELETE, HEAD" ||
			hdr.Get("Access-Control-Allow-Headers") != "content-type" || hdr.Get("Access-Control-Allow-Credentials") != "" ||
			!strings.Contains(hdr.Get("Access-Control-Expose-Headers"), "ETag") || hdr.Get("Vary") != corsVary {
			t.Errorf("console preflight of PUT %s: %d %v %s", target, status, hdr, body)
		}
	}
	if status, _, body := preflight(consoleOrigin, "/plain/k", "PATCH", ""); status != 400 || !strings.Contains(body, "BadRequest") {
		t.Errorf("console preflight of PATCH: %d %s, want 400 BadRequest", status, body)
	}
	if status, hdr, body := preflight("http://elsewhere.test", "/plain/k", "PUT", ""); status != 403 || hdr.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("another origin's preflight on a bucket without rules: %d %s, want 403 without allowance", status, body)
	}

	get := ts.signedRequest(ts.alice, http.MethodGet, "/plain/k", nil)
	get.Header.Set("Origin", consoleOrigin)
	status, hdr, _ := ts.do(get)
	if status != 200 || hdr.Get("Access-Control-Allow-Origin") != consoleOrigin || !strings.Contains(hdr.Get("Access-Control-Expose-Headers"), "x-amz-version-id") {
		t.Errorf("console GET: %d, headers %v", status, hdr)
	}
	// An allowance changes nothing of what a request may do.
	anon := mustRequest(http.MethodGet, ts.srv.URL+"/plain/k")
	anon.Header.Set("Origin", consoleOrigin)
	if status, hdr, _ := ts.do(anon); status != 403 || hdr.Get("Access-Control-Allow-Origin") != consoleOrigin {
		t.Errorf("anonymous console GET: %d with Allow-Origin %q; want 403, readable", status, hdr.Get("Access-Control-Allow-Origin"))
	}
	other := ts.signedRequest(ts.alice, http.MethodGet, "/plain/k", nil)
	other.Header.Set("Origin", "http://elsewhere.test")
	if _, hdr, _ := ts.do(other); hdr.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("another origin got Allow-Origin %q on a bucket without rules", hdr.Get("Access-Control-Allow-Origin"))
	}
}

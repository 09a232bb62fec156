package sigv2

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// getLines is a header-signed GET of /b/k at ruleTime.
func getLines(extra ...string) []string {
	return append([]string{"GET /b/k HTTP/1.1", "Host: s3.example.com", "Date: " + ruleDate}, extra...)
}

const getString = "GET\n\n\n" + ruleDate + "\n/b/k"

// presignedGet is a presigned GET of /b/k expiring at expires.
func presignedGet(t *testing.T, expires int64, path string) *http.Request {
	t.Helper()
	e := strconv.FormatInt(expires, 10)
	sig := hmacSHA1(exampleSecret, "GET\n\n\n"+e+"\n/b/k")
	sig = strings.NewReplacer("+", "%2B", "/", "%2F", "=", "%3D").Replace(sig)
	return wireRequest(t, "GET "+path+"?AWSAccessKeyId="+exampleAccessKey+"&Expires="+e+"&Signature="+sig+" HTTP/1.1", "Host: s3.example.com")
}

func TestVerifyRefusesWhatAWSRefuses(t *testing.T) {
	expires := ruleTime.Add(time.Hour).Unix()
	cases := []struct {
		name    string
		request func(t *testing.T) *http.Request
		now     time.Time
		want    error
		text    string
	}{
		{
			name: "a signature made with another secret",
			request: func(t *testing.T) *http.Request {
				return wireRequest(t, getLines("Authorization: AWS "+exampleAccessKey+":"+hmacSHA1("other", getString))...)
			},
			want: ErrSignatureDoesNotMatch,
		},
		{
			name: "an unknown access key",
			request: func(t *testing.T) *http.Request {
				return wireRequest(t, getLines("Authorization: AWS AKIAUNKNOWN:"+hmacSHA1(exampleSecret, getString))...)
			},
			want: ErrInvalidAccessKeyID,
		},
		{
			name: "a signature for another path",
			request: func(t *testing.T) *http.Request {
				return signedHeaderRequest(t, "GET\n\n\n"+ruleDate+"\n/b/other", getLines()...)
			},
			want: ErrSignatureDoesNotMatch,
		},
		{
			name: "a signature that left out a sub-resource",
			request: func(t *testing.T) *http.Request {
				return signedHeaderRequest(t, getString, "GET /b/k?acl HTTP/1.1", "Host: s3.example.com", "Date: "+ruleDate)
			},
			want: ErrSignatureDoesNotMatch,
		},
		{
			name: "a signature that left out a sub-resource some clients do not sign",
			request: func(t *testing.T) *http.Request {
				return signedHeaderRequest(t, "PUT\n\n\n"+ruleDate+"\n/b/?acl", "PUT /b?acl&replication HTTP/1.1", "Host: s3.example.com", "Date: "+ruleDate)
			},
			want: ErrSignatureDoesNotMatch,
		},
		{
			name: "a signature that left out an x-amz header",
			request: func(t *testing.T) *http.Request {
				return signedHeaderRequest(t, getString, getLines("X-Amz-Meta-A: b")...)
			},
			want: ErrSignatureDoesNotMatch,
		},
		{
			name: "a signature that left out the content type",
			request: func(t *testing.T) *http.Request {
				return signedHeaderRequest(t, getString, getLines("Content-Type: text/plain")...)
			},
			want: ErrSignatureDoesNotMatch,
		},
		{
			name:    "a request 16 minutes old",
			request: func(t *testing.T) *http.Request { return signedHeaderRequest(t, getString, getLines()...) },
			now:     ruleTime.Add(16 * time.Minute),
			want:    ErrRequestTimeTooSkewed,
		},
		{
			name:    "a request 16 minutes ahead",
			request: func(t *testing.T) *http.Request { return signedHeaderRequest(t, getString, getLines()...) },
			now:     ruleTime.Add(-16 * time.Minute),
			want:    ErrRequestTimeTooSkewed,
		},
		{
			name: "a request without a date",
			request: func(t *testing.T) *http.Request {
				return signedHeaderRequest(t, "GET\n\n\n\n/b/k", "GET /b/k HTTP/1.1", "Host: s3.example.com")
			},
			want: ErrAccessDenied,
			text: "requires a valid Date or x-amz-date header",
		},
		{
			name: "a request whose date is not a date",
			request: func(t *testing.T) *http.Request {
				return signedHeaderRequest(t, "GET\n\n\nyesterday\n/b/k", "GET /b/k HTTP/1.1", "Host: s3.example.com", "Date: yesterday")
			},
			want: ErrAccessDenied,
		},
		{
			name: "a request whose x-amz-date is not a date, even with a good Date",
			request: func(t *testing.T) *http.Request {
				return signedHeaderRequest(t, "GET\n\n\n\nx-amz-date:soon\n/b/k", getLines("X-Amz-Date: soon")...)
			},
			want: ErrAccessDenied,
		},
		{
			name: "a header without a colon",
			request: func(t *testing.T) *http.Request {
				return wireRequest(t, getLines("Authorization: AWS "+exampleAccessKey)...)
			},
			want: ErrInvalidArgument,
			text: "Expected AwsAccessKeyId:signature",
		},
		{
			name:    "a header without an access key",
			request: func(t *testing.T) *http.Request { return wireRequest(t, getLines("Authorization: AWS :c2ln")...) },
			want:    ErrInvalidArgument,
		},
		{
			name: "a header without a signature",
			request: func(t *testing.T) *http.Request {
				return wireRequest(t, getLines("Authorization: AWS "+exampleAccessKey+":")...)
			},
			want: ErrInvalidArgument,
		},
		{
			name: "a header and a presigned query at once",
			request: func(t *testing.T) *http.Request {
				return signedHeaderRequest(t, getString, "GET /b/k?Signature=x HTTP/1.1", "Host: s3.example.com", "Date: "+ruleDate)
			},
			want: ErrInvalidArgument,
			text: "Only one auth mechanism allowed",
		},
		{
			name: "an aws-chunked body",
			request: func(t *testing.T) *http.Request {
				return signedHeaderRequest(t, "PUT\n\n\n"+ruleDate+"\nx-amz-content-sha256:STREAMING-AWS4-HMAC-SHA256-PAYLOAD\n/b/k",
					"PUT /b/k HTTP/1.1", "Host: s3.example.com", "Date: "+ruleDate, "X-Amz-Content-Sha256: STREAMING-AWS4-HMAC-SHA256-PAYLOAD")
			},
			want: ErrInvalidRequest,
		},
		{
			name:    "an expired presigned URL",
			request: func(t *testing.T) *http.Request { return presignedGet(t, expires, "/b/k") },
			now:     ruleTime.Add(time.Hour + time.Second),
			want:    ErrAccessDenied,
			text:    "Request has expired",
		},
		{
			name:    "a presigned URL for another path",
			request: func(t *testing.T) *http.Request { return presignedGet(t, expires, "/b/other") },
			want:    ErrSignatureDoesNotMatch,
		},
		{
			name: "a presigned URL whose expiry was moved",
			request: func(t *testing.T) *http.Request {
				r := presignedGet(t, expires, "/b/k")
				r.URL.RawQuery = strings.Replace(r.URL.RawQuery, strconv.FormatInt(expires, 10), strconv.FormatInt(expires+3600, 10), 1)
				return r
			},
			want: ErrSignatureDoesNotMatch,
		},
		{
			name: "a presigned URL without Expires",
			request: func(t *testing.T) *http.Request {
				return wireRequest(t, "GET /b/k?AWSAccessKeyId="+exampleAccessKey+"&Signature=abc HTTP/1.1", "Host: s3.example.com")
			},
			want: ErrAccessDenied,
			text: "requires the Signature, Expires and AWSAccessKeyId parameters",
		},
		{
			name: "a presigned URL whose Expires is not seconds",
			request: func(t *testing.T) *http.Request {
				return wireRequest(t, "GET /b/k?AWSAccessKeyId="+exampleAccessKey+"&Expires=tomorrow&Signature=abc HTTP/1.1", "Host: s3.example.com")
			},
			want: ErrAccessDenied,
			text: "Invalid date (should be seconds since epoch): tomorrow",
		},
		{
			name: "a presigned URL of an unknown access key",
			request: func(t *testing.T) *http.Request {
				r := presignedGet(t, expires, "/b/k")
				r.URL.RawQuery = strings.Replace(r.URL.RawQuery, exampleAccessKey, "AKIAUNKNOWN", 1)
				return r
			},
			want: ErrInvalidAccessKeyID,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			now := tc.now
			if now.IsZero() {
				now = ruleTime
			}
			res, err := testVerifier(now).Verify(tc.request(t))
			if !errors.Is(err, tc.want) {
				t.Fatalf("Verify = %+v, %v; want %v", res, err, tc.want)
			}
			if tc.text != "" && !strings.Contains(err.Error(), tc.text) {
				t.Errorf("error %q does not say %q", err, tc.text)
			}
		})
	}
}

func TestVerifyAcceptsWhatAWSAccepts(t *testing.T) {
	expires := ruleTime.Add(time.Hour).Unix()
	cases := []struct {
		name      string
		request   func(t *testing.T) *http.Request
		now       time.Time
		presigned bool
	}{
		{
			name:    "a request 14 minutes old",
			request: func(t *testing.T) *http.Request { return signedHeaderRequest(t, getString, getLines()...) },
			now:     ruleTime.Add(14 * time.Minute),
		},
		{
			name: "a request dated in RFC 850 form",
			request: func(t *testing.T) *http.Request {
				d := "Saturday, 28-Nov-26 12:00:00 GMT"
				return signedHeaderRequest(t, "GET\n\n\n"+d+"\n/b/k", "GET /b/k HTTP/1.1", "Host: s3.example.com", "Date: "+d)
			},
		},
		{
			name: "a request dated in ANSI C form",
			request: func(t *testing.T) *http.Request {
				d := "Sat Nov 28 12:00:00 2026"
				return signedHeaderRequest(t, "GET\n\n\n"+d+"\n/b/k", "GET /b/k HTTP/1.1", "Host: s3.example.com", "Date: "+d)
			},
		},
		{
			name:      "a presigned URL at its last second",
			request:   func(t *testing.T) *http.Request { return presignedGet(t, expires, "/b/k") },
			now:       time.Unix(expires, 0),
			presigned: true,
		},
		{
			name:      "a presigned URL long after the request-time skew, before it expires",
			request:   func(t *testing.T) *http.Request { return presignedGet(t, expires, "/b/k") },
			now:       ruleTime.Add(59 * time.Minute),
			presigned: true,
		},
		{
			name: "a presigned URL whose signature has an unescaped plus",
			request: func(t *testing.T) *http.Request {
				// A client that leaves the '+' of a base64 signature
				// unescaped still means it.
				e := "1795867200"
				for i := 0; ; i++ {
					path := "/b/k" + strconv.Itoa(i)
					if sig := hmacSHA1(exampleSecret, "GET\n\n\n"+e+"\n"+path); strings.Contains(sig, "+") {
						return wireRequest(t, "GET "+path+"?AWSAccessKeyId="+exampleAccessKey+"&Expires="+e+"&Signature="+sig+" HTTP/1.1", "Host: s3.example.com")
					}
				}
			},
			presigned: true,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			now := tc.now
			if now.IsZero() {
				now = ruleTime
			}
			res, err := testVerifier(now).Verify(tc.request(t))
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if res.AccessKey != exampleAccessKey || res.Presigned != tc.presigned {
				t.Errorf("result %+v, want access key %s, presigned %v", res, exampleAccessKey, tc.presigned)
			}
		})
	}
}

func TestClaimsOnlySigV2Requests(t *testing.T) {
	cases := []struct {
		name    string
		request []string
		want    bool
	}{
		{"an AWS header", []string{"GET /b HTTP/1.1", "Host: h", "Authorization: AWS ak:sig"}, true},
		{"a SigV4 header", []string{"GET /b HTTP/1.1", "Host: h", "Authorization: AWS4-HMAC-SHA256 Credential=x"}, false},
		{"a SigV2 presigned URL", []string{"GET /b?AWSAccessKeyId=ak&Expires=1&Signature=s HTTP/1.1", "Host: h"}, true},
		{"a SigV4 presigned URL", []string{"GET /b?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=x HTTP/1.1", "Host: h"}, false},
		{"a URL with both kinds of parameters", []string{"GET /b?AWSAccessKeyId=ak&X-Amz-Signature=s HTTP/1.1", "Host: h"}, false},
		{"a SigV2 URL with a SigV4 header", []string{"GET /b?AWSAccessKeyId=ak HTTP/1.1", "Host: h", "Authorization: AWS4-HMAC-SHA256 x"}, false},
		{"an anonymous request", []string{"GET /b HTTP/1.1", "Host: h"}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := Claims(wireRequest(t, tc.request...)); got != tc.want {
				t.Errorf("Claims = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestVerifyPolicyChecksTheBase64PolicyAsSent(t *testing.T) {
	policy := "eyJleHBpcmF0aW9uIjoiMjAyNi0xMi0wMVQwMDowMDowMFoiLCJjb25kaXRpb25zIjpbXX0="
	v := testVerifier(ruleTime)
	ctx := context.Background()
	if err := v.VerifyPolicy(ctx, exampleAccessKey, policy, hmacSHA1(exampleSecret, policy)); err != nil {
		t.Fatalf("VerifyPolicy: %v", err)
	}
	err := v.VerifyPolicy(ctx, exampleAccessKey, policy+"=", hmacSHA1(exampleSecret, policy))
	var mismatch *MismatchError
	if !errors.As(err, &mismatch) || mismatch.StringToSign != policy+"=" {
		t.Errorf("VerifyPolicy of another policy = %v, want a mismatch naming it", err)
	}
	if err := v.VerifyPolicy(ctx, "AKIAUNKNOWN", policy, hmacSHA1(exampleSecret, policy)); !errors.Is(err, ErrInvalidAccessKeyID) {
		t.Errorf("VerifyPolicy of an unknown key = %v, want InvalidAccessKeyId", err)
	}
}

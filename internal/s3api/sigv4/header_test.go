package sigv4

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// awkwardKeys are object keys whose encoding clients and servers get wrong.
var awkwardKeys = []struct{ name, key string }{
	{"a plain key", "photo.jpg"},
	{"a key with spaces", "my holiday photo.jpg"},
	{"a key with plus signs", "a+b+c.txt"},
	{"a key with unicode", "café/日本語/ünïcødé.txt"},
	{"a key with equals and ampersands", "k=v&x=y"},
	{"a key with a literal percent", "100%/50%25 off"},
	{"a key with unreserved punctuation", "tilde~dash-under_score.dot"},
	{"a key with reserved punctuation", "!$&'()*,;:@[]"},
	{"a key with question mark and hash", "what?#now"},
	{"a key with nested and doubled slashes", "dir//sub/dir/"},
	{"a key with quotes and angle brackets", `say "hi" <b>`},
	{"a key with control-ish bytes", "tab\there"},
}

func TestVerifyAcceptsHeaderSignaturesFromTheSDK(t *testing.T) {
	body := []byte("hello, quarry")
	for _, tc := range awkwardKeys {
		t.Run(tc.name, func(t *testing.T) {
			r := signedRequest(t, http.MethodPut, objectTarget("bucket", tc.key, ""), body, sha256HexOf(body), testSecret, nil)
			res, err := testVerifier(signTime).Verify(r)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if res.AccessKey != testAccessKey || res.Presigned {
				t.Errorf("result = %+v, want access key %s, not presigned", res, testAccessKey)
			}
			got, err := readBody(t, res)
			if err != nil || !bytes.Equal(got, body) {
				t.Errorf("body = %q, %v; want %q", got, err, body)
			}
			if res.ContentLength != int64(len(body)) {
				t.Errorf("ContentLength = %d, want %d", res.ContentLength, len(body))
			}
		})
	}
}

func TestVerifyAcceptsAwkwardQueryStrings(t *testing.T) {
	queries := []struct{ name, query string }{
		{"a valueless subresource", "uploads"},
		{"a list with prefix and delimiter", "list-type=2&prefix=a%20b%2Fc&delimiter=%2F"},
		{"a plus meaning a space", "prefix=a+b"},
		{"an encoded plus", "prefix=a%2Bb"},
		{"repeated names out of order", "a=2&a=1&A=3"},
		{"unicode values", "prefix=%E6%97%A5%E6%9C%AC"},
		{"response overrides with quotes and semicolons", "response-content-disposition=attachment%3B%20filename%3D%22x%20y.txt%22"},
		{"values that sort differently encoded", "marker=a%2Fb&marker=a-b"},
		{"empty values and tildes", "versionId=&uploadId=abc~def&partNumber=1"},
	}
	for _, tc := range queries {
		t.Run(tc.name, func(t *testing.T) {
			r := signedRequest(t, http.MethodGet, objectTarget("bucket", "some key", tc.query), nil, emptySHA256, testSecret, nil)
			if _, err := testVerifier(signTime).Verify(r); err != nil {
				t.Fatalf("Verify: %v", err)
			}
		})
	}
}

func TestVerifyCanonicalisesHeaderValuesAsTheSDKDoes(t *testing.T) {
	r := signedRequest(t, http.MethodPut, "/bucket/key", []byte("x"), sha256HexOf([]byte("x")), testSecret, func(r *http.Request) {
		r.Header.Set("X-Amz-Meta-Note", "  spaced    out   value ")
		r.Header.Add("X-Amz-Meta-Multi", "first")
		r.Header.Add("X-Amz-Meta-Multi", "second  value")
		r.Header.Set("Content-Type", "text/plain;  charset=utf-8")
	})
	if _, err := testVerifier(signTime).Verify(r); err != nil {
		t.Fatalf("Verify: %v", err)
	}
}

func TestVerifyRejectsBadHeaderSignedRequests(t *testing.T) {
	body := []byte("payload")
	hash := sha256HexOf(body)
	sign := func(t *testing.T) *http.Request {
		return signedRequest(t, http.MethodPut, objectTarget("bucket", "key one", "tagging"), body, hash, testSecret, func(r *http.Request) {
			r.Header.Set("X-Amz-Meta-Color", "blue")
		})
	}
	cases := []struct {
		name     string
		request  func(t *testing.T) *http.Request
		verifier *Verifier
		want     error
		text     string
	}{
		{
			name: "a request signed with the wrong secret",
			request: func(t *testing.T) *http.Request {
				return signedRequest(t, http.MethodGet, "/bucket/key", nil, emptySHA256, "wrong", nil)
			},
			want: ErrSignatureDoesNotMatch,
		},
		{
			name:    "a request with a signed header changed after signing",
			request: func(t *testing.T) *http.Request { r := sign(t); r.Header.Set("X-Amz-Meta-Color", "red"); return r },
			want:    ErrSignatureDoesNotMatch,
		},
		{
			name:    "a request with its query changed after signing",
			request: func(t *testing.T) *http.Request { r := sign(t); r.URL.RawQuery = "acl"; return r },
			want:    ErrSignatureDoesNotMatch,
		},
		{
			name:    "a request with a query parameter added after signing",
			request: func(t *testing.T) *http.Request { r := sign(t); r.URL.RawQuery += "&versionId=1"; return r },
			want:    ErrSignatureDoesNotMatch,
		},
		{
			name: "a request sent to another key",
			request: func(t *testing.T) *http.Request {
				r := sign(t)
				r.URL.Path, r.URL.RawPath, r.RequestURI = "/bucket/key two", "", "/bucket/key%20two?tagging"
				return r
			},
			want: ErrSignatureDoesNotMatch,
		},
		{
			name:    "a request sent to another host",
			request: func(t *testing.T) *http.Request { r := sign(t); r.Host = "evil.test"; return r },
			want:    ErrSignatureDoesNotMatch,
		},
		{
			name:    "a request with the method changed",
			request: func(t *testing.T) *http.Request { r := sign(t); r.Method = http.MethodPost; return r },
			want:    ErrSignatureDoesNotMatch,
		},
		{
			name: "a request with its payload hash swapped for UNSIGNED-PAYLOAD",
			request: func(t *testing.T) *http.Request {
				r := sign(t)
				r.Header.Set("X-Amz-Content-Sha256", unsignedPayload)
				return r
			},
			want: ErrSignatureDoesNotMatch,
		},
		{
			name: "a request from an unknown access key",
			request: func(t *testing.T) *http.Request {
				r := sign(t)
				r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), testAccessKey, "AKIAUNKNOWN", 1))
				return r
			},
			want: ErrInvalidAccessKeyID,
		},
		{
			name:     "a request signed more than 15 minutes ago",
			request:  sign,
			verifier: testVerifier(signTime.Add(16 * time.Minute)),
			want:     ErrRequestTimeTooSkewed,
		},
		{
			name:     "a request signed more than 15 minutes in the future",
			request:  sign,
			verifier: testVerifier(signTime.Add(-16 * time.Minute)),
			want:     ErrRequestTimeTooSkewed,
		},
		{
			name:     "a request signed for another region",
			request:  sign,
			verifier: &Verifier{Region: "eu-west-1", Now: func() time.Time { return signTime }, Lookup: testVerifier(signTime).Lookup},
			want:     ErrAuthorizationHeaderMalformed,
			text:     "the region 'us-east-1' is wrong; expecting 'eu-west-1'",
		},
		{
			name:     "a request signed for another service",
			request:  sign,
			verifier: &Verifier{Region: testRegion, Service: "sqs", Now: func() time.Time { return signTime }, Lookup: testVerifier(signTime).Lookup},
			want:     ErrAuthorizationHeaderMalformed,
		},
		{
			name: "a request whose credential date is not its X-Amz-Date",
			request: func(t *testing.T) *http.Request {
				r := sign(t)
				r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "/20261128/", "/20261127/", 1))
				return r
			},
			want: ErrAuthorizationHeaderMalformed,
		},
		{
			name: "a request without x-amz-content-sha256",
			request: func(t *testing.T) *http.Request {
				return signedRequest(t, http.MethodGet, "/bucket/key", nil, "", testSecret, nil)
			},
			want: ErrMissingSecurityHeader,
		},
		{
			name: "a request whose x-amz-content-sha256 is not a digest",
			request: func(t *testing.T) *http.Request {
				return signedRequest(t, http.MethodGet, "/bucket/key", nil, "not-a-digest", testSecret, nil)
			},
			want: ErrInvalidDigest,
		},
		{
			name: "a request without any date",
			request: func(t *testing.T) *http.Request {
				r := sign(t)
				r.Header.Del("X-Amz-Date")
				return r
			},
			want: ErrAccessDenied,
		},
		{
			name: "an anonymous request",
			request: func(t *testing.T) *http.Request {
				r := sign(t)
				r.Header.Del("Authorization")
				return r
			},
			want: ErrAccessDenied,
		},
		{
			name: "a SigV2 request",
			request: func(t *testing.T) *http.Request {
				r := sign(t)
				r.Header.Set("Authorization", "AWS "+testAccessKey+":frJIUN8DYpKDtOLCwo//yllqDzg=")
				return r
			},
			want: ErrUnsupportedAlgorithm,
		},
		{
			name: "a SigV4A request",
			request: func(t *testing.T) *http.Request {
				r := sign(t)
				r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256", "AWS4-ECDSA-P256-SHA256", 1))
				return r
			},
			want: ErrUnsupportedAlgorithm,
		},
		{
			name: "a request whose signed headers leave out host",
			request: func(t *testing.T) *http.Request {
				r := sign(t)
				r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "host;", "", 1))
				return r
			},
			want: ErrAuthorizationHeaderMalformed,
		},
		{
			name: "a request with a truncated signature",
			request: func(t *testing.T) *http.Request {
				r := sign(t)
				auth := r.Header.Get("Authorization")
				r.Header.Set("Authorization", auth[:len(auth)-2])
				return r
			},
			want: ErrAuthorizationHeaderMalformed,
		},
		{
			name: "a request with both an Authorization header and a query signature",
			request: func(t *testing.T) *http.Request {
				r := sign(t)
				r.URL.RawQuery += "&X-Amz-Signature=00"
				return r
			},
			want: ErrAuthorizationQueryParamsError,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := tc.verifier
			if v == nil {
				v = testVerifier(signTime)
			}
			res, err := v.Verify(tc.request(t))
			if !errors.Is(err, tc.want) {
				t.Fatalf("Verify = %+v, %v; want %v", res, err, tc.want)
			}
			if tc.text != "" && !strings.Contains(err.Error(), tc.text) {
				t.Errorf("error %q does not say %q", err, tc.text)
			}
		})
	}
}

func TestVerifyAcceptsClockSkewWithinTheLimit(t *testing.T) {
	for _, offset := range []time.Duration{-14 * time.Minute, 14 * time.Minute} {
		r := signedRequest(t, http.MethodGet, "/bucket/key", nil, emptySHA256, testSecret, nil)
		if _, err := testVerifier(signTime.Add(offset)).Verify(r); err != nil {
			t.Errorf("clock off by %s: Verify: %v", offset, err)
		}
	}
}

func TestSignedPayloadHashIsCheckedAtEOF(t *testing.T) {
	signed := []byte("the body that was signed")
	cases := []struct {
		name string
		sent []byte
		want error
	}{
		{"the signed body reads through", signed, nil},
		{"a body with one byte changed fails at its end", []byte("the body that was signeD"), ErrXAmzContentSHA256Mismatch},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := signedRequest(t, http.MethodPut, "/bucket/key", signed, sha256HexOf(signed), testSecret, nil)
			r.Body = io.NopCloser(bytes.NewReader(tc.sent))
			res, err := testVerifier(signTime).Verify(r)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			got, err := readBody(t, res)
			if !errors.Is(err, tc.want) {
				t.Fatalf("reading body: %v, want %v", err, tc.want)
			}
			if tc.want == nil && !bytes.Equal(got, signed) {
				t.Errorf("body = %q, want %q", got, signed)
			}
			if _, again := res.Body.Read(make([]byte, 1)); tc.want != nil && !errors.Is(again, tc.want) {
				t.Errorf("second read after mismatch = %v, want the same error again", again)
			}
		})
	}
}

func TestUnsignedPayloadPassesTheBodyThrough(t *testing.T) {
	body := []byte("anything at all")
	r := signedRequest(t, http.MethodPut, "/bucket/key", body, unsignedPayload, testSecret, nil)
	res, err := testVerifier(signTime).Verify(r)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	got, err := readBody(t, res)
	if err != nil || !bytes.Equal(got, body) {
		t.Errorf("body = %q, %v; want %q", got, err, body)
	}
	if res.Trailer() != nil {
		t.Errorf("Trailer() = %v, want nil", res.Trailer())
	}
}

// Clients other than the SDKs may leave sub-delimiters unescaped in the path
// and sign the path exactly as they sent it.
func TestVerifyAcceptsPathsSignedAsSent(t *testing.T) {
	for _, target := range []string{"/bucket/a+b", "/bucket/it's(a)!key*", "/bucket/k=v;x,y$z@w:q&r"} {
		t.Run(target, func(t *testing.T) {
			r := signedRequest(t, http.MethodGet, target, nil, emptySHA256, testSecret, nil)
			if _, err := testVerifier(signTime).Verify(r); err != nil {
				t.Fatalf("Verify: %v", err)
			}
		})
	}
}

// A client that signed for the wrong region (s3cmd signs for "US" on its
// defaults) learns from the error which region to sign for.
func TestAWrongRegionSaysWhichRegionToSignFor(t *testing.T) {
	verifier := &Verifier{Region: "eu-west-1", Now: func() time.Time { return signTime }, Lookup: testVerifier(signTime).Lookup}
	tests := []struct {
		name      string
		request   *http.Request
		malformed error
	}{
		{"an Authorization header", signedRequest(t, http.MethodGet, "/", nil, emptySHA256, testSecret, nil), ErrAuthorizationHeaderMalformed},
		{"a presigned URL", presignedRequest(t, http.MethodGet, "/bucket/key", time.Hour, testSecret, nil), ErrAuthorizationQueryParamsError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := verifier.Verify(tt.request)
			var wrong *WrongRegionError
			if !errors.As(err, &wrong) || !errors.Is(err, tt.malformed) {
				t.Fatalf("Verify = %v, want a WrongRegionError wrapping %v", err, tt.malformed)
			}
			if wrong.Got != testRegion || wrong.Want != "eu-west-1" {
				t.Errorf("WrongRegionError = %+v, want got %s, want eu-west-1", wrong, testRegion)
			}
		})
	}
}

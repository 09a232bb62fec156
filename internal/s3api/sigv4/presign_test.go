package sigv4

import (
	"bytes"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestVerifyAcceptsPresignedURLsFromTheSDK(t *testing.T) {
	for _, tc := range awkwardKeys {
		t.Run(tc.name, func(t *testing.T) {
			target := objectTarget("bucket", tc.key, "response-content-type=text%2Fplain&prefix=a%20b")
			r := presignedRequest(t, http.MethodGet, target, time.Hour, testSecret, nil)
			res, err := testVerifier(signTime.Add(59 * time.Minute)).Verify(r)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if !res.Presigned || res.AccessKey != testAccessKey {
				t.Errorf("result = %+v, want presigned by %s", res, testAccessKey)
			}
		})
	}
}

func TestPresignedPutPassesItsBodyThroughUnsigned(t *testing.T) {
	body := []byte("uploaded through a presigned URL")
	r := presignedRequest(t, http.MethodPut, "/bucket/upload.bin", 10*time.Minute, testSecret, body)
	res, err := testVerifier(signTime).Verify(r)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	got, err := readBody(t, res)
	if err != nil || !bytes.Equal(got, body) {
		t.Errorf("body = %q, %v; want %q", got, err, body)
	}
}

func TestVerifyRejectsBadPresignedURLs(t *testing.T) {
	presign := func(t *testing.T) *http.Request {
		return presignedRequest(t, http.MethodGet, "/bucket/key?versionId=7", time.Hour, testSecret, nil)
	}
	editQuery := func(edit func(string) string) func(t *testing.T) *http.Request {
		return func(t *testing.T) *http.Request {
			r := presign(t)
			r.URL.RawQuery = edit(r.URL.RawQuery)
			return r
		}
	}
	cases := []struct {
		name    string
		request func(t *testing.T) *http.Request
		now     time.Time
		want    error
		text    string
	}{
		{
			name:    "a URL used after it expired",
			request: presign,
			now:     signTime.Add(time.Hour + time.Second),
			want:    ErrAccessDenied,
			text:    "Request has expired",
		},
		{
			name:    "a URL used before its date, beyond the allowed skew",
			request: presign,
			now:     signTime.Add(-16 * time.Minute),
			want:    ErrAccessDenied,
			text:    "Request is not valid yet",
		},
		{
			name: "a URL signed with the wrong secret",
			request: func(t *testing.T) *http.Request {
				return presignedRequest(t, http.MethodGet, "/bucket/key", time.Hour, "wrong", nil)
			},
			want: ErrSignatureDoesNotMatch,
		},
		{
			name:    "a URL whose expiry was extended after signing",
			request: editQuery(func(q string) string { return strings.Replace(q, "X-Amz-Expires=3600", "X-Amz-Expires=7200", 1) }),
			now:     signTime.Add(90 * time.Minute),
			want:    ErrSignatureDoesNotMatch,
		},
		{
			name:    "a URL whose query was changed after signing",
			request: editQuery(func(q string) string { return strings.Replace(q, "versionId=7", "versionId=8", 1) }),
			want:    ErrSignatureDoesNotMatch,
		},
		{
			name:    "a URL used with another method",
			request: func(t *testing.T) *http.Request { r := presign(t); r.Method = http.MethodDelete; return r },
			want:    ErrSignatureDoesNotMatch,
		},
		{
			name:    "a URL without a signature",
			request: editQuery(func(q string) string { return q[:strings.Index(q, "&X-Amz-Signature=")] }),
			want:    ErrAuthorizationQueryParamsError,
		},
		{
			name:    "a URL valid for more than a week",
			request: editQuery(func(q string) string { return strings.Replace(q, "X-Amz-Expires=3600", "X-Amz-Expires=604801", 1) }),
			want:    ErrAuthorizationQueryParamsError,
		},
		{
			name:    "a URL valid for no time at all",
			request: editQuery(func(q string) string { return strings.Replace(q, "X-Amz-Expires=3600", "X-Amz-Expires=0", 1) }),
			want:    ErrAccessDenied,
			text:    "Request has expired",
		},
		{
			name:    "a URL with a negative lifetime",
			request: editQuery(func(q string) string { return strings.Replace(q, "X-Amz-Expires=3600", "X-Amz-Expires=-1", 1) }),
			want:    ErrAuthorizationQueryParamsError,
			text:    "X-Amz-Expires must be non-negative",
		},
		{
			name:    "a URL whose lifetime is no number",
			request: editQuery(func(q string) string { return strings.Replace(q, "X-Amz-Expires=3600", "X-Amz-Expires=soon", 1) }),
			want:    ErrAuthorizationQueryParamsError,
			text:    "X-Amz-Expires should be a number",
		},
		{
			name:    "a URL signed for another region",
			request: editQuery(func(q string) string { return strings.Replace(q, "%2Fus-east-1%2F", "%2Feu-west-1%2F", 1) }),
			want:    ErrAuthorizationQueryParamsError,
			text:    "the region 'eu-west-1' is wrong; expecting 'us-east-1'",
		},
		{
			name:    "a URL from an unknown access key",
			request: editQuery(func(q string) string { return strings.Replace(q, testAccessKey, "AKIAUNKNOWN", 1) }),
			want:    ErrInvalidAccessKeyID,
		},
		{
			name:    "a URL with another signing algorithm",
			request: editQuery(func(q string) string { return strings.Replace(q, "AWS4-HMAC-SHA256", "AWS4-ECDSA-P256-SHA256", 1) }),
			want:    ErrUnsupportedAlgorithm,
		},
		{
			name: "a SigV2 presigned URL",
			request: func(t *testing.T) *http.Request {
				r := presign(t)
				r.URL.RawQuery = "AWSAccessKeyId=" + testAccessKey + "&Expires=1900000000&Signature=abc%3D"
				return r
			},
			want: ErrUnsupportedAlgorithm,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			now := tc.now
			if now.IsZero() {
				now = signTime
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

func TestPresignedURLIsValidUntilItsLastSecond(t *testing.T) {
	r := presignedRequest(t, http.MethodGet, "/bucket/key", time.Hour, testSecret, nil)
	if _, err := testVerifier(signTime.Add(time.Hour)).Verify(r); err != nil {
		t.Fatalf("Verify at expiry: %v", err)
	}
}

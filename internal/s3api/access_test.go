package s3api

import (
	"net/http/httptest"
	"strings"
	"testing"
)

func TestTheAccessKeyARequestClaimsIsReadWithoutTheRestOfItsCredential(t *testing.T) {
	for _, c := range []struct {
		name, target, authorization, want string
	}{
		{"a signed header", "/b/k",
			"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=" + strings.Repeat("a", 64),
			"AKIDEXAMPLE"},
		{"a presigned URL", "/b/k?X-Amz-Credential=AKPRESIGN%2F20260101%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Signature=abc", "", "AKPRESIGN"},
		{"no credential", "/b/k", "", ""},
		{"a credential without a scope", "/b/k", "AWS4-HMAC-SHA256 Credential=JUSTAKEY", ""},
		{"an absurdly long one", "/b/k", "AWS4-HMAC-SHA256 Credential=" + strings.Repeat("K", 200) + "/x", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", c.target, nil)
			if c.authorization != "" {
				r.Header.Set("Authorization", c.authorization)
			}
			if got := claimedAccessKey(r); got != c.want {
				t.Fatalf("claimed access key %q, want %q", got, c.want)
			}
		})
	}
}

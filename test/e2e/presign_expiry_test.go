package e2e

import (
	"encoding/xml"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// presignWithExpires presigns method on target with X-Amz-Expires set to
// expires as is (the SDK's presigner refuses the values tested here), at
// signTime.
func presignWithExpires(t *testing.T, method, target, expires string, signTime time.Time) string {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, sharedSrv.S3URL+target, nil)
	if err != nil {
		t.Fatal(err)
	}
	q := req.URL.Query()
	q.Set("X-Amz-Expires", expires)
	req.URL.RawQuery = q.Encode()
	creds := aws.Credentials{AccessKeyID: rootAccessKey, SecretAccessKey: rootSecretKey}
	signed, _, err := v4.NewSigner().PresignHTTP(t.Context(), creds, req, "UNSIGNED-PAYLOAD", "s3", testRegion, signTime)
	if err != nil {
		t.Fatalf("presign: %v", err)
	}
	return signed
}

// presignedError is the body of an error answer to a presigned URL.
type presignedError struct {
	Code, Message string
	XAmzExpires   string `xml:"X-Amz-Expires"`
	Expires       string
	ServerTime    string
}

func sendPresigned(t *testing.T, method, u string, body string) (int, presignedError) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, u, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s presigned: %v", method, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var e presignedError
	if resp.StatusCode != http.StatusOK {
		if err := xml.Unmarshal(raw, &e); err != nil {
			t.Fatalf("%s presigned: %d with a body that is no S3 error: %s", method, resp.StatusCode, raw)
		}
	}
	return resp.StatusCode, e
}

func TestPresignedURLExpiryAnswersAsS3Does(t *testing.T) {
	t.Parallel()
	c := rootClient()
	bucket := newBucket(t, c)
	putObject(t, c, bucket, "obj", []byte("data"))
	target := "/" + bucket + "/obj"
	now := time.Now()

	for _, tt := range []struct {
		name, expires string
		status        int
		code, message string
	}{
		{"no lifetime at all", "0", http.StatusForbidden, "AccessDenied", "Request has expired"},
		{"a negative lifetime", "-1", http.StatusBadRequest, "AuthorizationQueryParametersError", "X-Amz-Expires must be non-negative"},
		{"a lifetime that is no number", "soon", http.StatusBadRequest, "AuthorizationQueryParametersError", "X-Amz-Expires should be a number"},
		{"a lifetime over a week", "604801", http.StatusBadRequest, "AuthorizationQueryParametersError",
			"X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be less than 604800 seconds"},
		{"a lifetime of exactly a week", "604800", http.StatusOK, "", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			status, e := sendPresigned(t, http.MethodGet, presignWithExpires(t, http.MethodGet, target, tt.expires, now), "")
			if status != tt.status || e.Code != tt.code || e.Message != tt.message {
				t.Errorf("GET with X-Amz-Expires=%s: %d %s %q, want %d %s %q", tt.expires, status, e.Code, e.Message, tt.status, tt.code, tt.message)
			}
			if tt.status == http.StatusOK {
				return
			}
			// A refused presigned PUT stores nothing.
			key := "put-" + url.QueryEscape(tt.expires)
			status, _ = sendPresigned(t, http.MethodPut, presignWithExpires(t, http.MethodPut, "/"+bucket+"/"+key, tt.expires, now), "x")
			if status != tt.status {
				t.Errorf("PUT with X-Amz-Expires=%s: %d, want %d", tt.expires, status, tt.status)
			}
			_, err := c.HeadObject(t.Context(), &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
			wantErr(t, "HeadObject after a refused presigned PUT", err, http.StatusNotFound, "")
		})
	}

	t.Run("a URL used after its lifetime", func(t *testing.T) {
		signed := time.Now().Add(-10 * time.Second).UTC().Truncate(time.Second)
		status, e := sendPresigned(t, http.MethodGet, presignWithExpires(t, http.MethodGet, target, "3", signed), "")
		wantExpires := signed.Add(3 * time.Second).Format("2006-01-02T15:04:05Z")
		if status != http.StatusForbidden || e.Code != "AccessDenied" || e.Message != "Request has expired" ||
			e.XAmzExpires != "3" || e.Expires != wantExpires {
			t.Fatalf("expired GET: %d %+v, want 403 AccessDenied \"Request has expired\" with X-Amz-Expires 3 and Expires %s", status, e, wantExpires)
		}
		server, err := time.Parse("2006-01-02T15:04:05Z", e.ServerTime)
		if err != nil || server.Before(signed.Add(3*time.Second)) || server.After(time.Now().Add(time.Second)) {
			t.Errorf("ServerTime %q (%v), want the server's time, after the expiry", e.ServerTime, err)
		}
	})
}

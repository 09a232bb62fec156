package s3api

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// signedFor is a raw request signed by u for region instead of the
// server's.
func (ts *testServer) signedFor(u testUser, region, method, path string) *http.Request {
	ts.t.Helper()
	req, err := http.NewRequest(method, ts.srv.URL+path, nil)
	if err != nil {
		ts.t.Fatal(err)
	}
	sum := sha256.Sum256(nil)
	hash := hex.EncodeToString(sum[:])
	req.Header.Set("X-Amz-Content-Sha256", hash)
	creds := aws.Credentials{AccessKeyID: u.accessKey, SecretAccessKey: u.secretKey}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hash, "s3", region, time.Now()); err != nil {
		ts.t.Fatal(err)
	}
	return req
}

// A request signed for another region is refused with the region to sign
// for in <Region>, as AWS answers: s3cmd, which signs for "US" on its
// defaults, reads it and signs again.
func TestAWrongRegionIsRefusedNamingTheRightOne(t *testing.T) {
	ts := newTestServer(t)
	ts.mustCreateBucket(ts.alice, "here")
	for _, tt := range []struct{ name, region, method, path string }{
		{"s3cmd's default region on ListBuckets", "US", http.MethodGet, "/"},
		{"s3cmd's default region on CreateBucket", "US", http.MethodPut, "/new-bucket"},
		{"another AWS region on a bucket", "eu-west-1", http.MethodGet, "/here"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			status, _, body := ts.do(ts.signedFor(ts.alice, tt.region, tt.method, tt.path))
			var e struct {
				Code, Message, Region string
			}
			if err := xml.Unmarshal([]byte(body), &e); err != nil {
				t.Fatalf("%d %s: %v", status, body, err)
			}
			if status != http.StatusBadRequest || e.Code != "AuthorizationHeaderMalformed" || e.Region != "us-east-1" {
				t.Fatalf("got %d %s, want 400 AuthorizationHeaderMalformed with <Region>us-east-1</Region>", status, body)
			}
			want := "The authorization header is malformed; the region '" + tt.region + "' is wrong; expecting 'us-east-1'"
			if e.Message != want {
				t.Errorf("message %q, want %q", e.Message, want)
			}
		})
	}
	if _, err := ts.client(ts.alice).HeadBucket(context.Background(), &s3.HeadBucketInput{Bucket: aws.String("new-bucket")}); err == nil {
		t.Fatal("a CreateBucket signed for the wrong region created the bucket")
	}
	// Errors that are not about the region carry no <Region>, so a client
	// never retries them in a loop.
	req := ts.signedFor(ts.alice, "us-east-1", http.MethodGet, "/")
	req.Header.Set("Authorization", req.Header.Get("Authorization")+",Junk")
	if _, _, body := ts.do(req); !strings.Contains(body, "AuthorizationHeaderMalformed") || strings.Contains(body, "<Region>") {
		t.Fatalf("a malformed header answered %s, want AuthorizationHeaderMalformed without <Region>", body)
	}
}

func TestCreateBucketLocationConstraintsOfThisRegion(t *testing.T) {
	ts := newTestServer(t)
	c := ts.client(ts.alice)
	for _, tt := range []struct {
		name, bucket string
		constraint   types.BucketLocationConstraint
		ok           bool
	}{
		{"US, the old name of us-east-1", "lc-us", "US", true},
		{"us-east-1 itself", "lc-us-east-1", "us-east-1", true},
		{"EU, which AWS documents as eu-west-1", "lc-eu", "EU", false},
		{"eu-west-1", "lc-eu-west-1", "eu-west-1", false},
		{"us in lower case, which AWS does not know", "lc-lower-us", "us", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(tt.bucket),
				CreateBucketConfiguration: &types.CreateBucketConfiguration{LocationConstraint: tt.constraint}})
			if tt.ok && err != nil {
				t.Fatalf("CreateBucket with %q: %v", tt.constraint, err)
			}
			if !tt.ok {
				wantCode(t, err, "IllegalLocationConstraintException", http.StatusBadRequest)
			}
		})
	}
}

func TestLocationRegionMapsAWSAliases(t *testing.T) {
	for constraint, want := range map[string]string{
		"US": "us-east-1", "EU": "eu-west-1", "eu-west-1": "eu-west-1", "ap-south-1": "ap-south-1", "eu": "eu",
	} {
		if got := locationRegion(constraint); got != want {
			t.Errorf("locationRegion(%q) = %q, want %q", constraint, got, want)
		}
	}
}

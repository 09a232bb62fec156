package replication

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/quarrylabs/quarry/internal/meta"
)

func TestCreateTargetRejectsInvalidFields(t *testing.T) {
	valid := TargetInput{Name: "dr-site_1.x", Endpoint: "https://s3.example.com:9000", AccessKey: "AK", SecretKey: "SK", Bucket: "backup-01"}
	tests := []struct {
		name   string
		change func(*TargetInput)
	}{
		{"an empty name", func(in *TargetInput) { in.Name = "" }},
		{"a name of 65 characters", func(in *TargetInput) { in.Name = strings.Repeat("n", 65) }},
		{"a name with a space", func(in *TargetInput) { in.Name = "dr site" }},
		{"a name with a slash", func(in *TargetInput) { in.Name = "dr/site" }},
		{"an endpoint without scheme", func(in *TargetInput) { in.Endpoint = "s3.example.com" }},
		{"an ftp endpoint", func(in *TargetInput) { in.Endpoint = "ftp://s3.example.com" }},
		{"an endpoint without host", func(in *TargetInput) { in.Endpoint = "http://" }},
		{"an endpoint with credentials", func(in *TargetInput) { in.Endpoint = "http://u:p@s3.example.com" }},
		{"an endpoint with a query", func(in *TargetInput) { in.Endpoint = "http://s3.example.com/?x=1" }},
		{"an endpoint with an empty query", func(in *TargetInput) { in.Endpoint = "http://s3.example.com/?" }},
		{"an endpoint with a fragment", func(in *TargetInput) { in.Endpoint = "http://s3.example.com/#top" }},
		{"an endpoint with an empty fragment", func(in *TargetInput) { in.Endpoint = "http://s3.example.com#" }},
		{"an endpoint with a path", func(in *TargetInput) { in.Endpoint = "http://s3.example.com/s3" }},
		{"an endpoint with port 0", func(in *TargetInput) { in.Endpoint = "http://s3.example.com:0" }},
		{"an endpoint with port 65536", func(in *TargetInput) { in.Endpoint = "http://s3.example.com:65536" }},
		{"an endpoint with an empty port", func(in *TargetInput) { in.Endpoint = "http://s3.example.com:" }},
		{"an endpoint with a port that is not a number", func(in *TargetInput) { in.Endpoint = "http://s3.example.com:http" }},
		{"an opaque endpoint", func(in *TargetInput) { in.Endpoint = "http:s3.example.com" }},
		{"a relative endpoint", func(in *TargetInput) { in.Endpoint = "//s3.example.com:9000" }},
		{"a bucket in upper case", func(in *TargetInput) { in.Bucket = "Backup" }},
		{"a bucket of two characters", func(in *TargetInput) { in.Bucket = "ab" }},
		{"a bucket that is an IP address", func(in *TargetInput) { in.Bucket = "10.0.0.1" }},
		{"a bucket with two dots in a row", func(in *TargetInput) { in.Bucket = "a..b" }},
		{"a region with a slash", func(in *TargetInput) { in.Region = "eu/west" }},
		{"no access key", func(in *TargetInput) { in.AccessKey = "" }},
		{"no secret key", func(in *TargetInput) { in.SecretKey = "" }},
	}
	h := newCtlHarness(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := valid
			tt.change(&in)
			_, err := h.svc.CreateTarget(h.ctx, ctlAdmin, in)
			wantIs(t, err, ErrInvalidTarget)
		})
	}
	if list, _ := h.svc.ListTargets(h.ctx, ctlAdmin); len(list) != 0 {
		t.Fatalf("invalid targets were stored: %v", list)
	}
	if _, err := h.svc.CreateTarget(h.ctx, ctlAdmin, valid); err != nil {
		t.Fatalf("the valid input was refused: %v", err)
	}
}

func TestCreateTargetAcceptsEndpointsWithOrWithoutAPort(t *testing.T) {
	h := newCtlHarness(t)
	for i, endpoint := range []string{
		"http://s3.example.com", "https://s3.example.com/", "http://127.0.0.1:9000", "https://[::1]:65535/", "HTTPS://S3.example.com:1",
	} {
		in := TargetInput{Name: fmt.Sprint("t", i), Endpoint: endpoint, AccessKey: "AK", SecretKey: "SK", Bucket: "backup"}
		if _, err := h.svc.CreateTarget(h.ctx, ctlAdmin, in); err != nil {
			t.Errorf("endpoint %q refused: %v", endpoint, err)
		}
	}
}

func TestACreatedTargetHasAnARNAndASealedSecret(t *testing.T) {
	h := newCtlHarness(t)
	tg := h.target("dr", "http://remote.example:9000/")
	if !regexp.MustCompile(`^arn:quarry:replication:eu-test-1:[0-9a-f]{12}:remote-dr$`).MatchString(tg.ARN) {
		t.Fatalf("ARN %q", tg.ARN)
	}
	if tg.Region != DefaultRegion || tg.Endpoint != "http://remote.example:9000" || tg.SecretEnc != nil || tg.OwnerID != ctlAdmin.UserID {
		t.Fatalf("target %+v", tg)
	}
	var stored *meta.ReplicationTarget
	err := h.meta.View(h.ctx, func(tx meta.Tx) error {
		var err error
		stored, err = tx.GetReplicationTarget(tg.ARN)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(stored.SecretEnc) == 0 || bytes.Contains(stored.SecretEnc, []byte("secret-dr")) {
		t.Fatalf("the secret is stored in clear or not at all: %q", stored.SecretEnc)
	}
	got, secret, err := h.svc.Target(h.ctx, tg.ARN)
	if err != nil || secret != "secret-dr" || got.AccessKey != "AKdr" || got.Bucket != "remote-dr" {
		t.Fatalf("Target gave %+v, %q, %v", got, secret, err)
	}
	list, err := h.svc.ListTargets(h.ctx, ctlAdmin)
	if err != nil || len(list) != 1 || list[0].ARN != tg.ARN || list[0].SecretEnc != nil {
		t.Fatalf("list %+v, %v", list, err)
	}
	_, _, err = h.svc.Target(h.ctx, "arn:quarry:replication:eu-test-1:000000000000:nope")
	wantIs(t, err, ErrNoSuchTarget)
}

func TestTargetNamesAreUnique(t *testing.T) {
	h := newCtlHarness(t)
	h.target("dr", "http://a.example")
	_, err := h.svc.CreateTarget(h.ctx, ctlAdmin, TargetInput{Name: "dr", Endpoint: "http://b.example", AccessKey: "a", SecretKey: "s", Bucket: "other"})
	wantIs(t, err, ErrTargetExists)
}

func TestATargetInUseCannotBeDeleted(t *testing.T) {
	h := newCtlHarness(t)
	h.bucket("src", meta.VersioningEnabled)
	tg := h.target("dr", "http://a.example")
	wantIs(t, h.svc.DeleteTarget(h.ctx, ctlAdmin, "arn:quarry:replication:eu-test-1:000000000000:x"), ErrNoSuchTarget)
	cfg := &Config{Rules: []Rule{{ID: "all", Enabled: true, DestinationARN: tg.ARN}}}
	if err := h.svc.PutBucketReplication(h.ctx, ctlAlice, "src", cfg); err != nil {
		t.Fatal(err)
	}
	err := h.svc.DeleteTarget(h.ctx, ctlAdmin, tg.ARN)
	wantIs(t, err, ErrTargetInUse)
	if !strings.Contains(err.Error(), "src") {
		t.Fatalf("%q does not name the bucket", err)
	}
	if err := h.svc.DeleteBucketReplication(h.ctx, ctlAlice, "src"); err != nil {
		t.Fatal(err)
	}
	if err := h.svc.DeleteTarget(h.ctx, ctlAdmin, tg.ARN); err != nil {
		t.Fatalf("delete an unused target: %v", err)
	}
	if list, _ := h.svc.ListTargets(h.ctx, ctlAdmin); len(list) != 0 {
		t.Fatalf("targets left: %v", list)
	}
}

// fakeS3 answers HeadBucket: 200 for its bucket with the right access key,
// 403 for another key, 404 for another bucket. It records the requests.
type fakeS3 struct {
	mu       sync.Mutex
	requests []string
}

func (f *fakeS3) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.requests = append(f.requests, r.Method+" "+r.URL.Path)
	f.mu.Unlock()
	switch {
	case !strings.Contains(r.Header.Get("Authorization"), "Credential=AKgood/"):
		w.WriteHeader(http.StatusForbidden)
	case r.Method == http.MethodHead && r.URL.Path == "/remote-good":
		w.WriteHeader(http.StatusOK)
	default:
		w.WriteHeader(http.StatusNotFound)
	}
}

func TestTestTargetSaysWhyATargetFails(t *testing.T) {
	fake := &fakeS3{}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	deadEndpoint := "http://" + closed.Addr().String()
	closed.Close()

	h := newCtlHarness(t)
	create := func(name, endpoint, accessKey, bucket string) string {
		tg, err := h.svc.CreateTarget(h.ctx, ctlAdmin, TargetInput{Name: name, Endpoint: endpoint, AccessKey: accessKey, SecretKey: "s", Bucket: bucket})
		if err != nil {
			t.Fatal(err)
		}
		return tg.ARN
	}
	tests := []struct {
		name   string
		arn    string
		reason string // "" for success
	}{
		{"a reachable target with its bucket passes", create("good", srv.URL, "AKgood", "remote-good"), ""},
		{"wrong credentials are reported", create("badkey", srv.URL, "AKbad", "remote-good"), "403 invalid credentials"},
		{"a missing bucket is reported", create("nobucket", srv.URL, "AKgood", "remote-none"), "bucket not found"},
		{"a closed port is reported", create("dead", deadEndpoint, "AKgood", "remote-good"), "connection refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := h.svc.TestTarget(h.ctx, ctlAdmin, tt.arn)
			if tt.reason == "" {
				if err != nil {
					t.Fatalf("test failed: %v", err)
				}
				return
			}
			wantIs(t, err, ErrTargetUnreachable)
			if !strings.Contains(err.Error(), tt.reason) {
				t.Fatalf("%q does not say %q", err, tt.reason)
			}
		})
	}
	fake.mu.Lock()
	defer fake.mu.Unlock()
	if len(fake.requests) != 3 {
		t.Fatalf("requests %v: want one attempt per reachable target", fake.requests)
	}
	wantIs(t, h.svc.TestTarget(h.ctx, ctlAdmin, "arn:quarry:replication:x:000000000000:y"), ErrNoSuchTarget)
}

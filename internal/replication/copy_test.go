package replication_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/quarrylabs/quarry/internal/auth"
	"github.com/quarrylabs/quarry/internal/blob/disk"
	"github.com/quarrylabs/quarry/internal/meta"
	"github.com/quarrylabs/quarry/internal/meta/sqlite"
	"github.com/quarrylabs/quarry/internal/object"
	"github.com/quarrylabs/quarry/internal/replication"
	"github.com/quarrylabs/quarry/internal/s3api"
	"github.com/quarrylabs/quarry/internal/sse"
	"github.com/quarrylabs/quarry/internal/storetest"
)

// The data-plane tests run a real destination (the S3 API over its own
// SQLite and disk stores, served over HTTP) and a real source (object
// service, replication service, client pool and copier on their own
// stores).

const (
	srcBucket = "photos"
	dstBucket = "replica"
)

var (
	srcOwner = auth.Principal{UserID: 1, Username: "alice", Role: meta.RoleUser}
	srcAdmin = auth.Principal{UserID: 2, Username: "root", Role: meta.RoleAdmin}
)

// quietLogger keeps expected failures out of test output.
func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// remoteQuarry is a destination Quarry served by httptest.
type remoteQuarry struct {
	t         *testing.T
	srv       *httptest.Server
	accessKey string
	secretKey string
	// hold makes data uploads wait (see holdUploads).
	hold struct {
		sync.Mutex
		entered chan struct{}
		release chan struct{}
	}
	// cut drops the connection of one upload (see cutUpload).
	cut struct {
		sync.Mutex
		countdown int   // data PUTs to let through first, plus one
		after     int64 // bytes read before the cut
	}
	// log lists the requests served (see served).
	log struct {
		sync.Mutex
		requests []string
	}
}

// served returns the requests the destination served since the last call,
// named by S3 operation, and forgets them.
func (rq *remoteQuarry) served() []string {
	rq.log.Lock()
	defer rq.log.Unlock()
	out := rq.log.requests
	rq.log.requests = nil
	return out
}

// record logs a request by its S3 operation.
func (rq *remoteQuarry) record(r *http.Request) {
	q := r.URL.Query()
	op := r.Method
	switch {
	case r.Method == http.MethodHead:
		op = "HeadObject"
	case r.Method == http.MethodGet:
		op = "GetObject"
	case r.Method == http.MethodPut && q.Has("uploadId"):
		op = "UploadPart"
	case r.Method == http.MethodPut && q.Has("tagging"):
		op = "PutObjectTagging"
	case r.Method == http.MethodPut:
		op = "PutObject"
	case r.Method == http.MethodPost && q.Has("uploads"):
		op = "CreateMultipartUpload"
	case r.Method == http.MethodPost && q.Has("uploadId"):
		op = "CompleteMultipartUpload"
	case r.Method == http.MethodDelete && q.Has("uploadId"):
		op = "AbortMultipartUpload"
	case r.Method == http.MethodDelete:
		op = "DeleteObject"
	}
	rq.log.Lock()
	rq.log.requests = append(rq.log.requests, op)
	rq.log.Unlock()
}

// cutUpload makes the n-th next data upload (PUT with a body: PutObject or
// UploadPart) read after bytes and then drop the connection, as a crashed
// destination or a broken network would.
func (rq *remoteQuarry) cutUpload(n int, after int64) {
	rq.cut.Lock()
	defer rq.cut.Unlock()
	rq.cut.countdown, rq.cut.after = n, after
}

// holdUploads makes data uploads wait until release is called (or their
// client goes away); entered receives a value as each one starts waiting.
func (rq *remoteQuarry) holdUploads() (entered <-chan struct{}, release func()) {
	rq.hold.Lock()
	defer rq.hold.Unlock()
	in, out := make(chan struct{}, 100), make(chan struct{})
	rq.hold.entered, rq.hold.release = in, out
	var once sync.Once
	return in, func() {
		once.Do(func() {
			rq.hold.Lock()
			rq.hold.entered, rq.hold.release = nil, nil
			rq.hold.Unlock()
			close(out)
		})
	}
}

// waitIfHeld blocks a data upload while uploads are held.
func (rq *remoteQuarry) waitIfHeld(r *http.Request) {
	rq.hold.Lock()
	entered, release := rq.hold.entered, rq.hold.release
	rq.hold.Unlock()
	if release == nil {
		return
	}
	entered <- struct{}{}
	select {
	case <-release:
	case <-r.Context().Done():
	}
}

// shouldCut counts a data upload and returns how many bytes to read before
// cutting it (0: do not cut).
func (rq *remoteQuarry) shouldCut() int64 {
	rq.cut.Lock()
	defer rq.cut.Unlock()
	if rq.cut.countdown == 0 {
		return 0
	}
	rq.cut.countdown--
	if rq.cut.countdown > 0 {
		return 0
	}
	return rq.cut.after
}

func startRemoteQuarry(t *testing.T) *remoteQuarry {
	t.Helper()
	ctx := context.Background()
	store, blobs := storetest.Open(t)
	users := auth.NewService(store, storetest.Sealer(t))
	u, err := users.CreateUser(ctx, "dest", "password-dest-123", meta.RoleUser)
	if err != nil {
		t.Fatal(err)
	}
	ak, sk, err := users.CreateAccessKey(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	objects := object.New(object.Config{Meta: store, Blobs: blobs, Logger: quietLogger()})
	owner := auth.Principal{UserID: u.ID, Username: u.Username, Role: u.Role}
	if err := objects.CreateBucket(ctx, owner, dstBucket); err != nil {
		t.Fatal(err)
	}
	rq := &remoteQuarry{t: t, accessKey: ak, secretKey: sk}
	api := s3api.New(s3api.Config{Objects: objects, Creds: users, Region: "us-east-1", Logger: quietLogger()})
	rq.srv = httptest.NewServer(rq.cutter(api))
	t.Cleanup(rq.srv.Close)
	return rq
}

// cutter wraps the S3 API: it logs each request (served) and drops the
// connection in the middle of an upload when asked to (cutUpload).
func (rq *remoteQuarry) cutter(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rq.record(r)
		if r.Method == http.MethodPut && r.ContentLength > 0 {
			rq.waitIfHeld(r)
			if n := rq.shouldCut(); n > 0 {
				_, _ = io.CopyN(io.Discard, r.Body, n)
				conn, _, err := http.NewResponseController(w).Hijack()
				if err == nil {
					conn.Close()
				}
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// client reads the destination as its owner.
func (rq *remoteQuarry) client() *s3.Client {
	return s3.New(s3.Options{
		BaseEndpoint: aws.String(rq.srv.URL),
		UsePathStyle: true,
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider(rq.accessKey, rq.secretKey, ""),
		Retryer:      aws.NopRetryer{},
	})
}

// object returns the destination's object at key and its data, nil if
// there is none.
func (rq *remoteQuarry) object(key string) (*s3.GetObjectOutput, []byte) {
	rq.t.Helper()
	out, err := rq.client().GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(dstBucket), Key: aws.String(key)})
	var re *awshttp.ResponseError
	if errors.As(err, &re) && re.HTTPStatusCode() == http.StatusNotFound {
		return nil, nil
	}
	if err != nil {
		rq.t.Fatalf("get %s at destination: %v", key, err)
	}
	defer out.Body.Close()
	data, err := io.ReadAll(out.Body)
	if err != nil {
		rq.t.Fatalf("read %s at destination: %v", key, err)
	}
	return out, data
}

// tags returns the destination object's tags.
func (rq *remoteQuarry) tags(key string) map[string]string {
	rq.t.Helper()
	out, err := rq.client().GetObjectTagging(context.Background(), &s3.GetObjectTaggingInput{Bucket: aws.String(dstBucket), Key: aws.String(key)})
	if err != nil {
		rq.t.Fatalf("get tags of %s at destination: %v", key, err)
	}
	tags := map[string]string{}
	for _, tag := range out.TagSet {
		tags[aws.ToString(tag.Key)] = aws.ToString(tag.Value)
	}
	return tags
}

// uploads counts the destination's multipart uploads in progress.
func (rq *remoteQuarry) uploads() int {
	rq.t.Helper()
	out, err := rq.client().ListMultipartUploads(context.Background(), &s3.ListMultipartUploadsInput{Bucket: aws.String(dstBucket)})
	if err != nil {
		rq.t.Fatalf("list uploads at destination: %v", err)
	}
	return len(out.Uploads)
}

// replSource is the source side: a versioned bucket, the replication
// service and the data plane on real stores.
type replSource struct {
	t       *testing.T
	ctx     context.Context
	store   *sqlite.Store
	blobs   *disk.Store
	objects *object.Service
	service *replication.Service
	pool    *replication.ClientPool
	copier  *replication.Copier
}

func newReplSource(t *testing.T) *replSource {
	t.Helper()
	ctx := context.Background()
	store, blobs := storetest.Open(t)
	s := &replSource{t: t, ctx: ctx, store: store, blobs: blobs}
	// No planner: the tests enqueue the tasks they mean to run.
	keys := sse.NewKeyring(store, storetest.Sealer(t))
	if err := keys.EnsureKey(ctx); err != nil {
		t.Fatal(err)
	}
	s.objects = object.New(object.Config{Meta: store, Blobs: blobs, Logger: quietLogger(), Keys: keys})
	s.service = replication.NewService(replication.ServiceConfig{Meta: store, Objects: s.objects, Sealer: storetest.Sealer(t), Logger: quietLogger()})
	s.pool = replication.NewClientPool(s.service)
	t.Cleanup(s.pool.Close)
	s.copier = replication.NewCopier(replication.CopierConfig{Objects: s.objects, Clients: s.pool, Logger: quietLogger()})
	createPrincipals(t, store, srcOwner, srcAdmin)
	if err := s.objects.CreateBucket(ctx, srcOwner, srcBucket); err != nil {
		t.Fatal(err)
	}
	if err := s.objects.SetVersioning(ctx, srcOwner, srcBucket, meta.VersioningEnabled); err != nil {
		t.Fatal(err)
	}
	return s
}

// target registers rq's bucket as a replication target and returns its ARN.
func (s *replSource) target(name string, rq *remoteQuarry) string {
	s.t.Helper()
	return s.targetAt(name, rq.srv.URL, rq.accessKey, rq.secretKey)
}

func (s *replSource) targetAt(name, endpoint, accessKey, secretKey string) string {
	s.t.Helper()
	tg, err := s.service.CreateTarget(s.ctx, srcAdmin, replication.TargetInput{
		Name: name, Endpoint: endpoint, AccessKey: accessKey, SecretKey: secretKey, Bucket: dstBucket,
		Grants: replication.Grants{Users: []replication.UserRef{{ID: srcOwner.UserID}}},
	})
	if err != nil {
		s.t.Fatalf("create target %s: %v", name, err)
	}
	return tg.ARN
}

// configure sets the source bucket's replication rules.
func (s *replSource) configure(rules ...replication.Rule) {
	s.t.Helper()
	if err := s.service.PutBucketReplication(s.ctx, srcOwner, srcBucket, &replication.Config{Rules: rules}); err != nil {
		s.t.Fatalf("put bucket replication: %v", err)
	}
}

// everything is a rule replicating every object, existing ones included.
func everything(id, arn string, priority int) replication.Rule {
	return replication.Rule{ID: id, Priority: priority, Enabled: true, DestinationARN: arn, ExistingObjectReplication: true, DeleteMarkerReplication: true}
}

// put stores an object in the source bucket.
func (s *replSource) put(key string, data []byte, attrs object.ObjectAttrs) *meta.Version {
	s.t.Helper()
	v, err := s.objects.PutObject(s.ctx, srcOwner, object.PutInput{
		Bucket: srcBucket, Key: key, Body: bytes.NewReader(data), Size: int64(len(data)), Attrs: attrs,
	})
	if err != nil {
		s.t.Fatalf("put %s: %v", key, err)
	}
	return v
}

// putMultipart stores an object uploaded in the given parts.
func (s *replSource) putMultipart(key string, parts [][]byte, attrs object.ObjectAttrs) *meta.Version {
	s.t.Helper()
	u, err := s.objects.CreateMultipartUpload(s.ctx, srcOwner, srcBucket, key, attrs, "", "")
	if err != nil {
		s.t.Fatalf("create upload %s: %v", key, err)
	}
	var done []object.CompletePart
	for i, data := range parts {
		p, err := s.objects.UploadPart(s.ctx, srcOwner, object.PartInput{
			Bucket: srcBucket, Key: key, UploadID: u.ID, Number: i + 1, Body: bytes.NewReader(data), Size: int64(len(data)),
		})
		if err != nil {
			s.t.Fatalf("upload part %d of %s: %v", i+1, key, err)
		}
		done = append(done, object.CompletePart{Number: i + 1, ETag: p.ETag})
	}
	v, err := s.objects.CompleteMultipartUpload(s.ctx, srcOwner, srcBucket, key, u.ID, done)
	if err != nil {
		s.t.Fatalf("complete %s: %v", key, err)
	}
	return v
}

// state returns a version's replication state at target ("" if none).
func (s *replSource) state(v *meta.Version, target string) meta.VersionReplication {
	s.t.Helper()
	var states []meta.VersionReplication
	err := s.store.View(s.ctx, func(tx meta.Tx) error {
		var err error
		states, err = tx.ListVersionReplication(v.Bucket, v.Key, v.VersionID)
		return err
	})
	if err != nil {
		s.t.Fatalf("replication states of %s: %v", v.Key, err)
	}
	for _, st := range states {
		if st.TargetARN == target {
			return st
		}
	}
	return meta.VersionReplication{}
}

// setState records a version's state at target, as live replication would.
func (s *replSource) setState(v *meta.Version, target string, status meta.ReplicationStatus) {
	s.t.Helper()
	err := s.store.Update(s.ctx, func(tx meta.Tx) error {
		return tx.SetVersionReplication(meta.VersionReplication{
			Bucket: v.Bucket, Key: v.Key, VersionID: v.VersionID, TargetARN: target, Status: status, Updated: time.Now(),
		})
	})
	if err != nil {
		s.t.Fatalf("set state of %s: %v", v.Key, err)
	}
}

// randomData returns n random bytes.
func randomData(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

// events records named events and lets tests wait for counts of them.
type events struct {
	mu     sync.Mutex
	counts map[string]int
	change chan struct{}
}

func newEvents() *events { return &events{counts: map[string]int{}, change: make(chan struct{}, 1)} }

func (e *events) record(name string) {
	e.mu.Lock()
	e.counts[name]++
	e.mu.Unlock()
	select {
	case e.change <- struct{}{}:
	default:
	}
}

func (e *events) count(name string) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.counts[name]
}

// wait blocks until name happened n times, failing the test after limit.
func (e *events) wait(t *testing.T, name string, n int, limit time.Duration) {
	t.Helper()
	deadline := time.After(limit)
	for e.count(name) < n {
		select {
		case <-e.change:
		case <-deadline:
			t.Fatalf("waited %s for %d %q events, saw %d", limit, n, name, e.count(name))
		}
	}
}

func TestCopyMakesAnIdenticalObject(t *testing.T) {
	rq := startRemoteQuarry(t)
	src := newReplSource(t)
	arn := src.target("dest", rq)
	attrs := object.ObjectAttrs{
		ContentType: "image/jpeg",
		Headers: map[string]string{
			"Cache-Control":       "max-age=60",
			"Content-Disposition": `attachment; filename="a b.jpg"`,
			"Content-Encoding":    "identity",
			"Content-Language":    "fr",
			"Expires":             "Wed, 21 Oct 2026 07:28:00 GMT",
		},
		UserMeta: map[string]string{"camera": "x100", "place": "Lyon"},
		Tags:     map[string]string{"team": "a&b", "year": "2026 spring"},
	}
	big := randomData(20 << 20)
	tests := []struct {
		name  string
		key   string
		data  []byte
		parts []int // part sizes of a multipart source; nil for one PUT
	}{
		{name: "a small object goes as one PUT", key: "small.jpg", data: randomData(1000)},
		{name: "an empty object is copied empty", key: "empty", data: nil},
		{name: "a multipart object keeps its three parts and ETag", key: "big/movie.mp4", data: big, parts: []int{8 << 20, 8 << 20, 4 << 20}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var v *meta.Version
			if tt.parts == nil {
				v = src.put(tt.key, tt.data, attrs)
			} else {
				var parts [][]byte
				rest := tt.data
				for _, n := range tt.parts {
					parts = append(parts, rest[:n])
					rest = rest[n:]
				}
				v = src.putMultipart(tt.key, parts, attrs)
			}
			out, err := src.copier.Copy(src.ctx, srcBucket, tt.key, v.VersionID, arn, replication.CopyOptions{})
			if err != nil {
				t.Fatalf("copy: %v", err)
			}
			if out.Skipped || out.Bytes != int64(len(tt.data)) {
				t.Errorf("outcome %+v, want %d bytes sent", out, len(tt.data))
			}
			got, data := rq.object(tt.key)
			if got == nil {
				t.Fatal("object missing at the destination")
			}
			if !bytes.Equal(data, tt.data) {
				t.Errorf("destination holds %d bytes that differ from the source's %d", len(data), len(tt.data))
			}
			if etag := strings.Trim(aws.ToString(got.ETag), `"`); etag != v.ETag {
				t.Errorf("destination ETag %s, source %s", etag, v.ETag)
			}
			if got.ReplicationStatus != "REPLICA" {
				t.Errorf("destination replication status %q, want REPLICA (sent with %s)", got.ReplicationStatus, replication.ReplicaHeader)
			}
			if !maps.Equal(got.Metadata, attrs.UserMeta) {
				t.Errorf("user metadata %v, want %v", got.Metadata, attrs.UserMeta)
			}
			wantHeaders := map[string]*string{
				"Content-Type":        got.ContentType,
				"Cache-Control":       got.CacheControl,
				"Content-Disposition": got.ContentDisposition,
				"Content-Encoding":    got.ContentEncoding,
				"Content-Language":    got.ContentLanguage,
				"Expires":             got.ExpiresString,
			}
			for name, value := range wantHeaders {
				want := attrs.Headers[name]
				if name == "Content-Type" {
					want = attrs.ContentType
				}
				if aws.ToString(value) != want {
					t.Errorf("%s %q, want %q", name, aws.ToString(value), want)
				}
			}
			if tags := rq.tags(tt.key); !maps.Equal(tags, attrs.Tags) {
				t.Errorf("tags %v, want %v", tags, attrs.Tags)
			}

			again, err := src.copier.Copy(src.ctx, srcBucket, tt.key, v.VersionID, arn, replication.CopyOptions{CheckExisting: true})
			if err != nil {
				t.Fatalf("second copy: %v", err)
			}
			if !again.Skipped || again.Bytes != 0 {
				t.Errorf("second copy %+v, want skipped with nothing sent", again)
			}
		})
	}
}

func TestCopyOfAnEncryptedObjectSendsItsPlaintext(t *testing.T) {
	rq := startRemoteQuarry(t)
	src := newReplSource(t)
	arn := src.target("dest", rq)
	sealed := object.ObjectAttrs{SSE: meta.SSEAES256}
	single := randomData(3*sse.ChunkSize + 7)
	parts := [][]byte{randomData(object.MinPartSize), randomData(sse.ChunkSize + 1)}
	for key, v := range map[string]*meta.Version{
		"single":    src.put("single", single, sealed),
		"multipart": src.putMultipart("multipart", parts, sealed),
	} {
		t.Run(key, func(t *testing.T) {
			if v.SSE != meta.SSEAES256 {
				t.Fatalf("source stored with encryption %q", v.SSE)
			}
			if _, err := src.copier.Copy(src.ctx, srcBucket, key, v.VersionID, arn, replication.CopyOptions{}); err != nil {
				t.Fatalf("copy: %v", err)
			}
			got, data := rq.object(key)
			want := single
			if key == "multipart" {
				want = bytes.Join(parts, nil)
			}
			if got == nil || !bytes.Equal(data, want) {
				t.Fatalf("destination holds %d bytes that are not the source's %d plaintext bytes", len(data), len(want))
			}
			if etag := strings.Trim(aws.ToString(got.ETag), `"`); etag != v.ETag {
				t.Errorf("destination ETag %s, source %s", etag, v.ETag)
			}
		})
	}
}

func TestCopyCutMidwayLeavesNothingVisible(t *testing.T) {
	rq := startRemoteQuarry(t)
	src := newReplSource(t)
	arn := src.target("dest", rq)
	single := src.put("single", randomData(3<<20), object.ObjectAttrs{})
	multi := src.putMultipart("multi", [][]byte{randomData(5 << 20), randomData(5 << 20), randomData(1 << 20)}, object.ObjectAttrs{})
	tests := []struct {
		name string
		v    *meta.Version
		nth  int // which data upload is cut
	}{
		{name: "a PUT cut after 1 MiB", v: single, nth: 1},
		{name: "a multipart upload cut in its second part", v: multi, nth: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rq.cutUpload(tt.nth, 1<<20)
			_, err := src.copier.Copy(src.ctx, srcBucket, tt.v.Key, tt.v.VersionID, arn, replication.CopyOptions{})
			if err == nil {
				t.Fatal("copy over a cut connection succeeded")
			}
			// The upload is tried once: a retry could not rewind the
			// streamed body and would report that instead of the cause.
			if strings.Contains(err.Error(), "rewind") || !errors.As(err, new(*smithyhttp.RequestSendError)) {
				t.Errorf("got %v, want the transport error of the cut", err)
			}
			rq.cutUpload(0, 0)
			if got, _ := rq.object(tt.v.Key); got != nil {
				t.Errorf("a partial object of %d bytes is visible", aws.ToInt64(got.ContentLength))
			}
			if n := rq.uploads(); n != 0 {
				t.Errorf("%d multipart uploads left at the destination", n)
			}
		})
	}
}

func TestCopyToAnUnreachableDestinationFailsFast(t *testing.T) {
	src := newReplSource(t)
	arn := src.targetAt("nowhere", "http://127.0.0.1:1", "AK", "SK")
	v := src.put("k", []byte("data"), object.ObjectAttrs{})
	start := time.Now()
	_, err := src.copier.Copy(src.ctx, srcBucket, "k", v.VersionID, arn, replication.CopyOptions{})
	if err == nil {
		t.Fatal("copy to a closed port succeeded")
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("failing took %s, want under 5s", d)
	}
	if !errors.As(err, new(*smithyhttp.RequestSendError)) {
		t.Errorf("got %v, want a transport error (what the batch breaker counts)", err)
	}
}

func TestCopyHasNothingToDoForGoneOrSupersededVersions(t *testing.T) {
	rq := startRemoteQuarry(t)
	src := newReplSource(t)
	arn := src.target("dest", rq)
	old := src.put("k", []byte("old"), object.ObjectAttrs{})
	newer := src.put("k", []byte("new"), object.ObjectAttrs{})
	gone := src.put("gone", []byte("x"), object.ObjectAttrs{})
	if _, err := src.objects.DeleteObject(src.ctx, srcOwner, srcBucket, "gone", gone.VersionID); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		key, vid  string
		want      error
		wantAtDst bool
	}{
		{name: "a version replaced by a newer one is superseded", key: "k", vid: old.VersionID, want: replication.ErrSuperseded},
		{name: "a deleted version is gone", key: "gone", vid: gone.VersionID, want: replication.ErrSourceGone},
		{name: "an unknown key is gone", key: "never", vid: "v1", want: replication.ErrSourceGone},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rq.served()
			_, err := src.copier.Copy(src.ctx, srcBucket, tt.key, tt.vid, arn, replication.CopyOptions{CheckExisting: true})
			if !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
			if got := rq.served(); len(got) != 0 {
				t.Errorf("the destination was asked %v, want nothing", got)
			}
			if got, _ := rq.object(tt.key); got != nil {
				t.Error("something was copied")
			}
		})
	}
	if _, err := src.copier.Copy(src.ctx, srcBucket, "k", newer.VersionID, arn, replication.CopyOptions{}); err != nil {
		t.Fatalf("copy of the current version: %v", err)
	}
}

func TestReplicateDeleteMarker(t *testing.T) {
	rq := startRemoteQuarry(t)
	src := newReplSource(t)
	arn := src.target("dest", rq)
	v := src.put("doomed", []byte("bye"), object.ObjectAttrs{})
	if _, err := src.copier.Copy(src.ctx, srcBucket, "doomed", v.VersionID, arn, replication.CopyOptions{}); err != nil {
		t.Fatal(err)
	}

	t.Run("a key whose latest version is not a marker is superseded", func(t *testing.T) {
		err := src.copier.ReplicateDeleteMarker(src.ctx, srcBucket, "doomed", arn)
		if !errors.Is(err, replication.ErrSuperseded) {
			t.Fatalf("got %v, want replication.ErrSuperseded", err)
		}
		if got, _ := rq.object("doomed"); got == nil {
			t.Error("the destination object was deleted")
		}
	})
	t.Run("a marker that is the latest version deletes the object at the destination", func(t *testing.T) {
		if _, err := src.objects.DeleteObject(src.ctx, srcOwner, srcBucket, "doomed", ""); err != nil {
			t.Fatal(err)
		}
		if err := src.copier.ReplicateDeleteMarker(src.ctx, srcBucket, "doomed", arn); err != nil {
			t.Fatal(err)
		}
		if got, _ := rq.object("doomed"); got != nil {
			t.Error("the object is still visible at the destination")
		}
	})
	t.Run("a key without any version is gone", func(t *testing.T) {
		err := src.copier.ReplicateDeleteMarker(src.ctx, srcBucket, "never", arn)
		if !errors.Is(err, replication.ErrSourceGone) {
			t.Fatalf("got %v, want replication.ErrSourceGone", err)
		}
	})
}

func TestCopyRequestsPerObject(t *testing.T) {
	rq := startRemoteQuarry(t)
	src := newReplSource(t)
	arn := src.target("dest", rq)
	check := replication.CopyOptions{CheckExisting: true}
	tests := []struct {
		name        string
		parts       []int // part sizes of a multipart source; nil for one PUT
		first, then replication.CopyOptions
		wantFirst   []string
		wantThen    []string
		thenSkipped bool
	}{
		{
			name:      "a first copy is one PUT, and a second one without the check sends it again",
			first:     replication.CopyOptions{},
			then:      replication.CopyOptions{},
			wantFirst: []string{"PutObject"},
			wantThen:  []string{"PutObject"},
		},
		{
			name:        "a copy that checks finds the object in place with one HEAD",
			first:       replication.CopyOptions{},
			then:        check,
			wantFirst:   []string{"PutObject"},
			wantThen:    []string{"HeadObject"},
			thenSkipped: true,
		},
		{
			name:        "a copy that checks a missing object asks once then PUTs",
			first:       check,
			then:        check,
			wantFirst:   []string{"HeadObject", "PutObject"},
			wantThen:    []string{"HeadObject"},
			thenSkipped: true,
		},
		{
			name:        "a multipart copy sends its parts without a HEAD",
			parts:       []int{5 << 20, 1 << 20},
			first:       replication.CopyOptions{},
			then:        check,
			wantFirst:   []string{"CreateMultipartUpload", "UploadPart", "UploadPart", "CompleteMultipartUpload"},
			wantThen:    []string{"HeadObject"},
			thenSkipped: true,
		},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key := fmt.Sprintf("obj-%d", i)
			var v *meta.Version
			if tt.parts == nil {
				v = src.put(key, randomData(4<<10), object.ObjectAttrs{})
			} else {
				var parts [][]byte
				for _, n := range tt.parts {
					parts = append(parts, randomData(n))
				}
				v = src.putMultipart(key, parts, object.ObjectAttrs{})
			}
			rq.served()
			first, err := src.copier.Copy(src.ctx, srcBucket, key, v.VersionID, arn, tt.first)
			if err != nil {
				t.Fatalf("first copy: %v", err)
			}
			if got := rq.served(); !slices.Equal(got, tt.wantFirst) {
				t.Errorf("first copy asked the destination %v, want %v", got, tt.wantFirst)
			}
			if first.Skipped || first.Bytes != v.Size {
				t.Errorf("first copy %+v, want %d bytes sent", first, v.Size)
			}
			then, err := src.copier.Copy(src.ctx, srcBucket, key, v.VersionID, arn, tt.then)
			if err != nil {
				t.Fatalf("second copy: %v", err)
			}
			if got := rq.served(); !slices.Equal(got, tt.wantThen) {
				t.Errorf("second copy asked the destination %v, want %v", got, tt.wantThen)
			}
			if then.Skipped != tt.thenSkipped {
				t.Errorf("second copy %+v, want skipped %v", then, tt.thenSkipped)
			}
			if got, _ := rq.object(key); got == nil || strings.Trim(aws.ToString(got.ETag), `"`) != v.ETag {
				t.Errorf("destination object %v, want ETag %s", got, v.ETag)
			}
		})
	}
}

func TestCopyReportsASourceReadFailureAsSuch(t *testing.T) {
	rq := startRemoteQuarry(t)
	src := newReplSource(t)
	arn := src.target("dest", rq)
	v := src.putMultipart("torn", [][]byte{randomData(5 << 20), randomData(1 << 20)}, object.ObjectAttrs{})
	// The second part's data is lost: reading the source fails midway.
	if err := src.blobs.Delete(src.ctx, v.Segments[1].BlobID); err != nil {
		t.Fatal(err)
	}
	_, err := src.copier.Copy(src.ctx, srcBucket, "torn", v.VersionID, arn, replication.CopyOptions{})
	if err == nil {
		t.Fatal("copy of a source that cannot be read succeeded")
	}
	// Not a transport error: the destination is not to blame.
	if !strings.Contains(err.Error(), "read source") || errors.As(err, new(*smithyhttp.RequestSendError)) {
		t.Errorf("got %v, want a source read error", err)
	}
	if got, _ := rq.object("torn"); got != nil {
		t.Error("a partial object is visible at the destination")
	}
	if n := rq.uploads(); n != 0 {
		t.Errorf("%d multipart uploads left at the destination", n)
	}
}

package replication

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/quarrylabs/quarry/internal/meta"
	"github.com/quarrylabs/quarry/internal/outbox"
)

// fakeTargets is a TargetResolver over a map, counting lookups.
type fakeTargets struct {
	mu      sync.Mutex
	targets map[string]meta.ReplicationTarget
	secrets map[string]string
	lookups int
}

func (f *fakeTargets) Target(_ context.Context, arn string) (*meta.ReplicationTarget, string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lookups++
	t, ok := f.targets[arn]
	if !ok {
		return nil, "", fmt.Errorf("%w: %s", ErrNoSuchTarget, arn)
	}
	return &t, f.secrets[arn], nil
}

func (f *fakeTargets) set(t meta.ReplicationTarget, secret string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.targets[t.ARN], f.secrets[t.ARN] = t, secret
}

func (f *fakeTargets) remove(arn string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.targets, arn)
}

func TestClientPool(t *testing.T) {
	const arn = "arn:quarry:replication:us-east-1:abc:dst"
	ctx := context.Background()
	newPool := func() (*ClientPool, *fakeTargets, *time.Time) {
		targets := &fakeTargets{targets: map[string]meta.ReplicationTarget{}, secrets: map[string]string{}}
		targets.set(meta.ReplicationTarget{ARN: arn, Endpoint: "http://127.0.0.1:9000", Bucket: "dst", AccessKey: "AK"}, "SK")
		now := time.Unix(1000, 0)
		p := NewClientPool(targets)
		p.now = func() time.Time { return now }
		return p, targets, &now
	}
	get := func(t *testing.T, p *ClientPool) *Remote {
		t.Helper()
		r, err := p.Get(ctx, arn)
		if err != nil {
			t.Fatalf("get: %v", err)
		}
		return r
	}

	t.Run("reuses a client without reading the target again before the recheck time", func(t *testing.T) {
		p, targets, now := newPool()
		a := get(t, p)
		*now = now.Add(p.recheck / 2)
		b := get(t, p)
		if a != b || targets.lookups != 1 {
			t.Errorf("same client %v, lookups %d; want the same client and 1 lookup", a == b, targets.lookups)
		}
		if a.Bucket != "dst" || a.ARN != arn {
			t.Errorf("remote %+v, want bucket dst of %s", a, arn)
		}
	})
	t.Run("keeps the client when the target is unchanged at the recheck", func(t *testing.T) {
		p, targets, now := newPool()
		a := get(t, p)
		*now = now.Add(2 * p.recheck)
		if b := get(t, p); a != b || targets.lookups != 2 {
			t.Errorf("same client %v, lookups %d; want the same client and 2 lookups", a == b, targets.lookups)
		}
	})
	t.Run("rebuilds the client when the target's secret changed", func(t *testing.T) {
		p, targets, now := newPool()
		a := get(t, p)
		targets.set(meta.ReplicationTarget{ARN: arn, Endpoint: "http://127.0.0.1:9000", Bucket: "dst", AccessKey: "AK"}, "SK2")
		*now = now.Add(2 * p.recheck)
		if b := get(t, p); a == b {
			t.Error("got the client built with the old secret")
		}
	})
	t.Run("drops the client of a deleted target", func(t *testing.T) {
		p, targets, now := newPool()
		get(t, p)
		targets.remove(arn)
		*now = now.Add(2 * p.recheck)
		if _, err := p.Get(ctx, arn); !errors.Is(err, ErrNoSuchTarget) {
			t.Fatalf("got %v, want ErrNoSuchTarget", err)
		}
		if _, pooled := p.clients[arn]; pooled {
			t.Error("the deleted target's client is still pooled")
		}
	})
	t.Run("rebuilds after Invalidate", func(t *testing.T) {
		p, _, _ := newPool()
		a := get(t, p)
		p.Invalidate(arn)
		if b := get(t, p); a == b {
			t.Error("got the invalidated client back")
		}
	})
}

func TestReplicaMarkerAddsTheHeaderWithoutTouchingTheRequest(t *testing.T) {
	var seen string
	rt := replicaMarker{next: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		seen = r.Header.Get(ReplicaHeader)
		return &http.Response{StatusCode: http.StatusOK, Body: http.NoBody}, nil
	})}
	req := httptest.NewRequest(http.MethodPut, "http://example.test/b/k", nil)
	resp, err := rt.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if seen != "true" {
		t.Errorf("sent %s %q, want true", ReplicaHeader, seen)
	}
	if req.Header.Get(ReplicaHeader) != "" {
		t.Error("the caller's request was modified")
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestPooledClientReusesConnectionsAtBatchConcurrency(t *testing.T) {
	var (
		mu    sync.Mutex
		conns int
	)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("ETag", `"d41d8cd98f00b204e9800998ecf8427e"`)
		w.WriteHeader(http.StatusOK)
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			mu.Lock()
			conns++
			mu.Unlock()
		}
	}
	srv.Start()
	defer srv.Close()
	const arn = "arn:quarry:replication:us-east-1:0:t"
	targets := &fakeTargets{targets: map[string]meta.ReplicationTarget{}, secrets: map[string]string{}}
	targets.set(meta.ReplicationTarget{ARN: arn, Endpoint: srv.URL, Bucket: "b", AccessKey: "AK"}, "SK")
	p := NewClientPool(targets)
	defer p.Close()
	remote, err := p.Get(context.Background(), arn)
	if err != nil {
		t.Fatal(err)
	}
	// The batch runner and the replicator share a target's client.
	workers := DefaultBatchConcurrency + outbox.DefaultPerDestination
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := range 20 {
				_, err := remote.Client.HeadObject(context.Background(), &s3.HeadObjectInput{
					Bucket: aws.String("b"), Key: aws.String(fmt.Sprintf("k%d", i)),
				})
				if err != nil {
					t.Errorf("head: %v", err)
					return
				}
			}
		})
	}
	wg.Wait()
	// The transport may dial a spare connection while another is being
	// returned to the pool, so allow some slack; without reuse (the default
	// two idle connections per host) the 320 requests open well over 100.
	if conns > 2*workers {
		t.Errorf("%d connections opened for %d workers: idle ones were not kept for reuse", conns, workers)
	}
}

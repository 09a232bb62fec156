package postgres

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/quarrylabs/quarry/internal/meta"
)

// link is one committed PUT of the concurrent PUT test: the seq of the
// latest version it replaced (0 for none) and its own.
type link struct{ prev, seq int64 }

// Writers on several nodes PUT the same key at once. Each PUT reads the
// latest version, clears its flag, inserts the new one as latest and moves
// the counters, as package object does. Whatever PostgreSQL aborts and
// Update runs again, the committed PUTs must form one history: each
// replaced the one committed before it, with a higher seq, and the
// counters are exact.
func TestConcurrentPutsOfOneKeyFormOneHistory(t *testing.T) {
	s := openTemp(t)
	defer s.Close()
	ctx := context.Background()
	if err := s.Update(ctx, func(tx meta.Tx) error { return tx.CreateBucket(&meta.Bucket{Name: "b", OwnerID: 1}) }); err != nil {
		t.Fatal(err)
	}
	const writers, each, size = 6, 8, 10
	var (
		mu    sync.Mutex
		links []link
		wg    sync.WaitGroup
		errs  = make(chan error, writers)
	)
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				var l link
				err := s.Update(ctx, func(tx meta.Tx) error {
					l = link{}
					old, err := tx.GetLatest("b", "k")
					switch {
					case errors.Is(err, meta.ErrNotFound):
					case err != nil:
						return err
					default:
						l.prev = old.Seq
						if err := tx.SetLatest("b", "k", ""); err != nil {
							return err
						}
						if err := tx.AddUsage("b", meta.Usage{Objects: -1, Bytes: -old.Size}); err != nil {
							return err
						}
					}
					v := &meta.Version{Bucket: "b", Key: "k", VersionID: fmt.Sprintf("w%d-%d", w, i), IsLatest: true, Size: size}
					if err := tx.PutVersion(v); err != nil {
						return err
					}
					l.seq = v.Seq
					return tx.AddUsage("b", meta.Usage{Objects: 1, Bytes: size, Versions: 1, VersionBytes: size})
				})
				if err != nil {
					errs <- err
					return
				}
				mu.Lock()
				links = append(links, l)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("put: %v", err)
	}

	const n = writers * each
	next := map[int64]int64{} // prev seq -> the seq that replaced it
	for _, l := range links {
		if l.seq <= l.prev {
			t.Errorf("version %d replaced %d, an older seq", l.seq, l.prev)
		}
		if other, dup := next[l.prev]; dup {
			t.Fatalf("versions %d and %d both replaced %d: two writers saw the same latest version", other, l.seq, l.prev)
		}
		next[l.prev] = l.seq
	}
	seq, walked := int64(0), 0
	for {
		s, ok := next[seq]
		if !ok {
			break
		}
		seq, walked = s, walked+1
	}
	if walked != n {
		t.Fatalf("the history from the first PUT links %d of %d PUTs", walked, n)
	}
	err := s.View(ctx, func(tx meta.Tx) error {
		latest, err := tx.GetLatest("b", "k")
		if err != nil {
			return err
		}
		newest, err := tx.NewestVersion("b", "k")
		if err != nil {
			return err
		}
		if latest.Seq != seq || newest.Seq != seq {
			t.Errorf("latest %d, newest %d; want the last PUT of the history, %d", latest.Seq, newest.Seq, seq)
		}
		vs, err := tx.ListVersions("b", "", "", 0, 0)
		if err != nil {
			return err
		}
		marked := 0
		for _, v := range vs {
			if v.IsLatest {
				marked++
			}
		}
		if len(vs) != n || marked != 1 {
			t.Errorf("%d versions, %d marked latest; want %d and 1", len(vs), marked, n)
		}
		u, err := tx.GetUsage("b")
		if err != nil {
			return err
		}
		if want := (meta.Usage{Objects: 1, Bytes: size, Versions: n, VersionBytes: n * size}); u != want {
			t.Errorf("usage %+v, want %+v", u, want)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Writers that only add to a bucket's counters land on several shards, and
// the sum is exact; SetUsage then leaves the whole count in one.
func TestUsageShards(t *testing.T) {
	s := openTemp(t)
	defer s.Close()
	ctx := context.Background()
	if err := s.Update(ctx, func(tx meta.Tx) error { return tx.CreateBucket(&meta.Bucket{Name: "b", OwnerID: 1}) }); err != nil {
		t.Fatal(err)
	}
	const writers, each = 8, 8
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for range writers {
		wg.Go(func() {
			for range each {
				err := s.Update(ctx, func(tx meta.Tx) error {
					if err := tx.AddUsage("b", meta.Usage{Objects: 1, Bytes: 3}); err != nil {
						return err
					}
					return tx.AddUsage("b", meta.Usage{Versions: 1, VersionBytes: 3})
				})
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("add usage: %v", err)
	}
	const n = writers * each
	assertUsage(t, s, meta.Usage{Objects: n, Bytes: 3 * n, Versions: n, VersionBytes: 3 * n})
	used := nonZeroShards(t, s)
	if used < 2 {
		t.Errorf("%d transactions added to %d shard(s); want them spread", n, used)
	}

	set := meta.Usage{Objects: 5, Bytes: 50, Versions: 6, VersionBytes: 60}
	if err := s.Update(ctx, func(tx meta.Tx) error { return tx.SetUsage("b", set) }); err != nil {
		t.Fatal(err)
	}
	assertUsage(t, s, set)
	// The correction went to the correction row alone: the writers'
	// shards are as they were.
	if after := nonZeroShards(t, s); after != used {
		t.Errorf("after SetUsage %d shards hold counts, %d before: SetUsage must not write shards", after, used)
	}
	var shards int
	if err := s.pool.QueryRow(ctx, `SELECT COUNT(*) FROM bucket_usage WHERE bucket = 'b'`).Scan(&shards); err != nil {
		t.Fatal(err)
	}
	if shards != usageShards {
		t.Errorf("bucket has %d usage rows, want %d", shards, usageShards)
	}
	if err := s.Update(ctx, func(tx meta.Tx) error { return tx.DeleteBucket("b") }); err != nil {
		t.Fatal(err)
	}
	if err := s.pool.QueryRow(ctx, `SELECT COUNT(*) FROM bucket_usage WHERE bucket = 'b'`).Scan(&shards); err != nil {
		t.Fatal(err)
	}
	if shards != 0 {
		t.Errorf("a deleted bucket left %d usage rows", shards)
	}
}

func assertUsage(t *testing.T, s *Store, want meta.Usage) {
	t.Helper()
	err := s.View(context.Background(), func(tx meta.Tx) error {
		u, err := tx.GetUsage("b")
		if err == nil && u != want {
			t.Errorf("usage %+v, want %+v", u, want)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func nonZeroShards(t *testing.T, s *Store) int {
	t.Helper()
	var n int
	err := s.pool.QueryRow(context.Background(),
		`SELECT COUNT(*) FROM bucket_usage WHERE bucket = 'b' AND (objects <> 0 OR versions <> 0)`).Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

package metatest

import (
	"bytes"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/quarrylabs/quarry/internal/meta"
)

// entry is a fresh outbox entry of kind "test" due at next.
func entry(bucket, key, dest string, next time.Time) meta.OutboxEntry {
	return meta.OutboxEntry{Kind: "test", Bucket: bucket, Key: key, VersionID: "v1", Destination: dest,
		NextAttempt: next, CreatedAt: next}
}

// task is a replication-shaped outbox entry, as the replication package
// writes them.
func task(bucket, key, versionID, arn string, next time.Time) meta.OutboxEntry {
	return meta.OutboxEntry{Kind: "replication", Bucket: bucket, Key: key, VersionID: versionID, Destination: arn,
		NextAttempt: next, CreatedAt: next}
}

// enqueue inserts e in its own Update and returns it with its ID.
func enqueue(t *testing.T, s meta.Store, e meta.OutboxEntry) meta.OutboxEntry {
	t.Helper()
	update(t, s, func(tx meta.Tx) error { return tx.EnqueueOutbox(&e) })
	return e
}

func claim(t *testing.T, s meta.Store, owner string, now, until time.Time, limit int) []meta.OutboxEntry {
	t.Helper()
	var got []meta.OutboxEntry
	update(t, s, func(tx meta.Tx) error {
		var err error
		got, err = tx.ClaimOutbox(meta.OutboxClaim{Owner: owner, Now: now, Until: until, Limit: limit})
		return err
	})
	return got
}

func settle(t *testing.T, s meta.Store, id int64, owner string, st meta.OutboxSettle) {
	t.Helper()
	update(t, s, func(tx meta.Tx) error { return tx.SettleOutbox(id, owner, st) })
}

func entryIDs(es []meta.OutboxEntry) []int64 {
	ids := []int64{}
	for _, e := range es {
		ids = append(ids, e.ID)
	}
	return ids
}

func assertEntryIDs(t *testing.T, what string, got []meta.OutboxEntry, want ...int64) {
	t.Helper()
	if want == nil {
		want = []int64{}
	}
	if ids := entryIDs(got); !slices.Equal(ids, want) {
		t.Errorf("%s = entries %v, want %v", what, ids, want)
	}
}

// assertTaskCount checks how many pending replication entries bucket
// holds (every bucket when bucket is empty).
func assertTaskCount(t *testing.T, s meta.Store, bucket string, want int64) {
	t.Helper()
	view(t, s, func(tx meta.Tx) error {
		n, err := tx.CountOutbox(meta.OutboxFilter{Kind: "replication", Bucket: bucket, States: []meta.OutboxState{meta.OutboxPending}})
		wantErr(t, "count entries", err, nil)
		if n != want {
			t.Errorf("pending entries of %q = %d, want %d", bucket, n, want)
		}
		return nil
	})
}

func testOutbox(t *testing.T, open func(t *testing.T) meta.Store) {
	t.Run("enqueued entries get growing ids, start PENDING and keep every field", func(t *testing.T) {
		s := open(t)
		want := meta.OutboxEntry{Kind: "test", Destination: "arn:a", Bucket: "b", Key: "dir/ünï", VersionID: "v1",
			Payload: []byte(`{"x":1}`), Attempts: 2, NextAttempt: at(5), LastError: "earlier failure", CreatedAt: at(1)}
		first := entry("b", "k", "arn:a", at(9))
		update(t, s, func(tx meta.Tx) error { return tx.EnqueueOutbox(&first, &want) })
		if first.ID <= 0 || want.ID <= first.ID {
			t.Fatalf("ids %d then %d, want positive and growing", first.ID, want.ID)
		}
		if want.State != meta.OutboxPending {
			t.Errorf("state after enqueue = %q, want PENDING", want.State)
		}
		got := claim(t, s, "r1", at(6), at(20), 0)
		assertEntryIDs(t, "claim", got, want.ID)
		want.LeaseOwner, want.LeaseExpires = "r1", at(20)
		assertEntry(t, "claimed", got[0], want)
		var stored *meta.OutboxEntry
		view(t, s, func(tx meta.Tx) error {
			var err error
			stored, err = tx.GetOutbox(want.ID)
			return err
		})
		assertEntry(t, "read back", *stored, want)
		err := s.View(ctx(), func(tx meta.Tx) error { _, err := tx.GetOutbox(want.ID + 100); return err })
		wantErr(t, "get a missing entry", err, meta.ErrNotFound)
	})

	t.Run("due entries are claimed most overdue first, up to the limit, each once while leased", func(t *testing.T) {
		s := open(t)
		a := enqueue(t, s, entry("b", "a", "arn:x", at(3)))
		b := enqueue(t, s, entry("b", "b", "arn:x", at(1)))
		c := enqueue(t, s, entry("b", "c", "arn:x", at(3)))
		d := enqueue(t, s, entry("b", "d", "arn:x", at(2)))
		late := enqueue(t, s, entry("b", "e", "arn:x", at(100)))
		first := claim(t, s, "r1", at(10), at(200), 3)
		assertEntryIDs(t, "first claim (by id)", first, a.ID, b.ID, d.ID)
		assertEntryIDs(t, "second claim", claim(t, s, "r2", at(10), at(200), 3), c.ID)
		assertEntryIDs(t, "third claim", claim(t, s, "r3", at(10), at(200), 3))
		assertEntryIDs(t, "claim once due", claim(t, s, "r3", at(100), at(200), 0), late.ID)
	})

	t.Run("an entry due exactly now is claimed", func(t *testing.T) {
		s := open(t)
		e := enqueue(t, s, entry("b", "k", "arn:x", at(10)))
		assertEntryIDs(t, "claim before due", claim(t, s, "r", at(9), at(20), 0))
		assertEntryIDs(t, "claim when due", claim(t, s, "r", at(10), at(20), 0), e.ID)
	})

	t.Run("an expired lease is claimed by another owner, not at the very expiry instant", func(t *testing.T) {
		s := open(t)
		e := enqueue(t, s, entry("b", "k", "arn:x", at(0)))
		claim(t, s, "first", at(1), at(10), 0)
		assertEntryIDs(t, "claim at expiry", claim(t, s, "second", at(10), at(30), 0))
		got := claim(t, s, "second", at(11), at(30), 0)
		assertEntryIDs(t, "claim after expiry", got, e.ID)
		if got[0].LeaseOwner != "second" || !sameTime(got[0].LeaseExpires, at(30)) {
			t.Errorf("lease = %q until %v, want second until %v", got[0].LeaseOwner, got[0].LeaseExpires, at(30))
		}
		err := s.Update(ctx(), func(tx meta.Tx) error {
			return tx.SettleOutbox(e.ID, "first", meta.OutboxSettle{State: meta.OutboxDone, At: at(12)})
		})
		wantErr(t, "settle by the owner whose lease expired", err, meta.ErrNotLeased)
	})

	t.Run("a retry records the attempt, releases the lease and delays the entry", func(t *testing.T) {
		s := open(t)
		e := enqueue(t, s, entry("b", "k", "arn:x", at(0)))
		claim(t, s, "r", at(1), at(100), 0)
		settle(t, s, e.ID, "r", meta.OutboxSettle{State: meta.OutboxPending, Attempts: 1, NextAttempt: at(50),
			LastError: "connection refused", At: at(2)})
		assertEntryIDs(t, "claim before the retry time", claim(t, s, "other", at(49), at(60), 0))
		got := claim(t, s, "other", at(50), at(60), 0)
		assertEntryIDs(t, "claim at the retry time, inside the old lease", got, e.ID)
		if g := got[0]; g.Attempts != 1 || g.LastError != "connection refused" || !sameTime(g.NextAttempt, at(50)) ||
			!sameTime(g.UpdatedAt, at(2)) {
			t.Errorf("retried entry = attempts %d error %q next %v updated %v, want 1, connection refused, %v, %v",
				g.Attempts, g.LastError, g.NextAttempt, g.UpdatedAt, at(50), at(2))
		}
	})

	t.Run("DONE and FAILED entries are never claimed again", func(t *testing.T) {
		s := open(t)
		done := enqueue(t, s, entry("b", "a", "arn:x", at(0)))
		failed := enqueue(t, s, entry("b", "b", "arn:x", at(0)))
		claim(t, s, "r", at(1), at(10), 0)
		settle(t, s, done.ID, "r", meta.OutboxSettle{State: meta.OutboxDone, Attempts: 1, At: at(2)})
		settle(t, s, failed.ID, "r", meta.OutboxSettle{State: meta.OutboxFailed, Attempts: 6, LastError: "gave up", At: at(2)})
		assertEntryIDs(t, "claim after they ended", claim(t, s, "r", at(100), at(110), 0))
		view(t, s, func(tx meta.Tx) error {
			n, err := tx.CountOutbox(meta.OutboxFilter{Kind: "test", States: []meta.OutboxState{meta.OutboxPending}})
			if err == nil && n != 0 {
				t.Errorf("%d entries still pending", n)
			}
			return err
		})
	})

	t.Run("missing entries are ErrNotFound to settle", func(t *testing.T) {
		s := open(t)
		err := s.Update(ctx(), func(tx meta.Tx) error {
			return tx.SettleOutbox(42, "r", meta.OutboxSettle{State: meta.OutboxDone})
		})
		wantErr(t, "settle", err, meta.ErrNotFound)
	})

	t.Run("claiming without an owner name fails and leases nothing", func(t *testing.T) {
		s := open(t)
		e := enqueue(t, s, entry("b", "k", "arn:x", at(0)))
		err := s.Update(ctx(), func(tx meta.Tx) error {
			_, err := tx.ClaimOutbox(meta.OutboxClaim{Now: at(1), Until: at(10)})
			return err
		})
		if err == nil {
			t.Fatal("claim with an empty owner succeeded")
		}
		assertEntryIDs(t, "claim after the refused one", claim(t, s, "r", at(1), at(10), 0), e.ID)
	})

	t.Run("a key's entries are claimed one at a time in the order they were written", func(t *testing.T) {
		s := open(t)
		k1 := enqueue(t, s, entry("b", "k", "arn:x", at(0)))
		k2 := enqueue(t, s, entry("b", "k", "arn:x", at(0)))
		k3 := enqueue(t, s, entry("b", "k", "arn:x", at(0)))
		other := enqueue(t, s, entry("b", "other", "arn:x", at(0)))
		elsewhere := enqueue(t, s, entry("b", "k", "arn:y", at(0)))
		otherBucket := enqueue(t, s, entry("c", "k", "arn:x", at(0)))
		assertEntryIDs(t, "first claim", claim(t, s, "r1", at(1), at(100), 0), k1.ID, other.ID, elsewhere.ID, otherBucket.ID)
		assertEntryIDs(t, "claim while the first is leased", claim(t, s, "r2", at(2), at(100), 0))
		// The first fails once and waits: the second still waits behind it.
		settle(t, s, k1.ID, "r1", meta.OutboxSettle{State: meta.OutboxPending, Attempts: 1, NextAttempt: at(50), At: at(3)})
		assertEntryIDs(t, "claim while the first waits for its retry", claim(t, s, "r2", at(4), at(100), 0))
		got := claim(t, s, "r2", at(50), at(100), 0)
		assertEntryIDs(t, "claim once the first is due again", got, k1.ID)
		settle(t, s, k1.ID, "r2", meta.OutboxSettle{State: meta.OutboxDone, Attempts: 2, At: at(51)})
		assertEntryIDs(t, "claim once the first is done", claim(t, s, "r2", at(52), at(100), 0), k2.ID)
		settle(t, s, k2.ID, "r2", meta.OutboxSettle{State: meta.OutboxFailed, Attempts: 6, LastError: "x", At: at(53)})
		assertEntryIDs(t, "claim once the second failed for good", claim(t, s, "r2", at(54), at(100), 0), k3.ID)
	})

	t.Run("a flood for one destination leaves every other destination its share of a claim", func(t *testing.T) {
		s := open(t)
		var flood []int64
		update(t, s, func(tx meta.Tx) error {
			for i := range 50 {
				e := entry("b", fmt.Sprintf("k%02d", i), "arn:dead", at(0))
				if err := tx.EnqueueOutbox(&e); err != nil {
					return err
				}
				flood = append(flood, e.ID)
			}
			return nil
		})
		b := enqueue(t, s, entry("b", "x", "arn:b", at(5)))
		c := enqueue(t, s, entry("b", "y", "arn:c", at(7)))
		got := claim(t, s, "r", at(10), at(100), 4)
		if len(got) != 4 {
			t.Fatalf("claimed %d entries, want the limit of 4", len(got))
		}
		ids := entryIDs(got)
		if !slices.Contains(ids, b.ID) || !slices.Contains(ids, c.ID) {
			t.Errorf("claim of 4 = %v: the flood of arn:dead kept arn:b (%d) or arn:c (%d) out", ids, b.ID, c.ID)
		}
		if !slices.Equal(ids[:2], flood[:2]) {
			t.Errorf("claim of 4 = %v: the flood's share should be its two most overdue entries %v", ids, flood[:2])
		}
		rest := claim(t, s, "r", at(10), at(100), 0)
		if len(rest) != 48 {
			t.Errorf("claim without a limit took %d entries, want the 48 left", len(rest))
		}
	})

	t.Run("a destination at its cap is left out and one near it takes only what it has room for", func(t *testing.T) {
		s := open(t)
		for i := range 6 {
			enqueue(t, s, entry("b", fmt.Sprintf("slow%d", i), "arn:slow", at(0)))
			enqueue(t, s, entry("b", fmt.Sprintf("fast%d", i), "arn:fast", at(0)))
		}
		enqueue(t, s, entry("b", "k", "arn:full", at(0)))
		var got []meta.OutboxEntry
		update(t, s, func(tx meta.Tx) error {
			var err error
			got, err = tx.ClaimOutbox(meta.OutboxClaim{Owner: "r", Now: at(1), Until: at(10), Limit: 8,
				PerDestination: 4, Busy: map[string]int{"arn:slow": 3, "arn:full": 4}})
			return err
		})
		per := map[string]int{}
		for _, e := range got {
			per[e.Destination]++
		}
		if per["arn:slow"] != 1 || per["arn:fast"] != 4 || per["arn:full"] != 0 {
			t.Errorf("claimed per destination %v, want arn:slow 1 (3 busy of 4), arn:fast 4, arn:full none", per)
		}
	})

	t.Run("with more destinations than the limit, every destination gets a turn", func(t *testing.T) {
		s := open(t)
		for i := range 5 {
			enqueue(t, s, entry("b", "k", fmt.Sprintf("arn:%d", i), at(0)))
		}
		seen := map[string]bool{}
		for i := range 50 {
			got := claim(t, s, "r", at(int64(1+i)), at(int64(1+i)), 1)
			if len(got) != 1 {
				t.Fatalf("claim %d took %d entries, want 1", i, len(got))
			}
			seen[got[0].Destination] = true
		}
		if len(seen) != 5 {
			t.Errorf("50 claims of one, each lease expiring before the next, reached %d of the 5 destinations", len(seen))
		}
	})

	t.Run("two owners claiming at once never both win an entry", func(t *testing.T) {
		s := open(t)
		const n = 200
		update(t, s, func(tx meta.Tx) error {
			for i := range n {
				e := entry("b", fmt.Sprintf("k%03d", i), fmt.Sprintf("arn:%d", i%3), at(0))
				if err := tx.EnqueueOutbox(&e); err != nil {
					return err
				}
			}
			return nil
		})
		var (
			mu  sync.Mutex
			won = map[int64]string{}
			wg  sync.WaitGroup
		)
		for _, owner := range []string{"node-a", "node-b", "node-c", "node-d"} {
			wg.Go(func() {
				for {
					var got []meta.OutboxEntry
					err := s.Update(ctx(), func(tx meta.Tx) error {
						var err error
						got, err = tx.ClaimOutbox(meta.OutboxClaim{Owner: owner, Now: at(1), Until: at(1000), Limit: 7})
						return err
					})
					if err != nil {
						t.Errorf("claim by %s: %v", owner, err)
						return
					}
					if len(got) == 0 {
						return
					}
					mu.Lock()
					for _, e := range got {
						if prev, dup := won[e.ID]; dup {
							t.Errorf("entry %d claimed by both %s and %s", e.ID, prev, owner)
						}
						won[e.ID] = owner
					}
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if len(won) != n {
			t.Errorf("%d entries claimed in all, want %d", len(won), n)
		}
	})

	t.Run("a job leases pending and failed entries whatever their due time, but not done ones or others' leases", func(t *testing.T) {
		s := open(t)
		waiting := enqueue(t, s, entry("b", "a", "arn:x", at(500)))
		failed := enqueue(t, s, entry("b", "b", "arn:x", at(0)))
		done := enqueue(t, s, entry("b", "c", "arn:x", at(0)))
		busy := enqueue(t, s, entry("b", "d", "arn:x", at(0)))
		queued := enqueue(t, s, entry("b", "a", "arn:x", at(0))) // behind waiting, same key
		claim(t, s, "drainer", at(1), at(100), 0)
		settle(t, s, failed.ID, "drainer", meta.OutboxSettle{State: meta.OutboxFailed, Attempts: 6, LastError: "x", At: at(2)})
		settle(t, s, done.ID, "drainer", meta.OutboxSettle{State: meta.OutboxDone, Attempts: 1, At: at(2)})
		var got []meta.OutboxEntry
		update(t, s, func(tx meta.Tx) error {
			var err error
			got, err = tx.LeaseOutbox([]int64{queued.ID, done.ID, failed.ID, busy.ID, waiting.ID, 999}, "job", at(3), at(60))
			return err
		})
		assertEntryIDs(t, "leased by the job", got, waiting.ID, failed.ID, queued.ID)
		for _, e := range got {
			if e.LeaseOwner != "job" || !sameTime(e.LeaseExpires, at(60)) {
				t.Errorf("entry %d lease = %q until %v, want job until %v", e.ID, e.LeaseOwner, e.LeaseExpires, at(60))
			}
		}
		assertEntryIDs(t, "claim while the job holds them", claim(t, s, "drainer", at(30), at(40), 0))
		settle(t, s, failed.ID, "job", meta.OutboxSettle{State: meta.OutboxDone, Attempts: 7, At: at(4)})
	})

	t.Run("reserved ids fall between the entries written before and after, and are never given", func(t *testing.T) {
		s := open(t)
		var first int64
		update(t, s, func(tx meta.Tx) error {
			var err error
			first, err = tx.ReserveOutboxIDs(3)
			return err
		})
		if first < 1 {
			t.Fatalf("first reserved id %d, want positive", first)
		}
		before := enqueue(t, s, entry("b", "k", "arn:x", at(0)))
		if before.ID <= first+2 {
			t.Errorf("an entry written after reserving ids %d..%d got id %d", first, first+2, before.ID)
		}
		var second int64
		update(t, s, func(tx meta.Tx) error {
			var err error
			second, err = tx.ReserveOutboxIDs(10)
			return err
		})
		after := enqueue(t, s, entry("b", "k", "arn:x", at(0)))
		if second <= before.ID || after.ID <= second+9 {
			t.Errorf("entry %d, reserved %d..%d, entry %d: want them in that order", before.ID, second, second+9, after.ID)
		}
		err := s.Update(ctx(), func(tx meta.Tx) error { _, err := tx.ReserveOutboxIDs(0); return err })
		if err == nil {
			t.Error("reserving no id succeeded")
		}
	})

	t.Run("entries are listed and counted by bucket, kind, prefix, state and position", func(t *testing.T) {
		s := open(t)
		a1 := enqueue(t, s, entry("a", "dir/1", "arn:x", at(0)))
		a2 := enqueue(t, s, entry("a", "dir/2", "arn:x", at(0)))
		a3 := enqueue(t, s, entry("a", "top", "arn:x", at(0)))
		r := enqueue(t, s, task("a", "dir/3", "v1", "arn:r", at(0)))
		b1 := enqueue(t, s, entry("b", "dir/1", "arn:x", at(0)))
		claim(t, s, "r", at(1), at(10), 0)
		settle(t, s, a2.ID, "r", meta.OutboxSettle{State: meta.OutboxDone, At: at(2)})
		settle(t, s, a3.ID, "r", meta.OutboxSettle{State: meta.OutboxFailed, At: at(2)})
		notDone := []meta.OutboxState{meta.OutboxPending, meta.OutboxFailed}
		for _, tt := range []struct {
			name string
			f    meta.OutboxFilter
			want []int64
		}{
			{"one kind in every bucket", meta.OutboxFilter{Kind: "test"}, []int64{a1.ID, a2.ID, a3.ID, b1.ID}},
			{"one kind in one bucket", meta.OutboxFilter{Kind: "test", Bucket: "a"}, []int64{a1.ID, a2.ID, a3.ID}},
			{"another kind", meta.OutboxFilter{Kind: "replication", Bucket: "a"}, []int64{r.ID}},
			{"a prefix", meta.OutboxFilter{Kind: "test", Bucket: "a", Prefix: "dir/"}, []int64{a1.ID, a2.ID}},
			{"a prefix in every bucket", meta.OutboxFilter{Kind: "test", Prefix: "dir/"}, []int64{a1.ID, a2.ID, b1.ID}},
			{"not delivered", meta.OutboxFilter{Kind: "test", Bucket: "a", States: notDone}, []int64{a1.ID, a3.ID}},
			{"after an id", meta.OutboxFilter{Kind: "test", AfterID: a2.ID}, []int64{a3.ID, b1.ID}},
			{"a limit", meta.OutboxFilter{Kind: "test", Limit: 2}, []int64{a1.ID, a2.ID}},
		} {
			var got []meta.OutboxEntry
			var n int64
			view(t, s, func(tx meta.Tx) error {
				var err error
				if got, err = tx.ListOutbox(tt.f); err != nil {
					return err
				}
				n, err = tx.CountOutbox(tt.f)
				return err
			})
			assertEntryIDs(t, "list of "+tt.name, got, tt.want...)
			if want := len(tt.want); tt.f.Limit == 0 && n != int64(want) {
				t.Errorf("count of %s = %d, want %d", tt.name, n, want)
			}
		}
	})

	t.Run("a purge removes done entries older than the cut, up to its limit", func(t *testing.T) {
		s := open(t)
		var ids []int64
		for i := range 4 {
			e := enqueue(t, s, entry("b", fmt.Sprintf("k%d", i), "arn:x", at(0)))
			ids = append(ids, e.ID)
		}
		claim(t, s, "r", at(1), at(10), 0)
		settle(t, s, ids[0], "r", meta.OutboxSettle{State: meta.OutboxDone, At: at(2)})
		settle(t, s, ids[1], "r", meta.OutboxSettle{State: meta.OutboxDone, At: at(3)})
		settle(t, s, ids[2], "r", meta.OutboxSettle{State: meta.OutboxDone, At: at(9)})
		settle(t, s, ids[3], "r", meta.OutboxSettle{State: meta.OutboxFailed, At: at(2)})
		var n int
		update(t, s, func(tx meta.Tx) error {
			var err error
			n, err = tx.PurgeOutbox(at(5), 1)
			return err
		})
		if n != 1 {
			t.Errorf("purge with limit 1 removed %d", n)
		}
		update(t, s, func(tx meta.Tx) error {
			var err error
			n, err = tx.PurgeOutbox(at(5), 0)
			return err
		})
		if n != 1 {
			t.Errorf("second purge removed %d, want the one done entry left before the cut", n)
		}
		var left []meta.OutboxEntry
		view(t, s, func(tx meta.Tx) error {
			var err error
			left, err = tx.ListOutbox(meta.OutboxFilter{Kind: "test"})
			return err
		})
		assertEntryIDs(t, "left after purges", left, ids[2], ids[3])
	})
}

// assertEntry compares every stored field of an entry.
func assertEntry(t *testing.T, what string, g, w meta.OutboxEntry) {
	t.Helper()
	if g.ID != w.ID || g.Kind != w.Kind || g.Destination != w.Destination || g.Bucket != w.Bucket || g.Key != w.Key ||
		g.VersionID != w.VersionID || !bytes.Equal(g.Payload, w.Payload) || g.State != w.State ||
		g.Attempts != w.Attempts || !sameTime(g.NextAttempt, w.NextAttempt) || g.LastError != w.LastError ||
		g.LeaseOwner != w.LeaseOwner || !sameTime(g.LeaseExpires, w.LeaseExpires) || !sameTime(g.CreatedAt, w.CreatedAt) ||
		!sameTime(g.UpdatedAt, w.UpdatedAt) {
		t.Errorf("%s =\n  %+v\nwant\n  %+v", what, g, w)
	}
}

package metatest

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/quarrylabs/quarry/internal/meta"
)

// race runs each fn in its own goroutine, released together so that their
// Update transactions overlap where the store lets them, and waits for
// them all.
func race(fns ...func()) {
	var (
		ready, done sync.WaitGroup
		start       = make(chan struct{})
	)
	for _, fn := range fns {
		ready.Add(1)
		done.Add(1)
		go func() {
			defer done.Done()
			ready.Done()
			<-start
			fn()
		}()
	}
	ready.Wait()
	close(start)
	done.Wait()
}

// raceRounds is how many times each concurrent claim is tried: one round
// may well serialise by chance, twenty hardly all do.
const raceRounds = 20

// testConcurrentClaims has two owners claim at once, each through its own
// Store.Update, as two nodes on one database would: they never both win
// a job or an entry, and a key's outbox entries still go out one at a
// time, in order.
func testConcurrentClaims(t *testing.T, open func(t *testing.T) meta.Store) {
	t.Run("two owners claiming one job at once: exactly one wins it", func(t *testing.T) {
		s := open(t)
		for round := range raceRounds {
			j := createJob(t, s, newJob(fmt.Sprintf("b%d", round), "T"))
			var (
				got  [2]*meta.Job
				errs [2]error
			)
			race(func() { got[0], errs[0] = tryClaim(s, "x", at(10), at(100)) },
				func() { got[1], errs[1] = tryClaim(s, "y", at(10), at(100)) })
			winners := 0
			for i, owner := range []string{"x", "y"} {
				switch {
				case errs[i] == nil:
					winners++
					if got[i].ID != j.ID || got[i].LeaseOwner != owner {
						t.Fatalf("round %d: %s claimed job %d leased to %q, want job %d leased to it",
							round, owner, got[i].ID, got[i].LeaseOwner, j.ID)
					}
				case !errors.Is(errs[i], meta.ErrNotFound):
					t.Fatalf("round %d: claim by %s: %v, want success or ErrNotFound", round, owner, errs[i])
				}
			}
			if winners != 1 {
				t.Fatalf("round %d: %d owners won the one job, want exactly 1", round, winners)
			}
			stored := getJob(t, s, j.ID)
			if stored.Attempts != 1 {
				t.Fatalf("round %d: job claimed %d times, want 1", round, stored.Attempts)
			}
			// End it so the next round's job is the only claimable one.
			stored.State, stored.CompletedAt = meta.JobComplete, at(20)
			update(t, s, func(tx meta.Tx) error { return tx.SaveJob(&stored, stored.LeaseOwner) })
		}
	})

	t.Run("two owners claiming two jobs at once take one each", func(t *testing.T) {
		s := open(t)
		for round := range raceRounds {
			a := createJob(t, s, newJob(fmt.Sprintf("a%d", round), "T"))
			b := createJob(t, s, newJob(fmt.Sprintf("b%d", round), "T"))
			var (
				got  [2]*meta.Job
				errs [2]error
			)
			race(func() { got[0], errs[0] = tryClaim(s, "x", at(10), at(100)) },
				func() { got[1], errs[1] = tryClaim(s, "y", at(10), at(100)) })
			for i, err := range errs {
				if err != nil {
					t.Fatalf("round %d: claim %d: %v, want a job for each owner", round, i, err)
				}
			}
			if got[0].ID == got[1].ID {
				t.Fatalf("round %d: both owners claimed job %d", round, got[0].ID)
			}
			for _, id := range []int32{a.ID, b.ID} {
				j := getJob(t, s, id)
				if j.Attempts != 1 || (j.LeaseOwner != "x" && j.LeaseOwner != "y") {
					t.Fatalf("round %d: job %d claimed %d times, leased to %q; want once, by x or y",
						round, id, j.Attempts, j.LeaseOwner)
				}
				j.State, j.CompletedAt = meta.JobComplete, at(20)
				update(t, s, func(tx meta.Tx) error { return tx.SaveJob(&j, j.LeaseOwner) })
			}
		}
	})

	t.Run("two owners claiming outbox entries at once never both lease one", func(t *testing.T) {
		s := open(t)
		for round := range raceRounds {
			var ids []int64
			for k := range 6 {
				ids = append(ids, enqueue(t, s, entry("b", fmt.Sprintf("r%d/k%d", round, k), "arn:d", at(0))).ID)
			}
			var got [2][]meta.OutboxEntry
			var errs [2]error
			claimAll := func(i int, owner string) {
				errs[i] = s.Update(ctx(), func(tx meta.Tx) error {
					var err error
					got[i], err = tx.ClaimOutbox(meta.OutboxClaim{Owner: owner, Now: at(10), Until: at(100), Limit: 6})
					return err
				})
			}
			race(func() { claimAll(0, "x") }, func() { claimAll(1, "y") })
			owners := map[int64]string{}
			for i, owner := range []string{"x", "y"} {
				if errs[i] != nil {
					t.Fatalf("round %d: claim by %s: %v", round, owner, errs[i])
				}
				for _, e := range got[i] {
					if prev, taken := owners[e.ID]; taken {
						t.Fatalf("round %d: entry %d leased to both %s and %s", round, e.ID, prev, owner)
					}
					owners[e.ID] = owner
				}
			}
			if len(owners) != len(ids) {
				t.Fatalf("round %d: %d of %d entries claimed, want all", round, len(owners), len(ids))
			}
			for _, id := range ids {
				var e *meta.OutboxEntry
				view(t, s, func(tx meta.Tx) error {
					var err error
					e, err = tx.GetOutbox(id)
					return err
				})
				if e.LeaseOwner != owners[id] {
					t.Fatalf("round %d: entry %d stored leased to %q, claimed by %q", round, id, e.LeaseOwner, owners[id])
				}
				settle(t, s, id, e.LeaseOwner, meta.OutboxSettle{State: meta.OutboxDone, Attempts: 1, At: at(11)})
			}
		}
	})

	t.Run("ids set aside while others enqueue are never given to an entry", func(t *testing.T) {
		s := open(t)
		const (
			rounds, block = 30, 20
			enqueuers     = 4
		)
		var (
			reserved [rounds]int64
			entries  [enqueuers][]int64
			errs     [enqueuers + 1]error
		)
		fns := []func(){func() {
			for i := range rounds {
				errs[0] = s.Update(ctx(), func(tx meta.Tx) error {
					var err error
					reserved[i], err = tx.ReserveOutboxIDs(block)
					return err
				})
				if errs[0] != nil {
					return
				}
			}
		}}
		for w := range enqueuers {
			fns = append(fns, func() {
				for i := range rounds {
					e := entry("b", fmt.Sprintf("w%d/k%d", w, i), "arn:d", at(0))
					errs[w+1] = s.Update(ctx(), func(tx meta.Tx) error { return tx.EnqueueOutbox(&e) })
					if errs[w+1] != nil {
						return
					}
					entries[w] = append(entries[w], e.ID)
				}
			})
		}
		race(fns...)
		for i, err := range errs {
			if err != nil {
				t.Fatalf("goroutine %d: %v", i, err)
			}
		}
		for _, ids := range entries {
			for _, id := range ids {
				for _, first := range reserved {
					if id >= first && id < first+block {
						t.Fatalf("entry %d got an id of the block %d..%d set aside", id, first, first+block-1)
					}
				}
			}
		}
		for i := 1; i < rounds; i++ {
			if reserved[i] < reserved[i-1]+block {
				t.Fatalf("block %d starts at %d, inside or before block %d at %d", i, reserved[i], i-1, reserved[i-1])
			}
		}
	})

	t.Run("owners claiming and settling at once carry a key's entries out one at a time, in order", func(t *testing.T) {
		s := open(t)
		const keys, perKey = 3, 5
		order := map[int64][2]int{} // entry id: key, position in its key
		for i := range perKey {
			for k := range keys {
				e := enqueue(t, s, entry("b", fmt.Sprintf("k%d", k), "arn:d", at(0)))
				order[e.ID] = [2]int{k, i}
			}
		}
		var (
			mu       sync.Mutex
			next     [keys]int   // the position each key's next claimable entry must have
			out      [keys]int64 // the entry of each key out with an owner, 0 for none
			settled  int
			failures []string
		)
		fail := func(format string, args ...any) {
			mu.Lock()
			defer mu.Unlock()
			failures = append(failures, fmt.Sprintf(format, args...))
		}
		work := func(owner string) {
			for range 1000 {
				mu.Lock()
				finished := settled == keys*perKey || len(failures) > 0
				mu.Unlock()
				if finished {
					return
				}
				var got []meta.OutboxEntry
				err := s.Update(ctx(), func(tx meta.Tx) error {
					var err error
					got, err = tx.ClaimOutbox(meta.OutboxClaim{Owner: owner, Now: at(10), Until: at(100), Limit: keys})
					return err
				})
				if err != nil {
					fail("claim by %s: %v", owner, err)
					return
				}
				for _, e := range got {
					pos := order[e.ID]
					mu.Lock()
					if out[pos[0]] != 0 {
						failures = append(failures, fmt.Sprintf("%s claimed entry %d of key k%d while entry %d of that key was out",
							owner, e.ID, pos[0], out[pos[0]]))
					}
					if pos[1] != next[pos[0]] {
						failures = append(failures, fmt.Sprintf("%s claimed entry %d, number %d of key k%d, before number %d",
							owner, e.ID, pos[1], pos[0], next[pos[0]]))
					}
					out[pos[0]] = e.ID
					mu.Unlock()
				}
				for _, e := range got {
					pos := order[e.ID]
					// Recorded before the settle commits: once it has, the
					// next entry of the key may be claimed by the other owner.
					mu.Lock()
					out[pos[0]] = 0
					next[pos[0]]++
					mu.Unlock()
					err := s.Update(ctx(), func(tx meta.Tx) error {
						return tx.SettleOutbox(e.ID, owner, meta.OutboxSettle{State: meta.OutboxDone, Attempts: 1, At: at(11)})
					})
					if err != nil {
						fail("settle entry %d by %s: %v", e.ID, owner, err)
						return
					}
					mu.Lock()
					settled++
					mu.Unlock()
				}
			}
			mu.Lock()
			n := settled
			mu.Unlock()
			fail("%s gave up with %d of %d entries settled", owner, n, keys*perKey)
		}
		race(func() { work("x") }, func() { work("y") })
		for _, f := range failures {
			t.Error(f)
		}
		if settled != keys*perKey {
			t.Fatalf("%d of %d entries settled", settled, keys*perKey)
		}
	})
}

package meta

import (
	"cmp"
	"fmt"
	"slices"
	"time"
)

// ShareClaim is how a store's ClaimOutbox shares c.Limit between dests, the
// destinations with pending entries: each takes up to its share in turn
// (claim takes up to n entries of one destination; n 0 means no limit),
// starting at a destination that moves with the clock (so that, with more
// destinations than the limit, each gets its turn), and what some could not
// use goes round again to those that filled theirs. c.PerDestination caps
// each destination at what its c.Busy leaves. The entries are returned in
// id order.
func ShareClaim(c OutboxClaim, dests []string, claim func(dest string, n int) ([]OutboxEntry, error)) ([]OutboxEntry, error) {
	room := map[string]int{} // what each destination may still take; absent: no cap
	if c.PerDestination > 0 {
		open := dests[:0]
		for _, d := range dests {
			if r := c.PerDestination - c.Busy[d]; r > 0 {
				room[d] = r
				open = append(open, d)
			}
		}
		dests = open
	}
	if len(dests) == 0 {
		return nil, nil
	}
	start := int(spread(c.Now) % uint64(len(dests)))
	dests = slices.Concat(dests[start:], dests[:start])
	remaining := c.Limit
	var out []OutboxEntry
	for len(dests) > 0 && (c.Limit <= 0 || remaining > 0) {
		share := 0 // no limit
		if c.Limit > 0 {
			share = max(1, remaining/len(dests))
		}
		var full []string
		for _, d := range dests {
			if c.Limit > 0 && remaining == 0 {
				break
			}
			n := share
			if c.Limit > 0 {
				n = min(share, remaining)
			}
			if r, capped := room[d]; capped {
				if n == 0 || n > r {
					n = r
				}
				if n == 0 {
					continue
				}
			}
			got, err := claim(d, n)
			if err != nil {
				return nil, fmt.Errorf("claim outbox entries of %s for %s: %w", d, c.Owner, err)
			}
			out = append(out, got...)
			remaining -= len(got)
			r, capped := room[d]
			if capped {
				r -= len(got)
				room[d] = r
			}
			if n > 0 && len(got) == n && (!capped || r > 0) {
				full = append(full, d)
			}
		}
		if c.Limit <= 0 {
			break
		}
		dests = full
	}
	slices.SortFunc(out, func(a, b OutboxEntry) int { return cmp.Compare(a.ID, b.ID) })
	return out, nil
}

// spread turns a claim's time into a well-mixed number (Fibonacci
// hashing), so that claims made at nearby times start at destinations far
// apart.
func spread(now time.Time) uint64 {
	return uint64(now.UnixNano()) * 0x9E3779B97F4A7C15 >> 17
}

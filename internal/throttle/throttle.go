// Package throttle slows down guessing: it counts failed attempts per key
// (a username, a client address) and, after a few free ones, makes the key
// wait before its next attempt, doubling the wait with each further failure.
// While a key waits every attempt is refused, whatever it would have been,
// so a guesser learns nothing. State is in memory, per process, and bounded.
package throttle

import (
	"slices"
	"sync"
	"time"
)

// Policy says when a key must wait and for how long.
type Policy struct {
	// Free is how many failures a key may have before any wait.
	Free int
	// Base is the wait after failure Free+1; each further failure doubles
	// it, up to Max.
	Base, Max time.Duration
	// ForgetAfter is how long a key must go without a failure, counted
	// from the end of its last wait, before its failures are forgotten;
	// zero means one hour.
	ForgetAfter time.Duration
	// ResetOnSuccess forgets a key's failures when an attempt succeeds.
	ResetOnSuccess bool
	// MaxKeys bounds how many keys are remembered; past it, the keys that
	// matter least are forgotten first (see Limiter).
	MaxKeys int
}

// entry is what a Limiter remembers of one key.
type entry struct {
	failures    int
	lastFailure time.Time
	lockedUntil time.Time
	// inFlight counts admitted attempts whose outcome is not known yet.
	inFlight int
}

// Limiter applies a Policy to keys. It is safe for concurrent use.
//
// Memory: a key is remembered from its first attempt until it is forgotten
// (ForgetAfter, or a success with ResetOnSuccess). When MaxKeys are
// remembered, a new key first makes the limiter drop the keys it may
// forget, then, down to nine tenths of MaxKeys, those that matter least:
// keys not waiting before waiting ones, fewer failures before more, older
// before newer. Keys with attempts in flight are never dropped.
type Limiter struct {
	policy Policy

	mu   sync.Mutex
	keys map[string]*entry
}

// New returns a Limiter for p. A Free below 0 counts as 0, a Base of zero
// as one second, a Max below Base as Base, and MaxKeys below 1 as 10,000.
func New(p Policy) *Limiter {
	p.Free = max(p.Free, 0)
	if p.Base <= 0 {
		p.Base = time.Second
	}
	p.Max = max(p.Max, p.Base)
	if p.ForgetAfter <= 0 {
		p.ForgetAfter = time.Hour
	}
	if p.MaxKeys < 1 {
		p.MaxKeys = 10_000
	}
	return &Limiter{policy: p, keys: make(map[string]*entry)}
}

// Attempt is one admitted attempt of a key. Exactly one of Fail, Succeed
// and Cancel must be called; later calls do nothing.
type Attempt struct {
	l    *Limiter
	key  string
	done bool
}

// Begin asks whether key may try now. If it may not, the attempt is not
// admitted and retryAfter says how long to wait. A key waits while its
// last failure's wait runs, and also while attempts already in flight could
// use up its remaining free failures: so that many attempts at once cannot
// get more guesses than one after another.
func (l *Limiter) Begin(key string, now time.Time) (a *Attempt, retryAfter time.Duration, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	e := l.keys[key]
	if e != nil && l.forgettable(e, now) {
		*e = entry{}
	}
	if e == nil {
		if len(l.keys) >= l.policy.MaxKeys {
			l.shrink(now)
		}
		e = &entry{}
		l.keys[key] = e
	}
	if now.Before(e.lockedUntil) {
		return nil, e.lockedUntil.Sub(now), false
	}
	if e.inFlight > 0 && e.failures+e.inFlight >= l.policy.Free {
		return nil, l.policy.Base, false
	}
	e.inFlight++
	return &Attempt{l: l, key: key}, 0, true
}

// Fail records a failed attempt at now. It returns the key's failures so
// far and, when this failure makes the key wait, how long (0 otherwise).
func (a *Attempt) Fail(now time.Time) (failures int, wait time.Duration) {
	if a.done {
		return 0, 0
	}
	a.done = true
	l := a.l
	l.mu.Lock()
	defer l.mu.Unlock()
	e := l.release(a.key)
	e.failures++
	e.lastFailure = now
	if over := e.failures - l.policy.Free; over > 0 {
		wait = l.backoff(over)
		if until := now.Add(wait); until.After(e.lockedUntil) {
			e.lockedUntil = until
		}
	}
	return e.failures, wait
}

// Succeed records a successful attempt: with ResetOnSuccess the key's
// failures are forgotten, otherwise it is as Cancel.
func (a *Attempt) Succeed() {
	if a.done {
		return
	}
	a.end(a.l.policy.ResetOnSuccess)
}

// Cancel ends an attempt that was neither a failure nor a success (it was
// refused for another reason, or could not be decided).
func (a *Attempt) Cancel() {
	if a.done {
		return
	}
	a.end(false)
}

// end releases the attempt's key, forgetting its failures when reset, and
// the key itself once nothing is left to remember.
func (a *Attempt) end(reset bool) {
	a.done = true
	l := a.l
	l.mu.Lock()
	defer l.mu.Unlock()
	e := l.release(a.key)
	if reset {
		e.failures, e.lastFailure, e.lockedUntil = 0, time.Time{}, time.Time{}
	}
	if e.failures == 0 && e.inFlight == 0 && e.lockedUntil.IsZero() {
		delete(l.keys, a.key)
	}
}

// Len is how many keys the limiter remembers.
func (l *Limiter) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.keys)
}

// release ends an in-flight attempt of key and returns its entry, made
// again if it was dropped meanwhile (it is not, while in flight; this
// keeps a misuse from panicking).
func (l *Limiter) release(key string) *entry {
	e := l.keys[key]
	if e == nil {
		e = &entry{}
		l.keys[key] = e
		return e
	}
	if e.inFlight > 0 {
		e.inFlight--
	}
	return e
}

// backoff is the wait after the over-th failure past the free ones.
func (l *Limiter) backoff(over int) time.Duration {
	wait := l.policy.Base
	for i := 1; i < over && wait < l.policy.Max; i++ {
		wait *= 2
	}
	return min(wait, l.policy.Max)
}

// forgettable reports whether e has gone ForgetAfter without a failure
// since the end of its last wait.
func (l *Limiter) forgettable(e *entry, now time.Time) bool {
	if e.inFlight > 0 {
		return false
	}
	last := e.lastFailure
	if e.lockedUntil.After(last) {
		last = e.lockedUntil
	}
	return !now.Before(last.Add(l.policy.ForgetAfter))
}

// shrink drops the keys that may be forgotten and then, down to nine tenths
// of MaxKeys, the keys that matter least. Doing it in one batch keeps the
// cost per new key small when an attacker sprays new keys.
func (l *Limiter) shrink(now time.Time) {
	for k, e := range l.keys {
		if l.forgettable(e, now) {
			delete(l.keys, k)
		}
	}
	target := l.policy.MaxKeys * 9 / 10
	if len(l.keys) <= target {
		return
	}
	type candidate struct {
		key string
		e   *entry
	}
	var cs []candidate
	for k, e := range l.keys {
		if e.inFlight == 0 {
			cs = append(cs, candidate{k, e})
		}
	}
	slices.SortFunc(cs, func(a, b candidate) int {
		aWaits, bWaits := now.Before(a.e.lockedUntil), now.Before(b.e.lockedUntil)
		switch {
		case aWaits != bWaits:
			if aWaits {
				return 1
			}
			return -1
		case a.e.failures != b.e.failures:
			return a.e.failures - b.e.failures
		}
		return a.e.lastFailure.Compare(b.e.lastFailure)
	})
	for _, c := range cs {
		if len(l.keys) <= target {
			return
		}
		delete(l.keys, c.key)
	}
}

package outbox

import (
	"errors"
	"sync"
	"time"
)

// Breaker defaults: after this many consecutive failures to reach a
// destination it is taken as down, attempts to it fail at once, and one
// attempt probes it again after the cool-down.
const (
	BreakerThreshold = 3
	BreakerCoolDown  = 5 * time.Second
)

// ErrDestinationDown: recent attempts could not reach the destination, so
// this one was not tried (the wrapped message gives the last error).
var ErrDestinationDown = errors.New("destination unreachable")

// Breaker tracks, per destination, whether recent attempts could reach
// it, so that work for a dead destination fails at once instead of waiting
// out timeouts entry by entry. It is safe for concurrent use.
type Breaker struct {
	threshold int
	coolDown  time.Duration
	now       func() time.Time

	mu    sync.Mutex
	state map[string]*breakerState
}

type breakerState struct {
	failures  int
	lastErr   error
	openUntil time.Time
	probing   bool
}

// NewBreaker returns a breaker with the default threshold and cool-down
// on clock now (time.Now when nil).
func NewBreaker(now func() time.Time) *Breaker {
	if now == nil {
		now = time.Now
	}
	return &Breaker{threshold: BreakerThreshold, coolDown: BreakerCoolDown, now: now, state: make(map[string]*breakerState)}
}

// Allow returns nil if an attempt to dest may be made, or an error
// wrapping ErrDestinationDown (and ErrUnreachable). Once the cool-down has
// passed, one caller probes.
func (b *Breaker) Allow(dest string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.state[dest]
	if s == nil || s.failures < b.threshold {
		return nil
	}
	if b.now().After(s.openUntil) && !s.probing {
		s.probing = true
		return nil
	}
	return &downError{last: s.lastErr}
}

// Reached records that an attempt got an answer from dest (whatever it
// was): the destination is up.
func (b *Breaker) Reached(dest string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if s := b.state[dest]; s != nil {
		s.failures, s.lastErr, s.probing = 0, nil, false
	}
}

// Unreachable records that an attempt could not reach dest, with why.
func (b *Breaker) Unreachable(dest string, err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.state[dest]
	if s == nil {
		s = &breakerState{}
		b.state[dest] = s
	}
	s.probing = false
	s.failures++
	s.lastErr = err
	if s.failures >= b.threshold {
		s.openUntil = b.now().Add(b.coolDown)
	}
}

// downError is ErrDestinationDown with the error that opened the breaker.
type downError struct{ last error }

func (e *downError) Error() string { return ErrDestinationDown.Error() + ": " + e.last.Error() }
func (e *downError) Is(target error) bool {
	return target == ErrDestinationDown || target == ErrUnreachable
}

package replication

import (
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"sync"
	"syscall"
	"time"

	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// retryDelay is how long to wait before attempt+1 after attempt failed:
// base doubled per attempt, capped at max, with "equal jitter" (half fixed,
// half random) so that tasks failing together do not retry together and
// the delay still grows. jitter is a number in [0, 1).
func retryDelay(attempt int, base, max time.Duration, jitter float64) time.Duration {
	if attempt < 1 {
		attempt = 1
	}
	d := base
	for i := 1; i < attempt && d < max; i++ {
		d *= 2
	}
	if d > max {
		d = max
	}
	half := d / 2
	return half + time.Duration(jitter*float64(d-half))
}

// randomJitter is the jitter source of retries.
func randomJitter() float64 { return rand.Float64() }

// Circuit breaker defaults: after this many consecutive transport failures
// a destination is taken as down, copies to it fail at once, and one copy
// probes it again after the cool-down.
const (
	breakerThreshold = 3
	breakerCoolDown  = 5 * time.Second
)

// ErrDestinationDown: recent copies to the destination failed to reach it,
// so this one was not tried (the wrapped message gives the last error).
var ErrDestinationDown = errors.New("destination unreachable")

// breaker tracks, per destination, whether recent copies could reach it, so
// that a batch job over a dead destination fails each object at once
// instead of waiting out timeouts object by object.
type breaker struct {
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

func newBreaker(now func() time.Time) *breaker {
	return &breaker{threshold: breakerThreshold, coolDown: breakerCoolDown, now: now, state: make(map[string]*breakerState)}
}

// allow returns nil if a copy to dest may be tried, or an error wrapping
// ErrDestinationDown. Once the cool-down passed, one caller probes.
func (b *breaker) allow(dest string) error {
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

// record notes the result of a copy to dest. Only failures to reach the
// destination count; an S3 error means it answered.
func (b *breaker) record(dest string, err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.state[dest]
	if s == nil {
		s = &breakerState{}
		b.state[dest] = s
	}
	s.probing = false
	if !isTransportError(err) {
		s.failures, s.lastErr = 0, nil
		return
	}
	s.failures++
	s.lastErr = err
	if s.failures >= b.threshold {
		s.openUntil = b.now().Add(b.coolDown)
	}
}

// isTransportError reports a request that got no HTTP answer: connection
// refused or reset, the connection closed early (EOF), a timeout, a TLS
// failure. The SDK reports these as a RequestSendError; the checks after
// it catch the same causes reported otherwise (a response cut short while
// it was read). A copy that failed reading its own source is not one,
// whatever its cause says: the destination is not to blame.
func isTransportError(err error) bool {
	if err == nil {
		return false
	}
	var source *sourceReadError
	if errors.As(err, &source) {
		return false
	}
	var (
		send *smithyhttp.RequestSendError
		op   *net.OpError
	)
	return errors.As(err, &send) || errors.As(err, &op) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
}

// downError is ErrDestinationDown with the error that opened the breaker.
type downError struct{ last error }

func (e *downError) Error() string        { return ErrDestinationDown.Error() + ": " + e.last.Error() }
func (e *downError) Is(target error) bool { return target == ErrDestinationDown }

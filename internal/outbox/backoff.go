package outbox

import (
	"math/rand/v2"
	"time"
)

// RetryDelay is how long to wait before attempt+1 after attempt failed:
// base doubled per attempt, capped at max, with "equal jitter" (half fixed,
// half random) so that entries failing together do not retry together and
// the delay still grows. jitter is a number in [0, 1).
func RetryDelay(attempt int, base, max time.Duration, jitter float64) time.Duration {
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

// Jitter is the jitter source of retries: a number in [0, 1).
func Jitter() float64 { return rand.Float64() }

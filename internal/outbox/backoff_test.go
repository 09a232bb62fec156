package outbox

import (
	"errors"
	"testing"
	"time"
)

func TestRetryDelay(t *testing.T) {
	const base, max = time.Second, 5 * time.Minute
	tests := []struct {
		name    string
		attempt int
		jitter  float64
		want    time.Duration
	}{
		{"the first retry waits half the base without jitter", 1, 0, 500 * time.Millisecond},
		{"the first retry waits up to the base with full jitter", 1, 0.999999, base - time.Microsecond},
		{"each attempt doubles the delay", 3, 0, 2 * time.Second},
		{"the delay stops growing at the maximum", 30, 0, max / 2},
		{"jitter never goes past the maximum", 30, 0.999999, max - 300*time.Microsecond},
		{"an attempt below one counts as the first", 0, 0, 500 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := RetryDelay(tt.attempt, base, max, tt.jitter)
			if diff := got - tt.want; diff < -time.Millisecond || diff > time.Millisecond {
				t.Errorf("RetryDelay(%d, jitter %v) = %s, want %s", tt.attempt, tt.jitter, got, tt.want)
			}
			if got > max {
				t.Errorf("RetryDelay = %s, above the maximum %s", got, max)
			}
		})
	}
}

func TestBreaker(t *testing.T) {
	const dest = "arn:dest"
	unreachable := errors.New("dial tcp: connection refused")
	setup := func() (*Breaker, *time.Time) {
		now := time.Unix(1000, 0)
		return NewBreaker(func() time.Time { return now }), &now
	}
	trip := func(b *Breaker) {
		for range BreakerThreshold {
			if err := b.Allow(dest); err != nil {
				t.Fatalf("allow before the threshold: %v", err)
			}
			b.Unreachable(dest, unreachable)
		}
	}

	t.Run("lets attempts through below the threshold", func(t *testing.T) {
		b, _ := setup()
		for range BreakerThreshold - 1 {
			b.Unreachable(dest, unreachable)
		}
		if err := b.Allow(dest); err != nil {
			t.Errorf("got %v, want nil", err)
		}
	})
	t.Run("fails attempts at once after consecutive failures to reach, naming the last one", func(t *testing.T) {
		b, _ := setup()
		trip(b)
		err := b.Allow(dest)
		if !errors.Is(err, ErrDestinationDown) || !errors.Is(err, ErrUnreachable) {
			t.Fatalf("got %v, want ErrDestinationDown (and ErrUnreachable)", err)
		}
		if want := "destination unreachable: " + unreachable.Error(); err.Error() != want {
			t.Errorf("message %q, want %q", err, want)
		}
	})
	t.Run("an answer from the destination starts the count again", func(t *testing.T) {
		b, _ := setup()
		for range 2 * BreakerThreshold {
			b.Unreachable(dest, unreachable)
			b.Reached(dest)
		}
		if err := b.Allow(dest); err != nil {
			t.Errorf("got %v, want nil", err)
		}
	})
	t.Run("lets one probe through after the cool-down and closes when it is answered", func(t *testing.T) {
		b, now := setup()
		trip(b)
		*now = now.Add(BreakerCoolDown + time.Second)
		if err := b.Allow(dest); err != nil {
			t.Fatalf("probe refused: %v", err)
		}
		if err := b.Allow(dest); !errors.Is(err, ErrDestinationDown) {
			t.Fatalf("a second caller during the probe got %v, want ErrDestinationDown", err)
		}
		b.Reached(dest)
		if err := b.Allow(dest); err != nil {
			t.Errorf("after a good probe got %v, want nil", err)
		}
	})
	t.Run("stays open when the probe fails", func(t *testing.T) {
		b, now := setup()
		trip(b)
		*now = now.Add(BreakerCoolDown + time.Second)
		_ = b.Allow(dest)
		b.Unreachable(dest, unreachable)
		if err := b.Allow(dest); !errors.Is(err, ErrDestinationDown) {
			t.Errorf("got %v, want ErrDestinationDown", err)
		}
	})
	t.Run("keeps destinations apart", func(t *testing.T) {
		b, _ := setup()
		trip(b)
		if err := b.Allow("arn:other"); err != nil {
			t.Errorf("got %v, want nil", err)
		}
	})
}

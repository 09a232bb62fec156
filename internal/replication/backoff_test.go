package replication

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"testing"
	"time"

	smithyhttp "github.com/aws/smithy-go/transport/http"
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
			got := retryDelay(tt.attempt, base, max, tt.jitter)
			if diff := got - tt.want; diff < -time.Millisecond || diff > time.Millisecond {
				t.Errorf("retryDelay(%d, jitter %v) = %s, want %s", tt.attempt, tt.jitter, got, tt.want)
			}
			if got > max {
				t.Errorf("retryDelay = %s, above the maximum %s", got, max)
			}
		})
	}
}

func TestBreaker(t *testing.T) {
	const dest = "arn:dest"
	unreachable := &smithyhttp.RequestSendError{Err: errors.New("connection refused")}
	answered := fmt.Errorf("put: %w", errors.New("AccessDenied"))
	setup := func() (*breaker, *time.Time) {
		now := time.Unix(1000, 0)
		return newBreaker(func() time.Time { return now }), &now
	}
	trip := func(b *breaker) {
		for range breakerThreshold {
			if err := b.allow(dest); err != nil {
				t.Fatalf("allow before the threshold: %v", err)
			}
			b.record(dest, unreachable)
		}
	}

	t.Run("lets copies through below the threshold", func(t *testing.T) {
		b, _ := setup()
		for range breakerThreshold - 1 {
			b.record(dest, unreachable)
		}
		if err := b.allow(dest); err != nil {
			t.Errorf("got %v, want nil", err)
		}
	})
	t.Run("fails copies at once after consecutive transport failures, naming the last one", func(t *testing.T) {
		b, _ := setup()
		trip(b)
		err := b.allow(dest)
		if !errors.Is(err, ErrDestinationDown) {
			t.Fatalf("got %v, want ErrDestinationDown", err)
		}
		if want := "destination unreachable: " + unreachable.Error(); err.Error() != want {
			t.Errorf("message %q, want %q", err, want)
		}
	})
	t.Run("does not count answers from the destination", func(t *testing.T) {
		b, _ := setup()
		for range 2 * breakerThreshold {
			b.record(dest, answered)
		}
		if err := b.allow(dest); err != nil {
			t.Errorf("got %v, want nil", err)
		}
	})
	t.Run("lets one probe through after the cool-down and closes when it succeeds", func(t *testing.T) {
		b, now := setup()
		trip(b)
		*now = now.Add(breakerCoolDown + time.Second)
		if err := b.allow(dest); err != nil {
			t.Fatalf("probe refused: %v", err)
		}
		if err := b.allow(dest); !errors.Is(err, ErrDestinationDown) {
			t.Fatalf("a second caller during the probe got %v, want ErrDestinationDown", err)
		}
		b.record(dest, nil)
		if err := b.allow(dest); err != nil {
			t.Errorf("after a good probe got %v, want nil", err)
		}
	})
	t.Run("stays open when the probe fails", func(t *testing.T) {
		b, now := setup()
		trip(b)
		*now = now.Add(breakerCoolDown + time.Second)
		_ = b.allow(dest)
		b.record(dest, unreachable)
		if err := b.allow(dest); !errors.Is(err, ErrDestinationDown) {
			t.Errorf("got %v, want ErrDestinationDown", err)
		}
	})
	t.Run("keeps destinations apart", func(t *testing.T) {
		b, _ := setup()
		trip(b)
		if err := b.allow("arn:other"); err != nil {
			t.Errorf("got %v, want nil", err)
		}
	})
}

func TestIsTransportError(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	reset := &net.OpError{Op: "write", Net: "tcp", Err: os.NewSyscallError("write", syscall.ECONNRESET)}
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"connection refused, as the SDK reports it", fmt.Errorf("put: %w", &smithyhttp.RequestSendError{Err: refused}), true},
		{"connection reset during an upload", fmt.Errorf("upload: %w", &smithyhttp.RequestSendError{Err: reset}), true},
		{"the connection closed before the answer", &smithyhttp.RequestSendError{Err: io.EOF}, true},
		{"a connection reset outside a send error", fmt.Errorf("head: %w", reset), true},
		{"an answer cut short", fmt.Errorf("complete: %w", io.ErrUnexpectedEOF), true},
		{"an S3 error answer", fmt.Errorf("put: %w", errors.New("api error AccessDenied")), false},
		{"a source that could not be read, whatever the cause", fmt.Errorf("copy: %w",
			&smithyhttp.RequestSendError{Err: &sourceReadError{err: io.ErrUnexpectedEOF}}), false},
		{"no error", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := isTransportError(tt.err); got != tt.want {
				t.Errorf("isTransportError(%v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}

package replication

import (
	"errors"
	"io"
	"net"
	"syscall"

	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/quarrylabs/quarry/internal/outbox"
)

// ErrDestinationDown: recent copies to the destination failed to reach it,
// so this one was not tried (the wrapped message gives the last error).
// It is the outbox's breaker error, shared by live and batch replication.
var ErrDestinationDown = outbox.ErrDestinationDown

// recordReach tells the breaker whether a copy to dest reached it: only
// failures to reach it count; an S3 error means it answered.
func recordReach(b *outbox.Breaker, dest string, err error) {
	if isTransportError(err) {
		b.Unreachable(dest, err)
		return
	}
	b.Reached(dest)
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

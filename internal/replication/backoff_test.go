package replication

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"testing"

	smithyhttp "github.com/aws/smithy-go/transport/http"
)

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

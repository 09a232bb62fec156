package s3

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
)

// describedError is an SDK error said in a few words an operator can act
// on; it unwraps to the original.
type describedError struct {
	msg string
	err error
}

func (e *describedError) Error() string { return e.msg }
func (e *describedError) Unwrap() error { return e.err }

// describe words what an endpoint answered (or why it could not be
// reached), from the status and S3 error code: the SDK's own text repeats
// the operation, the request id and the whole chain.
func describe(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	var re *awshttp.ResponseError
	if errors.As(err, &re) && re.HTTPStatusCode() != 0 {
		code := re.HTTPStatusCode()
		var apiErr smithy.APIError
		msg := fmt.Sprintf("the endpoint answered HTTP %d", code)
		if errors.As(err, &apiErr) && apiErr.ErrorCode() != "" && apiErr.ErrorCode() != http.StatusText(code) {
			msg += " " + apiErr.ErrorCode()
			if m := apiErr.ErrorMessage(); m != "" {
				msg += ": " + m
			}
		}
		switch code {
		case http.StatusForbidden, http.StatusUnauthorized:
			msg += " (the credentials were refused)"
		case http.StatusNotFound:
			msg += " (no such bucket)"
		case http.StatusMovedPermanently, http.StatusBadRequest:
			msg += " (is the region right?)"
		}
		return &describedError{msg: msg, err: err}
	}
	var opErr *net.OpError
	if errors.As(err, &opErr) && opErr.Op == "dial" {
		return &describedError{msg: fmt.Sprintf("cannot connect: %v", opErr.Err), err: err}
	}
	var netErr net.Error
	if errors.As(err, &netErr) && netErr.Timeout() {
		return &describedError{msg: "the endpoint did not answer in time", err: err}
	}
	return err
}

// HTTPStatus is the HTTP status the endpoint answered a failed call with,
// or 0 when it could not be reached.
func HTTPStatus(err error) int {
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

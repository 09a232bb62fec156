package s3api

import (
	"errors"
	"io"
)

// StatusClientClosedRequest is the status Observe reports for a request
// whose client went away before it could be answered (nginx's 499): the
// client's doing, not a server error, and an answer nobody received.
const StatusClientClosedRequest = 499

// watchedBody is the request body as read from the connection. It keeps
// the first read error, because the layers above it (signature checks,
// hashing, the blob store's cancellation checks) may report the same loss
// as something else, depending on which noticed first.
type watchedBody struct {
	io.ReadCloser
	err error // first read error other than io.EOF
}

func (b *watchedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil && err != io.EOF && b.err == nil {
		b.err = err
	}
	return n, err
}

// connectionOutcome refines ae, an error without a code of its own (an
// internal failure, a cancelled context), by what happened to the client's
// connection, and reports whether the client aborted:
//   - a body that ended before its declared length (the client closed its
//     sending side; it may still read the answer) is IncompleteBody;
//   - a connection that is gone (reset mid-body, or closed while the
//     request was served: net/http then cancels the request's context) is
//     a client abort, answered RequestTimeout in case anyone still reads.
//
// Errors with a specific code (a bad signature, a missing bucket) keep it.
func connectionOutcome(req *request, ae *apiError) (*apiError, bool) {
	if ae.code != codeInternalError && ae.code != codeRequestTimeout {
		return ae, false
	}
	var bodyErr error
	if req.rawBody != nil {
		bodyErr = req.rawBody.err
	}
	switch {
	case errors.Is(bodyErr, io.ErrUnexpectedEOF):
		return &apiError{code: codeIncompleteBody, cause: ae.cause}, false
	case req.ctx().Err() != nil:
		return &apiError{code: codeRequestTimeout, cause: ae.cause}, true
	}
	return ae, false
}

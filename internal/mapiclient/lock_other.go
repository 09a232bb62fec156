//go:build !unix

package mapiclient

import "context"

// lockFile does not lock where flock is missing: concurrent runs of a
// program there may race on a refresh, and the server may then revoke the
// session as a replayed refresh token (log in again).
func lockFile(context.Context, string) (unlock func(), err error) {
	return func() {}, nil
}

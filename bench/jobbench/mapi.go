package main

import (
	"context"
	"net/http"
	"time"

	"github.com/quarrylabs/quarry/bench/internal/mapicall"
)

// login returns a client of the MAPI at base, logged in as the root user.
// Each client keeps its own connection, as separate programs would.
func login(ctx context.Context, base string) (*mapicall.Client, error) {
	tr := &http.Transport{MaxIdleConnsPerHost: 1, IdleConnTimeout: time.Minute}
	return mapicall.Login(ctx, &http.Client{Transport: tr, Timeout: 2 * time.Minute}, base, rootUser, rootPassword)
}

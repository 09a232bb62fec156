package mapiclient

import (
	"sync"
	"testing"
	"time"
)

// process is another run of the CLI on the same session file: a new
// FileStore and Client, sharing nothing in memory with the others.
func process(f *fakeMAPI, store *FileStore) *Client {
	return New(f.URL(), Options{TokenStore: &FileStore{Path: store.Path}})
}

func TestEveryRefreshSavesTheRotatedTokenForTheNextRun(t *testing.T) {
	f := newFakeMAPI(t)
	_, store := loggedIn(t, f)
	for i := range 4 {
		f.revokeAccessTokens() // each run finds its access token expired
		if _, err := process(f, store).UserInfo(t.Context()); err != nil {
			t.Fatalf("run %d: %v", i+1, err)
		}
	}
	if got := f.count(&f.refreshGrants); got != 4 {
		t.Errorf("refresh grants = %d, want 4", got)
	}
	if got := f.count(&f.replays); got != 0 {
		t.Errorf("%d rotated-out refresh tokens were presented again", got)
	}
}

func TestRunsThatRefreshAtOnceShareOneRefresh(t *testing.T) {
	for _, tt := range []struct {
		name   string
		expire func(f *fakeMAPI, c *Client)
	}{
		{"when the server refuses the access token", func(f *fakeMAPI, _ *Client) { f.revokeAccessTokens() }},
		{"when the access token is near its expiry", func(_ *fakeMAPI, c *Client) {
			c.now = func() time.Time { return time.Now().Add(10 * time.Minute) }
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeMAPI(t)
			_, store := loggedIn(t, f)
			runs := make([]*Client, 8)
			for i := range runs {
				runs[i] = process(f, store)
				if _, err := runs[i].Session(); err != nil { // each loaded the same refresh token
					t.Fatal(err)
				}
				tt.expire(f, runs[i])
			}
			var wg sync.WaitGroup
			errs := make([]error, len(runs))
			for i, c := range runs {
				wg.Go(func() { _, errs[i] = c.UserInfo(t.Context()) })
			}
			wg.Wait()
			for i, err := range errs {
				if err != nil {
					t.Errorf("run %d: %v", i+1, err)
				}
			}
			if got := f.count(&f.replays); got != 0 {
				t.Fatalf("%d runs refreshed with a token another had rotated out", got)
			}
			if got := f.count(&f.refreshGrants); got != 1 {
				t.Errorf("refresh grants = %d, want 1 shared by every run", got)
			}
			// The saved session still refreshes.
			f.revokeAccessTokens()
			if _, err := process(f, store).UserInfo(t.Context()); err != nil {
				t.Fatalf("a later run: %v", err)
			}
		})
	}
}

func TestARunWhoseTokenWasRefusedAdoptsTheOneAnotherRunRefreshed(t *testing.T) {
	f := newFakeMAPI(t)
	_, store := loggedIn(t, f)
	stale := process(f, store)
	if _, err := stale.Session(); err != nil { // loads the first refresh token
		t.Fatal(err)
	}
	f.revokeAccessTokens()
	if _, err := process(f, store).UserInfo(t.Context()); err != nil { // rotates it
		t.Fatal(err)
	}
	if _, err := stale.UserInfo(t.Context()); err != nil {
		t.Fatalf("the run that loaded the session first: %v", err)
	}
	if got := f.count(&f.replays); got != 0 {
		t.Fatalf("the stale run replayed its rotated-out refresh token")
	}
	if got := f.count(&f.refreshGrants); got != 1 {
		t.Errorf("refresh grants = %d, want 1: the stale run should use the saved access token", got)
	}
}

func TestACSRFSaveKeepsARefreshTokenAnotherRunRotated(t *testing.T) {
	f := newFakeMAPI(t)
	_, store := loggedIn(t, f)
	stale := process(f, store)
	if _, err := stale.Session(); err != nil { // loads the first refresh token, no CSRF token yet
		t.Fatal(err)
	}
	early := process(f, store)
	early.now = func() time.Time { return time.Now().Add(10 * time.Minute) }
	if _, err := early.UserInfo(t.Context()); err != nil { // rotates the refresh token
		t.Fatal(err)
	}
	// The stale run's access token still works, so it does not refresh;
	// it fetches a CSRF token and saves it.
	if _, err := stale.UserInfo(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got := f.count(&f.csrfFetches); got != 2 {
		t.Fatalf("csrf fetches = %d, want 2", got)
	}
	f.revokeAccessTokens()
	if _, err := process(f, store).UserInfo(t.Context()); err != nil {
		t.Fatalf("a later run: %v", err)
	}
	if got := f.count(&f.replays); got != 0 {
		t.Fatalf("the CSRF save put back a rotated-out refresh token")
	}
}

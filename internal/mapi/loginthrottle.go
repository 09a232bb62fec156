package mapi

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"time"

	"github.com/quarrylabs/quarry/internal/auth"
	"github.com/quarrylabs/quarry/internal/events"
	"github.com/quarrylabs/quarry/internal/throttle"
)

// The default back-off of failed password grants. Per username: five free
// failures, then 1 s doubling to 15 min, forgotten on a success. Per client
// address, which many people may share behind one NAT: twenty free
// failures, not forgotten on a success (an attacker with one account of its
// own must not clear its address by logging in). Both forget a key after an
// hour without failures past the end of its last wait.
func defaultUserLoginPolicy() throttle.Policy {
	return throttle.Policy{Free: 5, Base: time.Second, Max: 15 * time.Minute,
		ForgetAfter: time.Hour, ResetOnSuccess: true, MaxKeys: 10_000}
}

func defaultAddressLoginPolicy() throttle.Policy {
	return throttle.Policy{Free: 20, Base: time.Second, Max: 15 * time.Minute,
		ForgetAfter: time.Hour, MaxKeys: 10_000}
}

// errTooManyLogins is the token endpoint's answer while a username or an
// address must wait. RFC 6749 defines no token endpoint error for this;
// temporarily_unavailable (its authorization endpoint's "try again later")
// says what a client should do, where invalid_grant would tell a user who
// typed the right password that it was wrong. The 429 status and the
// Retry-After header carry the rest.
func errTooManyLogins(wait time.Duration) *oauthError {
	secs := retryAfterSeconds(wait)
	return &oauthError{Status: http.StatusTooManyRequests, Code: "temporarily_unavailable",
		Description: fmt.Sprintf("Too many failed logins; try again in %d seconds", secs),
		RetryAfter:  strconv.FormatInt(secs, 10)}
}

// retryAfterSeconds rounds a wait up to whole seconds, at least one, so that
// a client that waits as told is never refused again for the same wait.
func retryAfterSeconds(d time.Duration) int64 {
	return max(1, int64((d+time.Second-1)/time.Second))
}

// loginThrottle holds the per-username and per-address limiters of the
// password grant. It lives in this process only.
type loginThrottle struct {
	users, addrs *throttle.Limiter
	log          *slog.Logger
	// events records refused logins and lockouts, a flood of them as one
	// event per source a minute; nil records nothing.
	events *events.Log
}

func newLoginThrottle(users, addrs throttle.Policy, log *slog.Logger, evs *events.Log) *loginThrottle {
	if users == (throttle.Policy{}) {
		users = defaultUserLoginPolicy()
	}
	if addrs == (throttle.Policy{}) {
		addrs = defaultAddressLoginPolicy()
	}
	return &loginThrottle{users: throttle.New(users), addrs: throttle.New(addrs), log: log, events: evs}
}

// loginAttempt is one admitted password check.
type loginAttempt struct {
	t              *loginThrottle
	username, addr string
	user, addrA    *throttle.Attempt // user is nil for a name no user can have
}

// begin admits a password check of username from addr, or answers how long
// to wait. A name that is not a valid username is throttled by address
// only: it cannot be anyone's, and it must not grow the username table.
func (t *loginThrottle) begin(username, addr string, now time.Time) (*loginAttempt, error) {
	a := &loginAttempt{t: t, username: username, addr: addr}
	var wait time.Duration
	if auth.ValidateUsername(username) == nil {
		ua, w, ok := t.users.Begin(auth.FoldUsername(username), now)
		if !ok {
			wait = w
		}
		a.user = ua
	}
	aa, w, ok := t.addrs.Begin(addr, now)
	if !ok {
		wait = max(wait, w)
	}
	a.addrA = aa
	if wait > 0 {
		a.cancel()
		return nil, errTooManyLogins(wait)
	}
	return a, nil
}

// fail counts a wrong password, records it in the event log (for ownerID,
// the user the name is of, or 0), and logs and records each key it makes
// wait.
func (a *loginAttempt) fail(ctx context.Context, now time.Time, ownerID int64) {
	name := loggableUsername(a.username)
	a.t.events.RecordFlood(ctx, "refused\x00"+auth.FoldUsername(name)+"\x00"+a.addr, events.Event{
		Type:    events.LoginRefused,
		Subject: "login/" + name,
		Message: fmt.Sprintf("login refused for %s from %s: wrong password", name, a.addr),
		OwnerID: ownerID,
	})
	if a.user != nil {
		if n, wait := a.user.Fail(now); wait > 0 {
			a.lockout(ctx, "username", n, wait, ownerID)
		}
	}
	if n, wait := a.addrA.Fail(now); wait > 0 {
		a.lockout(ctx, "address", n, wait, 0)
	}
}

func (a *loginAttempt) succeed() {
	if a.user != nil {
		a.user.Succeed()
	}
	a.addrA.Succeed()
}

// cancel ends an attempt that did not decide anything (a server error).
func (a *loginAttempt) cancel() {
	if a.user != nil {
		a.user.Cancel()
	}
	if a.addrA != nil {
		a.addrA.Cancel()
	}
}

// lockout logs and records that a key must wait. The password is never
// logged, nor a username that is not a valid one (it may be anything).
// A lockout by address concerns no one user: admins see it.
func (a *loginAttempt) lockout(ctx context.Context, by string, failures int, wait time.Duration, ownerID int64) {
	name := loggableUsername(a.username)
	a.t.log.Warn("mapi login locked out after repeated failures",
		"by", by, "username", name, "address", a.addr, "failures", failures, "wait", wait)
	subject, who := "login/"+name, "username "+name
	if by == "address" {
		subject, who = "address/"+a.addr, "address "+a.addr
	}
	a.t.events.RecordFlood(ctx, "lockout\x00"+auth.FoldUsername(subject), events.Event{
		Type:    events.LoginLockedOut,
		Subject: subject,
		Message: fmt.Sprintf("%s locked out for %s after %d failed logins (last from %s for %s)",
			who, wait, failures, a.addr, name),
		OwnerID: ownerID,
	})
}

// clientAddress is the key a client's failed logins are counted under: the
// address of the connection's peer, never a header the client could set.
// An IPv6 client counts by its /64, which one host can hold whole.
func clientAddress(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	ip = ip.Unmap().WithZone("")
	if ip.Is6() {
		if p, err := ip.Prefix(64); err == nil {
			return p.String()
		}
	}
	return ip.String()
}

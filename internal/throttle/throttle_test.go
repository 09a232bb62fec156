package throttle

import (
	"fmt"
	"testing"
	"time"
)

var t0 = time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)

func testPolicy() Policy {
	return Policy{Free: 3, Base: time.Second, Max: 10 * time.Second, ForgetAfter: time.Hour, ResetOnSuccess: true}
}

// fail runs one admitted, failed attempt of key at now and returns the wait
// it started; it fails the test if the attempt is not admitted.
func fail(t *testing.T, l *Limiter, key string, now time.Time) time.Duration {
	t.Helper()
	a, retry, ok := l.Begin(key, now)
	if !ok {
		t.Fatalf("attempt of %s at %v refused (retry after %v), want admitted", key, now.Sub(t0), retry)
	}
	_, wait := a.Fail(now)
	return wait
}

func wantRefused(t *testing.T, l *Limiter, key string, now time.Time, retry time.Duration) {
	t.Helper()
	if _, got, ok := l.Begin(key, now); ok || got != retry {
		t.Fatalf("attempt of %s at %v: admitted=%v retry after %v, want refused for %v", key, now.Sub(t0), ok, got, retry)
	}
}

func TestFailuresPastTheFreeOnesWaitLongerEachTimeUpToTheMax(t *testing.T) {
	l := New(testPolicy())
	now := t0
	for i := 1; i <= 3; i++ {
		if wait := fail(t, l, "alice", now); wait != 0 {
			t.Fatalf("free failure %d started a wait of %v", i, wait)
		}
	}
	for _, want := range []time.Duration{1, 2, 4, 8, 10, 10} {
		want *= time.Second
		wait := fail(t, l, "alice", now)
		if wait != want {
			t.Fatalf("wait %v, want %v", wait, want)
		}
		wantRefused(t, l, "alice", now, want)
		wantRefused(t, l, "alice", now.Add(want-time.Millisecond), time.Millisecond)
		now = now.Add(want)
	}
	if _, _, ok := l.Begin("bob", t0); !ok {
		t.Fatal("another key was refused")
	}
}

func TestAWaitingKeyRefusesEvenTheAttemptThatWouldSucceed(t *testing.T) {
	l := New(testPolicy())
	for range 4 {
		fail(t, l, "alice", t0)
	}
	wantRefused(t, l, "alice", t0.Add(500*time.Millisecond), 500*time.Millisecond)
	a, _, ok := l.Begin("alice", t0.Add(time.Second))
	if !ok {
		t.Fatal("refused after the wait")
	}
	a.Succeed()
	for i := range 3 {
		if wait := fail(t, l, "alice", t0.Add(time.Second)); wait != 0 {
			t.Fatalf("after a success, failure %d waits %v: the success did not reset the key", i+1, wait)
		}
	}
}

func TestASuccessResetsOnlyWhenThePolicySaysSo(t *testing.T) {
	p := testPolicy()
	p.ResetOnSuccess = false
	l := New(p)
	for range 3 {
		fail(t, l, "10.0.0.1", t0)
	}
	a, _, _ := l.Begin("10.0.0.1", t0)
	a.Succeed()
	if wait := fail(t, l, "10.0.0.1", t0); wait != time.Second {
		t.Fatalf("the failure after a success waits %v, want 1s: the success must not reset this key", wait)
	}
}

func TestAttemptsAtOnceGetNoMoreGuessesThanTheFreeOnes(t *testing.T) {
	l := New(testPolicy())
	var admitted []*Attempt
	for range 10 {
		if a, _, ok := l.Begin("alice", t0); ok {
			admitted = append(admitted, a)
		}
	}
	if len(admitted) != 3 {
		t.Fatalf("%d attempts in flight at once, want the 3 free ones", len(admitted))
	}
	wantRefused(t, l, "alice", t0, time.Second)
	for _, a := range admitted {
		a.Fail(t0)
	}
	// Past the free ones, one at a time.
	a, _, ok := l.Begin("alice", t0)
	if !ok {
		t.Fatal("the fourth attempt, alone, was refused")
	}
	wantRefused(t, l, "alice", t0, time.Second)
	if _, wait := a.Fail(t0); wait != time.Second {
		t.Fatalf("fourth failure waits %v, want 1s", wait)
	}
}

func TestCancelledAttemptsCountForNothing(t *testing.T) {
	l := New(testPolicy())
	for range 10 {
		a, _, ok := l.Begin("alice", t0)
		if !ok {
			t.Fatal("refused")
		}
		a.Cancel()
		a.Fail(t0) // after Cancel: ignored
	}
	if l.Len() != 0 {
		t.Fatalf("%d keys remembered after cancelled attempts only", l.Len())
	}
}

func TestFailuresAreForgottenAfterAQuietPeriodFromTheEndOfTheWait(t *testing.T) {
	l := New(testPolicy())
	for range 4 {
		fail(t, l, "alice", t0)
	}
	// The wait ends at t0+1s; an hour after that, not before, all is forgotten.
	if wait := fail(t, l, "alice", t0.Add(time.Hour)); wait != 2*time.Second {
		t.Fatalf("a failure before the quiet hour ended waits %v, want 2s", wait)
	}
	quiet := t0.Add(time.Hour + 2*time.Second + time.Hour)
	for i := range 3 {
		if wait := fail(t, l, "alice", quiet); wait != 0 {
			t.Fatalf("after a quiet hour, failure %d waits %v", i+1, wait)
		}
	}
}

func TestMemoryStaysBoundedAndWaitingKeysOutliveASpray(t *testing.T) {
	p := testPolicy()
	p.MaxKeys = 100
	l := New(p)
	for range 4 {
		fail(t, l, "admin", t0) // waiting now, for 1s
	}
	for i := range 10_000 {
		fail(t, l, fmt.Sprintf("user-%d", i), t0)
		if l.Len() > p.MaxKeys {
			t.Fatalf("%d keys remembered after %d sprayed, want at most %d", l.Len(), i+1, p.MaxKeys)
		}
	}
	wantRefused(t, l, "admin", t0, time.Second)
}

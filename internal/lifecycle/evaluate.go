package lifecycle

import (
	"math"
	"math/big"
	"strconv"
	"time"
)

// Action is what a lifecycle rule asks to be done to a version or upload.
type Action int

// Actions. Which one applies follows from the state of the version: a
// current object can only expire, a noncurrent version only be removed, a
// delete marker that is the last version of its key only be removed.
const (
	// None: nothing is due.
	None Action = iota
	// ExpireCurrent expires the current version with S3 DeleteObject
	// semantics, which the executor applies for the bucket's versioning:
	// a delete marker in a versioning-enabled bucket, a null delete
	// marker replacing the null version in a suspended one, removal of
	// the object in an unversioned one.
	ExpireCurrent
	// DeleteVersion permanently removes a noncurrent version (or a
	// noncurrent delete marker).
	DeleteVersion
	// DeleteMarker removes an expired object delete marker: the current
	// version is a delete marker and the key has no other version.
	DeleteMarker
	// AbortUpload aborts an incomplete multipart upload and frees its parts.
	AbortUpload
)

var actionNames = [...]string{"None", "ExpireCurrent", "DeleteVersion", "DeleteMarker", "AbortUpload"}

func (a Action) String() string {
	if a >= 0 && int(a) < len(actionNames) {
		return actionNames[a]
	}
	return "Action(" + strconv.Itoa(int(a)) + ")"
}

// Version is what the evaluator needs to know of one version (or delete
// marker) of a key.
type Version struct {
	Key  string
	Size int64
	Tags map[string]string
	// ModTime is the version's LastModified (its creation).
	ModTime time.Time
	// IsLatest: the version is the current one of its key.
	IsLatest bool
	// DeleteMarker: the version is a delete marker.
	DeleteMarker bool
	// NoncurrentSince is when the version became noncurrent: the
	// LastModified of the version that replaced it. Zero for the latest;
	// a noncurrent version with a zero NoncurrentSince is never removed.
	NoncurrentSince time.Time
	// NewerNoncurrent is how many noncurrent versions of the key are newer
	// than this one (0 for the newest noncurrent version).
	NewerNoncurrent int
	// OtherVersions is how many other versions (delete markers included)
	// the key has. A current delete marker with none is an expired object
	// delete marker.
	OtherVersions int
}

// Decision is the outcome of evaluating a version or an upload.
//
// When an action is due, Action names it, RuleID the rule that asks for it
// and Due when it became due (at or before now). When none is due yet but
// one will be, Action is None and RuleID and Due say which rule will act
// and when, so a scanner can tell when to look again. When no rule will
// ever act on these facts, the Decision is the zero value.
type Decision struct {
	Action Action
	RuleID string
	Due    time.Time
}

// Evaluate decides what the rules ask for v at now. day is the length of a
// lifecycle day (DefaultDay in production; zero or less means DefaultDay):
// every Days value counts days of that length, and a Days-based action is
// due at the first day boundary (a multiple of day since the Unix epoch;
// midnight UTC for DefaultDay) after the version's creation plus Days
// days, as AWS rounds to the next midnight UTC. A Date is due at that
// instant, whatever day is. Noncurrent days count from NoncurrentSince.
//
// Only enabled rules whose filter selects v apply (a delete marker has size
// 0 and no tags). When several apply, the action due first wins and, among
// those due at the same time, the rule that comes first in the
// configuration: AWS honours the shortest expiration when rules overlap,
// and since the state of v allows one kind of action only (see Action),
// AWS's precedence between kinds (permanent deletion over transition over
// delete markers) never has to choose here.
//
// As on AWS: an Expiration with Days or Date expires current objects and
// removes expired object delete markers; ExpiredObjectDeleteMarker removes
// those at once; a current delete marker whose key still has other
// versions is left alone; NoncurrentVersionExpiration removes a noncurrent
// version (marker or not) once it has been noncurrent for NoncurrentDays
// and at least NewerNoncurrentVersions newer noncurrent versions exist.
func (c *Config) Evaluate(v Version, now time.Time, day time.Duration) Decision {
	var best Decision
	found := false
	if c == nil {
		return best
	}
	for i := range c.Rules {
		r := &c.Rules[i]
		if !r.Enabled || !r.Filter.Matches(v.Key, v.Size, v.Tags) {
			continue
		}
		action, due, ok := r.versionAction(v, day)
		if ok && (!found || due.Before(best.Due)) {
			best, found = Decision{Action: action, RuleID: r.ID, Due: due}, true
		}
	}
	if found && best.Due.After(now) {
		best.Action = None
	}
	return best
}

// versionAction is the action r asks for v (whose filter r has checked)
// and when it is due.
func (r *Rule) versionAction(v Version, day time.Duration) (Action, time.Time, bool) {
	switch {
	case v.IsLatest && v.DeleteMarker:
		e := r.Expiration
		if e == nil || v.OtherVersions > 0 {
			return None, time.Time{}, false
		}
		switch {
		case e.ExpiredObjectDeleteMarker:
			return DeleteMarker, v.ModTime, true
		case e.Days > 0:
			return DeleteMarker, dueAfter(v.ModTime, e.Days, day), true
		case !e.Date.IsZero():
			return DeleteMarker, e.Date, true
		}
	case v.IsLatest:
		if due, ok := r.expiry(v, day); ok {
			return ExpireCurrent, due, true
		}
	default:
		n := r.NoncurrentExpiration
		if n == nil || v.NoncurrentSince.IsZero() || v.NewerNoncurrent < n.NewerNoncurrentVersions {
			return None, time.Time{}, false
		}
		return DeleteVersion, dueAfter(v.NoncurrentSince, n.NoncurrentDays, day), true
	}
	return None, time.Time{}, false
}

// expiry is when r's Expiration expires the current object v.
func (r *Rule) expiry(v Version, day time.Duration) (time.Time, bool) {
	e := r.Expiration
	switch {
	case e == nil:
		return time.Time{}, false
	case e.Days > 0:
		return dueAfter(v.ModTime, e.Days, day), true
	case !e.Date.IsZero():
		return e.Date, true
	}
	return time.Time{}, false
}

// Expiry is when the current object v will expire and by which rule: the
// x-amz-expiration header of PUT, HEAD and GET responses. ok is false when
// no rule will expire v (v is not current, is a delete marker, or no
// enabled Expiration with Days or Date selects it). It is the Due and
// RuleID that Evaluate gives v, whatever the time.
func (c *Config) Expiry(v Version, day time.Duration) (due time.Time, ruleID string, ok bool) {
	if c == nil || !v.IsLatest || v.DeleteMarker {
		return time.Time{}, "", false
	}
	for i := range c.Rules {
		r := &c.Rules[i]
		if !r.Enabled || !r.Filter.Matches(v.Key, v.Size, v.Tags) {
			continue
		}
		if d, yes := r.expiry(v, day); yes && (!ok || d.Before(due)) {
			due, ruleID, ok = d, r.ID, true
		}
	}
	return due, ruleID, ok
}

// EvaluateUpload decides whether the multipart upload of key initiated at
// initiated is to be aborted at now (AbortIncompleteMultipartUpload), with
// the same day arithmetic and precedence as Evaluate. AWS allows only a
// prefix filter on this action: a rule whose filter has tags or size
// bounds never selects an upload.
func (c *Config) EvaluateUpload(key string, initiated, now time.Time, day time.Duration) Decision {
	var best Decision
	found := false
	if c == nil {
		return best
	}
	for i := range c.Rules {
		r := &c.Rules[i]
		a := r.AbortIncompleteUpload
		if !r.Enabled || a == nil || r.Filter.hasObjectConditions() || !r.Filter.Matches(key, 0, nil) {
			continue
		}
		due := dueAfter(initiated, a.DaysAfterInitiation, day)
		if !found || due.Before(best.Due) {
			best, found = Decision{Action: AbortUpload, RuleID: r.ID, Due: due}, true
		}
	}
	if found && best.Due.After(now) {
		best.Action = None
	}
	return best
}

// dueAfter is the first day boundary after t plus days days: boundaries are
// the multiples of day since the Unix epoch (midnights UTC when day is
// DefaultDay). A t exactly on a boundary counts as that day's start, so
// the result is always later than t plus days days, as AWS's "rounded to
// the next midnight" is. t must be within UnixNano's range (years 1678 to
// 2262); the result may lie beyond it.
func dueAfter(t time.Time, days int, day time.Duration) time.Time {
	d := int64(day)
	if d <= 0 {
		d = int64(DefaultDay)
	}
	n := t.UnixNano()
	idx := n / d
	if n%d != 0 && n < 0 {
		idx-- // floor, not truncation, before the epoch
	}
	add := int64(days) + 1
	if idx > math.MaxInt64-add {
		idx = math.MaxInt64
	} else {
		idx += add
	}
	return boundary(idx, d)
}

// maxBoundarySeconds caps boundaries that time.Time cannot hold: a due time
// billions of years away is as good as never.
const maxBoundarySeconds = 1 << 55

// boundary returns idx*d nanoseconds after the Unix epoch, in UTC, without
// overflowing: beyond int64 nanoseconds (year 2262) it computes in seconds.
func boundary(idx, d int64) time.Time {
	if idx >= 0 && idx <= math.MaxInt64/d || idx < 0 && idx >= math.MinInt64/d {
		return time.Unix(0, idx*d).UTC()
	}
	var p, sec, ns big.Int
	p.Mul(big.NewInt(idx), big.NewInt(d))
	sec.QuoRem(&p, big.NewInt(int64(time.Second)), &ns)
	if !sec.IsInt64() || sec.Int64() > maxBoundarySeconds {
		return time.Unix(maxBoundarySeconds, 0).UTC()
	}
	if sec.Int64() < -maxBoundarySeconds {
		return time.Unix(-maxBoundarySeconds, 0).UTC()
	}
	return time.Unix(sec.Int64(), ns.Int64()).UTC()
}

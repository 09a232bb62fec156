package lifecycle

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"
)

// Generators. Keys, prefixes and tags come from small sets so that filters
// select some versions and not others; times lie between 2000 and 2100 at
// nanosecond precision; days are short enough that days*day stays within a
// Duration, so the properties can compute bounds directly.

var (
	genKeys     = []string{"a", "a/x", "a/y/z", "ab", "b/1", "c"}
	genPrefixes = []string{"", "", "a", "a/", "b/", "c"}
	genTagSets  = []map[string]string{nil, {"k": "v"}, {"k": "w"}, {"k": "v", "t": "1"}}
	genDays     = []time.Duration{time.Millisecond, time.Second, 7 * time.Second, time.Hour, DefaultDay, 36 * time.Hour}
	epoch2000   = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	epoch2100   = time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)
)

func genTime(t *rapid.T, label string) time.Time {
	return time.Unix(0, rapid.Int64Range(epoch2000.UnixNano(), epoch2100.UnixNano()).Draw(t, label)).UTC()
}

func genDay(t *rapid.T) time.Duration {
	return rapid.SampledFrom(genDays).Draw(t, "day")
}

func cloneTagSet(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// genRule draws a valid rule named id.
func genRule(t *rapid.T, id string) Rule {
	r := Rule{ID: id, Enabled: rapid.Bool().Draw(t, id+".enabled")}
	r.Filter.Prefix = rapid.SampledFrom(genPrefixes).Draw(t, id+".prefix")
	r.Filter.Tags = cloneTagSet(rapid.SampledFrom(genTagSets).Draw(t, id+".tags"))
	if rapid.Bool().Draw(t, id+".sized") {
		r.Filter.ObjectSizeGreaterThan = rapid.Int64Range(0, 1000).Draw(t, id+".gt")
		r.Filter.ObjectSizeLessThan = r.Filter.ObjectSizeGreaterThan + rapid.Int64Range(1, 1000).Draw(t, id+".width")
	}
	plain := len(r.Filter.Tags) == 0 && r.Filter.ObjectSizeGreaterThan == 0 && r.Filter.ObjectSizeLessThan == 0
	r.LegacyPrefix = plain && rapid.Bool().Draw(t, id+".legacy")
	for r.Expiration == nil && r.NoncurrentExpiration == nil && r.AbortIncompleteUpload == nil {
		if rapid.Bool().Draw(t, id+".expires") {
			switch rapid.IntRange(0, 2).Draw(t, id+".expiration") {
			case 0:
				r.Expiration = &Expiration{Days: rapid.IntRange(1, 400).Draw(t, id+".days")}
			case 1:
				date := genTime(t, id+".date").Truncate(24 * time.Hour)
				r.Expiration = &Expiration{Date: date}
			default:
				if len(r.Filter.Tags) == 0 {
					r.Expiration = &Expiration{ExpiredObjectDeleteMarker: true}
				}
			}
		}
		if rapid.Bool().Draw(t, id+".noncurrent") {
			r.NoncurrentExpiration = &NoncurrentExpiration{
				NoncurrentDays:          rapid.IntRange(1, 400).Draw(t, id+".noncurrentDays"),
				NewerNoncurrentVersions: rapid.IntRange(0, 6).Draw(t, id+".newer"),
			}
		}
		if plain && rapid.Bool().Draw(t, id+".aborts") {
			r.AbortIncompleteUpload = &AbortIncompleteUpload{DaysAfterInitiation: rapid.IntRange(1, 60).Draw(t, id+".abortDays")}
		}
	}
	return r
}

func genConfig(t *rapid.T) *Config {
	n := rapid.IntRange(1, 5).Draw(t, "rules")
	cfg := &Config{}
	for i := 0; i < n; i++ {
		cfg.Rules = append(cfg.Rules, genRule(t, "r"+string(rune('0'+i))))
	}
	return cfg
}

// genVersion draws the facts of a version: a current object, a current
// delete marker, or a noncurrent version or marker.
func genVersion(t *rapid.T) Version {
	v := Version{
		Key:     rapid.SampledFrom(genKeys).Draw(t, "key"),
		ModTime: genTime(t, "modTime"),
	}
	switch rapid.IntRange(0, 2).Draw(t, "state") {
	case 0:
		v.IsLatest = true
		v.Size = rapid.Int64Range(0, 2500).Draw(t, "size")
		v.Tags = cloneTagSet(rapid.SampledFrom(genTagSets).Draw(t, "tags"))
		v.OtherVersions = rapid.IntRange(0, 3).Draw(t, "others")
	case 1:
		v.IsLatest, v.DeleteMarker = true, true
		v.OtherVersions = rapid.IntRange(0, 3).Draw(t, "others")
	default:
		v.DeleteMarker = rapid.Bool().Draw(t, "marker")
		if !v.DeleteMarker {
			v.Size = rapid.Int64Range(0, 2500).Draw(t, "size")
			v.Tags = cloneTagSet(rapid.SampledFrom(genTagSets).Draw(t, "tags"))
		}
		v.NoncurrentSince = v.ModTime.Add(time.Duration(rapid.Int64Range(0, int64(400*DefaultDay)).Draw(t, "noncurrentAfter")))
		v.NewerNoncurrent = rapid.IntRange(0, 8).Draw(t, "newerNoncurrent")
		v.OtherVersions = 1 + v.NewerNoncurrent + rapid.IntRange(0, 3).Draw(t, "olderVersions")
	}
	return v
}

func ruleByID(cfg *Config, id string) *Rule {
	for i := range cfg.Rules {
		if cfg.Rules[i].ID == id {
			return &cfg.Rules[i]
		}
	}
	return nil
}

// checkDaysBound checks that due is the first boundary after from plus
// days days: later than that, at most a day later, on a multiple of day.
func checkDaysBound(t *rapid.T, what string, due, from time.Time, days int, day time.Duration) {
	earliest := from.Add(time.Duration(days) * day)
	if !due.After(earliest) || due.Sub(earliest) > day {
		t.Fatalf("%s: due %v, want within a day after %v (%v + %d days of %v)", what, due, earliest, from, days, day)
	}
	if due.UnixNano()%int64(day) != 0 {
		t.Fatalf("%s: due %v is not on a day boundary of %v", what, due, day)
	}
}

func TestPropertyConfigsDrawnAreValid(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		if err := genConfig(t).Validate(); err != nil {
			t.Fatalf("a drawn configuration is invalid: %v", err)
		}
	})
}

func TestPropertyAnActionIsNeverDueBeforeItsDays(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		cfg, v, day := genConfig(t), genVersion(t), genDay(t)
		now := genTime(t, "now")
		d := cfg.Evaluate(v, now, day)
		if d.RuleID == "" {
			if d != (Decision{}) {
				t.Fatalf("a decision without a rule: %+v", d)
			}
			return
		}
		if (d.Action != None) == d.Due.After(now) {
			t.Fatalf("action %v due %v at %v: an action is given exactly when it is due", d.Action, d.Due, now)
		}
		r := ruleByID(cfg, d.RuleID)
		switch {
		case v.IsLatest && !v.DeleteMarker:
			if e := r.Expiration; e.Days > 0 {
				checkDaysBound(t, "expiration", d.Due, v.ModTime, e.Days, day)
			} else if !d.Due.Equal(e.Date) {
				t.Fatalf("expiration by date due %v, want %v", d.Due, e.Date)
			}
		case v.IsLatest:
			switch e := r.Expiration; {
			case e.ExpiredObjectDeleteMarker:
				if !d.Due.Equal(v.ModTime) {
					t.Fatalf("expired object delete marker due %v, want its creation %v", d.Due, v.ModTime)
				}
			case e.Days > 0:
				checkDaysBound(t, "marker expiration", d.Due, v.ModTime, e.Days, day)
			default:
				if !d.Due.Equal(e.Date) {
					t.Fatalf("marker expiration by date due %v, want %v", d.Due, e.Date)
				}
			}
		default:
			checkDaysBound(t, "noncurrent expiration", d.Due, v.NoncurrentSince, r.NoncurrentExpiration.NoncurrentDays, day)
		}

		initiated := genTime(t, "initiated")
		u := cfg.EvaluateUpload(v.Key, initiated, now, day)
		if u.RuleID != "" {
			checkDaysBound(t, "abort", u.Due, initiated, ruleByID(cfg, u.RuleID).AbortIncompleteUpload.DaysAfterInitiation, day)
		}
	})
}

func TestPropertyTheActionSuitsTheStateOfTheVersion(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		cfg, v := genConfig(t), genVersion(t)
		d := cfg.Evaluate(v, epoch2100.Add(2000*DefaultDay), genDay(t))
		want := ExpireCurrent
		switch {
		case v.IsLatest && v.DeleteMarker:
			want = DeleteMarker
		case !v.IsLatest:
			want = DeleteVersion
		}
		if d.Action != None && d.Action != want {
			t.Fatalf("action %v for %+v, want %v or None", d.Action, v, want)
		}
		if v.IsLatest && v.DeleteMarker && v.OtherVersions > 0 && d != (Decision{}) {
			t.Fatalf("a current delete marker with other versions got %+v", d)
		}
	})
}

func TestPropertyADisabledRuleNeverActs(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		cfg, v, day, now := genConfig(t), genVersion(t), genDay(t), genTime(t, "now")
		key := rapid.SampledFrom(genKeys).Draw(t, "uploadKey")
		for _, d := range []Decision{cfg.Evaluate(v, now, day), cfg.EvaluateUpload(key, v.ModTime, now, day)} {
			if d.RuleID == "" {
				continue
			}
			if r := ruleByID(cfg, d.RuleID); !r.Enabled {
				t.Fatalf("disabled rule %q decided %+v", r.ID, d)
			}
		}
		if d := cfg.Evaluate(v, now, day); d.RuleID != "" && !ruleByID(cfg, d.RuleID).Filter.Matches(v.Key, v.Size, v.Tags) {
			t.Fatalf("rule %q does not select %+v yet decided %+v", d.RuleID, v, d)
		}
		off := cfg.Clone()
		for i := range off.Rules {
			off.Rules[i].Enabled = false
		}
		if d := off.Evaluate(v, now, day); d != (Decision{}) {
			t.Fatalf("a configuration of disabled rules decided %+v", d)
		}
		if d := off.EvaluateUpload(key, v.ModTime, now, day); d != (Decision{}) {
			t.Fatalf("a configuration of disabled rules decided %+v for an upload", d)
		}
	})
}

func TestPropertyOnceDueAlwaysDue(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		cfg, v, day := genConfig(t), genVersion(t), genDay(t)
		earlier := genTime(t, "earlier")
		later := earlier.Add(time.Duration(rapid.Int64Range(0, int64(1000*DefaultDay)).Draw(t, "wait")))
		d1, d2 := cfg.Evaluate(v, earlier, day), cfg.Evaluate(v, later, day)
		if d1.RuleID != d2.RuleID || !d1.Due.Equal(d2.Due) {
			t.Fatalf("the rule and due time changed with the clock: %+v at %v, %+v at %v", d1, earlier, d2, later)
		}
		if d1.Action != None && d2.Action != d1.Action {
			t.Fatalf("due at %v (%+v) but not at %v (%+v)", earlier, d1, later, d2)
		}
		key := rapid.SampledFrom(genKeys).Draw(t, "uploadKey")
		u1, u2 := cfg.EvaluateUpload(key, v.ModTime, earlier, day), cfg.EvaluateUpload(key, v.ModTime, later, day)
		if u1.Action != None && u2 != u1 {
			t.Fatalf("upload due at %v (%+v) but not at %v (%+v)", earlier, u1, later, u2)
		}
	})
}

func TestPropertyARuleThatSelectsNothingChangesNothing(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		cfg, v, day, now := genConfig(t), genVersion(t), genDay(t), genTime(t, "now")
		extra := genRule(t, "extra")
		extra.Enabled = true
		if rapid.Bool().Draw(t, "byPrefix") {
			extra.Filter.Prefix = "zz/" // no key starts with it
		} else {
			extra.Filter.Tags = map[string]string{"absent": "x"} // no version carries it
			extra.AbortIncompleteUpload = nil
			if extra.Expiration != nil && extra.Expiration.ExpiredObjectDeleteMarker {
				extra.Expiration = nil
			}
			if extra.Expiration == nil && extra.NoncurrentExpiration == nil {
				extra.Expiration = &Expiration{Days: 1}
			}
		}
		at := rapid.IntRange(0, len(cfg.Rules)).Draw(t, "at")
		more := cfg.Clone()
		more.Rules = append(more.Rules[:at], append([]Rule{extra}, more.Rules[at:]...)...)
		if err := more.Validate(); err != nil {
			t.Fatalf("the extended configuration is invalid: %v", err)
		}
		if a, b := cfg.Evaluate(v, now, day), more.Evaluate(v, now, day); a != b {
			t.Fatalf("Evaluate %+v became %+v", a, b)
		}
		key := rapid.SampledFrom(genKeys).Draw(t, "uploadKey")
		if a, b := cfg.EvaluateUpload(key, v.ModTime, now, day), more.EvaluateUpload(key, v.ModTime, now, day); a != b {
			t.Fatalf("EvaluateUpload %+v became %+v", a, b)
		}
		d1, id1, ok1 := cfg.Expiry(v, day)
		d2, id2, ok2 := more.Expiry(v, day)
		if !d1.Equal(d2) || id1 != id2 || ok1 != ok2 {
			t.Fatalf("Expiry %v %q %v became %v %q %v", d1, id1, ok1, d2, id2, ok2)
		}
	})
}

// history draws the noncurrent versions of one key, newest first: version
// i has i newer noncurrent versions and became noncurrent before version
// i-1 did.
func history(t *rapid.T, key string) []Version {
	n := rapid.IntRange(0, 12).Draw(t, "noncurrent")
	since := genTime(t, "newestReplaced")
	vs := make([]Version, n)
	for i := range vs {
		made := since.Add(-time.Duration(rapid.Int64Range(1, int64(30*DefaultDay)).Draw(t, "age")))
		vs[i] = Version{Key: key, Size: 10, ModTime: made, NoncurrentSince: since, NewerNoncurrent: i, OtherVersions: n,
			DeleteMarker: rapid.Bool().Draw(t, "marker")}
		since = made
	}
	return vs
}

func TestPropertyNewerNoncurrentVersionsNeverDeletesMoreThanTheExcess(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		cfg, day := genConfig(t), genDay(t)
		key := rapid.SampledFrom(genKeys).Draw(t, "key")
		vs := history(t, key)
		now := genTime(t, "now")
		keep := -1 // the fewest versions a rule that may delete keeps
		for _, r := range cfg.Rules {
			if r.Enabled && r.NoncurrentExpiration != nil && (keep < 0 || r.NoncurrentExpiration.NewerNoncurrentVersions < keep) {
				keep = r.NoncurrentExpiration.NewerNoncurrentVersions
			}
		}
		deleted := 0
		for _, v := range vs {
			if cfg.Evaluate(v, now, day).Action != DeleteVersion {
				continue
			}
			deleted++
			if keep < 0 || v.NewerNoncurrent < keep {
				t.Fatalf("version %d of %d deleted, though every rule keeps %d", v.NewerNoncurrent, len(vs), keep)
			}
		}
		if keep >= 0 && deleted > max(0, len(vs)-keep) {
			t.Fatalf("%d of %d noncurrent versions deleted, the excess over %d is %d", deleted, len(vs), keep, len(vs)-keep)
		}

		// One rule alone, long after every version aged: exactly the excess.
		n := rapid.IntRange(0, 6).Draw(t, "keep")
		one := &Config{Rules: []Rule{{ID: "one", Enabled: true, NoncurrentExpiration: &NoncurrentExpiration{NoncurrentDays: 1, NewerNoncurrentVersions: n}}}}
		deleted = 0
		for _, v := range vs {
			if one.Evaluate(v, epoch2100.Add(10*DefaultDay), DefaultDay).Action == DeleteVersion {
				deleted++
			}
		}
		if want := max(0, len(vs)-n); deleted != want {
			t.Fatalf("keeping %d of %d: %d deleted, want %d", n, len(vs), deleted, want)
		}
	})
}

func TestPropertyExpiryAgreesWithEvaluate(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		cfg, v, day, now := genConfig(t), genVersion(t), genDay(t), genTime(t, "now")
		due, id, ok := cfg.Expiry(v, day)
		d := cfg.Evaluate(v, now, day)
		if !v.IsLatest || v.DeleteMarker {
			if ok {
				t.Fatalf("Expiry of a version that is not a current object: %v %q", due, id)
			}
			return
		}
		if !ok {
			if d != (Decision{}) {
				t.Fatalf("no expiry, yet Evaluate decided %+v", d)
			}
			return
		}
		want := Decision{Action: ExpireCurrent, RuleID: id, Due: due}
		if due.After(now) {
			want.Action = None
		}
		if d != want {
			t.Fatalf("Evaluate %+v, Expiry says %+v", d, want)
		}
	})
}

func TestPropertyTheStoredFormRoundTrips(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		cfg := genConfig(t)
		raw := cfg.Encode()
		back, err := DecodeConfig(raw)
		if err != nil {
			t.Fatalf("decode %s: %v", raw, err)
		}
		if !reflect.DeepEqual(back, cfg) {
			t.Fatalf("round trip of %s:\n got %+v\nwant %+v", raw, back, cfg)
		}
		if again := back.Encode(); !bytes.Equal(again, raw) {
			t.Fatalf("encoding is not stable:\n%s\n%s", raw, again)
		}
	})
}

func TestDecodeConfigRefusesWhatIsNotAStoredConfiguration(t *testing.T) {
	for _, raw := range []string{"", "{", `{"rules":[{"expiration":{"date":"tomorrow"}}]}`, `[]`} {
		if _, err := DecodeConfig([]byte(raw)); err == nil || !strings.Contains(err.Error(), "decode lifecycle configuration") {
			t.Errorf("DecodeConfig(%q) = %v, want a decode error", raw, err)
		}
	}
	if got := string((*Config)(nil).Encode()); got != `{"rules":[]}` {
		t.Errorf("a nil configuration encodes as %s", got)
	}
}

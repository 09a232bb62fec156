package lifecycle

import (
	"testing"
	"time"
)

func utc(y int, m time.Month, d, h, min int) time.Time {
	return time.Date(y, m, d, h, min, 0, 0, time.UTC)
}

// The cases below are the worked examples and stated behaviour of AWS's
// documentation, each under the title of its page:
//   - "Lifecycle configuration elements" (AmazonS3/latest/userguide/intro-lifecycle-rules.html)
//   - "Expiring objects" (AmazonS3/latest/userguide/lifecycle-expire-general-considerations.html)
//   - "Examples of S3 Lifecycle configurations" (AmazonS3/latest/userguide/lifecycle-configuration-examples.html)
//   - "How Amazon S3 handles conflicts in lifecycle configurations" (AmazonS3/latest/userguide/lifecycle-conflicts.html)
//   - "NoncurrentVersionExpiration" (AmazonS3/latest/API/API_NoncurrentVersionExpiration.html)
//   - "Configuring a bucket lifecycle configuration to delete incomplete multipart uploads"
//     (AmazonS3/latest/userguide/mpu-abort-incomplete-mpu-lifecycle-config.html)
func TestEvaluateFollowsAWSDocumentationExamples(t *testing.T) {
	created := utc(2014, 1, 15, 10, 30)
	tax := &Config{Rules: []Rule{{ID: "Transition and Expiration Rule", Enabled: true,
		Filter: Filter{Prefix: "tax/"}, Expiration: &Expiration{Days: 3650}}}}
	twoRules := &Config{Rules: []Rule{
		{ID: "1", Enabled: true, Filter: Filter{Prefix: "logs/"}, Expiration: &Expiration{Days: 1}},
		{ID: "2", Enabled: false, Filter: Filter{Prefix: "documents/"}, Expiration: &Expiration{Days: 1}},
	}}
	overlapping := &Config{Rules: []Rule{
		{ID: "Rule 1", Enabled: true, Expiration: &Expiration{Days: 365}},
		{ID: "Rule 2", Enabled: true, Filter: Filter{Prefix: "logs/"}, Expiration: &Expiration{Days: 30}},
	}}
	wellDefined := &Config{Rules: []Rule{{ID: "Rule 1", Enabled: true, Filter: Filter{Prefix: "logs/"},
		Expiration: &Expiration{Days: 60}, NoncurrentExpiration: &NoncurrentExpiration{NoncurrentDays: 30}}}}
	markers := &Config{Rules: []Rule{{ID: "Rule 1", Enabled: true, Filter: Filter{Prefix: "logs/"},
		Expiration: &Expiration{ExpiredObjectDeleteMarker: true}, NoncurrentExpiration: &NoncurrentExpiration{NoncurrentDays: 30}}}}
	keepFive := &Config{Rules: []Rule{{ID: "keep-5", Enabled: true,
		NoncurrentExpiration: &NoncurrentExpiration{NoncurrentDays: 30, NewerNoncurrentVersions: 5}}}}
	sized := &Config{Rules: []Rule{{ID: "Allow small object transitions", Enabled: true,
		Filter:     Filter{Prefix: "tax/", ObjectSizeGreaterThan: 500, ObjectSizeLessThan: 64000},
		Expiration: &Expiration{Days: 365}}}}
	tagged := &Config{Rules: []Rule{{ID: "rule1", Enabled: true,
		Filter:     Filter{Prefix: "tax/", Tags: map[string]string{"key1": "value1", "key2": "value2"}},
		Expiration: &Expiration{Days: 365}}}}
	dated := &Config{Rules: []Rule{{ID: "by-date", Enabled: true, Expiration: &Expiration{Date: utc(2020, 1, 1, 0, 0)}}}}

	current := func(key string) Version { return Version{Key: key, Size: 1000, ModTime: created, IsLatest: true} }
	tests := []struct {
		name string
		cfg  *Config
		v    Version
		now  time.Time
		want Decision
	}{
		// Lifecycle configuration elements: "if an object was created on
		// 1/15/2014 at 10:30 AM UTC and you specify 3 days in a transition
		// rule, then the transition date of the object would be calculated
		// as 1/19/2014 00:00 UTC." Expiration days count the same way.
		{"3 days after 1/15/2014 10:30 UTC is due at 1/19/2014 00:00 UTC",
			&Config{Rules: []Rule{expireRule("r", 3)}}, current("k"), utc(2014, 1, 19, 0, 0),
			Decision{ExpireCurrent, "r", utc(2014, 1, 19, 0, 0)}},
		{"and not a minute before",
			&Config{Rules: []Rule{expireRule("r", 3)}}, current("k"), utc(2014, 1, 18, 23, 59),
			Decision{None, "r", utc(2014, 1, 19, 0, 0)}},
		// Lifecycle configuration elements: "suppose that you have a current
		// version of an object that was created at 1/1/2014 10:30 AM UTC. If
		// the new version of the object that replaces the current version is
		// created at 1/15/2014 10:30 AM UTC, and you specify 3 days in a
		// transition rule, the transition date of the object is calculated
		// as 1/19/2014 00:00 UTC." Noncurrent days count from the successor.
		{"noncurrent days count from when the successor was created",
			&Config{Rules: []Rule{{ID: "nc", Enabled: true, NoncurrentExpiration: &NoncurrentExpiration{NoncurrentDays: 3}}}},
			Version{Key: "k", ModTime: utc(2014, 1, 1, 10, 30), NoncurrentSince: created}, utc(2014, 1, 19, 0, 0),
			Decision{DeleteVersion, "nc", utc(2014, 1, 19, 0, 0)}},
		// Examples, Example 1: the tax/ rule expires objects 3650 days
		// after creation; other keys are not selected.
		{"Example 1: tax/ objects expire 3650 days after creation",
			tax, current("tax/doc1.txt"), utc(2030, 1, 1, 0, 0),
			Decision{ExpireCurrent, "Transition and Expiration Rule", utc(2024, 1, 14, 0, 0)}},
		{"Example 1: a key outside tax/ is left alone", tax, current("taxes.txt"), utc(2030, 1, 1, 0, 0), Decision{}},
		// Examples, Example 2: a disabled rule does nothing.
		{"Example 2: the enabled logs/ rule acts", twoRules, current("logs/a"), utc(2015, 1, 1, 0, 0),
			Decision{ExpireCurrent, "1", utc(2014, 1, 17, 0, 0)}},
		{"Example 2: the disabled documents/ rule does not", twoRules, current("documents/a"), utc(2015, 1, 1, 0, 0), Decision{}},
		// Conflicts: "if two expiration policies overlap, the shorter
		// expiration policy is honored".
		{"overlapping expirations: the shorter one is honoured", overlapping, current("logs/a"), utc(2014, 3, 1, 0, 0),
			Decision{ExpireCurrent, "Rule 2", utc(2014, 2, 15, 0, 0)}},
		{"overlapping expirations: other keys get the longer one", overlapping, current("img/a"), utc(2014, 3, 1, 0, 0),
			Decision{None, "Rule 1", utc(2015, 1, 16, 0, 0)}},
		// Expiring objects: in a versioned bucket a current version
		// expires into a delete marker (the executor's part), "object
		// expiration applies only to an object's current version".
		{"Expiring objects: a noncurrent version is left to NoncurrentVersionExpiration, not Expiration", wellDefined,
			Version{Key: "logs/a", ModTime: created, NoncurrentSince: created.Add(time.Hour), OtherVersions: 1}, utc(2014, 2, 15, 0, 0),
			Decision{DeleteVersion, "Rule 1", utc(2014, 2, 15, 0, 0)}},
		{"Expiring objects: no action if the delete marker is current and other versions exist", wellDefined,
			Version{Key: "logs/a", ModTime: created, IsLatest: true, DeleteMarker: true, OtherVersions: 2}, utc(2020, 1, 1, 0, 0),
			Decision{}},
		// Expiring objects / Example 7: when current versions have a
		// well-defined lifecycle (Expiration Days), an expired object delete
		// marker (the only version left) is removed too.
		{"Example 7: Expiration Days removes an expired object delete marker", wellDefined,
			Version{Key: "logs/a", ModTime: created, IsLatest: true, DeleteMarker: true}, utc(2014, 3, 20, 0, 0),
			Decision{DeleteMarker, "Rule 1", utc(2014, 3, 17, 0, 0)}},
		{"Example 7: ExpiredObjectDeleteMarker removes it at once", markers,
			Version{Key: "logs/a", ModTime: created, IsLatest: true, DeleteMarker: true}, created,
			Decision{DeleteMarker, "Rule 1", created}},
		{"Example 7: but not while noncurrent versions remain", markers,
			Version{Key: "logs/a", ModTime: created, IsLatest: true, DeleteMarker: true, OtherVersions: 1}, utc(2020, 1, 1, 0, 0),
			Decision{}},
		{"Example 7: the noncurrent versions behind the marker expire after 30 days", markers,
			Version{Key: "logs/a", ModTime: utc(2014, 1, 1, 0, 0), NoncurrentSince: created, OtherVersions: 1}, utc(2014, 2, 14, 0, 0),
			Decision{None, "Rule 1", utc(2014, 2, 15, 0, 0)}},
		// NoncurrentVersionExpiration: "Specifies how many noncurrent
		// versions Amazon S3 will retain ... Amazon S3 will permanently
		// delete any additional noncurrent versions".
		{"NewerNoncurrentVersions 5: the fifth newest noncurrent version is kept", keepFive,
			Version{Key: "k", ModTime: utc(2014, 1, 1, 0, 0), NoncurrentSince: created, NewerNoncurrent: 4}, utc(2020, 1, 1, 0, 0),
			Decision{}},
		{"NewerNoncurrentVersions 5: the sixth is removed once 30 days noncurrent", keepFive,
			Version{Key: "k", ModTime: utc(2014, 1, 1, 0, 0), NoncurrentSince: created, NewerNoncurrent: 5}, utc(2020, 1, 1, 0, 0),
			Decision{DeleteVersion, "keep-5", utc(2014, 2, 15, 0, 0)}},
		// Examples, object size filters: ObjectSizeGreaterThan and
		// ObjectSizeLessThan are strict bounds combined with the prefix.
		{"a size filter selects sizes strictly between its bounds", sized,
			Version{Key: "tax/a", Size: 501, ModTime: created, IsLatest: true}, utc(2016, 1, 1, 0, 0),
			Decision{ExpireCurrent, "Allow small object transitions", utc(2015, 1, 16, 0, 0)}},
		{"a size filter excludes its lower bound", sized, Version{Key: "tax/a", Size: 500, ModTime: created, IsLatest: true}, utc(2016, 1, 1, 0, 0), Decision{}},
		{"a size filter excludes its upper bound", sized, Version{Key: "tax/a", Size: 64000, ModTime: created, IsLatest: true}, utc(2016, 1, 1, 0, 0), Decision{}},
		// Examples, Example 1 (filter with And): every tag must match.
		{"a tag filter selects an object with every tag (and more)", tagged,
			Version{Key: "tax/a", ModTime: created, IsLatest: true, Tags: map[string]string{"key1": "value1", "key2": "value2", "x": "y"}}, utc(2016, 1, 1, 0, 0),
			Decision{ExpireCurrent, "rule1", utc(2015, 1, 16, 0, 0)}},
		{"a tag filter leaves an object with one tag only", tagged,
			Version{Key: "tax/a", ModTime: created, IsLatest: true, Tags: map[string]string{"key1": "value1"}}, utc(2016, 1, 1, 0, 0), Decision{}},
		{"a tag filter leaves an object whose tag has another value", tagged,
			Version{Key: "tax/a", ModTime: created, IsLatest: true, Tags: map[string]string{"key1": "value1", "key2": "other"}}, utc(2016, 1, 1, 0, 0), Decision{}},
		// Lifecycle configuration elements: a Date expires every selected
		// object from that date on, including ones created after it.
		{"a Date expires objects from that instant", dated, current("k"), utc(2020, 1, 1, 0, 0),
			Decision{ExpireCurrent, "by-date", utc(2020, 1, 1, 0, 0)}},
		{"a Date expires objects created after it at once", dated,
			Version{Key: "k", ModTime: utc(2021, 6, 1, 0, 0), IsLatest: true}, utc(2021, 6, 1, 0, 1),
			Decision{ExpireCurrent, "by-date", utc(2020, 1, 1, 0, 0)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.cfg.Evaluate(tt.v, tt.now, DefaultDay)
			if got != tt.want {
				t.Fatalf("Evaluate = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestEvaluateUploadAbortsAfterDaysWithPrefixOnly(t *testing.T) {
	// "Configuring a bucket lifecycle configuration to delete incomplete
	// multipart uploads": DaysAfterInitiation 7 with an empty prefix
	// applies to every upload.
	initiated := utc(2014, 1, 15, 10, 30)
	cfg := &Config{Rules: []Rule{
		{ID: "sample-rule", Enabled: true, AbortIncompleteUpload: &AbortIncompleteUpload{DaysAfterInitiation: 7}},
		{ID: "tmp", Enabled: true, Filter: Filter{Prefix: "tmp/"}, AbortIncompleteUpload: &AbortIncompleteUpload{DaysAfterInitiation: 1}},
		{ID: "tagged", Enabled: true, Filter: Filter{Tags: map[string]string{"k": "v"}}, AbortIncompleteUpload: &AbortIncompleteUpload{DaysAfterInitiation: 1}},
		{ID: "off", Enabled: false, AbortIncompleteUpload: &AbortIncompleteUpload{DaysAfterInitiation: 1}},
	}}
	tests := []struct {
		name string
		key  string
		now  time.Time
		want Decision
	}{
		{"an upload is aborted at the day boundary after 7 days", "a", utc(2014, 1, 23, 0, 0), Decision{AbortUpload, "sample-rule", utc(2014, 1, 23, 0, 0)}},
		{"and not before", "a", utc(2014, 1, 22, 23, 59), Decision{None, "sample-rule", utc(2014, 1, 23, 0, 0)}},
		{"a shorter rule for its prefix wins", "tmp/a", utc(2014, 1, 17, 0, 0), Decision{AbortUpload, "tmp", utc(2014, 1, 17, 0, 0)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := cfg.EvaluateUpload(tt.key, initiated, tt.now, DefaultDay); got != tt.want {
				t.Fatalf("EvaluateUpload = %+v, want %+v", got, tt.want)
			}
		})
	}
	none := &Config{Rules: []Rule{expireRule("x", 1)}}
	if got := none.EvaluateUpload("a", initiated, utc(2030, 1, 1, 0, 0), DefaultDay); got != (Decision{}) {
		t.Errorf("a configuration without abort rules decided %+v", got)
	}
}

func TestAScaledDayScalesEveryDaysValue(t *testing.T) {
	// With a lifecycle day of 10 s, "2 days" after second 123.4 (since the
	// epoch) is the boundary after 143.4 s: 150 s.
	created := time.Unix(123, 400_000_000)
	cfg := &Config{Rules: []Rule{expireRule("r", 2)}}
	v := Version{Key: "k", ModTime: created, IsLatest: true}
	got := cfg.Evaluate(v, time.Unix(150, 0), 10*time.Second)
	want := Decision{ExpireCurrent, "r", time.Unix(150, 0).UTC()}
	if got != want {
		t.Fatalf("Evaluate = %+v, want %+v", got, want)
	}
	// A version made exactly on a boundary counts from that day's start.
	v.ModTime = time.Unix(120, 0)
	if got := cfg.Evaluate(v, time.Unix(0, 0), 10*time.Second); !got.Due.Equal(time.Unix(150, 0)) {
		t.Fatalf("due of a version made on a boundary = %v, want 150 s", got.Due)
	}
	// A zero day means the production day.
	v.ModTime = utc(2014, 1, 15, 10, 30)
	if got := cfg.Evaluate(v, v.ModTime, 0); !got.Due.Equal(utc(2014, 1, 18, 0, 0)) {
		t.Fatalf("due with day 0 = %v, want 2014-01-18", got.Due)
	}
}

func TestHugeDaysDoNotOverflow(t *testing.T) {
	created := utc(2026, 1, 1, 12, 0)
	for _, day := range []time.Duration{time.Nanosecond, time.Second, DefaultDay, 1000 * time.Hour} {
		cfg := &Config{Rules: []Rule{expireRule("r", MaxDays)}}
		due, _, ok := cfg.Expiry(Version{Key: "k", ModTime: created, IsLatest: true}, day)
		if !ok || !due.After(created) {
			t.Errorf("day %v: expiry %v (ok %v), want a time after %v", day, due, ok, created)
		}
	}
}

func TestExpiryNamesTheRuleThatExpiresACurrentObject(t *testing.T) {
	created := utc(2014, 1, 15, 10, 30)
	cfg := &Config{Rules: []Rule{
		{ID: "markers", Enabled: true, Expiration: &Expiration{ExpiredObjectDeleteMarker: true}},
		{ID: "year", Enabled: true, Expiration: &Expiration{Days: 365}},
		{ID: "logs", Enabled: true, Filter: Filter{Prefix: "logs/"}, Expiration: &Expiration{Days: 7}},
		{ID: "off", Enabled: false, Expiration: &Expiration{Days: 1}},
	}}
	tests := []struct {
		name   string
		v      Version
		due    time.Time
		ruleID string
		ok     bool
	}{
		{"the earliest rule that selects the object", Version{Key: "logs/a", ModTime: created, IsLatest: true}, utc(2014, 1, 23, 0, 0), "logs", true},
		{"the rule for every key", Version{Key: "a", ModTime: created, IsLatest: true}, utc(2015, 1, 16, 0, 0), "year", true},
		{"none for a noncurrent version", Version{Key: "a", ModTime: created, NoncurrentSince: created}, time.Time{}, "", false},
		{"none for a delete marker", Version{Key: "a", ModTime: created, IsLatest: true, DeleteMarker: true}, time.Time{}, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			due, id, ok := cfg.Expiry(tt.v, DefaultDay)
			if !due.Equal(tt.due) || id != tt.ruleID || ok != tt.ok {
				t.Fatalf("Expiry = %v %q %v, want %v %q %v", due, id, ok, tt.due, tt.ruleID, tt.ok)
			}
		})
	}
	var nilCfg *Config
	if _, _, ok := nilCfg.Expiry(Version{Key: "a", IsLatest: true}, DefaultDay); ok {
		t.Error("a nil configuration expires something")
	}
	if got := nilCfg.Evaluate(Version{Key: "a", IsLatest: true}, created, DefaultDay); got != (Decision{}) {
		t.Errorf("a nil configuration decided %+v", got)
	}
}

func TestActionsHaveNames(t *testing.T) {
	for a, want := range map[Action]string{None: "None", ExpireCurrent: "ExpireCurrent", DeleteVersion: "DeleteVersion",
		DeleteMarker: "DeleteMarker", AbortUpload: "AbortUpload", Action(9): "Action(9)"} {
		if a.String() != want {
			t.Errorf("%d.String() = %q, want %q", int(a), a.String(), want)
		}
	}
}

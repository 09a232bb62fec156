package lifecycle

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func expireRule(id string, days int) Rule {
	return Rule{ID: id, Enabled: true, Expiration: &Expiration{Days: days}}
}

func TestValidateAcceptsWhatAWSAccepts(t *testing.T) {
	midnight := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		cfg  Config
	}{
		{"an expiration after days", Config{Rules: []Rule{expireRule("a", 1)}}},
		{"an expiration at a midnight UTC given in another zone", Config{Rules: []Rule{{ID: "a", Expiration: &Expiration{Date: midnight.In(time.FixedZone("CET", 3600))}}}}},
		{"an ExpiredObjectDeleteMarker false, which does nothing", Config{Rules: []Rule{{ID: "a", Expiration: &Expiration{}}}}},
		{"every action in one rule with a prefix", Config{Rules: []Rule{{
			ID: "a", Filter: Filter{Prefix: "logs/"},
			Expiration:            &Expiration{ExpiredObjectDeleteMarker: true},
			NoncurrentExpiration:  &NoncurrentExpiration{NoncurrentDays: 30, NewerNoncurrentVersions: MaxNewerNoncurrentVersions},
			AbortIncompleteUpload: &AbortIncompleteUpload{DaysAfterInitiation: 7},
		}}}},
		{"tags and size bounds on an expiration", Config{Rules: []Rule{{
			ID: "a", Filter: Filter{Tags: map[string]string{"k": ""}, ObjectSizeGreaterThan: 1, ObjectSizeLessThan: MaxObjectSizeFilter},
			Expiration: &Expiration{Days: MaxDays},
		}}}},
		{"rules without IDs, which the service names", Config{Rules: []Rule{expireRule("", 1), expireRule("", 2)}}},
		{"a rule ID of 255 characters", Config{Rules: []Rule{expireRule(strings.Repeat("x", MaxRuleIDLength), 1)}}},
		{"a prefix of 1024 bytes", Config{Rules: []Rule{{ID: "a", Filter: Filter{Prefix: strings.Repeat("p", MaxPrefixLength)}, Expiration: &Expiration{Days: 1}}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.cfg.Validate(); err != nil {
				t.Fatalf("Validate: %v", err)
			}
		})
	}
	many := Config{}
	for i := 0; i < MaxRules; i++ {
		many.Rules = append(many.Rules, expireRule(strings.Repeat("r", 1+i%200)+string(rune('a'+i/200)), 1))
	}
	if err := many.Validate(); err != nil {
		t.Fatalf("Validate of %d rules: %v", MaxRules, err)
	}
}

func TestValidateRefusesWithAWSErrorKinds(t *testing.T) {
	noon := time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)
	withRule := func(r Rule) *Config { return &Config{Rules: []Rule{r}} }
	tooMany := &Config{}
	for i := 0; i <= MaxRules; i++ {
		tooMany.Rules = append(tooMany.Rules, expireRule("", 1))
	}
	tests := []struct {
		name string
		cfg  *Config
		kind error
		says string
	}{
		{"a nil configuration", nil, ErrMalformed, "at least one rule"},
		{"no rules", &Config{}, ErrMalformed, "at least one rule"},
		{"more than 1000 rules", tooMany, ErrMalformed, "at most 1000"},
		{"an ID longer than 255", withRule(expireRule(strings.Repeat("x", 256), 1)), ErrInvalidArgument, "255"},
		{"an ID that is not UTF-8", withRule(expireRule("\xff", 1)), ErrInvalidArgument, "UTF-8"},
		{"two rules with one ID", &Config{Rules: []Rule{expireRule("same", 1), expireRule("same", 2)}}, ErrInvalidArgument, "must be unique"},
		{"a rule without an action", withRule(Rule{ID: "a"}), ErrInvalidRequest, "At least one action"},
		{"a prefix longer than 1024", withRule(Rule{ID: "a", Filter: Filter{Prefix: strings.Repeat("p", 1025)}, Expiration: &Expiration{Days: 1}}), ErrInvalidRequest, "prefix"},
		{"an empty tag key", withRule(Rule{ID: "a", Filter: Filter{Tags: map[string]string{"": "v"}}, Expiration: &Expiration{Days: 1}}), ErrInvalidArgument, "tag key"},
		{"a tag value longer than 256", withRule(Rule{ID: "a", Filter: Filter{Tags: map[string]string{"k": strings.Repeat("v", 257)}}, Expiration: &Expiration{Days: 1}}), ErrInvalidArgument, "tag key"},
		{"a negative size bound", withRule(Rule{ID: "a", Filter: Filter{ObjectSizeGreaterThan: -1}, Expiration: &Expiration{Days: 1}}), ErrInvalidArgument, "between 0"},
		{"a size bound above 5 TiB", withRule(Rule{ID: "a", Filter: Filter{ObjectSizeLessThan: MaxObjectSizeFilter + 1}, Expiration: &Expiration{Days: 1}}), ErrInvalidArgument, "between 0"},
		{"an empty size range", withRule(Rule{ID: "a", Filter: Filter{ObjectSizeGreaterThan: 10, ObjectSizeLessThan: 10}, Expiration: &Expiration{Days: 1}}), ErrInvalidArgument, "less than ObjectSizeLessThan"},
		{"Days and Date together", withRule(Rule{ID: "a", Expiration: &Expiration{Days: 1, Date: noon.Truncate(24 * time.Hour)}}), ErrMalformed, "only one"},
		{"Days and ExpiredObjectDeleteMarker together", withRule(Rule{ID: "a", Expiration: &Expiration{Days: 1, ExpiredObjectDeleteMarker: true}}), ErrMalformed, "only one"},
		{"negative Days", withRule(expireRule("a", -1)), ErrInvalidArgument, "'Days'"},
		{"Days beyond 32 bits", withRule(expireRule("a", MaxDays+1)), ErrInvalidArgument, "'Days'"},
		{"a Date at noon", withRule(Rule{ID: "a", Expiration: &Expiration{Date: noon}}), ErrInvalidArgument, "midnight GMT"},
		{"a Date in year 10000", withRule(Rule{ID: "a", Expiration: &Expiration{Date: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}}), ErrInvalidArgument, "between 1970 and 9999"},
		{"ExpiredObjectDeleteMarker with a tag filter", withRule(Rule{ID: "a", Filter: Filter{Tags: map[string]string{"k": "v"}}, Expiration: &Expiration{ExpiredObjectDeleteMarker: true}}), ErrInvalidRequest, "cannot be specified with Tags"},
		{"NoncurrentDays 0", withRule(Rule{ID: "a", NoncurrentExpiration: &NoncurrentExpiration{}}), ErrInvalidArgument, "'NoncurrentDays'"},
		{"NewerNoncurrentVersions above 100", withRule(Rule{ID: "a", NoncurrentExpiration: &NoncurrentExpiration{NoncurrentDays: 1, NewerNoncurrentVersions: 101}}), ErrInvalidArgument, "'NewerNoncurrentVersions'"},
		{"negative NewerNoncurrentVersions", withRule(Rule{ID: "a", NoncurrentExpiration: &NoncurrentExpiration{NoncurrentDays: 1, NewerNoncurrentVersions: -1}}), ErrInvalidArgument, "'NewerNoncurrentVersions'"},
		{"DaysAfterInitiation 0", withRule(Rule{ID: "a", AbortIncompleteUpload: &AbortIncompleteUpload{}}), ErrInvalidArgument, "'DaysAfterInitiation'"},
		{"an abort with a tag filter", withRule(Rule{ID: "a", Filter: Filter{Tags: map[string]string{"k": "v"}}, AbortIncompleteUpload: &AbortIncompleteUpload{DaysAfterInitiation: 1}}), ErrInvalidRequest, "AbortIncompleteMultipartUpload cannot be specified with Tags"},
		{"an abort with a size filter", withRule(Rule{ID: "a", Filter: Filter{ObjectSizeLessThan: 5}, AbortIncompleteUpload: &AbortIncompleteUpload{DaysAfterInitiation: 1}}), ErrInvalidRequest, "object size filter"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			var ve *ValidationError
			if !errors.As(err, &ve) || !errors.Is(err, tt.kind) {
				t.Fatalf("Validate = %v, want a *ValidationError of kind %v", err, tt.kind)
			}
			if !strings.Contains(ve.Message, tt.says) {
				t.Errorf("message %q does not say %q", ve.Message, tt.says)
			}
		})
	}
}

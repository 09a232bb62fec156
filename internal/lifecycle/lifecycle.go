// Package lifecycle is S3 bucket lifecycle configuration: the rules a bucket
// owner sets (AWS's LifecycleConfiguration, minus the storage-class
// transitions Quarry has no use for), their validation with AWS's limits,
// their stored form, and the rule evaluator: a pure function from the facts
// of one object version (or multipart upload), the rules and the time to
// the action that is due. The background scanner and the LIFECYCLE_UPDATE
// job both decide with this evaluator and differ only in how they walk a
// bucket.
package lifecycle

import (
	"errors"
	"time"
)

// ErrNoConfig is returned when a bucket has no lifecycle configuration
// (S3 NoSuchLifecycleConfiguration).
var ErrNoConfig = errors.New("the lifecycle configuration does not exist")

// Kinds of configuration fault, matched with errors.Is. Validate returns a
// *ValidationError of one of these kinds, whose message is phrased for the
// client that sent the configuration; each kind is the S3 error code AWS
// answers such a fault with.
var (
	// ErrMalformed: the configuration breaks the schema (MalformedXML):
	// no rules, too many, more than one of Days, Date and
	// ExpiredObjectDeleteMarker in an Expiration.
	ErrMalformed = errors.New("malformed lifecycle configuration")
	// ErrInvalidArgument: a value is out of range (InvalidArgument): an ID
	// too long or used twice, Days below 1, a Date not at midnight UTC, bad
	// size bounds or tags.
	ErrInvalidArgument = errors.New("invalid lifecycle argument")
	// ErrInvalidRequest: the elements do not go together (InvalidRequest):
	// a rule without an action, AbortIncompleteMultipartUpload or
	// ExpiredObjectDeleteMarker with a tag filter, a prefix too long.
	ErrInvalidRequest = errors.New("invalid lifecycle request")
)

// ValidationError is what is wrong with a configuration. Kind is one of
// ErrMalformed, ErrInvalidArgument and ErrInvalidRequest.
type ValidationError struct {
	Kind    error
	Message string
}

func (e *ValidationError) Error() string { return e.Message }

// Unwrap returns the kind, so errors.Is(err, ErrInvalidArgument) works.
func (e *ValidationError) Unwrap() error { return e.Kind }

// Limits of a lifecycle configuration, as AWS sets them.
const (
	MaxRules        = 1000
	MaxRuleIDLength = 255
	MaxPrefixLength = 1024
	// MaxNewerNoncurrentVersions is the most noncurrent versions a rule
	// may keep.
	MaxNewerNoncurrentVersions = 100
	// MaxObjectSizeFilter is the largest object size a filter may name
	// (5 TiB, the largest object).
	MaxObjectSizeFilter = 5 << 40
	// MaxDays bounds every Days value (S3 declares them 32-bit integers).
	MaxDays         = 1<<31 - 1
	maxTagKeyLength = 128
	maxTagValLength = 256
)

// DefaultDay is the length of a lifecycle day in production. Tests and
// demos pass a shorter day to the evaluator, which scales every Days value.
const DefaultDay = 24 * time.Hour

// Config is a bucket's lifecycle configuration. A nil *Config has no rules.
type Config struct {
	Rules []Rule
}

// Rule is one lifecycle rule: a filter that selects objects and the actions
// that apply to them. A rule has at least one action.
type Rule struct {
	// ID names the rule (at most 255 characters, unique in the
	// configuration). Configurations stored by Service always have one.
	ID string
	// Enabled is Status == "Enabled". A disabled rule never acts.
	Enabled bool
	// Filter selects the objects the rule applies to; the zero Filter
	// selects every object.
	Filter Filter
	// LegacyPrefix records that the rule was given with AWS's deprecated
	// top-level Prefix element instead of a Filter (the prefix is in
	// Filter.Prefix either way), so that it is read back as it was given.
	LegacyPrefix bool
	// Expiration expires current versions (and removes expired object
	// delete markers); nil means the rule has no Expiration action.
	Expiration *Expiration
	// NoncurrentExpiration permanently removes noncurrent versions.
	NoncurrentExpiration *NoncurrentExpiration
	// AbortIncompleteUpload aborts multipart uploads left incomplete.
	AbortIncompleteUpload *AbortIncompleteUpload
}

// Filter selects objects: every condition that is set must hold (AWS's And).
// The legacy top-level Prefix of a rule is a Filter with only Prefix.
type Filter struct {
	// Prefix the key must start with ("" for every key).
	Prefix string
	// Tags the object must carry, each with exactly that value (nil or
	// empty for no tag condition).
	Tags map[string]string
	// ObjectSizeGreaterThan and ObjectSizeLessThan bound the object size in
	// bytes, strictly; 0 means unset. (AWS's ObjectSizeGreaterThan of 0 is
	// therefore the same as none: it would only exclude empty objects.)
	ObjectSizeGreaterThan int64
	ObjectSizeLessThan    int64
}

// Expiration is AWS's Expiration action. Exactly one of Days, Date and
// ExpiredObjectDeleteMarker is set (an Expiration with none set is AWS's
// ExpiredObjectDeleteMarker false: it does nothing).
type Expiration struct {
	// Days after creation, counted to the next day boundary, after which
	// the current version expires.
	Days int
	// Date from which every current version the rule selects expires;
	// midnight UTC.
	Date time.Time
	// ExpiredObjectDeleteMarker removes delete markers that are the only
	// version left of their key.
	ExpiredObjectDeleteMarker bool
}

// NoncurrentExpiration is AWS's NoncurrentVersionExpiration action.
type NoncurrentExpiration struct {
	// NoncurrentDays a version must have been noncurrent for, counted from
	// when it was replaced to the next day boundary.
	NoncurrentDays int
	// NewerNoncurrentVersions is how many of the newest noncurrent versions
	// are kept whatever their age (0 for none).
	NewerNoncurrentVersions int
}

// AbortIncompleteUpload is AWS's AbortIncompleteMultipartUpload action.
type AbortIncompleteUpload struct {
	// DaysAfterInitiation after which an upload not completed is aborted.
	DaysAfterInitiation int
}

// Clone returns a deep copy of c.
func (c *Config) Clone() *Config {
	if c == nil {
		return nil
	}
	out := &Config{Rules: make([]Rule, len(c.Rules))}
	for i, r := range c.Rules {
		if r.Filter.Tags != nil {
			tags := make(map[string]string, len(r.Filter.Tags))
			for k, v := range r.Filter.Tags {
				tags[k] = v
			}
			r.Filter.Tags = tags
		}
		if r.Expiration != nil {
			e := *r.Expiration
			r.Expiration = &e
		}
		if r.NoncurrentExpiration != nil {
			n := *r.NoncurrentExpiration
			r.NoncurrentExpiration = &n
		}
		if r.AbortIncompleteUpload != nil {
			a := *r.AbortIncompleteUpload
			r.AbortIncompleteUpload = &a
		}
		out.Rules[i] = r
	}
	return out
}

// Matches reports whether an object with key, size and tags is selected.
func (f Filter) Matches(key string, size int64, tags map[string]string) bool {
	if len(key) < len(f.Prefix) || key[:len(f.Prefix)] != f.Prefix {
		return false
	}
	if f.ObjectSizeGreaterThan > 0 && size <= f.ObjectSizeGreaterThan {
		return false
	}
	if f.ObjectSizeLessThan > 0 && size >= f.ObjectSizeLessThan {
		return false
	}
	for k, v := range f.Tags {
		if got, ok := tags[k]; !ok || got != v {
			return false
		}
	}
	return true
}

// hasObjectConditions reports whether the filter looks at more than the
// key: multipart uploads have neither tags nor a size yet.
func (f Filter) hasObjectConditions() bool {
	return len(f.Tags) > 0 || f.ObjectSizeGreaterThan > 0 || f.ObjectSizeLessThan > 0
}

package lifecycle

import (
	"fmt"
	"time"
	"unicode/utf8"
)

func fault(kind error, format string, args ...any) error {
	return &ValidationError{Kind: kind, Message: fmt.Sprintf(format, args...)}
}

// Validate checks c against AWS's rules for a lifecycle configuration and
// returns the first fault as a *ValidationError. Rules may have an empty ID
// (Service.Put generates one); non-empty IDs must be unique.
func (c *Config) Validate() error {
	if c == nil || len(c.Rules) == 0 {
		return fault(ErrMalformed, "A lifecycle configuration must have at least one rule.")
	}
	if len(c.Rules) > MaxRules {
		return fault(ErrMalformed, "A lifecycle configuration can have at most %d rules, not %d.", MaxRules, len(c.Rules))
	}
	ids := make(map[string]bool, len(c.Rules))
	for i := range c.Rules {
		r := &c.Rules[i]
		if err := r.validate(); err != nil {
			return err
		}
		if r.ID == "" {
			continue
		}
		if ids[r.ID] {
			return fault(ErrInvalidArgument, "Rule ID must be unique. Found same ID for more than one rule: %q.", r.ID)
		}
		ids[r.ID] = true
	}
	return nil
}

func (r *Rule) validate() error {
	if len(r.ID) > MaxRuleIDLength {
		return fault(ErrInvalidArgument, "ID length should not exceed allowed limit of %d", MaxRuleIDLength)
	}
	if !utf8.ValidString(r.ID) {
		return fault(ErrInvalidArgument, "Rule ID %q is not valid UTF-8.", r.ID)
	}
	if err := r.Filter.validate(r.ID); err != nil {
		return err
	}
	if r.Expiration == nil && r.NoncurrentExpiration == nil && r.AbortIncompleteUpload == nil {
		return fault(ErrInvalidRequest, "At least one action needs to be specified in a rule (rule %q).", r.ID)
	}
	if e := r.Expiration; e != nil {
		if err := e.validate(r.ID); err != nil {
			return err
		}
		if e.ExpiredObjectDeleteMarker && len(r.Filter.Tags) > 0 {
			// Delete markers carry no tags: such a rule could never
			// select one.
			return fault(ErrInvalidRequest, "ExpiredObjectDeleteMarker cannot be specified with Tags (rule %q).", r.ID)
		}
	}
	if n := r.NoncurrentExpiration; n != nil {
		if n.NoncurrentDays < 1 || n.NoncurrentDays > MaxDays {
			return fault(ErrInvalidArgument, "'NoncurrentDays' for NoncurrentVersionExpiration action must be a positive integer (rule %q).", r.ID)
		}
		if n.NewerNoncurrentVersions < 0 || n.NewerNoncurrentVersions > MaxNewerNoncurrentVersions {
			return fault(ErrInvalidArgument, "'NewerNoncurrentVersions' for NoncurrentVersionExpiration action must be between 1 and %d (rule %q).", MaxNewerNoncurrentVersions, r.ID)
		}
	}
	if a := r.AbortIncompleteUpload; a != nil {
		if a.DaysAfterInitiation < 1 || a.DaysAfterInitiation > MaxDays {
			return fault(ErrInvalidArgument, "'DaysAfterInitiation' for AbortIncompleteMultipartUpload action must be a positive integer (rule %q).", r.ID)
		}
		// An upload has no tags and no size until it completes.
		if len(r.Filter.Tags) > 0 {
			return fault(ErrInvalidRequest, "AbortIncompleteMultipartUpload cannot be specified with Tags (rule %q).", r.ID)
		}
		if r.Filter.ObjectSizeGreaterThan > 0 || r.Filter.ObjectSizeLessThan > 0 {
			return fault(ErrInvalidRequest, "AbortIncompleteMultipartUpload cannot be specified with an object size filter (rule %q).", r.ID)
		}
	}
	return nil
}

func (f *Filter) validate(id string) error {
	if len(f.Prefix) > MaxPrefixLength {
		return fault(ErrInvalidRequest, "The maximum size of a prefix is %d (rule %q).", MaxPrefixLength, id)
	}
	for k, v := range f.Tags {
		if k == "" || len(k) > maxTagKeyLength || len(v) > maxTagValLength {
			return fault(ErrInvalidArgument, "A filter tag key must be 1 to %d characters and its value at most %d (rule %q).", maxTagKeyLength, maxTagValLength, id)
		}
	}
	gt, lt := f.ObjectSizeGreaterThan, f.ObjectSizeLessThan
	if gt < 0 || lt < 0 || gt > MaxObjectSizeFilter || lt > MaxObjectSizeFilter {
		return fault(ErrInvalidArgument, "ObjectSizeGreaterThan and ObjectSizeLessThan must be between 0 and %d bytes (rule %q).", int64(MaxObjectSizeFilter), id)
	}
	if gt > 0 && lt > 0 && gt >= lt {
		return fault(ErrInvalidArgument, "ObjectSizeGreaterThan must be less than ObjectSizeLessThan (rule %q).", id)
	}
	return nil
}

func (e *Expiration) validate(id string) error {
	set := 0
	if e.Days != 0 {
		set++
	}
	if !e.Date.IsZero() {
		set++
	}
	if e.ExpiredObjectDeleteMarker {
		set++
	}
	if set > 1 {
		return fault(ErrMalformed, "An Expiration action holds only one of Days, Date and ExpiredObjectDeleteMarker (rule %q).", id)
	}
	if e.Days < 0 || e.Days > MaxDays {
		return fault(ErrInvalidArgument, "'Days' for Expiration action must be a positive integer (rule %q).", id)
	}
	if !e.Date.IsZero() {
		if !e.Date.Equal(e.Date.UTC().Truncate(24 * time.Hour)) {
			return fault(ErrInvalidArgument, "'Date' must be at midnight GMT (rule %q).", id)
		}
		if y := e.Date.UTC().Year(); y < 1970 || y > 9999 {
			return fault(ErrInvalidArgument, "'Date' must be a date between 1970 and 9999 (rule %q).", id)
		}
	}
	return nil
}

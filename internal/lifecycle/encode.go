package lifecycle

import (
	"encoding/json"
	"fmt"
	"time"
)

// The stored form (meta.Bucket.Lifecycle) is JSON with names of its own, so
// that renaming a Go field never changes what is on disk. Field order is
// the struct order and map keys are sorted, so equal configurations encode
// to equal bytes.
type storedConfig struct {
	Rules []storedRule `json:"rules"`
}

type storedRule struct {
	ID           string            `json:"id"`
	Enabled      bool              `json:"enabled"`
	Filter       storedFilter      `json:"filter"`
	LegacyPrefix bool              `json:"legacyPrefix,omitempty"`
	Expiration   *storedExpiration `json:"expiration,omitempty"`
	Noncurrent   *storedNoncurrent `json:"noncurrentExpiration,omitempty"`
	Abort        *storedAbort      `json:"abortIncompleteUpload,omitempty"`
}

type storedFilter struct {
	Prefix          string            `json:"prefix,omitempty"`
	Tags            map[string]string `json:"tags,omitempty"`
	SizeGreaterThan int64             `json:"sizeGreaterThan,omitempty"`
	SizeLessThan    int64             `json:"sizeLessThan,omitempty"`
}

type storedExpiration struct {
	Days int `json:"days,omitempty"`
	// Date is RFC 3339 in UTC.
	Date                      string `json:"date,omitempty"`
	ExpiredObjectDeleteMarker bool   `json:"expiredObjectDeleteMarker,omitempty"`
}

type storedNoncurrent struct {
	NoncurrentDays          int `json:"noncurrentDays"`
	NewerNoncurrentVersions int `json:"newerNoncurrentVersions,omitempty"`
}

type storedAbort struct {
	DaysAfterInitiation int `json:"daysAfterInitiation"`
}

// Encode returns the stored form of c (meta.Bucket.Lifecycle). Equal
// configurations encode to equal bytes. A nil c encodes as no rules.
func (c *Config) Encode() []byte {
	if c == nil {
		c = &Config{}
	}
	doc := storedConfig{Rules: make([]storedRule, 0, len(c.Rules))}
	for _, r := range c.Rules {
		sr := storedRule{
			ID:      r.ID,
			Enabled: r.Enabled,
			Filter: storedFilter{
				Prefix:          r.Filter.Prefix,
				Tags:            r.Filter.Tags,
				SizeGreaterThan: r.Filter.ObjectSizeGreaterThan,
				SizeLessThan:    r.Filter.ObjectSizeLessThan,
			},
			LegacyPrefix: r.LegacyPrefix,
		}
		if e := r.Expiration; e != nil {
			sr.Expiration = &storedExpiration{Days: e.Days, ExpiredObjectDeleteMarker: e.ExpiredObjectDeleteMarker}
			if !e.Date.IsZero() {
				sr.Expiration.Date = e.Date.UTC().Format(time.RFC3339)
			}
		}
		if n := r.NoncurrentExpiration; n != nil {
			sr.Noncurrent = &storedNoncurrent{NoncurrentDays: n.NoncurrentDays, NewerNoncurrentVersions: n.NewerNoncurrentVersions}
		}
		if a := r.AbortIncompleteUpload; a != nil {
			sr.Abort = &storedAbort{DaysAfterInitiation: a.DaysAfterInitiation}
		}
		doc.Rules = append(doc.Rules, sr)
	}
	raw, err := json.Marshal(doc)
	if err != nil {
		// The document holds only strings, numbers, booleans and maps of
		// strings, which always encode.
		panic(fmt.Sprintf("lifecycle: encode configuration: %v", err))
	}
	return raw
}

// DecodeConfig reads a stored configuration (meta.Bucket.Lifecycle). It
// checks the form, not the rules: a configuration stored by an earlier
// version stays readable if Validate grows stricter.
func DecodeConfig(raw []byte) (*Config, error) {
	var doc storedConfig
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("decode lifecycle configuration: %w", err)
	}
	cfg := &Config{Rules: make([]Rule, 0, len(doc.Rules))}
	for _, sr := range doc.Rules {
		r := Rule{
			ID:      sr.ID,
			Enabled: sr.Enabled,
			Filter: Filter{
				Prefix:                sr.Filter.Prefix,
				Tags:                  sr.Filter.Tags,
				ObjectSizeGreaterThan: sr.Filter.SizeGreaterThan,
				ObjectSizeLessThan:    sr.Filter.SizeLessThan,
			},
			LegacyPrefix: sr.LegacyPrefix,
		}
		if len(r.Filter.Tags) == 0 {
			r.Filter.Tags = nil
		}
		if e := sr.Expiration; e != nil {
			r.Expiration = &Expiration{Days: e.Days, ExpiredObjectDeleteMarker: e.ExpiredObjectDeleteMarker}
			if e.Date != "" {
				d, err := time.Parse(time.RFC3339, e.Date)
				if err != nil {
					return nil, fmt.Errorf("decode lifecycle configuration: rule %q: date: %w", sr.ID, err)
				}
				r.Expiration.Date = d.UTC()
			}
		}
		if n := sr.Noncurrent; n != nil {
			r.NoncurrentExpiration = &NoncurrentExpiration{NoncurrentDays: n.NoncurrentDays, NewerNoncurrentVersions: n.NewerNoncurrentVersions}
		}
		if a := sr.Abort; a != nil {
			r.AbortIncompleteUpload = &AbortIncompleteUpload{DaysAfterInitiation: a.DaysAfterInitiation}
		}
		cfg.Rules = append(cfg.Rules, r)
	}
	return cfg, nil
}

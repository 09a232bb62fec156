package cors

import (
	"encoding/json"
	"fmt"
)

// The stored form (meta.Bucket.CORS) is JSON with names of its own, so that
// renaming a Go field never changes what is on disk.
type storedConfig struct {
	Rules []storedRule `json:"rules"`
}

type storedRule struct {
	ID      string   `json:"id,omitempty"`
	Methods []string `json:"methods"`
	Origins []string `json:"origins"`
	Headers []string `json:"headers,omitempty"`
	Expose  []string `json:"expose,omitempty"`
	MaxAge  *int     `json:"maxAge,omitempty"`
}

// Encode returns the stored form of c. A nil c encodes as no rules.
func (c *Config) Encode() []byte {
	doc := storedConfig{Rules: []storedRule{}}
	if c != nil {
		for _, r := range c.Rules {
			doc.Rules = append(doc.Rules, storedRule{
				ID: r.ID, Methods: r.AllowedMethods, Origins: r.AllowedOrigins,
				Headers: r.AllowedHeaders, Expose: r.ExposeHeaders, MaxAge: r.MaxAgeSeconds,
			})
		}
	}
	raw, err := json.Marshal(doc)
	if err != nil {
		// Strings, slices and an int always marshal.
		panic(fmt.Sprintf("cors: encode: %v", err))
	}
	return raw
}

// DecodeConfig reads the stored form.
func DecodeConfig(raw []byte) (*Config, error) {
	var doc storedConfig
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("decode stored CORS configuration: %w", err)
	}
	c := &Config{Rules: make([]Rule, 0, len(doc.Rules))}
	for _, r := range doc.Rules {
		c.Rules = append(c.Rules, Rule{
			ID: r.ID, AllowedMethods: r.Methods, AllowedOrigins: r.Origins,
			AllowedHeaders: r.Headers, ExposeHeaders: r.Expose, MaxAgeSeconds: r.MaxAge,
		})
	}
	return c, nil
}

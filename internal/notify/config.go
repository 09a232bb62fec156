package notify

import (
	"crypto/rand"
	"encoding/base32"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/quarrylabs/quarry/internal/object"
)

// Config is a bucket's notification configuration: AWS's
// NotificationConfiguration with its QueueConfigurations, decoded from and
// encoded to XML by the S3 layer and stored as JSON in
// meta.Bucket.Notification.
type Config struct {
	Queues []Queue `json:"queues"`
}

// Queue is one trigger: the events it reports, which keys, and where to.
type Queue struct {
	ID string `json:"id"`
	// TargetARN is the QueueConfiguration's Queue: a notification target.
	TargetARN string `json:"target"`
	// Events are event types as configurations name them
	// ("s3:ObjectCreated:*", "s3:ObjectRemoved:Delete").
	Events []string `json:"events"`
	Prefix string   `json:"prefix,omitempty"`
	Suffix string   `json:"suffix,omitempty"`
}

// Limits of a configuration.
const (
	MaxQueues       = 100
	MaxIDLength     = 255
	MaxFilterLength = 1024
)

// eventTypes are the event types a configuration may name, by category;
// "<category>:*" names them all.
var eventTypes = map[string][]string{
	"ObjectCreated":       {"Put", "Post", "Copy", "CompleteMultipartUpload"},
	"ObjectRemoved":       {"Delete", "DeleteMarkerCreated"},
	"LifecycleExpiration": {"Delete", "DeleteMarkerCreated"},
	"ObjectTagging":       {"Put", "Delete"},
}

// expand returns the concrete event names an event type stands for
// (without "s3:"), or false when it is not one Quarry reports.
func expand(eventType string) ([]string, bool) {
	rest, ok := strings.CutPrefix(eventType, "s3:")
	if !ok {
		return nil, false
	}
	category, name, ok := strings.Cut(rest, ":")
	names, known := eventTypes[category]
	if !ok || !known {
		return nil, false
	}
	if name == "*" {
		out := make([]string, len(names))
		for i, n := range names {
			out[i] = category + ":" + n
		}
		return out, true
	}
	if !slices.Contains(names, name) {
		return nil, false
	}
	return []string{rest}, true
}

// Matches reports whether the trigger reports an event name (without
// "s3:") for key.
func (q *Queue) Matches(name object.EventName, key string) bool {
	return q.matchesKey(key) && q.reports(string(name))
}

func (q *Queue) matchesKey(key string) bool {
	return strings.HasPrefix(key, q.Prefix) && strings.HasSuffix(key, q.Suffix)
}

func (q *Queue) reports(name string) bool {
	for _, et := range q.Events {
		names, _ := expand(et)
		if slices.Contains(names, name) {
			return true
		}
	}
	return false
}

// reportsCreated reports whether the trigger reports some kind of object
// creation: those are the triggers a back-fill (ObjectCreated:Reconciled)
// goes to.
func (q *Queue) reportsCreated() bool {
	for _, et := range q.Events {
		if strings.HasPrefix(et, "s3:ObjectCreated:") {
			return true
		}
	}
	return false
}

// For returns the trigger that reports name for key, or nil. A valid
// configuration has at most one (overlaps are refused).
func (c *Config) For(name object.EventName, key string) *Queue {
	for i := range c.Queues {
		if c.Queues[i].Matches(name, key) {
			return &c.Queues[i]
		}
	}
	return nil
}

// Created returns the triggers that report object creations for key.
func (c *Config) Created(key string) []Queue {
	var out []Queue
	for _, q := range c.Queues {
		if q.matchesKey(key) && q.reportsCreated() {
			out = append(out, q)
		}
	}
	return out
}

// CountCreated is len(Created(key)), without making the list.
func (c *Config) CountCreated(key string) int {
	n := 0
	for i := range c.Queues {
		if q := &c.Queues[i]; q.matchesKey(key) && q.reportsCreated() {
			n++
		}
	}
	return n
}

// Targets are the distinct target ARNs the configuration names, sorted.
func (c *Config) Targets() []string {
	var arns []string
	for _, q := range c.Queues {
		if !slices.Contains(arns, q.TargetARN) {
			arns = append(arns, q.TargetARN)
		}
	}
	slices.Sort(arns)
	return arns
}

func invalidConfig(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidConfig, fmt.Sprintf(format, args...))
}

// Validate checks a configuration on its own (the targets are checked
// against the store by the caller) and gives every trigger without an ID
// one, as AWS does. An empty configuration is valid: it removes every
// trigger.
func (c *Config) Validate() error {
	if len(c.Queues) > MaxQueues {
		return invalidConfig("a notification configuration holds at most %d configurations, not %d", MaxQueues, len(c.Queues))
	}
	ids := map[string]bool{}
	for i := range c.Queues {
		q := &c.Queues[i]
		if q.ID == "" {
			id, err := newID()
			if err != nil {
				return err
			}
			q.ID = id
		}
		if err := q.validate(); err != nil {
			return err
		}
		if ids[q.ID] {
			return invalidConfig("the configuration Id %q is used more than once", q.ID)
		}
		ids[q.ID] = true
	}
	return c.checkOverlaps()
}

func (q *Queue) validate() error {
	if len(q.ID) > MaxIDLength || !utf8.ValidString(q.ID) {
		return invalidConfig("the configuration Id %.32q is longer than %d characters or not UTF-8", q.ID, MaxIDLength)
	}
	if !strings.HasPrefix(q.TargetARN, arnPrefix) || strings.Count(q.TargetARN, ":") != 5 {
		return invalidConfig("configuration %q: the ARN %q is not well formed: a notification target's ARN is %s<region>:<id>:<type>",
			q.ID, q.TargetARN, arnPrefix)
	}
	if len(q.Events) == 0 {
		return invalidConfig("configuration %q: at least one Event is required", q.ID)
	}
	for _, et := range q.Events {
		if _, ok := expand(et); !ok {
			return invalidConfig("configuration %q: the event %q is not supported for notifications", q.ID, et)
		}
	}
	for _, f := range []struct{ name, value string }{{"prefix", q.Prefix}, {"suffix", q.Suffix}} {
		if len(f.value) > MaxFilterLength || !utf8.ValidString(f.value) {
			return invalidConfig("configuration %q: the %s filter is longer than %d bytes or not UTF-8", q.ID, f.name, MaxFilterLength)
		}
	}
	return nil
}

// checkOverlaps refuses two triggers that could both report one event for
// one key: they share an event type, their prefixes overlap (one starts
// with the other) and their suffixes overlap (one ends with the other). A
// key then exists that both select, and nothing would say which applies.
func (c *Config) checkOverlaps() error {
	for i := range c.Queues {
		for j := i + 1; j < len(c.Queues); j++ {
			a, b := &c.Queues[i], &c.Queues[j]
			shared := sharedEvent(a, b)
			if shared == "" {
				continue
			}
			prefixes := strings.HasPrefix(a.Prefix, b.Prefix) || strings.HasPrefix(b.Prefix, a.Prefix)
			suffixes := strings.HasSuffix(a.Suffix, b.Suffix) || strings.HasSuffix(b.Suffix, a.Suffix)
			if prefixes && suffixes {
				return invalidConfig("configurations %q and %q overlap: they both report s3:%s for keys with overlapping prefixes (%q, %q) and suffixes (%q, %q)",
					a.ID, b.ID, shared, a.Prefix, b.Prefix, a.Suffix, b.Suffix)
			}
		}
	}
	return nil
}

// sharedEvent is an event name both triggers report, or "".
func sharedEvent(a, b *Queue) string {
	for _, et := range a.Events {
		names, _ := expand(et)
		for _, n := range names {
			if b.reports(n) {
				return n
			}
		}
	}
	return ""
}

// EncodeConfig is the form a configuration is stored in: JSON.
func EncodeConfig(c *Config) ([]byte, error) {
	raw, err := json.Marshal(c)
	if err != nil {
		return nil, fmt.Errorf("encode notification configuration: %w", err)
	}
	return raw, nil
}

// DecodeConfig reads a stored configuration.
func DecodeConfig(raw []byte) (*Config, error) {
	var c Config
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, fmt.Errorf("decode notification configuration: %w", err)
	}
	return &c, nil
}

// newID is a random configuration Id, like the ones AWS generates.
func newID() (string, error) {
	var b [10]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("configuration id: %w", err)
	}
	return base32.StdEncoding.EncodeToString(b[:]), nil
}

// maxCachedConfigs bounds the decoded-configuration cache; when full it
// starts over, which costs only re-decoding.
const maxCachedConfigs = 512

// configCache keeps configurations decoded, keyed by their stored bytes:
// events are planned on every write, and a changed configuration has other
// bytes, so entries never go stale. The cached *Config is shared: read only.
type configCache struct {
	mu      sync.Mutex
	decoded map[string]*Config
}

func newConfigCache() *configCache { return &configCache{decoded: map[string]*Config{}} }

func (c *configCache) get(raw []byte) (*Config, error) {
	c.mu.Lock()
	cfg, ok := c.decoded[string(raw)]
	c.mu.Unlock()
	if ok {
		return cfg, nil
	}
	cfg, err := DecodeConfig(raw)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.decoded) >= maxCachedConfigs {
		clear(c.decoded)
	}
	c.decoded[string(raw)] = cfg
	return cfg, nil
}

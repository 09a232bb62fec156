package replication

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Limits of a replication configuration, as AWS sets them.
const (
	MaxRules        = 1000
	MaxRuleIDLength = 255
	MaxPrefixLength = 1024
	maxTagKeyLength = 128
	maxTagValLength = 256
	maxTargetName   = 64
)

// storageClasses are the Destination/StorageClass values AWS accepts.
var storageClasses = map[string]bool{
	"STANDARD": true, "REDUCED_REDUNDANCY": true, "STANDARD_IA": true, "ONEZONE_IA": true,
	"INTELLIGENT_TIERING": true, "GLACIER": true, "DEEP_ARCHIVE": true, "GLACIER_IR": true,
}

// invalidTarget returns ErrInvalidTarget with what is wrong.
func invalidTarget(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidTarget, fmt.Sprintf(format, args...))
}

// invalidConfig returns ErrInvalidConfig with what is wrong, phrased for
// the client that sent the configuration.
func invalidConfig(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidConfig, fmt.Sprintf(format, args...))
}

// validateTarget checks a new target's fields (Region already defaulted).
func validateTarget(in TargetInput) error {
	if n := len(in.Name); n == 0 || n > maxTargetName {
		return invalidTarget("name must be 1 to %d characters", maxTargetName)
	}
	for _, r := range in.Name {
		if !isNameRune(r) {
			return invalidTarget("name %q may only hold letters, digits, '.', '_' and '-'", in.Name)
		}
	}
	if err := validateEndpoint(in.Endpoint); err != nil {
		return err
	}
	if !validBucketName(in.Bucket) {
		return invalidTarget("bucket %q is not a valid S3 bucket name", in.Bucket)
	}
	for _, r := range in.Region {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return invalidTarget("region %q may only hold letters, digits, '-' and '_'", in.Region)
		}
	}
	if in.AccessKey == "" {
		return invalidTarget("access key is required")
	}
	if in.SecretKey == "" {
		return invalidTarget("secret key is required")
	}
	return nil
}

func isNameRune(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-'
}

// validateEndpoint accepts an absolute http or https URL of a host, with
// an optional port (1 to 65535; none means the scheme's own), and nothing
// the S3 client would misuse or silently drop: no path beyond "/", no
// credentials, query or fragment.
func validateEndpoint(endpoint string) error {
	u, err := url.Parse(endpoint)
	if err != nil {
		return invalidTarget("endpoint %q is not a URL", endpoint)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return invalidTarget("endpoint %q must be an absolute http:// or https:// URL", endpoint)
	}
	if u.Opaque != "" || u.Hostname() == "" {
		return invalidTarget("endpoint %q has no host", endpoint)
	}
	if u.User != nil {
		return invalidTarget("endpoint %q must not hold credentials: give them as the access and secret key", endpoint)
	}
	if u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || strings.HasSuffix(endpoint, "#") {
		return invalidTarget("endpoint %q must not hold a query or a fragment", endpoint)
	}
	if u.Path != "" && u.Path != "/" {
		return invalidTarget("endpoint %q must not hold a path (%q): the bucket is given apart", endpoint, u.Path)
	}
	if strings.HasSuffix(u.Host, ":") {
		return invalidTarget("endpoint %q has an empty port", endpoint)
	}
	if port := u.Port(); port != "" {
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 {
			return invalidTarget("endpoint %q: the port must be 1 to 65535, not %s", endpoint, port)
		}
	}
	return nil
}

// validBucketName applies S3's bucket naming rules: 3 to 63 lower-case
// letters, digits, dots and hyphens, starting and ending with a letter or
// digit, no "..", and not an IP address.
func validBucketName(name string) bool {
	if len(name) < 3 || len(name) > 63 {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '-') {
			return false
		}
	}
	isAlnum := func(c byte) bool { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' }
	if !isAlnum(name[0]) || !isAlnum(name[len(name)-1]) {
		return false
	}
	return !strings.Contains(name, "..") && net.ParseIP(name) == nil
}

// validateConfig checks a configuration on its own (IDs already
// generated); the destinations are checked against the targets by the
// caller. The errors name the rule at fault.
func validateConfig(cfg *Config) error {
	if n := len(cfg.Rules); n == 0 || n > MaxRules {
		return invalidConfig("a replication configuration holds 1 to %d rules, not %d", MaxRules, n)
	}
	ids := make(map[string]bool, len(cfg.Rules))
	legacy := cfg.Rules[0].Legacy
	type destPriority struct {
		dest     string
		priority int
	}
	priorities := map[destPriority]string{}
	for i := range cfg.Rules {
		r := &cfg.Rules[i]
		if err := validateRule(r); err != nil {
			return err
		}
		if ids[r.ID] {
			return invalidConfig("rule ID %q is used by more than one rule", r.ID)
		}
		ids[r.ID] = true
		if r.Legacy != legacy {
			return invalidConfig("rule %q: rules with a Filter and rules with the legacy Prefix cannot be mixed", r.ID)
		}
		if legacy {
			continue
		}
		key := destPriority{r.DestinationARN, r.Priority}
		if other, dup := priorities[key]; dup {
			return invalidConfig("rules %q and %q have the same Priority %d and the same destination", other, r.ID, r.Priority)
		}
		priorities[key] = r.ID
	}
	if legacy {
		return checkLegacyOverlap(cfg.Rules)
	}
	return nil
}

// validateRule checks one rule's fields.
func validateRule(r *Rule) error {
	if len(r.ID) > MaxRuleIDLength {
		return invalidConfig("rule ID %.32q... is longer than %d characters", r.ID, MaxRuleIDLength)
	}
	if !utf8.ValidString(r.ID) {
		return invalidConfig("rule ID %q is not valid UTF-8", r.ID)
	}
	if r.Priority < 0 {
		return invalidConfig("rule %q: Priority must not be negative", r.ID)
	}
	if r.DestinationARN == "" {
		return invalidConfig("rule %q: Destination/Bucket (a replication target ARN) is required", r.ID)
	}
	if r.StorageClass != "" && !storageClasses[r.StorageClass] {
		return invalidConfig("rule %q: storage class %q is not valid", r.ID, r.StorageClass)
	}
	if len(r.Filter.Prefix) > MaxPrefixLength {
		return invalidConfig("rule %q: the prefix is longer than %d bytes", r.ID, MaxPrefixLength)
	}
	for k, v := range r.Filter.Tags {
		if k == "" || len(k) > maxTagKeyLength || len(v) > maxTagValLength {
			return invalidConfig("rule %q: a filter tag key is 1 to %d characters and its value at most %d", r.ID, maxTagKeyLength, maxTagValLength)
		}
	}
	// AWS's rule: delete markers carry no tags, so a tag filter could
	// never select one.
	if r.DeleteMarkerReplication && len(r.Filter.Tags) > 0 {
		return invalidConfig("rule %q: delete marker replication is not supported with a Tag filter", r.ID)
	}
	return nil
}

// checkLegacyOverlap refuses legacy (V1) rules to one destination whose
// prefixes overlap: without priorities nothing says which one applies.
func checkLegacyOverlap(rules []Rule) error {
	for i := range rules {
		for j := i + 1; j < len(rules); j++ {
			a, b := &rules[i], &rules[j]
			if a.DestinationARN != b.DestinationARN {
				continue
			}
			if strings.HasPrefix(a.Filter.Prefix, b.Filter.Prefix) || strings.HasPrefix(b.Filter.Prefix, a.Filter.Prefix) {
				return invalidConfig("rules %q and %q have overlapping prefixes %q and %q for the same destination", a.ID, b.ID, a.Filter.Prefix, b.Filter.Prefix)
			}
		}
	}
	return nil
}

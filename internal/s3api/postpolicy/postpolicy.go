// Package postpolicy reads the policy of a browser POST upload (a base64
// JSON document) and checks a form against it as S3 does: the policy's
// expiration, each of its conditions, and that every field of the form is
// named by some condition. Checking who signed the policy is the
// signature packages' work.
package postpolicy

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Errors Check and Parse return, as *Error. The S3 layer maps each to the
// S3 error code of the same name.
var (
	ErrInvalidPolicyDocument = errors.New("InvalidPolicyDocument") // not a policy
	ErrAccessDenied          = errors.New("AccessDenied")          // expired, a condition fails, a field not allowed
)

// Error is a refusal with the message AWS gives for it.
type Error struct {
	Code    error // ErrInvalidPolicyDocument or ErrAccessDenied
	Message string
}

func (e *Error) Error() string { return e.Code.Error() + ": " + e.Message }

func (e *Error) Unwrap() error { return e.Code }

func invalid(format string, args ...any) *Error {
	return &Error{Code: ErrInvalidPolicyDocument, Message: "Invalid Policy: " + fmt.Sprintf(format, args...)}
}

func denied(format string, args ...any) *Error {
	return &Error{Code: ErrAccessDenied, Message: "Invalid according to Policy: " + fmt.Sprintf(format, args...)}
}

// Kind is what a condition checks.
type Kind int

const (
	Equals      Kind = iota // {"field": "value"} or ["eq", "$field", "value"]
	StartsWith              // ["starts-with", "$field", "prefix"]; "" allows anything
	LengthRange             // ["content-length-range", min, max]: the file's size
)

// Condition is one entry of a policy's conditions.
type Condition struct {
	Kind Kind
	// Field is the form field checked, lower-case, without the '$'.
	Field string
	Value string
	// Min and Max bound the file's size in bytes (LengthRange).
	Min, Max int64
}

// String is the condition as AWS quotes it when it fails.
func (c Condition) String() string {
	q := func(s string) string { b, _ := json.Marshal(s); return string(b) }
	switch c.Kind {
	case StartsWith:
		return "[" + q("starts-with") + ", " + q("$"+c.Field) + ", " + q(c.Value) + "]"
	case LengthRange:
		return fmt.Sprintf(`["content-length-range", %d, %d]`, c.Min, c.Max)
	}
	return "[" + q("eq") + ", " + q("$"+c.Field) + ", " + q(c.Value) + "]"
}

// Policy is a parsed POST policy.
type Policy struct {
	Expiration time.Time
	Conditions []Condition
}

// Parse decodes the policy field of a form: base64 of a JSON document with
// an expiration (ISO 8601, UTC) and a list of conditions.
func Parse(field string) (*Policy, error) {
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(field))
	if err != nil {
		return nil, invalid("Invalid Base64 encoding.")
	}
	var doc struct {
		Expiration *string           `json:"expiration"`
		Conditions []json.RawMessage `json:"conditions"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, invalid("Invalid JSON.")
	}
	if doc.Expiration == nil {
		return nil, invalid("Policy missing expiration.")
	}
	p := &Policy{}
	if p.Expiration, err = time.Parse(time.RFC3339Nano, *doc.Expiration); err != nil {
		return nil, invalid("Invalid 'expiration' value: '%s'", *doc.Expiration)
	}
	if doc.Conditions == nil {
		return nil, invalid("Policy missing conditions.")
	}
	for _, rawCond := range doc.Conditions {
		conds, err := parseCondition(rawCond)
		if err != nil {
			return nil, err
		}
		p.Conditions = append(p.Conditions, conds...)
	}
	return p, nil
}

// parseCondition reads one entry: an object of exact matches, or an array
// naming its operation.
func parseCondition(raw json.RawMessage) ([]Condition, error) {
	trimmed := bytes.TrimSpace(raw)
	if len(trimmed) > 0 && trimmed[0] == '{' {
		var fields map[string]json.RawMessage
		if err := json.Unmarshal(trimmed, &fields); err != nil || len(fields) == 0 {
			return nil, invalid("Invalid Condition: %s", trimmed)
		}
		names := make([]string, 0, len(fields))
		for name := range fields {
			names = append(names, name)
		}
		sort.Strings(names)
		conds := make([]Condition, 0, len(names))
		for _, name := range names {
			value, ok := stringValue(fields[name])
			if !ok {
				return nil, invalid("Invalid Condition: %s", trimmed)
			}
			conds = append(conds, Condition{Kind: Equals, Field: strings.ToLower(name), Value: value})
		}
		return conds, nil
	}
	var parts []json.RawMessage
	if err := json.Unmarshal(trimmed, &parts); err != nil || len(parts) != 3 {
		return nil, invalid("Invalid Condition: %s", trimmed)
	}
	op, ok := stringValue(parts[0])
	if !ok {
		return nil, invalid("Invalid Condition: %s", trimmed)
	}
	switch strings.ToLower(op) {
	case "eq", "starts-with":
		field, ok1 := stringValue(parts[1])
		value, ok2 := stringValue(parts[2])
		name, ok3 := strings.CutPrefix(field, "$")
		if !ok1 || !ok2 || !ok3 || name == "" {
			return nil, invalid("Invalid Condition: %s", trimmed)
		}
		kind := Equals
		if strings.EqualFold(op, "starts-with") {
			kind = StartsWith
		}
		return []Condition{{Kind: kind, Field: strings.ToLower(name), Value: value}}, nil
	case "content-length-range":
		lo, ok1 := intValue(parts[1])
		hi, ok2 := intValue(parts[2])
		if !ok1 || !ok2 || lo < 0 || hi < lo {
			return nil, invalid("Invalid Condition: %s", trimmed)
		}
		return []Condition{{Kind: LengthRange, Min: lo, Max: hi}}, nil
	}
	return nil, invalid("Invalid Condition: unknown operation %q in %s", op, trimmed)
}

// stringValue reads a JSON string, or a number as its text (policies
// write success_action_status either way).
func stringValue(raw json.RawMessage) (string, bool) {
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s, true
	}
	var n json.Number
	if err := json.Unmarshal(raw, &n); err == nil {
		return n.String(), true
	}
	return "", false
}

// intValue reads a JSON integer, or a string holding one.
func intValue(raw json.RawMessage) (int64, bool) {
	s, ok := stringValue(raw)
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}

// exempt are the fields no condition needs to name: the policy and its
// signature, the file, and (by AWS's rule) any x-ignore- field.
var exempt = []string{"policy", "signature", "x-amz-signature", "awsaccesskeyid", "file"}

func isExempt(name string) bool {
	for _, e := range exempt {
		if name == e {
			return true
		}
	}
	return strings.HasPrefix(name, "x-ignore-")
}

// Form is the fields of a POST form: names lower-case, the values of
// repeated fields joined with ',' (as policies match them), ${filename}
// already replaced.
type Form map[string]string

// Check checks form, posted to bucket at now, against the policy. bucket
// is what a "bucket" condition matches, whatever the form says.
func (p *Policy) Check(form Form, bucket string, now time.Time) error {
	if now.After(p.Expiration) {
		return denied("Policy expired.")
	}
	covered := map[string]bool{}
	for _, c := range p.Conditions {
		if c.Kind == LengthRange {
			continue
		}
		covered[c.Field] = true
		value := form[c.Field]
		if c.Field == "bucket" {
			value = bucket
		}
		ok := value == c.Value
		if c.Kind == StartsWith {
			ok = strings.HasPrefix(value, c.Value)
		}
		if !ok {
			return denied("Policy Condition failed: %s", c)
		}
	}
	var extra []string
	for name := range form {
		if !covered[name] && !isExempt(name) {
			extra = append(extra, name)
		}
	}
	if len(extra) > 0 {
		sort.Strings(extra)
		return denied("Extra input fields: %s", strings.Join(extra, ", "))
	}
	return nil
}

// LengthRange returns the file sizes the policy allows (every
// content-length-range at once); ok is false when it names none.
func (p *Policy) LengthRange() (lo, hi int64, ok bool) {
	for _, c := range p.Conditions {
		if c.Kind != LengthRange {
			continue
		}
		if !ok {
			lo, hi, ok = c.Min, c.Max, true
			continue
		}
		lo, hi = max(lo, c.Min), min(hi, c.Max)
	}
	return lo, hi, ok
}

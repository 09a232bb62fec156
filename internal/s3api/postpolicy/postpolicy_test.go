package postpolicy

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"
)

var checkTime = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)

func encode(doc string) string { return base64.StdEncoding.EncodeToString([]byte(doc)) }

// policyWith is a policy that expires a day after checkTime.
func policyWith(conditions string) string {
	return encode(`{"expiration": "2026-11-29T12:00:00.000Z", "conditions": [` + conditions + `]}`)
}

func TestParseRefusesWhatIsNoPolicy(t *testing.T) {
	cases := []struct{ name, field, text string }{
		{"not base64", "%%%", "Invalid Base64"},
		{"not JSON", encode("{expiration"), "Invalid JSON"},
		{"no expiration", encode(`{"conditions": []}`), "Policy missing expiration"},
		{"an expiration that is no date", encode(`{"expiration": "tomorrow", "conditions": []}`), "Invalid 'expiration' value: 'tomorrow'"},
		{"no conditions", encode(`{"expiration": "2026-11-29T12:00:00Z"}`), "Policy missing conditions"},
		{"a condition that is a string", policyWith(`"key"`), "Invalid Condition"},
		{"an empty object", policyWith(`{}`), "Invalid Condition"},
		{"an object whose value is a list", policyWith(`{"key": ["a"]}`), "Invalid Condition"},
		{"an array of two", policyWith(`["eq", "$key"]`), "Invalid Condition"},
		{"a field without its dollar", policyWith(`["eq", "key", "a"]`), "Invalid Condition"},
		{"an unknown operation", policyWith(`["ends-with", "$key", "a"]`), "unknown operation"},
		{"a range that is not numbers", policyWith(`["content-length-range", "a", 5]`), "Invalid Condition"},
		{"a range upside down", policyWith(`["content-length-range", 10, 5]`), "Invalid Condition"},
		{"a negative range", policyWith(`["content-length-range", -1, 5]`), "Invalid Condition"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(tc.field)
			if !errors.Is(err, ErrInvalidPolicyDocument) || !strings.Contains(err.Error(), tc.text) {
				t.Errorf("Parse = %v, want InvalidPolicyDocument saying %q", err, tc.text)
			}
		})
	}
}

func TestParseReadsEveryConditionForm(t *testing.T) {
	p, err := Parse(policyWith(`{"bucket": "photos", "Acl": "private"}, ["eq", "$Key", "a"], ["starts-with", "$Content-Type", "image/"],
		["content-length-range", 1, "1048576"], {"success_action_status": 201}`))
	if err != nil {
		t.Fatal(err)
	}
	want := []Condition{
		{Kind: Equals, Field: "acl", Value: "private"},
		{Kind: Equals, Field: "bucket", Value: "photos"},
		{Kind: Equals, Field: "key", Value: "a"},
		{Kind: StartsWith, Field: "content-type", Value: "image/"},
		{Kind: LengthRange, Min: 1, Max: 1048576},
		{Kind: Equals, Field: "success_action_status", Value: "201"},
	}
	if len(p.Conditions) != len(want) {
		t.Fatalf("conditions %+v, want %+v", p.Conditions, want)
	}
	for i := range want {
		if p.Conditions[i] != want[i] {
			t.Errorf("condition %d = %+v, want %+v", i, p.Conditions[i], want[i])
		}
	}
	if !p.Expiration.Equal(time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)) {
		t.Errorf("expiration %v", p.Expiration)
	}
}

func TestCheckJudgesTheFormAsAWSDoes(t *testing.T) {
	const base = `{"bucket": "photos"}, ["starts-with", "$key", "user/eric/"], {"acl": "private"}`
	form := func(extra ...string) Form {
		f := Form{"key": "user/eric/cat.jpg", "acl": "private", "policy": "p", "x-amz-signature": "s", "file": ""}
		for i := 0; i+1 < len(extra); i += 2 {
			f[extra[i]] = extra[i+1]
		}
		return f
	}
	cases := []struct {
		name       string
		conditions string
		form       Form
		bucket     string
		now        time.Time
		want       string // "" when the form passes
	}{
		{name: "a form that meets every condition", conditions: base, form: form()},
		{name: "an expired policy", conditions: base, form: form(), now: checkTime.Add(25 * time.Hour), want: "Invalid according to Policy: Policy expired."},
		{name: "another bucket", conditions: base, form: form(), bucket: "other", want: `Policy Condition failed: ["eq", "$bucket", "photos"]`},
		{name: "a bucket field cannot override the bucket posted to", conditions: base, form: form("bucket", "photos"), bucket: "other", want: `["eq", "$bucket", "photos"]`},
		{name: "a key without the prefix", conditions: base, form: form("key", "user/bob/cat.jpg"), want: `Policy Condition failed: ["starts-with", "$key", "user/eric/"]`},
		{name: "another value for an exact match", conditions: base, form: form("acl", "public-read"), want: `["eq", "$acl", "private"]`},
		{name: "an exact match of a missing field", conditions: base + `, {"x-amz-meta-a": "b"}`, form: form(), want: `["eq", "$x-amz-meta-a", "b"]`},
		{name: "an empty prefix allows anything", conditions: base + `, ["starts-with", "$x-amz-meta-tag", ""]`, form: form("x-amz-meta-tag", "anything")},
		{name: "an empty prefix allows an absent field", conditions: base + `, ["starts-with", "$success_action_redirect", ""]`, form: form()},
		{name: "an eq condition matches exactly", conditions: base + `, ["eq", "$content-type", "image/png"]`, form: form("content-type", "image/png")},
		{name: "an eq condition is not a prefix", conditions: base + `, ["eq", "$content-type", "image/png"]`, form: form("content-type", "image/png2"), want: `["eq", "$content-type", "image/png"]`},
		{name: "values are case-sensitive", conditions: base + `, ["eq", "$content-type", "image/png"]`, form: form("content-type", "IMAGE/PNG"), want: "Policy Condition failed"},
		{name: "a field no condition names", conditions: base, form: form("x-amz-meta-secret", "1", "cache-control", "no-cache"), want: "Invalid according to Policy: Extra input fields: cache-control, x-amz-meta-secret"},
		{name: "x-ignore- fields need no condition", conditions: base, form: form("x-ignore-submit", "Upload")},
		{name: "the signature fields need no condition", conditions: base, form: form("awsaccesskeyid", "AK", "signature", "s")},
		{name: "SigV4 fields other than the signature need one", conditions: base, form: form("x-amz-credential", "c", "x-amz-algorithm", "AWS4-HMAC-SHA256", "x-amz-date", "d"), want: "Extra input fields: x-amz-algorithm, x-amz-credential, x-amz-date"},
		{name: "every condition of a field must hold", conditions: base + `, ["starts-with", "$key", "user/eric/private/"]`, form: form(), want: `["starts-with", "$key", "user/eric/private/"]`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Parse(policyWith(tc.conditions))
			if err != nil {
				t.Fatal(err)
			}
			bucket, now := tc.bucket, tc.now
			if bucket == "" {
				bucket = "photos"
			}
			if now.IsZero() {
				now = checkTime
			}
			err = p.Check(tc.form, bucket, now)
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("Check = %v, want the form to pass", err)
			case tc.want != "" && (!errors.Is(err, ErrAccessDenied) || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("Check = %v, want AccessDenied saying %q", err, tc.want)
			}
		})
	}
}

func TestLengthRangeIsWhatEveryRangeAllows(t *testing.T) {
	p, err := Parse(policyWith(`["content-length-range", 10, 1000], ["content-length-range", 100, 5000]`))
	if err != nil {
		t.Fatal(err)
	}
	if lo, hi, ok := p.LengthRange(); !ok || lo != 100 || hi != 1000 {
		t.Errorf("LengthRange = %d, %d, %v; want 100, 1000, true", lo, hi, ok)
	}
	p, _ = Parse(policyWith(`{"bucket": "b"}`))
	if _, _, ok := p.LengthRange(); ok {
		t.Error("LengthRange of a policy without a range is ok")
	}
}

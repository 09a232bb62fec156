package s3api

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"hash/crc32"
	"html"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// lifecycleRequest sends a signed ?lifecycle request with body and the
// given headers (set before signing).
func (ts *testServer) lifecycleCall(u testUser, method, bucket string, body []byte, header map[string]string) (int, http.Header, string) {
	ts.t.Helper()
	req, err := http.NewRequest(method, ts.srv.URL+"/"+bucket+"?lifecycle", bytes.NewReader(body))
	if err != nil {
		ts.t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	sum := sha256.Sum256(body)
	ts.sign(u, req, hex.EncodeToString(sum[:]))
	status, hdr, resp := ts.do(req)
	return status, hdr, html.UnescapeString(resp)
}

func md5Header(body []byte) map[string]string {
	sum := md5.Sum(body)
	return map[string]string{"Content-MD5": base64.StdEncoding.EncodeToString(sum[:])}
}

func lifecycleDoc(rules ...string) string {
	return `<LifecycleConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">` + strings.Join(rules, "") + `</LifecycleConfiguration>`
}

func TestBucketLifecycleRoundTripsThroughTheSDK(t *testing.T) {
	ts := newTestServer(t)
	ts.mustCreateBucket(ts.alice, "photos")
	c := ts.client(ts.alice)
	ctx := context.Background()
	b := aws.String("photos")

	_, err := c.GetBucketLifecycleConfiguration(ctx, &s3.GetBucketLifecycleConfigurationInput{Bucket: b})
	wantCode(t, err, "NoSuchLifecycleConfiguration", http.StatusNotFound)

	date := time.Date(2030, 6, 1, 0, 0, 0, 0, time.UTC)
	rules := []types.LifecycleRule{
		{ID: aws.String("logs"), Status: types.ExpirationStatusEnabled,
			Filter:     &types.LifecycleRuleFilter{Prefix: aws.String("logs/")},
			Expiration: &types.LifecycleExpiration{Days: aws.Int32(30)}},
		{ID: aws.String("dated"), Status: types.ExpirationStatusDisabled,
			Filter:     &types.LifecycleRuleFilter{Tag: &types.Tag{Key: aws.String("tier"), Value: aws.String("tmp")}},
			Expiration: &types.LifecycleExpiration{Date: aws.Time(date)}},
		{ID: aws.String("versions"), Status: types.ExpirationStatusEnabled,
			Filter: &types.LifecycleRuleFilter{And: &types.LifecycleRuleAndOperator{
				Prefix: aws.String("docs/"), ObjectSizeGreaterThan: aws.Int64(100), ObjectSizeLessThan: aws.Int64(5000),
				Tags: []types.Tag{{Key: aws.String("b"), Value: aws.String("2")}, {Key: aws.String("a"), Value: aws.String("1")}},
			}},
			NoncurrentVersionExpiration: &types.NoncurrentVersionExpiration{NoncurrentDays: aws.Int32(7), NewerNoncurrentVersions: aws.Int32(3)}},
		{ID: aws.String("cleanup"), Status: types.ExpirationStatusEnabled,
			Filter:                         &types.LifecycleRuleFilter{Prefix: aws.String("")},
			Expiration:                     &types.LifecycleExpiration{ExpiredObjectDeleteMarker: aws.Bool(true)},
			AbortIncompleteMultipartUpload: &types.AbortIncompleteMultipartUpload{DaysAfterInitiation: aws.Int32(2)}},
		{ID: aws.String("big"), Status: types.ExpirationStatusEnabled,
			Filter:     &types.LifecycleRuleFilter{ObjectSizeGreaterThan: aws.Int64(1 << 30)},
			Expiration: &types.LifecycleExpiration{Days: aws.Int32(1)}},
		{ID: aws.String("legacy"), Status: types.ExpirationStatusEnabled, Prefix: aws.String("old/"),
			Expiration: &types.LifecycleExpiration{Days: aws.Int32(365)}},
	}
	_, err = c.PutBucketLifecycleConfiguration(ctx, &s3.PutBucketLifecycleConfigurationInput{
		Bucket: b, LifecycleConfiguration: &types.BucketLifecycleConfiguration{Rules: rules},
	})
	if err != nil {
		t.Fatalf("put: %v", err)
	}
	out, err := c.GetBucketLifecycleConfiguration(ctx, &s3.GetBucketLifecycleConfigurationInput{Bucket: b})
	if err != nil {
		t.Fatalf("get: %v", err)
	}
	got := out.Rules
	if len(got) != len(rules) {
		t.Fatalf("%d rules read back, want %d", len(got), len(rules))
	}
	for i, r := range got {
		if aws.ToString(r.ID) != aws.ToString(rules[i].ID) || r.Status != rules[i].Status {
			t.Errorf("rule %d: ID %q status %q, want %q %q", i, aws.ToString(r.ID), r.Status, aws.ToString(rules[i].ID), rules[i].Status)
		}
	}
	if f := got[0].Filter; f == nil || aws.ToString(f.Prefix) != "logs/" || aws.ToInt32(got[0].Expiration.Days) != 30 {
		t.Errorf("rule logs: %+v %+v", got[0].Filter, got[0].Expiration)
	}
	if f := got[1].Filter; f == nil || f.Tag == nil || aws.ToString(f.Tag.Key) != "tier" || aws.ToString(f.Tag.Value) != "tmp" ||
		!aws.ToTime(got[1].Expiration.Date).Equal(date) {
		t.Errorf("rule dated: %+v %+v", got[1].Filter, got[1].Expiration)
	}
	if and := got[2].Filter.And; and == nil || aws.ToString(and.Prefix) != "docs/" || aws.ToInt64(and.ObjectSizeGreaterThan) != 100 ||
		aws.ToInt64(and.ObjectSizeLessThan) != 5000 || len(and.Tags) != 2 || aws.ToString(and.Tags[0].Key) != "a" ||
		aws.ToInt32(got[2].NoncurrentVersionExpiration.NoncurrentDays) != 7 ||
		aws.ToInt32(got[2].NoncurrentVersionExpiration.NewerNoncurrentVersions) != 3 {
		t.Errorf("rule versions: %+v %+v", got[2].Filter.And, got[2].NoncurrentVersionExpiration)
	}
	if e := got[3].Expiration; e == nil || !aws.ToBool(e.ExpiredObjectDeleteMarker) || e.Days != nil ||
		got[3].AbortIncompleteMultipartUpload == nil || aws.ToInt32(got[3].AbortIncompleteMultipartUpload.DaysAfterInitiation) != 2 ||
		got[3].Filter == nil || got[3].Filter.Prefix == nil || *got[3].Filter.Prefix != "" {
		t.Errorf("rule cleanup: %+v %+v %+v", got[3].Filter, got[3].Expiration, got[3].AbortIncompleteMultipartUpload)
	}
	if f := got[4].Filter; f == nil || aws.ToInt64(f.ObjectSizeGreaterThan) != 1<<30 {
		t.Errorf("rule big: %+v", got[4].Filter)
	}
	//lint:ignore SA1019 a rule given with the deprecated Prefix is read back with it
	if legacy := aws.ToString(got[5].Prefix); got[5].Filter != nil || legacy != "old/" {
		t.Errorf("rule legacy: filter %+v prefix %q, want the top-level Prefix back", got[5].Filter, legacy)
	}

	// Bob may neither read, replace nor delete alice's configuration.
	bob := ts.client(ts.bob)
	_, err = bob.GetBucketLifecycleConfiguration(ctx, &s3.GetBucketLifecycleConfigurationInput{Bucket: b})
	wantCode(t, err, "AccessDenied", http.StatusForbidden)
	_, err = bob.PutBucketLifecycleConfiguration(ctx, &s3.PutBucketLifecycleConfigurationInput{
		Bucket: b, LifecycleConfiguration: &types.BucketLifecycleConfiguration{Rules: rules[:1]},
	})
	wantCode(t, err, "AccessDenied", http.StatusForbidden)
	_, err = bob.DeleteBucketLifecycle(ctx, &s3.DeleteBucketLifecycleInput{Bucket: b})
	wantCode(t, err, "AccessDenied", http.StatusForbidden)
	if again, err := c.GetBucketLifecycleConfiguration(ctx, &s3.GetBucketLifecycleConfigurationInput{Bucket: b}); err != nil || len(again.Rules) != len(rules) {
		t.Fatalf("after bob's attempts: %v, %d rules", err, len(again.Rules))
	}

	if _, err := c.DeleteBucketLifecycle(ctx, &s3.DeleteBucketLifecycleInput{Bucket: b}); err != nil {
		t.Fatalf("delete: %v", err)
	}
	_, err = c.GetBucketLifecycleConfiguration(ctx, &s3.GetBucketLifecycleConfigurationInput{Bucket: b})
	wantCode(t, err, "NoSuchLifecycleConfiguration", http.StatusNotFound)
	if _, err := c.DeleteBucketLifecycle(ctx, &s3.DeleteBucketLifecycleInput{Bucket: b}); err != nil {
		t.Fatalf("delete of none: %v", err)
	}
	_, err = c.GetBucketLifecycleConfiguration(ctx, &s3.GetBucketLifecycleConfigurationInput{Bucket: aws.String("nope")})
	wantCode(t, err, "NoSuchBucket", http.StatusNotFound)
}

func TestBadLifecycleConfigurationsGetAWSErrors(t *testing.T) {
	ts := newTestServer(t)
	ts.mustCreateBucket(ts.alice, "photos")
	good := `<Rule><ID>keep</ID><Filter><Prefix>a/</Prefix></Filter><Status>Enabled</Status><Expiration><Days>9</Days></Expiration></Rule>`
	if status, _, body := ts.lifecycleCall(ts.alice, http.MethodPut, "photos", []byte(lifecycleDoc(good)), md5Header([]byte(lifecycleDoc(good)))); status != http.StatusOK {
		t.Fatalf("good configuration: %d %s", status, body)
	}
	rule := func(inner string) string { return `<Rule><ID>r</ID><Status>Enabled</Status>` + inner + `</Rule>` }
	exp := `<Expiration><Days>1</Days></Expiration>`
	all := `<Filter></Filter>`
	tags := `<Filter><And><Tag><Key>k</Key><Value>v</Value></Tag><Tag><Key>j</Key><Value>w</Value></Tag></And></Filter>`
	tests := []struct {
		name   string
		body   string
		status int
		code   string
		says   string
	}{
		{"unparsable XML", `<LifecycleConfiguration><Rule>`, 400, "MalformedXML", ""},
		{"an empty body", ``, 400, "MalformedXML", ""},
		{"another document", `<Tagging><TagSet/></Tagging>`, 400, "MalformedXML", ""},
		{"no rule", lifecycleDoc(), 400, "MalformedXML", ""},
		{"an unknown element", lifecycleDoc(rule(all + exp + `<Frobnicate/>`)), 400, "MalformedXML", ""},
		{"a rule without Status", lifecycleDoc(`<Rule><ID>r</ID>` + all + exp + `</Rule>`), 400, "MalformedXML", ""},
		{"a Status that is neither Enabled nor Disabled", lifecycleDoc(`<Rule><ID>r</ID><Status>On</Status>` + all + exp + `</Rule>`), 400, "MalformedXML", ""},
		{"neither Filter nor Prefix", lifecycleDoc(rule(exp)), 400, "MalformedXML", ""},
		{"both Filter and Prefix", lifecycleDoc(rule(`<Prefix>a</Prefix>` + all + exp)), 400, "MalformedXML", ""},
		{"two Filters", lifecycleDoc(rule(all + all + exp)), 400, "MalformedXML", ""},
		{"a Filter with a Prefix and a Tag outside And", lifecycleDoc(rule(`<Filter><Prefix>a</Prefix><Tag><Key>k</Key><Value>v</Value></Tag></Filter>` + exp)), 400, "MalformedXML", ""},
		{"a Filter with both size bounds outside And", lifecycleDoc(rule(`<Filter><ObjectSizeGreaterThan>1</ObjectSizeGreaterThan><ObjectSizeLessThan>9</ObjectSizeLessThan></Filter>` + exp)), 400, "MalformedXML", ""},
		{"an And with one condition", lifecycleDoc(rule(`<Filter><And><Prefix>a</Prefix></And></Filter>` + exp)), 400, "MalformedXML", ""},
		{"a Tag without Key", lifecycleDoc(rule(`<Filter><Tag><Value>v</Value></Tag></Filter>` + exp)), 400, "MalformedXML", ""},
		{"a size that is not a number", lifecycleDoc(rule(`<Filter><ObjectSizeLessThan>big</ObjectSizeLessThan></Filter>` + exp)), 400, "MalformedXML", ""},
		{"an empty Expiration", lifecycleDoc(rule(all + `<Expiration></Expiration>`)), 400, "MalformedXML", ""},
		{"Days and Date in one Expiration", lifecycleDoc(rule(all + `<Expiration><Days>1</Days><Date>2030-01-01T00:00:00Z</Date></Expiration>`)), 400, "MalformedXML", ""},
		{"Days with ExpiredObjectDeleteMarker false", lifecycleDoc(rule(all + `<Expiration><Days>1</Days><ExpiredObjectDeleteMarker>false</ExpiredObjectDeleteMarker></Expiration>`)), 400, "MalformedXML", ""},
		{"Days that are not a number", lifecycleDoc(rule(all + `<Expiration><Days>ten</Days></Expiration>`)), 400, "MalformedXML", ""},
		{"Days beyond 32 bits", lifecycleDoc(rule(all + `<Expiration><Days>2147483648</Days></Expiration>`)), 400, "MalformedXML", ""},
		{"an ExpiredObjectDeleteMarker that is not a boolean", lifecycleDoc(rule(all + `<Expiration><ExpiredObjectDeleteMarker>yes</ExpiredObjectDeleteMarker></Expiration>`)), 400, "MalformedXML", ""},
		{"two Expirations", lifecycleDoc(rule(all + exp + exp)), 400, "MalformedXML", ""},
		{"a NoncurrentVersionExpiration without NoncurrentDays", lifecycleDoc(rule(all + `<NoncurrentVersionExpiration><NewerNoncurrentVersions>2</NewerNoncurrentVersions></NoncurrentVersionExpiration>`)), 400, "MalformedXML", ""},
		{"an AbortIncompleteMultipartUpload without DaysAfterInitiation", lifecycleDoc(rule(all + `<AbortIncompleteMultipartUpload></AbortIncompleteMultipartUpload>`)), 400, "MalformedXML", ""},
		{"a schema fault wins over an earlier bad value", lifecycleDoc(rule(all+`<Expiration><Days>0</Days></Expiration>`), `<Rule><Status>On</Status>`+all+exp+`</Rule>`), 400, "MalformedXML", ""},
		{"Days 0", lifecycleDoc(rule(all + `<Expiration><Days>0</Days></Expiration>`)), 400, "InvalidArgument", "'Days' for Expiration action must be a positive integer"},
		{"negative Days", lifecycleDoc(rule(all + `<Expiration><Days>-3</Days></Expiration>`)), 400, "InvalidArgument", "'Days'"},
		{"a Date not at midnight", lifecycleDoc(rule(all + `<Expiration><Date>2030-01-01T12:00:00Z</Date></Expiration>`)), 400, "InvalidArgument", "midnight GMT"},
		{"a Date at local midnight elsewhere", lifecycleDoc(rule(all + `<Expiration><Date>2030-01-01T00:00:00+02:00</Date></Expiration>`)), 400, "InvalidArgument", "midnight GMT"},
		{"a Date that is no date", lifecycleDoc(rule(all + `<Expiration><Date>tomorrow</Date></Expiration>`)), 400, "InvalidArgument", "ISO 8601"},
		{"NoncurrentDays 0", lifecycleDoc(rule(all + `<NoncurrentVersionExpiration><NoncurrentDays>0</NoncurrentDays></NoncurrentVersionExpiration>`)), 400, "InvalidArgument", "'NoncurrentDays'"},
		{"NewerNoncurrentVersions 0", lifecycleDoc(rule(all + `<NoncurrentVersionExpiration><NoncurrentDays>1</NoncurrentDays><NewerNoncurrentVersions>0</NewerNoncurrentVersions></NoncurrentVersionExpiration>`)), 400, "InvalidArgument", "'NewerNoncurrentVersions'"},
		{"NewerNoncurrentVersions above 100", lifecycleDoc(rule(all + `<NoncurrentVersionExpiration><NoncurrentDays>1</NoncurrentDays><NewerNoncurrentVersions>101</NewerNoncurrentVersions></NoncurrentVersionExpiration>`)), 400, "InvalidArgument", "'NewerNoncurrentVersions'"},
		{"DaysAfterInitiation 0", lifecycleDoc(rule(all + `<AbortIncompleteMultipartUpload><DaysAfterInitiation>0</DaysAfterInitiation></AbortIncompleteMultipartUpload>`)), 400, "InvalidArgument", "'DaysAfterInitiation'"},
		{"an ID longer than 255", lifecycleDoc(`<Rule><ID>` + strings.Repeat("x", 256) + `</ID><Status>Enabled</Status>` + all + exp + `</Rule>`), 400, "InvalidArgument", "255"},
		{"two rules with one ID", lifecycleDoc(rule(all+exp), rule(all+exp)), 400, "InvalidArgument", "Rule ID must be unique"},
		{"duplicate tag keys", lifecycleDoc(rule(`<Filter><And><Tag><Key>k</Key><Value>1</Value></Tag><Tag><Key>k</Key><Value>2</Value></Tag></And></Filter>` + exp)), 400, "InvalidArgument", "Duplicate Tag Keys"},
		{"a negative size", lifecycleDoc(rule(`<Filter><ObjectSizeGreaterThan>-1</ObjectSizeGreaterThan></Filter>` + exp)), 400, "InvalidArgument", "ObjectSizeGreaterThan"},
		{"an upper size bound of 0", lifecycleDoc(rule(`<Filter><ObjectSizeLessThan>0</ObjectSizeLessThan></Filter>` + exp)), 400, "InvalidArgument", "ObjectSizeLessThan"},
		{"an empty size range", lifecycleDoc(rule(`<Filter><And><ObjectSizeGreaterThan>9</ObjectSizeGreaterThan><ObjectSizeLessThan>9</ObjectSizeLessThan></And></Filter>` + exp)), 400, "InvalidArgument", "less than ObjectSizeLessThan"},
		{"a rule without an action", lifecycleDoc(rule(all)), 400, "InvalidRequest", "At least one action"},
		{"tags with AbortIncompleteMultipartUpload", lifecycleDoc(rule(tags + `<AbortIncompleteMultipartUpload><DaysAfterInitiation>1</DaysAfterInitiation></AbortIncompleteMultipartUpload>`)), 400, "InvalidRequest", "AbortIncompleteMultipartUpload cannot be specified with Tags"},
		{"a size filter with AbortIncompleteMultipartUpload", lifecycleDoc(rule(`<Filter><ObjectSizeLessThan>9</ObjectSizeLessThan></Filter><AbortIncompleteMultipartUpload><DaysAfterInitiation>1</DaysAfterInitiation></AbortIncompleteMultipartUpload>`)), 400, "InvalidRequest", "object size filter"},
		{"tags with ExpiredObjectDeleteMarker", lifecycleDoc(rule(tags + `<Expiration><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration>`)), 400, "InvalidRequest", "ExpiredObjectDeleteMarker cannot be specified with Tags"},
		{"a prefix longer than 1024", lifecycleDoc(rule(`<Filter><Prefix>` + strings.Repeat("p", 1025) + `</Prefix></Filter>` + exp)), 400, "InvalidRequest", "prefix"},
		{"a Transition", lifecycleDoc(rule(all + `<Transition><Days>30</Days><StorageClass>GLACIER</StorageClass></Transition>`)), 501, "NotImplemented", "Transition actions are not implemented"},
		{"a NoncurrentVersionTransition", lifecycleDoc(rule(all + exp + `<NoncurrentVersionTransition><NoncurrentDays>30</NoncurrentDays><StorageClass>GLACIER</StorageClass></NoncurrentVersionTransition>`)), 501, "NotImplemented", "NoncurrentVersionTransition actions are not implemented"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := []byte(tt.body)
			status, _, resp := ts.lifecycleCall(ts.alice, http.MethodPut, "photos", body, md5Header(body))
			if status != tt.status || !strings.Contains(resp, "<Code>"+tt.code+"</Code>") || !strings.Contains(resp, tt.says) {
				t.Fatalf("status %d, body %s; want %d %s saying %q", status, resp, tt.status, tt.code, tt.says)
			}
		})
	}
	// Nothing of a refused configuration was stored.
	status, _, body := ts.lifecycleCall(ts.alice, http.MethodGet, "photos", nil, nil)
	if status != http.StatusOK || !strings.Contains(body, "<ID>keep</ID>") || strings.Count(body, "<Rule>") != 1 {
		t.Fatalf("configuration after refused puts: %d %s", status, body)
	}
}

func TestPutBucketLifecycleNeedsAnIntegrityHeaderAndABodyOfSaneSize(t *testing.T) {
	ts := newTestServer(t)
	ts.mustCreateBucket(ts.alice, "photos")
	doc := []byte(lifecycleDoc(`<Rule><Filter/><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>`))
	crc := crc32.ChecksumIEEE(doc)
	crcHeader := base64.StdEncoding.EncodeToString([]byte{byte(crc >> 24), byte(crc >> 16), byte(crc >> 8), byte(crc)})

	status, _, body := ts.lifecycleCall(ts.alice, http.MethodPut, "photos", doc, nil)
	if status != http.StatusBadRequest || !strings.Contains(body, "<Code>InvalidRequest</Code>") || !strings.Contains(body, "Missing required header for this request: Content-MD5") {
		t.Fatalf("without Content-MD5: %d %s", status, body)
	}
	status, _, body = ts.lifecycleCall(ts.alice, http.MethodPut, "photos", doc, md5Header([]byte("other")))
	if status != http.StatusBadRequest || !strings.Contains(body, "<Code>BadDigest</Code>") {
		t.Fatalf("with a wrong Content-MD5: %d %s", status, body)
	}
	status, _, body = ts.lifecycleCall(ts.alice, http.MethodPut, "photos", doc, map[string]string{"x-amz-checksum-crc32": crcHeader})
	if status != http.StatusOK {
		t.Fatalf("with x-amz-checksum-crc32 instead of Content-MD5: %d %s", status, body)
	}
	big := []byte(lifecycleDoc(strings.Repeat(`<Rule><Filter/><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>`, 20000)))
	status, _, body = ts.lifecycleCall(ts.alice, http.MethodPut, "photos", big, md5Header(big))
	if status != http.StatusBadRequest || !strings.Contains(body, "<Code>MalformedXML</Code>") || !strings.Contains(body, "larger than the maximum") {
		t.Fatalf("a %d-byte body: %d %s", len(big), status, body)
	}
	// A rule sent without an ID is given one.
	status, _, body = ts.lifecycleCall(ts.alice, http.MethodGet, "photos", nil, nil)
	if status != http.StatusOK || strings.Contains(body, "<ID></ID>") || !strings.Contains(body, "<ID>") {
		t.Fatalf("configuration read back: %d %s", status, body)
	}
}

func TestGetBucketLifecycleAnswersAWSDocuments(t *testing.T) {
	ts := newTestServer(t)
	ts.mustCreateBucket(ts.alice, "photos")
	status, _, body := ts.lifecycleCall(ts.alice, http.MethodGet, "photos", nil, nil)
	if status != http.StatusNotFound || !strings.Contains(body, "<Code>NoSuchLifecycleConfiguration</Code>") || !strings.Contains(body, "<BucketName>photos</BucketName>") {
		t.Fatalf("GET without a configuration: %d %s", status, body)
	}
	doc := []byte(lifecycleDoc(
		`<Rule><ID>old</ID><Prefix>logs/</Prefix><Status>Enabled</Status><Expiration><Date>2030-01-01</Date></Expiration></Rule>`,
		`<Rule><ID>off</ID><Filter/><Status>Disabled</Status><Expiration><ExpiredObjectDeleteMarker>false</ExpiredObjectDeleteMarker></Expiration></Rule>`,
	))
	if status, _, body := ts.lifecycleCall(ts.alice, http.MethodPut, "photos", doc, md5Header(doc)); status != http.StatusOK {
		t.Fatalf("put: %d %s", status, body)
	}
	status, hdr, body := ts.lifecycleCall(ts.alice, http.MethodGet, "photos", nil, nil)
	for _, want := range []string{
		`<LifecycleConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">`,
		`<Rule><ID>old</ID><Prefix>logs/</Prefix><Status>Enabled</Status><Expiration><Date>2030-01-01T00:00:00.000Z</Date></Expiration></Rule>`,
		`<Rule><ID>off</ID><Filter><Prefix></Prefix></Filter><Status>Disabled</Status><Expiration><ExpiredObjectDeleteMarker>false</ExpiredObjectDeleteMarker></Expiration></Rule>`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("GET body %s lacks %s", body, want)
		}
	}
	if status != http.StatusOK || !strings.HasPrefix(hdr.Get("Content-Type"), "application/xml") {
		t.Errorf("GET: %d %s", status, hdr.Get("Content-Type"))
	}
	if status, _, body := ts.lifecycleCall(ts.alice, http.MethodPost, "photos", nil, nil); status != http.StatusMethodNotAllowed {
		t.Errorf("POST ?lifecycle: %d %s", status, body)
	}
	if status, _, body := ts.lifecycleCall(ts.alice, http.MethodDelete, "photos", nil, nil); status != http.StatusNoContent {
		t.Errorf("DELETE ?lifecycle: %d %s", status, body)
	}
}

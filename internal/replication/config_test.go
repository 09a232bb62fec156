package replication

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/quarrylabs/quarry/internal/meta"
	"github.com/quarrylabs/quarry/internal/object"
)

func TestValidateConfigRejectsBrokenRules(t *testing.T) {
	rule := func(id string, priority int, dest string) Rule {
		return Rule{ID: id, Priority: priority, Enabled: true, DestinationARN: dest}
	}
	manyRules := make([]Rule, MaxRules+1)
	for i := range manyRules {
		manyRules[i] = rule(fmt.Sprint(i), i, "arn:a")
	}
	tests := []struct {
		name  string
		rules []Rule
		say   string // "" when valid
	}{
		{"one rule is valid", []Rule{rule("a", 1, "arn:a")}, ""},
		{"equal priorities to different destinations are valid", []Rule{rule("a", 1, "arn:a"), rule("b", 1, "arn:b")}, ""},
		{"no rule is refused", nil, "1 to 1000 rules"},
		{"more than 1000 rules are refused", manyRules, "1 to 1000 rules"},
		{"a duplicate ID is refused", []Rule{rule("a", 1, "arn:a"), rule("a", 2, "arn:a")}, `rule ID "a" is used by more than one rule`},
		{"an ID of 256 characters is refused", []Rule{rule(strings.Repeat("i", 256), 1, "arn:a")}, "longer than 255"},
		{"an ID of 255 characters is valid", []Rule{rule(strings.Repeat("i", 255), 1, "arn:a")}, ""},
		{"equal priorities to one destination are refused", []Rule{rule("a", 3, "arn:a"), rule("b", 3, "arn:a")}, "same Priority 3"},
		{"a negative priority is refused", []Rule{rule("a", -1, "arn:a")}, "negative"},
		{"a rule without destination is refused", []Rule{rule("a", 1, "")}, "Destination"},
		{"a prefix of 1025 bytes is refused", []Rule{{ID: "a", DestinationARN: "arn:a", Filter: Filter{Prefix: strings.Repeat("p", 1025)}}}, "prefix is longer"},
		{"a bad storage class is refused", []Rule{{ID: "a", DestinationARN: "arn:a", StorageClass: "COLD"}}, "storage class"},
		{"an empty tag key is refused", []Rule{{ID: "a", DestinationARN: "arn:a", Filter: Filter{Tags: map[string]string{"": "v"}}}}, "tag key"},
		{"delete markers with a tag filter are refused", []Rule{{ID: "a", DestinationARN: "arn:a", DeleteMarkerReplication: true, Filter: Filter{Tags: map[string]string{"k": "v"}}}}, "delete marker"},
		{"mixed legacy and filter rules are refused", []Rule{{ID: "a", DestinationARN: "arn:a", Legacy: true}, {ID: "b", DestinationARN: "arn:b"}}, "cannot be mixed"},
		{"overlapping legacy prefixes to one destination are refused", []Rule{
			{ID: "a", DestinationARN: "arn:a", Legacy: true, Filter: Filter{Prefix: "logs/"}},
			{ID: "b", DestinationARN: "arn:a", Legacy: true, Filter: Filter{Prefix: "logs/2026/"}},
		}, "overlapping prefixes"},
		{"disjoint legacy prefixes are valid", []Rule{
			{ID: "a", DestinationARN: "arn:a", Legacy: true, Filter: Filter{Prefix: "logs/"}},
			{ID: "b", DestinationARN: "arn:a", Legacy: true, Filter: Filter{Prefix: "img/"}},
		}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := validateConfig(&Config{Rules: tt.rules})
			if tt.say == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			wantIs(t, err, ErrInvalidConfig)
			if !strings.Contains(err.Error(), tt.say) {
				t.Fatalf("%q does not say %q", err, tt.say)
			}
		})
	}
}

func TestPutBucketReplicationChecksTheBucketAndTheTargets(t *testing.T) {
	h := newCtlHarness(t)
	h.bucket("versioned", meta.VersioningEnabled)
	h.bucket("plain", meta.VersioningOff)
	h.bucket("suspended", meta.VersioningSuspended)
	tg := h.target("dr", "http://a.example")
	good := &Config{Rules: []Rule{{ID: "r", Enabled: true, DestinationARN: tg.ARN}}}
	tests := []struct {
		name   string
		caller bool // false: bob, who owns nothing
		bucket string
		cfg    *Config
		want   error
	}{
		{"a bucket never versioned is refused", true, "plain", good, ErrVersioningNotEnabled},
		{"a suspended bucket is refused", true, "suspended", good, ErrVersioningNotEnabled},
		{"an unknown target is refused as one the owner may not use", true, "versioned", &Config{Rules: []Rule{{ID: "r", DestinationARN: "arn:quarry:replication:x:000000000000:y"}}}, ErrTargetNotPermitted},
		{"a missing bucket is refused", true, "nope", good, object.ErrNoSuchBucket},
		{"someone else's bucket is refused", false, "versioned", good, object.ErrAccessDenied},
		{"a nil configuration is refused", true, "versioned", nil, ErrInvalidConfig},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := ctlAlice
			if !tt.caller {
				p = ctlBob
			}
			wantIs(t, h.svc.PutBucketReplication(h.ctx, p, tt.bucket, tt.cfg), tt.want)
		})
	}
	for _, b := range []string{"versioned", "plain", "suspended"} {
		_, err := h.svc.GetBucketReplication(h.ctx, ctlAlice, b)
		wantIs(t, err, ErrNoConfig)
	}
}

func TestABucketConfigurationRoundTrips(t *testing.T) {
	h := newCtlHarness(t)
	h.bucket("src", meta.VersioningEnabled)
	a, b := h.target("a", "http://a.example"), h.target("b", "http://b.example")
	in := &Config{Role: "arn:aws:iam::1:role/x", Rules: []Rule{
		{ID: "logs", Priority: 2, Enabled: true, DestinationARN: a.ARN, Filter: Filter{Prefix: "logs/", Tags: map[string]string{"k": "v"}}, ExistingObjectReplication: true},
		{Priority: 1, Enabled: false, DestinationARN: b.ARN, DeleteMarkerReplication: true, StorageClass: "STANDARD"},
	}}
	if err := h.svc.PutBucketReplication(h.ctx, ctlAlice, "src", in); err != nil {
		t.Fatal(err)
	}
	if in.Rules[1].ID != "" {
		t.Fatal("PutBucketReplication changed its argument")
	}
	// An admin may read any bucket's configuration.
	got, err := h.svc.GetBucketReplication(h.ctx, ctlAdmin, "src")
	if err != nil {
		t.Fatal(err)
	}
	if got.Rules[1].ID == "" || len(got.Rules[1].ID) > MaxRuleIDLength {
		t.Fatalf("generated ID %q", got.Rules[1].ID)
	}
	want := *in
	want.Rules = append([]Rule(nil), in.Rules...)
	want.Rules[1].ID = got.Rules[1].ID
	if !reflect.DeepEqual(got, &want) {
		t.Fatalf("got %+v\nwant %+v", got, &want)
	}
	_, err = h.svc.GetBucketReplication(h.ctx, ctlBob, "src")
	wantIs(t, err, object.ErrAccessDenied)

	err = h.meta.View(h.ctx, func(tx meta.Tx) error {
		users, err := tx.BucketsUsingTarget(b.ARN)
		if err == nil && fmt.Sprint(users) != "[src]" {
			t.Errorf("buckets using %s: %v", b.ARN, users)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}

	if err := h.svc.DeleteBucketReplication(h.ctx, ctlAlice, "src"); err != nil {
		t.Fatal(err)
	}
	_, err = h.svc.GetBucketReplication(h.ctx, ctlAlice, "src")
	wantIs(t, err, ErrNoConfig)
	if err := h.svc.DeleteBucketReplication(h.ctx, ctlAlice, "src"); err != nil {
		t.Fatalf("deleting no configuration: %v", err)
	}
	wantIs(t, h.svc.DeleteBucketReplication(h.ctx, ctlBob, "src"), object.ErrAccessDenied)
}

func TestWritesToAReplicatingBucketAreQueuedEndToEnd(t *testing.T) {
	h := newCtlHarness(t)
	h.bucket("src", meta.VersioningEnabled)
	tg := h.target("dr", "http://a.example")
	woken := 0
	h.notify = func() { woken++ }
	cfg := &Config{Rules: []Rule{{ID: "docs", Priority: 1, Enabled: true, DestinationARN: tg.ARN, Filter: Filter{Prefix: "docs/"}}}}
	if err := h.svc.PutBucketReplication(h.ctx, ctlAlice, "src", cfg); err != nil {
		t.Fatal(err)
	}
	put := func(key string) *meta.Version {
		v, err := h.objects.PutObject(h.ctx, ctlAlice, object.PutInput{Bucket: "src", Key: key, Body: strings.NewReader("x"), Size: 1})
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	doc, other := put("docs/a"), put("img/b")
	if doc.ReplicationStatus != meta.ReplicationPending || other.ReplicationStatus != meta.ReplicationNone || woken != 1 {
		t.Fatalf("statuses %q %q, woken %d", doc.ReplicationStatus, other.ReplicationStatus, woken)
	}
	var n int64
	err := h.meta.View(h.ctx, func(tx meta.Tx) error {
		var err error
		n, err = tx.CountOutbox(meta.OutboxFilter{Kind: OutboxKind, Bucket: "src"})
		return err
	})
	if err != nil || n != 1 {
		t.Fatalf("%d tasks queued (%v), want 1", n, err)
	}
	wantIs(t, h.objects.SetVersioning(h.ctx, ctlAlice, "src", meta.VersioningSuspended), object.ErrInvalidBucketState)
}

package replication

import (
	"fmt"
	"log/slog"
	"math/rand/v2"
	"reflect"
	"sort"
	"testing"

	"github.com/quarrylabs/quarry/internal/meta"
)

func planBucket(t testing.TB, rules ...Rule) *meta.Bucket {
	t.Helper()
	raw, err := EncodeConfig(&Config{Rules: rules})
	if err != nil {
		t.Fatal(err)
	}
	return &meta.Bucket{Name: "src", Versioning: meta.VersioningEnabled, Replication: raw}
}

// planned renders entries as "arn" (or "arn marker") in order.
func planned(entries []meta.OutboxEntry) []string {
	out := []string{}
	for _, e := range entries {
		task, err := TaskOf(e)
		if err != nil {
			panic(err)
		}
		s := task.TargetARN
		if task.DeleteMarker {
			s += " marker"
		}
		out = append(out, s)
	}
	return out
}

func TestPlanPicksTheApplyingRulePerDestination(t *testing.T) {
	tagged := map[string]string{"team": "blue", "tier": "gold"}
	tests := []struct {
		name    string
		rules   []Rule
		version meta.Version
		want    []string
	}{
		{"no configuration plans nothing", nil, meta.Version{Key: "k"}, []string{}},
		{"a matching prefix plans one task",
			[]Rule{{ID: "a", Enabled: true, DestinationARN: "arn:a", Filter: Filter{Prefix: "logs/"}}},
			meta.Version{Key: "logs/1"}, []string{"arn:a"}},
		{"another prefix plans nothing",
			[]Rule{{ID: "a", Enabled: true, DestinationARN: "arn:a", Filter: Filter{Prefix: "logs/"}}},
			meta.Version{Key: "img/1"}, []string{}},
		{"a disabled rule plans nothing",
			[]Rule{{ID: "a", Enabled: false, DestinationARN: "arn:a"}},
			meta.Version{Key: "k"}, []string{}},
		{"tags must all match",
			[]Rule{{ID: "a", Enabled: true, DestinationARN: "arn:a", Filter: Filter{Tags: map[string]string{"team": "blue", "tier": "silver"}}}},
			meta.Version{Key: "k", Tags: tagged}, []string{}},
		{"a subset of the object's tags matches",
			[]Rule{{ID: "a", Enabled: true, DestinationARN: "arn:a", Filter: Filter{Prefix: "k", Tags: map[string]string{"team": "blue"}}}},
			meta.Version{Key: "k", Tags: tagged}, []string{"arn:a"}},
		{"two destinations get one task each",
			[]Rule{
				{ID: "b", Priority: 1, Enabled: true, DestinationARN: "arn:b"},
				{ID: "a", Priority: 2, Enabled: true, DestinationARN: "arn:a"},
				{ID: "a2", Priority: 3, Enabled: true, DestinationARN: "arn:a"},
			},
			meta.Version{Key: "k"}, []string{"arn:a", "arn:b"}},
		{"the highest priority rule decides on delete markers",
			[]Rule{
				{ID: "low", Priority: 1, Enabled: true, DestinationARN: "arn:a", DeleteMarkerReplication: true},
				{ID: "high", Priority: 9, Enabled: true, DestinationARN: "arn:a", DeleteMarkerReplication: false},
			},
			meta.Version{Key: "k", DeleteMarker: true}, []string{}},
		{"a disabled higher rule leaves the enabled one to apply",
			[]Rule{
				{ID: "low", Priority: 1, Enabled: true, DestinationARN: "arn:a", DeleteMarkerReplication: true},
				{ID: "high", Priority: 9, Enabled: false, DestinationARN: "arn:a"},
			},
			meta.Version{Key: "k", DeleteMarker: true}, []string{"arn:a marker"}},
		{"delete markers go where the rule replicates them",
			[]Rule{
				{ID: "a", Priority: 1, Enabled: true, DestinationARN: "arn:a", DeleteMarkerReplication: true},
				{ID: "b", Priority: 1, Enabled: true, DestinationARN: "arn:b"},
			},
			meta.Version{Key: "k", DeleteMarker: true}, []string{"arn:a marker"}},
		{"a replica is never planned",
			[]Rule{{ID: "a", Enabled: true, DestinationARN: "arn:a"}},
			meta.Version{Key: "k", ReplicationStatus: meta.ReplicationReplica}, []string{}},
	}
	svc := NewService(ServiceConfig{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := &meta.Bucket{Name: "src"}
			if tt.rules != nil {
				b = planBucket(t, tt.rules...)
			}
			v := tt.version
			tasks := svc.Plan(b, &v)
			if got := planned(tasks); !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("planned %v, want %v", got, tt.want)
			}
			for _, task := range tasks {
				if task.Bucket != "src" || task.Key != v.Key {
					t.Fatalf("task %+v names the wrong object", task)
				}
			}
		})
	}
}

func TestPlanOnANilServiceOrBrokenConfigurationPlansNothing(t *testing.T) {
	var nilSvc *Service
	b := planBucket(t, Rule{ID: "a", Enabled: true, DestinationARN: "arn:a"})
	if tasks := nilSvc.Plan(b, &meta.Version{Key: "k"}); tasks != nil {
		t.Fatalf("nil service planned %v", tasks)
	}
	broken := &meta.Bucket{Name: "src", Replication: []byte("{not json")}
	quiet := NewService(ServiceConfig{Logger: slog.New(slog.DiscardHandler)})
	if tasks := quiet.Plan(broken, &meta.Version{Key: "k"}); tasks != nil {
		t.Fatalf("broken configuration planned %v", tasks)
	}
}

func TestPlanReusesTheDecodedConfiguration(t *testing.T) {
	svc := NewService(ServiceConfig{})
	b := planBucket(t, Rule{ID: "a", Enabled: true, DestinationARN: "arn:a"})
	svc.Plan(b, &meta.Version{Key: "k"})
	first, _ := svc.configs.get(b.Replication)
	// Same bytes in another slice: the same decoded configuration.
	again, _ := svc.configs.get(append([]byte(nil), b.Replication...))
	if first != again {
		t.Fatal("the configuration was decoded twice")
	}
}

// TestPlanHoldsItsInvariantsOnRandomConfigurations checks, over random
// rules and objects, what any plan must satisfy: at most one task per
// destination; a task only where an enabled rule matches; a task wherever
// the highest-priority enabled matching rule allows it; and the same plan
// whatever the order of rules with distinct priorities.
func TestPlanHoldsItsInvariantsOnRandomConfigurations(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	svc := NewService(ServiceConfig{})
	prefixes := []string{"", "a", "a/", "a/b", "b"}
	tagKeys := []string{"x", "y"}
	tagVals := []string{"1", "2"}
	randomTags := func() map[string]string {
		tags := map[string]string{}
		for _, k := range tagKeys {
			if rng.IntN(2) == 0 {
				tags[k] = tagVals[rng.IntN(len(tagVals))]
			}
		}
		return tags
	}
	for iter := range 2000 {
		n := 1 + rng.IntN(6)
		rules := make([]Rule, n)
		perm := rng.Perm(100) // distinct priorities
		for i := range rules {
			rules[i] = Rule{
				ID: fmt.Sprint(i), Priority: perm[i], Enabled: rng.IntN(4) != 0,
				DestinationARN:          fmt.Sprintf("arn:%d", rng.IntN(3)),
				DeleteMarkerReplication: rng.IntN(2) == 0,
				Filter:                  Filter{Prefix: prefixes[rng.IntN(len(prefixes))], Tags: randomTags()},
			}
		}
		keys := []string{"a", "a/b/c", "b/x", "c"}
		v := meta.Version{Key: keys[rng.IntN(len(keys))], Tags: randomTags(), DeleteMarker: rng.IntN(3) == 0}
		tasks := svc.Plan(planBucket(t, rules...), &v)

		best := map[string]Rule{} // destination -> highest-priority enabled matching rule
		for _, r := range rules {
			if r.Enabled && r.Filter.Matches(v.Key, v.Tags) {
				if cur, ok := best[r.DestinationARN]; !ok || r.Priority > cur.Priority {
					best[r.DestinationARN] = r
				}
			}
		}
		var want []string
		for dest, r := range best {
			if !v.DeleteMarker || r.DeleteMarkerReplication {
				want = append(want, dest)
			}
		}
		sort.Strings(want)
		var got []string
		for _, e := range tasks {
			task, err := TaskOf(e)
			if err != nil || e.Kind != OutboxKind || e.VersionID != v.VersionID {
				t.Fatalf("iteration %d: entry %+v: %v", iter, e, err)
			}
			got = append(got, task.TargetARN)
			if task.DeleteMarker != v.DeleteMarker {
				t.Fatalf("iteration %d: task %+v for version %+v", iter, task, v)
			}
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("iteration %d: rules %+v, version %+v: planned %v, want %v", iter, rules, v, got, want)
		}
		shuffled := append([]Rule(nil), rules...)
		rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		if again := svc.Plan(planBucket(t, shuffled...), &v); !reflect.DeepEqual(planned(again), planned(tasks)) {
			t.Fatalf("iteration %d: rule order changed the plan: %v vs %v", iter, planned(again), planned(tasks))
		}
	}
}

package main

import (
	"encoding/json"
	"testing"
	"time"
)

func TestTheRatioIsTheJobsRateOverTheBaselines(t *testing.T) {
	r := results{baseline: side{elapsed: 10 * time.Second, events: 50_000}, job: side{elapsed: 12500 * time.Millisecond, events: 50_000}}
	if got := r.ratio(); got != 0.8 {
		t.Errorf("ratio = %v, want 0.8", got)
	}
	if v := verdict(r.ratio()); v != "PASS" {
		t.Errorf("verdict at the target = %s", v)
	}
	if got := (results{job: side{elapsed: time.Second, events: 1}}).ratio(); got != 0 {
		t.Errorf("a zero baseline gives %v, want 0", got)
	}
}

func TestTheBaselinesPayloadsAreEventMessages(t *testing.T) {
	ps := payloads(3)
	var env struct {
		Records []struct {
			EventName string `json:"eventName"`
			EventID   string `json:"eventId"`
		} `json:"Records"`
	}
	if err := json.Unmarshal(ps[2], &env); err != nil || len(env.Records) != 1 ||
		env.Records[0].EventName != "ObjectCreated:Reconciled" || env.Records[0].EventID == "" {
		t.Fatalf("payload %s: %v", ps[2], err)
	}
}

func TestFlagsRefuseNonPositiveCounts(t *testing.T) {
	for _, args := range [][]string{{"-objects", "0"}, {"-conc", "0"}, {"-reps", "-1"}} {
		if _, err := parseFlags(args); err == nil {
			t.Errorf("parseFlags(%v) accepted", args)
		}
	}
}

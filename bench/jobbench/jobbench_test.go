package main

import (
	"testing"
	"time"
)

func TestPercentileIsNearestRank(t *testing.T) {
	ds := make([]time.Duration, 100)
	for i := range ds {
		ds[i] = time.Duration(100-i) * time.Millisecond // reversed: percentile must sort
	}
	for _, tc := range []struct {
		p    float64
		want time.Duration
	}{
		{50, 50 * time.Millisecond},
		{99, 99 * time.Millisecond},
		{100, 100 * time.Millisecond},
		{0, 1 * time.Millisecond},
	} {
		if got := percentile(ds, tc.p); got != tc.want {
			t.Errorf("p%v = %v, want %v", tc.p, got, tc.want)
		}
	}
	if got := percentile(nil, 50); got != 0 {
		t.Errorf("p50 of nothing = %v, want 0", got)
	}
	if ds[0] != 100*time.Millisecond {
		t.Error("percentile reordered its input")
	}
}

func TestFlagsRefuseNonPositiveSizes(t *testing.T) {
	for _, args := range [][]string{{"-clients", "0"}, {"-creates", "-1"}, {"-objects", "0"}} {
		if _, err := parseFlags(args); err == nil {
			t.Errorf("parseFlags(%v) accepted it", args)
		}
	}
	cfg, err := parseFlags(nil)
	if err != nil || cfg.clients != 32 || cfg.creates != 2000 || cfg.objects != 1_000_000 {
		t.Errorf("defaults: %+v, %v; want 32 clients, 2000 creates, 1,000,000 objects", cfg, err)
	}
}

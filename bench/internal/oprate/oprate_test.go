package oprate

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestPercentileIsNearestRank(t *testing.T) {
	var lat []time.Duration
	for i := 1; i <= 100; i++ {
		lat = append(lat, time.Duration(i)*time.Millisecond)
	}
	tests := []struct {
		name   string
		sorted []time.Duration
		p      float64
		want   time.Duration
	}{
		{"the median of 1..100 ms is 50 ms", lat, 0.50, 50 * time.Millisecond},
		{"the 99th percentile of 1..100 ms is 99 ms", lat, 0.99, 99 * time.Millisecond},
		{"one sample is every percentile", lat[:1], 0.99, time.Millisecond},
		{"no samples give zero", nil, 0.5, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Percentile(tt.sorted, tt.p); got != tt.want {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestMeasureCountsSuccessesAndFailuresSeparately(t *testing.T) {
	st := Measure(context.Background(), 4, time.Minute, 100, func(_ context.Context, w, n int) error {
		if n%10 == 9 {
			return errors.New("every tenth fails")
		}
		return nil
	})
	if st.OK+st.Errors != 100 {
		t.Fatalf("ok %d + errors %d; want 100 operations in all", st.OK, st.Errors)
	}
	if st.Errors == 0 || st.FirstErr == nil || len(st.Latencies) != st.OK {
		t.Fatalf("errors %d, firstErr %v, %d latencies for %d ok", st.Errors, st.FirstErr, len(st.Latencies), st.OK)
	}
}

func TestMeasureStopsWhenTheDurationIsOver(t *testing.T) {
	start := time.Now()
	st := Measure(context.Background(), 2, 50*time.Millisecond, 0, func(ctx context.Context, w, n int) error {
		time.Sleep(time.Millisecond)
		return nil
	})
	if took := time.Since(start); took > 2*time.Second || st.OK == 0 {
		t.Fatalf("took %v with %d ops; want about 50ms and some ops", took, st.OK)
	}
	if st.PerSecond() <= 0 {
		t.Fatalf("PerSecond = %v for %d ops in %v", st.PerSecond(), st.OK, st.Elapsed)
	}
}

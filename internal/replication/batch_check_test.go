package replication_test

import (
	"errors"
	"testing"

	"github.com/quarrylabs/quarry/internal/job"
	"github.com/quarrylabs/quarry/internal/meta"
	"github.com/quarrylabs/quarry/internal/replication"
)

func TestBatchRunnerChecksTheDestinationAgainstTheBucketConfiguration(t *testing.T) {
	const named = "arn:quarry:replication:us-east-1:aaa:dst"
	raw, err := replication.EncodeConfig(&replication.Config{Rules: []replication.Rule{
		{ID: "r", Priority: 1, Enabled: true, DestinationARN: named},
	}})
	if err != nil {
		t.Fatal(err)
	}
	configured := &meta.Bucket{Name: "src", Replication: raw}
	runner := replication.NewBatchRunner(replication.BatchConfig{})
	var _ job.BucketChecker = runner

	tests := []struct {
		name    string
		bucket  *meta.Bucket
		params  map[string]string
		refused bool
	}{
		{"a destination the configuration names is accepted", configured, map[string]string{replication.ParamDestination: named}, false},
		{"a destination the configuration does not name is refused", configured, map[string]string{replication.ParamDestination: "arn:quarry:replication:us-east-1:bbb:other"}, true},
		{"no destination parameter needs no check", configured, map[string]string{}, false},
		{"a bucket without a configuration is left to the job, which fails with a message", &meta.Bucket{Name: "plain"}, map[string]string{replication.ParamDestination: named}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := runner.CheckBucket(tt.bucket, tt.params)
			if tt.refused != (err != nil) {
				t.Fatalf("CheckBucket = %v, refused want %v", err, tt.refused)
			}
			if err != nil && !errors.Is(err, job.ErrInvalidParams) {
				t.Errorf("CheckBucket error %v does not wrap job.ErrInvalidParams", err)
			}
		})
	}
}

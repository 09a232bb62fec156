package e2e

import (
	"maps"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestBatchReplicateFiltersByPrefixAndNewAndDryRunChangesNothing(t *testing.T) {
	t.Parallel()
	p := newReplPair(t, false)
	photos := smallObjects("photos/", 120, 8<<10)
	docs := smallObjects("docs/", 80, 8<<10)
	all := append(slices.Clone(photos), docs...)
	putObjects(t, p.SrcS3, p.SrcBucket, all, seedConcurrency)
	p.mustReplicate(t, replRule{Existing: true})
	total := int64(len(all))

	wantDestination := func(what string, prefixes ...string) {
		t.Helper()
		var want []string
		for _, o := range all {
			for _, pre := range prefixes {
				if strings.HasPrefix(o.Key, pre) {
					want = append(want, o.Key)
				}
			}
		}
		got := slices.Sorted(maps.Keys(listCurrent(t, p.DstS3, p.DstBucket)))
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Fatalf("%s: destination holds %d keys (%v...), want %d (%v...)", what, len(got), firstN(got, 3), len(want), firstN(want, 3))
		}
	}

	tests := []struct {
		name      string
		params    map[string]string
		processed int64
		// atDestination are the prefixes of the keys the destination holds
		// after the job.
		atDestination []string
	}{
		{"a dry run counts every candidate and copies nothing",
			map[string]string{"dryRun": "true"}, total, nil},
		{"a dry run with a prefix counts only that prefix",
			map[string]string{"dryRun": "true", "prefix": "docs/"}, int64(len(docs)), nil},
		{"a prefix limits the copy to its keys",
			map[string]string{"prefix": "photos/"}, int64(len(photos)), []string{"photos/"}},
		{"NEW copies only what was never replicated",
			map[string]string{"replicationFilter": "NEW"}, int64(len(docs)), []string{"photos/", "docs/"}},
		{"NEW once everything was replicated finds nothing",
			map[string]string{"replicationFilter": "NEW"}, 0, []string{"photos/", "docs/"}},
		{"a dry run after the copies still counts every object and changes nothing",
			map[string]string{"dryRun": "true", "replicationFilter": "ALL"}, total, []string{"photos/", "docs/"}},
	}
	for _, tt := range tests {
		// Sequential steps on one bucket: each builds on the last.
		j := runBatch(p.MAPI, p.SrcBucket, tt.params, 2*time.Minute)
		wantJobComplete(t, tt.name, j, tt.processed, 0)
		if j.JobStats.Skipped != 0 {
			t.Errorf("%s: skipped %d, want 0 (no candidate was already in place)", tt.name, j.JobStats.Skipped)
		}
		wantDestination(tt.name, tt.atDestination...)
	}
	wantReplicas(t, p.DstS3, p.DstBucket, all, "REPLICA", seedConcurrency)
}

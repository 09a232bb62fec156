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
		name               string
		params             map[string]string
		processed, skipped int64
		// atDestination are the prefixes of the keys the destination holds
		// after the job.
		atDestination []string
		// message is what the job's message must say ("" for nothing).
		message string
	}{
		{"a dry run counts every candidate and copies nothing",
			map[string]string{"dryRun": "true"}, total, 0, nil, ""},
		{"a dry run with a prefix counts only that prefix",
			map[string]string{"dryRun": "true", "prefix": "docs/"}, int64(len(docs)), 0, nil, ""},
		{"a prefix limits the copy to its keys",
			map[string]string{"prefix": "photos/"}, int64(len(photos)), 0, []string{"photos/"}, ""},
		{"NEW copies only what was never replicated",
			map[string]string{"replicationFilter": "NEW"}, int64(len(docs)), 0, []string{"photos/", "docs/"}, ""},
		{"NEW once everything was replicated finds nothing, and says so",
			map[string]string{"replicationFilter": "NEW"}, 0, 0, []string{"photos/", "docs/"}, "nothing to replicate"},
		{"a dry run after the copies counts every object as already in place and changes nothing",
			map[string]string{"dryRun": "true", "replicationFilter": "ALL"}, 0, total, []string{"photos/", "docs/"}, ""},
	}
	for _, tt := range tests {
		// Sequential steps on one bucket: each builds on the last.
		j := runBatch(p.MAPI, p.SrcBucket, tt.params, 2*time.Minute)
		wantJobComplete(t, tt.name, j, tt.processed, 0)
		if j.JobStats.Skipped != tt.skipped {
			t.Errorf("%s: skipped %d, want %d", tt.name, j.JobStats.Skipped, tt.skipped)
		}
		if tt.message != "" && !strings.Contains(j.Message, tt.message) || tt.message == "" && j.Message != "" {
			t.Errorf("%s: message %q, want %q", tt.name, j.Message, tt.message)
		}
		wantDestination(tt.name, tt.atDestination...)
	}
	wantReplicas(t, p.DstS3, p.DstBucket, all, "REPLICA", seedConcurrency)
}

func TestBatchReplicateALLCopiesObjectsThatPredateARuleWithoutExistingObjectReplication(t *testing.T) {
	t.Parallel()
	p := newReplPair(t, false)
	objs := smallObjects("old/", 40, 4<<10)
	putObjects(t, p.SrcS3, p.SrcBucket, objs, seedConcurrency)
	// The rule does not enable ExistingObjectReplication: live
	// replication leaves these objects alone, but a job asking for ALL is
	// the user's explicit request to copy them.
	p.mustReplicate(t, replRule{Existing: false})

	j := runBatch(p.MAPI, p.SrcBucket, map[string]string{"replicationFilter": "ALL"}, 2*time.Minute)
	wantJobComplete(t, "ALL over objects that predate the rule", j, int64(len(objs)), 0)
	wantSameListing(t, listCurrent(t, p.SrcS3, p.SrcBucket), listCurrent(t, p.DstS3, p.DstBucket))
	wantReplicas(t, p.DstS3, p.DstBucket, objs, "REPLICA", seedConcurrency)

	// A job on a bucket with nothing under the prefix says so.
	none := runBatch(p.MAPI, p.SrcBucket, map[string]string{"prefix": "absent/"}, time.Minute)
	wantJobComplete(t, "a job that finds no candidate", none, 0, 0)
	if !strings.Contains(none.Message, "nothing to replicate") || !strings.Contains(none.Message, `"absent/"`) {
		t.Errorf("a job with no candidate ended with message %q; want it to say why", none.Message)
	}
}

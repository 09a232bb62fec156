package e2e

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

// seedConcurrency is how many PUTs seed a source bucket at once.
const seedConcurrency = 16

func TestBatchReplicateCopiesEveryObjectByteForByteWithItsAttributes(t *testing.T) {
	t.Parallel()
	p := newReplPair(t, false)

	objs := smallObjects("obj/", 5000, 256<<10)
	for i, size := range []int{64 * mib, 72 * mib, 80*mib + 3} {
		objs = append(objs, seedObject{
			Key: "big/multipart-" + string(rune('a'+i)), Size: size, PartSize: 8 * mib,
			Seed: uint64(7_000_000 + 1000*i), ContentType: "video/mp4",
			Meta: map[string]string{"origin": "e2e-multipart"}, Tags: map[string]string{"size": "big"},
		})
	}
	start := time.Now()
	putObjects(t, p.SrcS3, p.SrcBucket, objs, seedConcurrency)
	t.Logf("seeded %d objects in %v", len(objs), time.Since(start).Round(time.Millisecond))
	for _, o := range objs[len(objs)-3:] {
		if !strings.HasSuffix(strings.Trim(o.ETag, `"`), "-"+strconv.Itoa(len(o.parts()))) {
			t.Fatalf("%s was not stored as a multipart object: ETag %s", o.Key, o.ETag)
		}
	}

	p.MAPI = mapiRoot(t, p.Src) // a fresh token: seeding can outlast one
	p.mustReplicate(t, replRule{Existing: true})
	start = time.Now()
	j := runBatch(p.MAPI, p.SrcBucket, nil, 3*time.Minute)
	t.Logf("BATCH_REPLICATE of %d objects: %v, stats %+v", len(objs), time.Since(start).Round(time.Millisecond), j.JobStats)
	wantJobComplete(t, "BATCH_REPLICATE of a freshly seeded bucket", j, int64(len(objs)), 0)
	if j.JobStats.Total != int64(len(objs)) || j.JobStats.Skipped != 0 {
		t.Errorf("job stats %+v, want total %d and skipped 0 (nothing was at the destination)", j.JobStats, len(objs))
	}
	var size int64
	for _, o := range objs {
		size += int64(o.Size)
	}
	if j.JobStats.Bytes != size {
		t.Errorf("jobStats.bytes = %d, want %d (every object's size once)", j.JobStats.Bytes, size)
	}

	wantSameListing(t, listCurrent(t, p.SrcS3, p.SrcBucket), listCurrent(t, p.DstS3, p.DstBucket))
	wantReplicas(t, p.DstS3, p.DstBucket, objs, "REPLICA", seedConcurrency)
	// Both sides of the big ones, read in full: the source must still
	// serve what was written, and show the copy as COMPLETED.
	wantReplicas(t, p.SrcS3, p.SrcBucket, objs[len(objs)-3:], "COMPLETED", 3)

	again := runBatch(p.MAPI, p.SrcBucket, nil, 2*time.Minute)
	wantJobComplete(t, "a second ALL job over a replicated bucket", again, 0, 0)
	if again.JobStats.Skipped != int64(len(objs)) || again.JobStats.Bytes != 0 {
		t.Errorf("second job stats %+v, want every object skipped (already in place) and 0 bytes sent", again.JobStats)
	}
}

func TestBatchReplicateRecordsFailuresWhenTheDestinationDiesAndAFailedJobFinishesTheRest(t *testing.T) {
	t.Parallel()
	p := newReplPair(t, false)
	objs := smallObjects("k/", 1500, 64<<10)
	putObjects(t, p.SrcS3, p.SrcBucket, objs, seedConcurrency)
	p.mustReplicate(t, replRule{Existing: true})

	created := p.MAPI.createJob(batchReplicate, p.SrcBucket, nil)
	before := waitRunning(p.MAPI, created.ID())
	p.Dst.Kill(t)
	t.Logf("killed the destination with job %d at %s %+v", created.ID(), before.JobState, before.JobStats)

	first := p.MAPI.waitJobEnded(created.ID(), 2*time.Minute)
	st := first.JobStats
	wantCounterIdentity(t, "the job whose destination died", first)
	if first.JobState != "COMPLETE" || st.Failed == 0 || st.Processed == 0 || st.Processed+st.Failed+st.Skipped != int64(len(objs)) {
		t.Fatalf("job %d with the destination killed mid-way ended %s (%q) with %+v; want COMPLETE, some processed, some failed, processed+failed = %d",
			first.ID(), first.JobState, first.Message, st, len(objs))
	}
	failures := p.MAPI.jobFailures(first.ID())
	if int64(len(failures)) != st.Failed {
		t.Errorf("jobs/failures lists %d failures, jobStats.failed is %d", len(failures), st.Failed)
	}
	seen := map[string]bool{}
	for _, f := range failures {
		if !strings.HasPrefix(f.Key, "k/") || f.Reason == "" || f.Time == "" || seen[f.Key] {
			t.Fatalf("bad or duplicate failure entry %+v", f)
		}
		seen[f.Key] = true
	}
	t.Logf("first job: %+v; a failure: %+v", st, failures[0])

	p.Dst.Restart(t)
	second := runBatch(p.MAPI, p.SrcBucket, map[string]string{"replicationFilter": "FAILED"}, 2*time.Minute)
	// A copy in flight when the destination died may have been stored there
	// before its answer was lost: the retry finds it identical and skips it.
	// Only those few may be skipped; every other failure is copied again.
	s2 := second.JobStats
	if second.JobState != "COMPLETE" || s2.Failed != 0 || s2.Total != st.Failed || s2.Processed+s2.Skipped != st.Failed || s2.Skipped > 32 {
		t.Fatalf("the FAILED-filter job after the destination came back: job %d ended %s (%q) with %+v; want COMPLETE, total %d, failed 0, processed+skipped %d with at most the in-flight copies skipped",
			second.ID(), second.JobState, second.Message, s2, st.Failed, st.Failed)
	}
	wantCounterIdentity(t, "the FAILED-filter job after the destination came back", second)

	wantSameListing(t, listCurrent(t, p.SrcS3, p.SrcBucket), listCurrent(t, p.DstS3, p.DstBucket))
	wantReplicas(t, p.DstS3, p.DstBucket, objs, "REPLICA", seedConcurrency)

	none := runBatch(p.MAPI, p.SrcBucket, map[string]string{"replicationFilter": "FAILED"}, time.Minute)
	wantJobComplete(t, "a FAILED-filter job once nothing failed", none, 0, 0)
}

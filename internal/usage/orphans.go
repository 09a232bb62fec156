package usage

import (
	"context"
	"fmt"
	"math"

	"github.com/quarrylabs/quarry/internal/blob"
	"github.com/quarrylabs/quarry/internal/job"
	"github.com/quarrylabs/quarry/internal/meta"
)

// maxOrphansListed caps the orphan ids a job result shows.
const maxOrphansListed = 100

// orphanReport is what the orphan search found and did.
type orphanReport struct {
	found   int64
	removed int64
	ids     []string // the first maxOrphansListed
}

// Steps of the orphan search, as its phase progress names them.
const (
	StepReadReferences = "reading blob references"
	StepCheckBlobs     = "checking blobs for orphans"
	StepRemoveOrphans  = "removing orphans"
)

// findOrphans looks for blobs that no metadata in any bucket refers to and
// that are older than the orphan age, and removes them when asked to (and
// not a dry run). It goes through every bucket and every blob of the
// store, which can take far longer than the scan of one bucket, so it
// reports its progress as it goes.
func (rc *reconciliation) findOrphans(ctx context.Context) (orphanReport, error) {
	var rep orphanReport
	progress := job.NewPhaseReporter(rc.run, rc.m.PhaseReportEvery)
	report := func(step, unit string, done, total int64, estimated bool) error {
		return progress.Report(ctx, job.PhaseProgress{State: meta.JobExecuting, Step: step, Unit: unit,
			Done: done, Total: total, Estimated: estimated})
	}
	refs, err := referencedBlobs(ctx, rc.run.Meta(), rc.m.batchSize(), func(done, total int) error {
		return report(StepReadReferences, "buckets", int64(done), int64(total), false)
	})
	if err != nil {
		return rep, fmt.Errorf("gather referenced blobs: %w", err)
	}
	cutoff := rc.run.Now().Add(-rc.m.orphanAge())
	var (
		orphans []string
		checked int64
	)
	// Nearly every blob is referenced: their count is the estimate of
	// how many the walk meets.
	estimate := int64(len(refs))
	err = rc.run.Blobs().Walk(ctx, func(info blob.Info) error {
		if err := report(StepCheckBlobs, "blobs", checked, estimate, true); err != nil {
			return err
		}
		checked++
		if _, ok := refs[info.ID]; !ok && info.ModTime.Before(cutoff) {
			orphans = append(orphans, info.ID)
		}
		return nil
	})
	if err != nil {
		return rep, fmt.Errorf("walk blobs: %w", err)
	}
	rep.found = int64(len(orphans))
	rep.ids = orphans[:min(len(orphans), maxOrphansListed)]
	if !rc.clean || rc.dryRun {
		return rep, nil
	}
	for _, id := range orphans {
		if err := report(StepRemoveOrphans, "blobs", rep.removed, rep.found, false); err != nil {
			return rep, err
		}
		if err := rc.run.Blobs().Delete(ctx, id); err != nil {
			return rep, fmt.Errorf("remove orphan blob %s: %w", id, err)
		}
		rep.removed++
	}
	rc.run.Logger().Info("removed orphan blobs", "count", rep.removed)
	return rep, nil
}

// referencedBlobs returns every blob id the metadata refers to: version
// segments, parts of uploads in progress and the trash queue, in all
// buckets.
//
// The reads span many transactions, so the order matters: per bucket,
// uploads before versions (completing an upload moves its parts' blobs
// into a version in one transaction, so a blob is seen in one or the
// other), and the trash last (deleting a version moves its blobs to the
// trash in one transaction). Blobs written after the search began are
// younger than the orphan age and so never taken for orphans. onBucket is
// called before each bucket with how many were read of how many; its
// error stops the search.
func referencedBlobs(ctx context.Context, store meta.Store, batch int, onBucket func(done, total int) error) (map[string]struct{}, error) {
	refs := make(map[string]struct{})
	var buckets []meta.Bucket
	err := store.View(ctx, func(tx meta.Tx) error {
		var err error
		buckets, err = tx.ListBuckets(0)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list buckets: %w", err)
	}
	for i, b := range buckets {
		if err := onBucket(i, len(buckets)); err != nil {
			return nil, err
		}
		if err := uploadBlobs(ctx, store, b.Name, batch, refs); err != nil {
			return nil, err
		}
		if err := versionBlobs(ctx, store, b.Name, batch, refs); err != nil {
			return nil, err
		}
	}
	err = store.View(ctx, func(tx meta.Tx) error {
		ids, err := tx.ListTrash(math.MaxInt32)
		for _, id := range ids {
			refs[id] = struct{}{}
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list trash: %w", err)
	}
	return refs, nil
}

// versionBlobs adds the segments of every version of bucket to refs.
func versionBlobs(ctx context.Context, store meta.Store, bucket string, batch int, refs map[string]struct{}) error {
	var afterKey string
	var afterSeq int64
	for {
		var page []meta.Version
		err := store.View(ctx, func(tx meta.Tx) error {
			var err error
			page, err = tx.ListVersions(bucket, "", afterKey, afterSeq, batch)
			return err
		})
		if err != nil {
			return fmt.Errorf("list versions of %s: %w", bucket, err)
		}
		for _, v := range page {
			for _, s := range v.Segments {
				refs[s.BlobID] = struct{}{}
			}
		}
		if len(page) < batch {
			return nil
		}
		last := page[len(page)-1]
		afterKey, afterSeq = last.Key, last.Seq
	}
}

// uploadBlobs adds the parts of every upload in progress in bucket to refs.
func uploadBlobs(ctx context.Context, store meta.Store, bucket string, batch int, refs map[string]struct{}) error {
	var afterKey, afterID string
	for {
		var page []meta.Upload
		err := store.View(ctx, func(tx meta.Tx) error {
			var err error
			page, err = tx.ListUploads(bucket, "", afterKey, afterID, batch)
			if err != nil {
				return err
			}
			for _, u := range page {
				if err := partBlobs(tx, u.ID, batch, refs); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("list uploads of %s: %w", bucket, err)
		}
		if len(page) < batch {
			return nil
		}
		last := page[len(page)-1]
		afterKey, afterID = last.Key, last.ID
	}
}

// partBlobs adds the blobs of an upload's parts to refs.
func partBlobs(tx meta.Tx, uploadID string, batch int, refs map[string]struct{}) error {
	after := 0
	for {
		parts, err := tx.ListParts(uploadID, after, batch)
		if err != nil {
			return fmt.Errorf("list parts of upload %s: %w", uploadID, err)
		}
		for _, p := range parts {
			refs[p.BlobID] = struct{}{}
		}
		if len(parts) < batch {
			return nil
		}
		after = parts[len(parts)-1].Number
	}
}

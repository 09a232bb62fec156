package usage

import (
	"context"
	"errors"
	"fmt"

	"github.com/quarrylabs/quarry/internal/blob"
	"github.com/quarrylabs/quarry/internal/job"
	"github.com/quarrylabs/quarry/internal/meta"
	"github.com/quarrylabs/quarry/internal/sse"
)

// scan goes through every version row from the cursor on, one checkpoint
// per batch, and moves the job to EXECUTING with the last batch.
func (rc *reconciliation) scan(ctx context.Context) error {
	cur, err := decodeReconCursor(rc.run.Job().Cursor)
	if err != nil {
		return err
	}
	for {
		page, err := rc.page(ctx, cur)
		if err != nil {
			return err
		}
		delta, failures, err := rc.judge(ctx, page)
		if err != nil {
			return err
		}
		if len(page) > 0 {
			last := page[len(page)-1]
			cur = reconCursor{AfterKey: last.Key, AfterSeq: last.Seq}
		}
		end := len(page) < rc.m.batchSize()
		state := meta.JobProcessing
		if end {
			state = meta.JobExecuting
		}
		err = rc.run.Checkpoint(ctx, job.Checkpoint{State: state, Cursor: cur.encode(), Delta: delta, Failures: failures})
		if err != nil || end {
			return err
		}
	}
}

// judge counts a batch: delete markers are skipped, data-bearing versions
// processed, or failed when verifyData finds their data missing or of the
// wrong size.
func (rc *reconciliation) judge(ctx context.Context, page []meta.Version) (meta.JobStats, []meta.JobFailure, error) {
	var (
		delta   meta.JobStats
		suspect []meta.JobFailure
	)
	for _, v := range page {
		if v.DeleteMarker {
			delta.Skipped++
			continue
		}
		if rc.verify {
			reason, err := rc.checkData(ctx, &v)
			if err != nil {
				return delta, nil, err
			}
			if reason != "" {
				suspect = append(suspect, meta.JobFailure{Key: v.Key, VersionID: v.VersionID, Reason: reason})
				continue
			}
		}
		delta.Processed++
		delta.Bytes += v.Size
	}
	failures, vanished, err := rc.stillPresent(ctx, suspect)
	if err != nil {
		return delta, nil, err
	}
	delta.Failed += int64(len(failures))
	// Versions deleted since the listing took their data with them, which
	// is no fault: there was nothing left to check.
	delta.Skipped += int64(vanished)
	return delta, failures, nil
}

// checkData returns why v's data is not as its metadata says ("" if it
// is): a segment's blob missing or of another size. An encrypted segment's
// blob holds the sealed stream of its plaintext, whose length follows from
// the plaintext size the segment records. An inline version has no
// segments: its data is in the metadata store, written in the version's own
// transaction, so it is present whenever the version is.
func (rc *reconciliation) checkData(ctx context.Context, v *meta.Version) (string, error) {
	for i, seg := range v.Segments {
		want := seg.Size
		if len(seg.SealedKey) > 0 {
			want = sse.SealedSize(seg.Size)
		}
		info, err := rc.run.Blobs().Stat(ctx, seg.BlobID)
		switch {
		case errors.Is(err, blob.ErrNotFound):
			return fmt.Sprintf("data missing: segment %d (blob %s) not found", i+1, seg.BlobID), nil
		case err != nil:
			return "", fmt.Errorf("stat blob %s of %s: %w", seg.BlobID, v.Key, err)
		case info.Size != want:
			return fmt.Sprintf("data size mismatch: segment %d (blob %s) holds %d bytes, expected %d",
				i+1, seg.BlobID, info.Size, want), nil
		}
	}
	return "", nil
}

// stillPresent splits the suspects into those whose version still exists
// and a count of those deleted since the listing. A deleted version's blobs
// are removed after its delete commits, so their absence is expected; a
// version that exists after its blob was found missing truly lost its
// data, because blobs are only ever removed after their version is.
func (rc *reconciliation) stillPresent(ctx context.Context, suspects []meta.JobFailure) (present []meta.JobFailure, vanished int, err error) {
	if len(suspects) == 0 {
		return nil, 0, nil
	}
	err = rc.run.Meta().View(ctx, func(tx meta.Tx) error {
		for _, f := range suspects {
			_, err := tx.GetVersion(rc.bucket, f.Key, f.VersionID)
			switch {
			case errors.Is(err, meta.ErrNotFound):
				vanished++
			case err != nil:
				return err
			default:
				present = append(present, f)
			}
		}
		return nil
	})
	if err != nil {
		return nil, 0, fmt.Errorf("recheck versions of %s: %w", rc.bucket, err)
	}
	return present, vanished, nil
}

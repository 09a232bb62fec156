package object

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/quarrylabs/quarry/internal/meta"
)

// trashInterval is how often Run empties the trash when nothing woke it,
// so that blobs queued by another node or before a crash go too.
const trashInterval = 30 * time.Second

// trashBatch is how many trashed blobs are deleted per transaction.
const trashBatch = 256

// wakeTrash tells Run that the trash has something in it; it never blocks.
func (s *Service) wakeTrash() {
	select {
	case s.trashQueued <- struct{}{}:
	default:
	}
}

// Run empties the blob trash until ctx ends: blobs that committed changes
// stopped referring to are deleted from the blob store. It drains at start,
// whenever a commit trashed something, and every 30 seconds.
func (s *Service) Run(ctx context.Context) error {
	ticker := time.NewTicker(trashInterval)
	defer ticker.Stop()
	for {
		if err := s.DrainTrash(ctx); err != nil && ctx.Err() == nil {
			s.cfg.Logger.Error("empty blob trash", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-s.trashQueued:
		case <-ticker.C:
		}
	}
}

// DrainTrash deletes every trashed blob now and removes it from the trash.
// A blob that cannot be deleted stays queued for the next run.
func (s *Service) DrainTrash(ctx context.Context) error {
	for {
		var ids []string
		err := s.cfg.Meta.View(ctx, func(tx meta.Tx) error {
			var err error
			ids, err = tx.ListTrash(trashBatch)
			return err
		})
		if err != nil {
			return fmt.Errorf("list trash: %w", err)
		}
		if len(ids) == 0 {
			return nil
		}
		deleted := ids[:0:0]
		var errs []error
		for _, id := range ids {
			if err := s.cfg.Blobs.Delete(ctx, id); err != nil {
				errs = append(errs, fmt.Errorf("delete blob %s: %w", id, err))
				continue
			}
			deleted = append(deleted, id)
		}
		if len(deleted) > 0 {
			err := s.cfg.Meta.Update(ctx, func(tx meta.Tx) error { return tx.RemoveTrash(deleted...) })
			if err != nil {
				return fmt.Errorf("remove trash: %w", err)
			}
		}
		if len(errs) > 0 {
			// Stop rather than spin on blobs that cannot be deleted now.
			return errors.Join(errs...)
		}
		if len(ids) < trashBatch {
			return nil
		}
	}
}

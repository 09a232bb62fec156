package metatest

import (
	"testing"

	"github.com/quarrylabs/quarry/internal/meta"
)

func testTrash(t *testing.T, open func(t *testing.T) meta.Store) {
	t.Run("trashed blobs list oldest first, up to a limit", func(t *testing.T) {
		s := open(t)
		update(t, s, func(tx meta.Tx) error { return tx.TrashBlobs("c", "a") })
		update(t, s, func(tx meta.Tx) error { return tx.TrashBlobs("b") })
		assertTrash(t, s, 0, []string{"c", "a", "b"})
		assertTrash(t, s, 2, []string{"c", "a"})
	})

	t.Run("trashing a blob twice queues it once", func(t *testing.T) {
		s := open(t)
		update(t, s, func(tx meta.Tx) error { return tx.TrashBlobs("a", "a") })
		update(t, s, func(tx meta.Tx) error { return tx.TrashBlobs("a") })
		assertTrash(t, s, 0, []string{"a"})
	})

	t.Run("removed blobs leave the queue and unknown ids are ignored", func(t *testing.T) {
		s := open(t)
		update(t, s, func(tx meta.Tx) error { return tx.TrashBlobs("a", "b", "c") })
		update(t, s, func(tx meta.Tx) error { return tx.RemoveTrash("a", "c", "never-trashed") })
		assertTrash(t, s, 0, []string{"b"})
		update(t, s, func(tx meta.Tx) error { return tx.RemoveTrash() })
		assertTrash(t, s, 0, []string{"b"})
	})
}

func assertTrash(t *testing.T, s meta.Store, limit int, want []string) {
	t.Helper()
	view(t, s, func(tx meta.Tx) error {
		got, err := tx.ListTrash(limit)
		wantErr(t, "list trash", err, nil)
		assertNames(t, "trash", got, want)
		return nil
	})
}

package metatest

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/quarrylabs/quarry/internal/meta"
)

func testTransactions(t *testing.T, open func(t *testing.T) meta.Store) {
	t.Run("an update whose fn fails applies nothing and returns fn's error as is", func(t *testing.T) {
		s := open(t)
		createBucket(t, s, "b")
		errStop := errors.New("stop")
		err := s.Update(ctx(), func(tx meta.Tx) error {
			steps := []error{
				tx.CreateBucket(&meta.Bucket{Name: "new"}),
				tx.AddUsage("b", meta.Usage{Objects: 1}),
				tx.PutVersion(&meta.Version{Bucket: "b", Key: "k", VersionID: "v", IsLatest: true}),
				tx.PutSetting("s", "v"),
				tx.TrashBlobs("blob"),
			}
			for _, err := range steps {
				if err != nil {
					return err
				}
			}
			return errStop
		})
		if err != errStop {
			t.Fatalf("update returned %v, want fn's error itself", err)
		}
		view(t, s, func(tx meta.Tx) error {
			_, err := tx.GetBucket("new")
			wantErr(t, "bucket", err, meta.ErrNotFound)
			_, err = tx.GetVersion("b", "k", "v")
			wantErr(t, "version", err, meta.ErrNotFound)
			_, err = tx.GetSetting("s")
			wantErr(t, "setting", err, meta.ErrNotFound)
			trash, err := tx.ListTrash(0)
			wantErr(t, "trash", err, nil)
			if len(trash) != 0 {
				t.Errorf("trash = %v, want empty", trash)
			}
			return nil
		})
		assertUsage(t, s, "b", meta.Usage{})
	})

	t.Run("a panicking update rolls back and the store keeps working", func(t *testing.T) {
		s := open(t)
		func() {
			defer func() {
				if recover() == nil {
					t.Error("the panic did not reach the caller")
				}
			}()
			_ = s.Update(ctx(), func(tx meta.Tx) error {
				if err := tx.PutSetting("s", "v"); err != nil {
					return err
				}
				panic("boom")
			})
		}()
		view(t, s, func(tx meta.Tx) error {
			_, err := tx.GetSetting("s")
			wantErr(t, "setting", err, meta.ErrNotFound)
			return nil
		})
		update(t, s, func(tx meta.Tx) error { return tx.PutSetting("s", "after") })
		assertSetting(t, s, "s", "after")
	})

	t.Run("a cancelled context runs no transaction", func(t *testing.T) {
		s := open(t)
		c, cancel := context.WithCancel(ctx())
		cancel()
		ran := false
		fn := func(meta.Tx) error { ran = true; return nil }
		if err := s.Update(c, fn); err == nil {
			t.Error("update with a cancelled context succeeded")
		}
		if err := s.View(c, fn); err == nil {
			t.Error("view with a cancelled context succeeded")
		}
		if ran {
			t.Error("fn ran under a cancelled context")
		}
	})

	t.Run("a view sees what committed updates wrote", func(t *testing.T) {
		s := open(t)
		update(t, s, func(tx meta.Tx) error { return tx.PutSetting("s", "1") })
		assertSetting(t, s, "s", "1")
	})

	t.Run("concurrent updates from 16 goroutines add up exactly", func(t *testing.T) {
		s := open(t)
		createBucket(t, s, "b")
		const goroutines, each = 16, 25
		var wg sync.WaitGroup
		errs := make(chan error, goroutines)
		for range goroutines {
			wg.Go(func() {
				for range each {
					err := s.Update(ctx(), func(tx meta.Tx) error {
						u, err := tx.GetUsage("b") // read-modify-write: lost updates would show
						if err != nil {
							return err
						}
						return tx.SetUsage("b", u.Add(meta.Usage{Objects: 1, Bytes: 10, Versions: 1, VersionBytes: 10}))
					})
					if err != nil {
						errs <- err
						return
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatalf("concurrent update: %v", err)
		}
		const n = goroutines * each
		assertUsage(t, s, "b", meta.Usage{Objects: n, Bytes: 10 * n, Versions: n, VersionBytes: 10 * n})
	})

	t.Run("views running beside updates never see half an update", func(t *testing.T) {
		s := open(t)
		createBucket(t, s, "b")
		done := make(chan struct{})
		var wg sync.WaitGroup
		var viewErr error
		wg.Go(func() {
			for {
				select {
				case <-done:
					return
				default:
				}
				err := s.View(ctx(), func(tx meta.Tx) error {
					u, err := tx.GetUsage("b")
					if err != nil {
						return err
					}
					if u.Bytes != 10*u.Objects {
						return errors.New("saw objects counted without their bytes")
					}
					return nil
				})
				if err != nil {
					viewErr = err
					return
				}
			}
		})
		for range 200 {
			update(t, s, func(tx meta.Tx) error {
				if err := tx.AddUsage("b", meta.Usage{Objects: 1}); err != nil {
					return err
				}
				return tx.AddUsage("b", meta.Usage{Bytes: 10})
			})
		}
		close(done)
		wg.Wait()
		if viewErr != nil {
			t.Fatal(viewErr)
		}
		assertUsage(t, s, "b", meta.Usage{Objects: 200, Bytes: 2000})
	})
}

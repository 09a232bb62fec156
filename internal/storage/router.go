package storage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"

	"github.com/quarrylabs/quarry/internal/blob"
	"github.com/quarrylabs/quarry/internal/meta"
)

// Router is the blob.Store the server's services hold: it passes every
// call to the store in use, which the storage service switches when the
// component in service changes, and it refuses what the component's state
// forbids (ErrUnavailable). Stores switched away from in this process stay
// readable behind the current one, so that a blob written to the old store
// just before a switch (the switch is only allowed on an empty server, but
// a write may race it) is still found until the process ends.
type Router struct {
	mu    sync.RWMutex
	cur   *routed
	older []*routed
}

// routed is a store the router sends calls to, with the state it is
// used in and the writes in flight to it.
type routed struct {
	store blob.Store
	// state is the component's meta.StorageState; empty for a store that
	// is no component (the local disk, the --blob flag's).
	state atomic.Value
	// name says what the store is, for errors.
	name string
	puts sync.WaitGroup
}

var _ blob.Store = (*Router)(nil)

// NewRouter returns a router on store, used without restriction.
func NewRouter(store blob.Store, name string) *Router {
	return &Router{cur: newRouted(store, "", name)}
}

func newRouted(store blob.Store, state meta.StorageState, name string) *routed {
	c := &routed{store: store, name: name}
	c.state.Store(state)
	return c
}

func (c *routed) State() meta.StorageState { return c.state.Load().(meta.StorageState) }

// current returns the store in use.
func (r *Router) current() *routed {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.cur
}

// Current returns the store in use and the state it is used in.
func (r *Router) Current() (blob.Store, meta.StorageState) {
	c := r.current()
	return c.store, c.State()
}

// switchTo makes store the one in use. It returns once the writes in
// flight to the previous store have ended, so that a caller checking for
// data afterwards sees what they committed.
func (r *Router) switchTo(store blob.Store, state meta.StorageState, name string) {
	r.mu.Lock()
	prev := r.cur
	r.cur = newRouted(store, state, name)
	r.older = append([]*routed{prev}, r.older...)
	r.mu.Unlock()
	prev.puts.Wait()
}

// setState changes the state the current store is used in.
func (r *Router) setState(state meta.StorageState) { r.current().state.Store(state) }

// refuse says why a store in its state may not serve an operation; write
// says whether the operation changes the store.
func (c *routed) refuse(write bool) error {
	switch state := c.State(); {
	case state == meta.StoragePaused:
		return fmt.Errorf("storage component %s is paused: %w", c.name, blob.ErrUnavailable)
	case write && state == meta.StorageReadOnly:
		return fmt.Errorf("storage component %s is read-only: %w", c.name, blob.ErrUnavailable)
	}
	return nil
}

// Allow says whether the store in use takes writes (write) or reads now
// (blob.Gate): ErrUnavailable when its state forbids them.
func (r *Router) Allow(write bool) error { return r.current().refuse(write) }

var _ blob.Gate = (*Router)(nil)

// Put writes to the store in use.
func (r *Router) Put(ctx context.Context, id string, src io.Reader) (int64, error) {
	r.mu.RLock()
	c := r.cur
	c.puts.Add(1)
	r.mu.RUnlock()
	defer c.puts.Done()
	if err := c.refuse(true); err != nil {
		return 0, err
	}
	return c.store.Put(ctx, id, src)
}

// Open reads from the store in use, then from the stores used before it.
func (r *Router) Open(ctx context.Context, id string, offset, length int64) (io.ReadCloser, error) {
	c, older := r.snapshot()
	if err := c.refuse(false); err != nil {
		return nil, err
	}
	rc, err := c.store.Open(ctx, id, offset, length)
	for _, o := range older {
		if !errors.Is(err, blob.ErrNotFound) {
			break
		}
		rc, err = o.store.Open(ctx, id, offset, length)
	}
	return rc, err
}

// Stat is Open's lookup without the data.
func (r *Router) Stat(ctx context.Context, id string) (blob.Info, error) {
	c, older := r.snapshot()
	if err := c.refuse(false); err != nil {
		return blob.Info{}, err
	}
	info, err := c.store.Stat(ctx, id)
	for _, o := range older {
		if !errors.Is(err, blob.ErrNotFound) {
			break
		}
		info, err = o.store.Stat(ctx, id)
	}
	return info, err
}

// Delete removes the blob from the store in use and from those used
// before it.
func (r *Router) Delete(ctx context.Context, id string) error {
	c, older := r.snapshot()
	if err := c.refuse(true); err != nil {
		return err
	}
	if err := c.store.Delete(ctx, id); err != nil {
		return err
	}
	for _, o := range older {
		if err := o.store.Delete(ctx, id); err != nil {
			return err
		}
	}
	return nil
}

// Walk lists the blobs of the store in use only: the orphan search of
// METRIC_RECONCILIATION looks where data is kept now.
func (r *Router) Walk(ctx context.Context, fn func(blob.Info) error) error {
	c := r.current()
	if err := c.refuse(false); err != nil {
		return err
	}
	return c.store.Walk(ctx, fn)
}

// snapshot returns the current store and the distinct older ones.
func (r *Router) snapshot() (*routed, []*routed) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	var older []*routed
	for _, o := range r.older {
		if o.store == r.cur.store || containsStore(older, o.store) {
			continue
		}
		older = append(older, o)
	}
	return r.cur, older
}

func containsStore(list []*routed, s blob.Store) bool {
	for _, o := range list {
		if o.store == s {
			return true
		}
	}
	return false
}

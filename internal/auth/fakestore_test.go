package auth

import (
	"context"
	"errors"
	"maps"
	"sort"
	"strings"
	"sync"

	"github.com/quarrylabs/quarry/internal/meta"
)

// fakeStore is an in-memory meta.Store holding only users and access keys,
// for unit tests that must not wait on a real backend. Update is atomic:
// its changes are dropped when fn fails.
type fakeStore struct {
	mu     sync.Mutex
	users  map[int64]meta.User
	keys   map[string]meta.AccessKey
	events []meta.Event
	nextID int64
	views  int
	// failCreateKey, when set, is returned by CreateAccessKey.
	failCreateKey error
	// beforeUpdate, when set, runs (once) as an Update starts, standing in
	// for another node that commits first.
	beforeUpdate func(*fakeStore)
}

func newFakeStore() *fakeStore {
	return &fakeStore{users: map[int64]meta.User{}, keys: map[string]meta.AccessKey{}}
}

func (s *fakeStore) View(ctx context.Context, fn func(meta.Tx) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.views++
	return fn(&fakeTx{s: s})
}

func (s *fakeStore) Update(ctx context.Context, fn func(meta.Tx) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if hook := s.beforeUpdate; hook != nil {
		s.beforeUpdate = nil
		hook(s)
	}
	users, keys, evs, next := maps.Clone(s.users), maps.Clone(s.keys), len(s.events), s.nextID
	if err := fn(&fakeTx{s: s}); err != nil {
		s.users, s.keys, s.events, s.nextID = users, keys, s.events[:evs], next
		return err
	}
	return nil
}

func (s *fakeStore) Close() error { return nil }

func (s *fakeStore) viewCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.views
}

// fakeTx implements UserTx; the embedded nil Tx makes any other method
// panic, which would mean the auth package reached outside its concern.
type fakeTx struct {
	meta.Tx
	s *fakeStore
}

func (t *fakeTx) CreateUser(u *meta.User) error {
	for _, o := range t.s.users {
		if strings.EqualFold(o.Username, u.Username) {
			return meta.ErrExists
		}
	}
	t.s.nextID++
	u.ID = t.s.nextID
	t.s.users[u.ID] = *u
	return nil
}

func (t *fakeTx) GetUser(id int64) (*meta.User, error) {
	u, ok := t.s.users[id]
	if !ok {
		return nil, meta.ErrNotFound
	}
	return &u, nil
}

func (t *fakeTx) GetUserByName(name string) (*meta.User, error) {
	for _, u := range t.s.users {
		if strings.EqualFold(u.Username, name) {
			return &u, nil
		}
	}
	return nil, meta.ErrNotFound
}

func (t *fakeTx) ListUsers(afterID int64, limit int) ([]meta.User, error) {
	var out []meta.User
	for _, u := range t.s.users {
		if u.ID > afterID {
			out = append(out, u)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

func (t *fakeTx) DeleteUser(id int64) error {
	if _, ok := t.s.users[id]; !ok {
		return meta.ErrNotFound
	}
	delete(t.s.users, id)
	for k, v := range t.s.keys {
		if v.UserID == id {
			delete(t.s.keys, k)
		}
	}
	return nil
}

func (t *fakeTx) SetUserRole(id int64, role meta.Role) error {
	u, ok := t.s.users[id]
	if !ok {
		return meta.ErrNotFound
	}
	u.Role = role
	t.s.users[id] = u
	return nil
}

func (t *fakeTx) CreateAccessKey(k *meta.AccessKey) error {
	if t.s.failCreateKey != nil {
		return t.s.failCreateKey
	}
	if _, ok := t.s.keys[k.AccessKey]; ok {
		return meta.ErrExists
	}
	t.s.keys[k.AccessKey] = *k
	return nil
}

func (t *fakeTx) GetAccessKey(accessKey string) (*meta.AccessKey, error) {
	k, ok := t.s.keys[accessKey]
	if !ok {
		return nil, meta.ErrNotFound
	}
	return &k, nil
}

func (t *fakeTx) ListAccessKeys(userID int64) ([]meta.AccessKey, error) {
	var out []meta.AccessKey
	for _, k := range t.s.keys {
		if k.UserID == userID {
			out = append(out, k)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].AccessKey < out[j].AccessKey })
	return out, nil
}

func (t *fakeTx) DeleteAccessKey(accessKey string) error {
	if _, ok := t.s.keys[accessKey]; !ok {
		return meta.ErrNotFound
	}
	delete(t.s.keys, accessKey)
	return nil
}

// AppendEvent keeps the event log in memory: the auth package records
// users and keys created and deleted in the transactions that change them.
func (t *fakeTx) AppendEvent(e *meta.Event) error {
	e.ID = int64(len(t.s.events) + 1)
	t.s.events = append(t.s.events, *e)
	return nil
}

// eventTypes lists the type ids of the events recorded so far.
func (s *fakeStore) eventTypes() []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []int
	for _, e := range s.events {
		out = append(out, e.TypeID)
	}
	return out
}

var errInjected = errors.New("injected failure")

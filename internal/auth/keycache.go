package auth

import (
	"sync"
	"time"
)

// keyCacheTTL bounds how long a deleted access key (deleted by another node,
// or directly in the database) can keep working on this node.
const keyCacheTTL = 5 * time.Second

// keyCacheMax bounds memory; past it, expired entries are swept and, if
// that is not enough, the cache starts over.
const keyCacheMax = 10_000

// keyCache remembers recent successful access key lookups so that the S3
// hot path skips the database and the secret decryption.
//
// A lookup that raced with an invalidation must not re-insert what was just
// invalidated: callers take a generation before reading the database and
// put only if no invalidation happened since.
type keyCache struct {
	mu      sync.Mutex
	gen     uint64
	entries map[string]keyCacheEntry
}

type keyCacheEntry struct {
	secret  string
	p       Principal
	expires time.Time
}

func newKeyCache() *keyCache {
	return &keyCache{entries: make(map[string]keyCacheEntry)}
}

// get returns the entry for accessKey if present and fresh at now.
func (c *keyCache) get(accessKey string, now time.Time) (keyCacheEntry, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[accessKey]
	if !ok || !now.Before(e.expires) {
		return keyCacheEntry{}, false
	}
	return e, true
}

// generation returns a token to pass to put.
func (c *keyCache) generation() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen
}

// put stores an entry read from the database unless an invalidation
// happened after gen was taken.
func (c *keyCache) put(accessKey string, e keyCacheEntry, gen uint64, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	if len(c.entries) >= keyCacheMax {
		for k, old := range c.entries {
			if !now.Before(old.expires) {
				delete(c.entries, k)
			}
		}
		if len(c.entries) >= keyCacheMax {
			clear(c.entries)
		}
	}
	c.entries[accessKey] = e
}

// invalidateKey forgets one access key.
func (c *keyCache) invalidateKey(accessKey string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	delete(c.entries, accessKey)
}

// invalidateUser forgets every access key of a user.
func (c *keyCache) invalidateUser(userID int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	for k, e := range c.entries {
		if e.p.UserID == userID {
			delete(c.entries, k)
		}
	}
}

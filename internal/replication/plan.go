package replication

import (
	"sort"
	"sync"

	"github.com/quarrylabs/quarry/internal/meta"
)

// RulesFor returns, for each destination, the rule that applies to an
// object with key and tags: among the enabled rules whose filter matches,
// the one with the highest Priority (the first listed on a tie). The
// result is ordered by destination ARN.
func (c *Config) RulesFor(key string, tags map[string]string) []Rule {
	winners := map[string]int{} // destination -> index of its rule
	for i, r := range c.Rules {
		if !r.Enabled || !r.Filter.Matches(key, tags) {
			continue
		}
		if w, ok := winners[r.DestinationARN]; !ok || r.Priority > c.Rules[w].Priority {
			winners[r.DestinationARN] = i
		}
	}
	rules := make([]Rule, 0, len(winners))
	for _, i := range winners {
		rules = append(rules, c.Rules[i])
	}
	sort.Slice(rules, func(i, j int) bool { return rules[i].DestinationARN < rules[j].DestinationARN })
	return rules
}

// Plan returns the outbox entries that replicate a new version of bucket
// b: one per destination whose applying rule (see RulesFor) selects it;
// for a delete marker only where that rule replicates delete markers; none
// for a replica. It reads only b and v, so it can run inside the
// transaction that writes v (v's version id already set).
func (s *Service) Plan(b *meta.Bucket, v *meta.Version) []meta.OutboxEntry {
	if s == nil || b == nil || v == nil || len(b.Replication) == 0 || v.ReplicationStatus == meta.ReplicationReplica {
		return nil
	}
	cfg, err := s.configs.get(b.Replication)
	if err != nil {
		// Stored configurations are written by PutBucketReplication, so
		// this is corruption: say so loudly, but do not fail the write.
		s.cfg.Logger.Error("replication: cannot plan", "bucket", b.Name, "key", v.Key, "err", err)
		return nil
	}
	var entries []meta.OutboxEntry
	for _, r := range cfg.RulesFor(v.Key, v.Tags) {
		if v.DeleteMarker && !r.DeleteMarkerReplication {
			continue
		}
		t := Task{Bucket: b.Name, Key: v.Key, VersionID: v.VersionID, TargetARN: r.DestinationARN, DeleteMarker: v.DeleteMarker}
		entries = append(entries, t.Entry(v.LastModified))
	}
	return entries
}

// maxCachedConfigs bounds the decoded-configuration cache; when full it
// starts over, which costs only re-decoding.
const maxCachedConfigs = 512

// configCache keeps configurations decoded, keyed by their stored bytes:
// Plan runs on every write, and a changed configuration has other bytes,
// so entries never go stale. The cached *Config is shared: read only.
type configCache struct {
	mu      sync.Mutex
	decoded map[string]*Config
}

func newConfigCache() *configCache { return &configCache{decoded: map[string]*Config{}} }

func (c *configCache) get(raw []byte) (*Config, error) {
	c.mu.Lock()
	cfg, ok := c.decoded[string(raw)]
	c.mu.Unlock()
	if ok {
		return cfg, nil
	}
	cfg, err := DecodeConfig(raw)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.decoded) >= maxCachedConfigs {
		clear(c.decoded)
	}
	c.decoded[string(raw)] = cfg
	return cfg, nil
}

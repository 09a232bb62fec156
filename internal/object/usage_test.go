package object

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/quarrylabs/quarry/internal/meta"
)

// TestUsageStaysExact runs random sequences of writes and deletes on a few
// keys across versioning states and, after every step, recounts the usage
// from the versions and compares it with the counters.
func TestUsageStaysExact(t *testing.T) {
	for seed := range uint64(4) {
		t.Run(fmt.Sprintf("seed %d", seed), func(t *testing.T) {
			h := newHarness(t)
			h.bucket("bkt", meta.VersioningOff)
			rng := rand.New(rand.NewPCG(seed, 42))
			keys := []string{"a", "b", "c/d"}
			state := meta.VersioningOff
			var log []string
			for step := range 60 {
				key := keys[rng.IntN(len(keys))]
				switch op := rng.IntN(10); {
				case op < 4:
					data := strings.Repeat("x", rng.IntN(20))
					h.put("bkt", key, data)
					log = append(log, fmt.Sprintf("put %s %d", key, len(data)))
				case op < 6:
					h.del("bkt", key, "")
					log = append(log, "delete "+key)
				case op < 8:
					ids := h.versionIDs("bkt", key)
					if len(ids) == 0 {
						continue
					}
					id := ids[rng.IntN(len(ids))]
					h.del("bkt", key, id)
					log = append(log, fmt.Sprintf("delete %s@%s", key, id))
				case op < 9:
					src := keys[rng.IntN(len(keys))]
					_, err := h.svc.CopyObject(h.ctx, alice, CopyInput{SrcBucket: "bkt", SrcKey: src, Bucket: "bkt", Key: key, ReplaceMetadata: true})
					log = append(log, fmt.Sprintf("copy %s to %s: %v", src, key, err))
				default:
					state = []meta.Versioning{meta.VersioningEnabled, meta.VersioningSuspended}[rng.IntN(2)]
					h.versioning("bkt", state)
					log = append(log, "versioning "+string(state))
				}
				want, err := h.recount("bkt")
				if err != nil {
					t.Fatalf("after step %d: %v\n%s", step, err, strings.Join(log, "\n"))
				}
				if got := h.usage("bkt"); got != want {
					t.Fatalf("after step %d (%s): usage %+v, recount %+v\n%s", step, log[len(log)-1], got, want, strings.Join(log, "\n"))
				}
			}
			h.assertNoOrphans("bkt")
		})
	}
}

// versionIDs lists the version ids of key, newest first.
func (h *harness) versionIDs(bucket, key string) []string {
	h.t.Helper()
	out, err := h.svc.ListVersions(h.ctx, alice, ListVersionsInput{Bucket: bucket, Prefix: key, MaxKeys: 1000})
	if err != nil {
		h.t.Fatal(err)
	}
	var ids []string
	for _, v := range out.Versions {
		if v.Key == key {
			ids = append(ids, v.VersionID)
		}
	}
	return ids
}

// recount computes the usage from ListVersions, and checks on the way that
// each key's latest version is its newest.
func (h *harness) recount(bucket string) (meta.Usage, error) {
	h.t.Helper()
	out, err := h.svc.ListVersions(h.ctx, alice, ListVersionsInput{Bucket: bucket, MaxKeys: 1000})
	if err != nil {
		h.t.Fatal(err)
	}
	var u meta.Usage
	prev := ""
	for _, v := range out.Versions {
		newest := v.Key != prev
		prev = v.Key
		if v.IsLatest != newest {
			return u, fmt.Errorf("%s@%s: latest=%v but newest=%v", v.Key, v.VersionID, v.IsLatest, newest)
		}
		if v.DeleteMarker {
			continue
		}
		u.Versions++
		u.VersionBytes += v.Size
		if v.IsLatest {
			u.Objects++
			u.Bytes += v.Size
		}
	}
	return u, nil
}

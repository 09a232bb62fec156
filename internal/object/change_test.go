package object

import (
	"cmp"
	"errors"
	"testing"

	"github.com/quarrylabs/quarry/internal/meta"
)

// inChange runs fn on a Change opened in a transaction of its own, as a
// job's checkpoint does, and commits it unless fn fails.
func (h *harness) inChange(bucket string, fn func(c *Change) error) error {
	h.t.Helper()
	var c *Change
	err := h.meta.Update(h.ctx, func(tx meta.Tx) error {
		var err error
		if c, err = h.svc.Begin(tx, bucket); err != nil {
			return err
		}
		if err := fn(c); err != nil {
			return err
		}
		return c.Finish()
	})
	if err == nil {
		c.Committed()
	}
	return err
}

func TestAChangeInACallersTransactionKeepsTheBooksAsARequestDoes(t *testing.T) {
	for _, v := range []meta.Versioning{meta.VersioningOff, meta.VersioningEnabled, meta.VersioningSuspended} {
		t.Run("versioning "+cmp.Or(string(v), "off"), func(t *testing.T) {
			h := newHarness(t)
			h.bucket("bkt", v)
			h.put("bkt", "gone", "data of gone")
			h.put("bkt", "kept", "data of kept")
			h.put("bkt", "kept", "newer data of kept")
			u, err := h.svc.CreateMultipartUpload(h.ctx, alice, "bkt", "big", ObjectAttrs{}, "", "")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := h.svc.UploadPart(h.ctx, alice, PartInput{Bucket: "bkt", Key: "big", UploadID: u.ID, Number: 1, Body: stringsReader("part"), Size: 4}); err != nil {
				t.Fatal(err)
			}

			err = h.inChange("bkt", func(c *Change) error {
				if c.Bucket().Versioning != v {
					t.Errorf("the change reads the bucket's versioning %q, want %q", c.Bucket().Versioning, v)
				}
				res, err := c.DeleteCurrent("gone", alice.UserID)
				if err != nil {
					return err
				}
				if res.DeleteMarker != (v != meta.VersioningOff) {
					t.Errorf("DeleteCurrent under %q: %+v", v, res)
				}
				if v == meta.VersioningEnabled {
					// The noncurrent version of kept goes for good.
					prev := h.versionIDs("bkt", "kept")[1]
					if _, err := c.DeleteVersion("kept", prev); err != nil {
						return err
					}
				}
				return c.AbortUpload(u.ID)
			})
			if err != nil {
				t.Fatalf("change: %v", err)
			}
			counted, err := h.recount("bkt")
			if err != nil {
				t.Fatal(err)
			}
			if got := h.usage("bkt"); got != counted {
				t.Errorf("counters %+v after the change, the rows say %+v", got, counted)
			}
			if _, _, err := h.get(GetInput{Bucket: "bkt", Key: "gone"}); err == nil {
				t.Error("gone is still readable")
			}
			if got := h.mustGet("bkt", "kept", ""); got != "newer data of kept" {
				t.Errorf("kept reads %q", got)
			}
			h.assertNoOrphans("bkt")
		})
	}
}

func TestAChangeThatRollsBackChangesNothing(t *testing.T) {
	h := newHarness(t)
	h.bucket("bkt", meta.VersioningEnabled)
	h.put("bkt", "k", "data")
	before := h.usage("bkt")
	boom := errors.New("boom")
	err := h.inChange("bkt", func(c *Change) error {
		if _, err := c.DeleteCurrent("k", alice.UserID); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("change: %v", err)
	}
	if got := h.usage("bkt"); got != before || len(h.versionIDs("bkt", "k")) != 1 {
		t.Errorf("a rolled-back change left counters %+v (were %+v) and versions %v", got, before, h.versionIDs("bkt", "k"))
	}
	if err := h.inChange("nosuch", func(*Change) error { return nil }); !errors.Is(err, ErrNoSuchBucket) {
		t.Errorf("Begin on a missing bucket: %v", err)
	}
}

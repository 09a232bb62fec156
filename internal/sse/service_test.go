package sse

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/quarrylabs/quarry/internal/meta"
	"github.com/quarrylabs/quarry/internal/meta/metatest"
)

func testService(t *testing.T) (*Service, meta.Store) {
	t.Helper()
	store := testStore(t)
	s := NewService(store, testKeyring(t, store))
	s.now = func() time.Time { return time.Unix(1_700_000_000, 0) }
	return s, store
}

func TestTheModeIsNoneUntilSetAndEveryChangeIsRecorded(t *testing.T) {
	s, _ := testService(t)
	ctx := context.Background()
	info, err := s.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode != ModeNone || len(info.Events) != 0 {
		t.Fatalf("fresh info = %+v, want NONE and no events", info)
	}
	for _, m := range []Mode{ModeInternal, ModeInternal, ModeNone} {
		if info, err = s.SetMode(ctx, "admin", m); err != nil {
			t.Fatalf("set %s: %v", m, err)
		}
		if info.Mode != m {
			t.Fatalf("mode after set = %s, want %s", info.Mode, m)
		}
	}
	// Setting INTERNAL twice changed it once.
	if len(info.Events) != 2 {
		t.Fatalf("events = %+v, want 2", info.Events)
	}
	latest := info.Events[0]
	if latest.Code != EventModeChanged || latest.User != "admin" || latest.Time.Unix() != 1_700_000_000 ||
		!strings.Contains(latest.Message, "from INTERNAL to NONE") {
		t.Errorf("latest event = %+v", latest)
	}
	if _, err := s.SetMode(ctx, "admin", "SOMETIMES"); !errors.Is(err, ErrInvalidMode) {
		t.Errorf("set SOMETIMES: %v, want ErrInvalidMode", err)
	}
}

func TestModesParseInAnyCase(t *testing.T) {
	for in, want := range map[string]Mode{"none": ModeNone, "Internal": ModeInternal, " INTERNAL ": ModeInternal} {
		if got, err := ParseMode(in); err != nil || got != want {
			t.Errorf("ParseMode(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "1", "KMS", "EXTERNAL"} {
		if _, err := ParseMode(in); !errors.Is(err, ErrInvalidMode) {
			t.Errorf("ParseMode(%q): %v, want ErrInvalidMode", in, err)
		}
	}
}

// sealedFixture stores versions and parts whose segments carry keys
// wrapped by the current key-encryption key, and returns the data keys by
// what holds them.
func sealedFixture(t *testing.T, s *Service, store meta.Store, versions, parts int) map[string]*DataKey {
	t.Helper()
	keys := map[string]*DataKey{}
	err := store.Update(context.Background(), func(tx meta.Tx) error {
		if err := tx.CreateBucket(&meta.Bucket{Name: "b", OwnerID: 1}); err != nil {
			return err
		}
		for i := range versions {
			segs := []meta.Segment{{BlobID: fmt.Sprintf("plain%d", i), Size: 1}}
			for j := range 2 {
				dk := newKey(t)
				w, err := s.keys.Wrap(tx, dk)
				if err != nil {
					return err
				}
				id := fmt.Sprintf("v%d-%d", i, j)
				keys[id] = dk
				segs = append(segs, meta.Segment{BlobID: id, Size: 5, SealedKey: w})
			}
			v := meta.Version{Bucket: "b", Key: fmt.Sprintf("k%d", i), VersionID: "null", IsLatest: true, SSE: meta.SSEAES256, Segments: segs}
			if err := tx.PutVersion(&v); err != nil {
				return err
			}
		}
		if err := tx.CreateUpload(&meta.Upload{ID: "u", Bucket: "b", Key: "k", SSE: meta.SSEAES256}); err != nil {
			return err
		}
		for n := 1; n <= parts; n++ {
			dk := newKey(t)
			w, err := s.keys.Wrap(tx, dk)
			if err != nil {
				return err
			}
			id := fmt.Sprintf("p%d", n)
			keys[id] = dk
			if _, err := tx.PutPart(&meta.Part{UploadID: "u", Number: n, BlobID: id, SealedKey: w}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("fixture: %v", err)
	}
	return keys
}

// storedKeys returns every sealed key in the store, by blob id.
func storedKeys(t *testing.T, store meta.Store) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	err := store.View(context.Background(), func(tx meta.Tx) error {
		vs, err := tx.ListSealedVersions(0, 0)
		if err != nil {
			return err
		}
		for _, v := range vs {
			for _, seg := range v.Segments {
				if seg.SealedKey != nil {
					out[seg.BlobID] = seg.SealedKey
				}
			}
		}
		ps, err := tx.ListSealedParts("", 0, 0)
		for _, p := range ps {
			out[p.BlobID] = p.SealedKey
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestRotatingTheKeyRewrapsEveryDataKeyAndRetiresTheOldKey(t *testing.T) {
	s, store := testService(t)
	ctx := context.Background()
	// More than a batch of each, so that paging is exercised.
	keys := sealedFixture(t, s, store, rewrapBatch+3, rewrapBatch+2)
	before := listKeys(t, store)
	info, err := s.RotateKey(ctx, "admin")
	if err != nil {
		t.Fatalf("rotate: %v", err)
	}
	after := listKeys(t, store)
	if len(after) != 1 || after[0].ID <= before[len(before)-1].ID {
		t.Fatalf("keys after rotation = %+v (before %+v), want one newer key", after, before)
	}
	stored := storedKeys(t, store)
	if len(stored) != len(keys) {
		t.Fatalf("%d sealed keys stored, want %d", len(stored), len(keys))
	}
	fresh := NewKeyring(store, testSealer(t, 7))
	for id, wrapped := range stored {
		kid, err := WrappingKeyID(wrapped)
		if err != nil || kid != after[0].ID {
			t.Fatalf("%s is wrapped by key %d (%v), want %d", id, kid, err, after[0].ID)
		}
		dk, err := fresh.Unwrap(ctx, wrapped)
		if err != nil || dk.raw != keys[id].raw {
			t.Fatalf("%s unwraps to another key (%v)", id, err)
		}
	}
	ev := info.Events[0]
	want := fmt.Sprintf("of %d object segments in %d versions and of %d upload parts; 1 older keys deleted", 2*(rewrapBatch+3), rewrapBatch+3, rewrapBatch+2)
	if ev.Code != EventKeyRotated || ev.User != "admin" || !strings.Contains(ev.Message, want) {
		t.Errorf("event = %+v, want KEY_ROTATED by admin saying %q", ev, want)
	}
	// The rotating keyring itself forgot the old key and still reads.
	for id, wrapped := range stored {
		if _, err := s.keys.Unwrap(ctx, wrapped); err != nil {
			t.Fatalf("%s after rotation: %v", id, err)
		}
		break
	}
	// A key wrapped before the rotation cannot be opened any more.
	if _, err := s.keys.Unwrap(ctx, wrappedBy(t, before[0].ID)); !errors.Is(err, ErrNoKey) {
		t.Errorf("a key wrapped by the retired key: %v, want ErrNoKey", err)
	}
}

// TestRotatingRewrapsEveryDataKeyWhenEachTransactionRunsTwice: the
// metadata store may run a transaction again (meta.Store.Update); a batch
// whose first run was rolled back must be rewrapped by the second, not
// skipped, or its data keys would be left under the key the rotation
// deletes.
func TestRotatingRewrapsEveryDataKeyWhenEachTransactionRunsTwice(t *testing.T) {
	store := testStore(t)
	s := NewService(metatest.Rerun(store), testKeyring(t, store))
	keys := sealedFixture(t, s, store, rewrapBatch+3, rewrapBatch+2)
	if _, err := s.RotateKey(context.Background(), "admin"); err != nil {
		t.Fatalf("rotate: %v", err)
	}
	after := listKeys(t, store)
	stored := storedKeys(t, store)
	if len(after) != 1 || len(stored) != len(keys) {
		t.Fatalf("%d keys and %d sealed data keys after rotation, want 1 and %d", len(after), len(stored), len(keys))
	}
	for id, wrapped := range stored {
		if kid, err := WrappingKeyID(wrapped); err != nil || kid != after[0].ID {
			t.Fatalf("%s is wrapped by key %d (%v), want the new key %d", id, kid, err, after[0].ID)
		}
	}
}

// wrappedBy is a well-formed wrapped key naming key-encryption key id.
func wrappedBy(t *testing.T, id int64) []byte {
	t.Helper()
	b := make([]byte, wrappedSize)
	b[0] = formatV1
	b[4] = byte(id)
	return b
}

func TestRotatingTwiceAndWithNothingStoredWorks(t *testing.T) {
	s, store := testService(t)
	ctx := context.Background()
	if _, err := s.RotateKey(ctx, "admin"); err != nil {
		t.Fatalf("rotate an empty store: %v", err)
	}
	keys := sealedFixture(t, s, store, 2, 1)
	if _, err := s.RotateKey(ctx, "root"); err != nil {
		t.Fatalf("rotate again: %v", err)
	}
	info, err := s.RotateKey(ctx, "root")
	if err != nil {
		t.Fatalf("rotate a third time: %v", err)
	}
	if len(info.Events) != 3 || len(listKeys(t, store)) != 1 {
		t.Fatalf("events %d, keys %d; want 3 and 1", len(info.Events), len(listKeys(t, store)))
	}
	for id, wrapped := range storedKeys(t, store) {
		dk, err := s.keys.Unwrap(ctx, wrapped)
		if err != nil || dk.raw != keys[id].raw {
			t.Fatalf("%s: %v", id, err)
		}
	}
}

package sse

import (
	"context"
	"fmt"

	"github.com/quarrylabs/quarry/internal/meta"
)

// rewrapBatch is how many versions or parts one rotation transaction
// rewraps: small enough that writers never wait long for it.
const rewrapBatch = 256

// RotateKey makes a new key-encryption key current, rewraps every data key
// under an older one (the data itself is not rewritten), deletes the older
// keys and records a KEY_ROTATED event of user's.
//
// It is safe while the server takes writes: a write wraps its data key in
// its own commit with the key current then, so once the new key is current
// no new data key is wrapped by an older one. Parts are rewrapped before
// versions because completing an upload copies its parts' keys into a new
// version: a version completed during the parts pass is met by the
// versions pass that follows. Each batch wraps with the key current in its
// own transaction, so rotations run at once on several nodes end with every
// data key under the newest key.
//
// A rotation cut short (an error, a crash) leaves the older keys in place,
// and every data key readable; running it again finishes the job.
func (s *Service) RotateKey(ctx context.Context, user string) (*Info, error) {
	s.rotating.Lock()
	defer s.rotating.Unlock()
	var newID int64
	err := s.meta.Update(ctx, func(tx meta.Tx) error {
		var err error
		newID, err = s.keys.addKey(tx)
		return err
	})
	if err != nil {
		return nil, err
	}
	parts, err := s.rewrapParts(ctx)
	if err != nil {
		return nil, err
	}
	versions, keys, err := s.rewrapVersions(ctx)
	if err != nil {
		return nil, err
	}
	var info *Info
	var retired []int64
	err = s.meta.Update(ctx, func(tx meta.Tx) error {
		all, err := tx.SSEKeys()
		if err != nil {
			return fmt.Errorf("sse: list keys: %w", err)
		}
		retired = retired[:0]
		for _, k := range all {
			if k.ID < newID {
				if err := tx.DeleteSSEKey(k.ID); err != nil {
					return fmt.Errorf("sse: delete rotated key %d: %w", k.ID, err)
				}
				retired = append(retired, k.ID)
			}
		}
		msg := fmt.Sprintf("key-encryption key rotated to key %d: rewrapped the data keys of %d object segments in %d versions and of %d upload parts; %d older keys deleted",
			newID, keys, versions, parts, len(retired))
		if err := s.record(tx, user, EventKeyRotated, msg); err != nil {
			return err
		}
		info, err = readInfo(tx)
		return err
	})
	if err != nil {
		return nil, err
	}
	for _, id := range retired {
		s.keys.forget(id)
	}
	return info, nil
}

// rewrapParts rewraps the data keys of upload parts not under the current
// key; it returns how many it rewrapped.
func (s *Service) rewrapParts(ctx context.Context) (int, error) {
	total := 0
	afterUpload, afterNumber := "", 0
	for {
		// The cursor moves on only once the batch committed: Update may
		// run fn again, which must rewrap the same batch.
		n, done, nextUpload, nextNumber := 0, false, afterUpload, afterNumber
		err := s.meta.Update(ctx, func(tx meta.Tx) error {
			n, nextUpload, nextNumber = 0, afterUpload, afterNumber
			parts, err := tx.ListSealedParts(afterUpload, afterNumber, rewrapBatch)
			if err != nil {
				return fmt.Errorf("sse: list sealed parts: %w", err)
			}
			done = len(parts) < rewrapBatch
			if len(parts) == 0 {
				return nil
			}
			rw, err := s.rewrapperIn(tx)
			if err != nil {
				return err
			}
			for _, p := range parts {
				wrapped, changed, err := rw.rewrap(p.SealedKey)
				if err != nil {
					return fmt.Errorf("sse: part %d of upload %s: %w", p.Number, p.UploadID, err)
				}
				if changed {
					if err := tx.SetPartSealedKey(p.UploadID, p.Number, wrapped); err != nil {
						return err
					}
					n++
				}
			}
			last := parts[len(parts)-1]
			nextUpload, nextNumber = last.UploadID, last.Number
			return nil
		})
		if err != nil {
			return total, err
		}
		afterUpload, afterNumber = nextUpload, nextNumber
		total += n
		if done {
			return total, nil
		}
	}
}

// rewrapVersions rewraps the data keys of versions' segments not under the
// current key; it returns how many versions and keys it rewrapped.
func (s *Service) rewrapVersions(ctx context.Context) (versions, keys int, err error) {
	var after int64
	for {
		// As in rewrapParts, the cursor moves on once the batch committed.
		nv, nk, done, next := 0, 0, false, after
		err := s.meta.Update(ctx, func(tx meta.Tx) error {
			nv, nk, next = 0, 0, after
			list, err := tx.ListSealedVersions(after, rewrapBatch)
			if err != nil {
				return fmt.Errorf("sse: list sealed versions: %w", err)
			}
			done = len(list) < rewrapBatch
			if len(list) == 0 {
				return nil
			}
			rw, err := s.rewrapperIn(tx)
			if err != nil {
				return err
			}
			for _, v := range list {
				changed := false
				for i, seg := range v.Segments {
					if len(seg.SealedKey) == 0 {
						continue
					}
					wrapped, ch, err := rw.rewrap(seg.SealedKey)
					if err != nil {
						return fmt.Errorf("sse: %s/%s version %s segment %d: %w", v.Bucket, v.Key, v.VersionID, i+1, err)
					}
					if ch {
						v.Segments[i].SealedKey = wrapped
						changed = true
						nk++
					}
				}
				if changed {
					if err := tx.SetVersionSegments(v.Bucket, v.Key, v.VersionID, v.Segments); err != nil {
						return err
					}
					nv++
				}
			}
			next = list[len(list)-1].Seq
			return nil
		})
		if err != nil {
			return versions, keys, err
		}
		after = next
		versions += nv
		keys += nk
		if done {
			return versions, keys, nil
		}
	}
}

// rewrapper rewraps data keys to the current key of one transaction.
type rewrapper struct {
	keys    *Keyring
	byID    map[int64]meta.SSEKey
	current int64
}

func (s *Service) rewrapperIn(tx meta.SSETx) (*rewrapper, error) {
	all, err := tx.SSEKeys()
	if err != nil {
		return nil, fmt.Errorf("sse: list keys: %w", err)
	}
	if len(all) == 0 {
		return nil, fmt.Errorf("sse: no key-encryption key")
	}
	rw := &rewrapper{keys: s.keys, byID: make(map[int64]meta.SSEKey, len(all)), current: all[len(all)-1].ID}
	for _, k := range all {
		rw.byID[k.ID] = k
	}
	return rw, nil
}

// rewrap returns wrapped rewrapped by the current key, and whether it had
// to be (false: it already was).
func (rw *rewrapper) rewrap(wrapped []byte) ([]byte, bool, error) {
	id, err := WrappingKeyID(wrapped)
	if err != nil {
		return nil, false, err
	}
	if id == rw.current {
		return wrapped, false, nil
	}
	old, ok := rw.byID[id]
	if !ok {
		return nil, false, fmt.Errorf("key-encryption key %d: %w", id, ErrNoKey)
	}
	oldKEK, err := rw.keys.open(old)
	if err != nil {
		return nil, false, err
	}
	dk, err := unwrapWith(oldKEK, wrapped)
	if err != nil {
		return nil, false, err
	}
	curKEK, err := rw.keys.open(rw.byID[rw.current])
	if err != nil {
		return nil, false, err
	}
	out, err := wrapWith(curKEK, rw.current, dk)
	return out, true, err
}

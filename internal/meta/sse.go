package meta

import "time"

// SSEKey is a key-encryption key of server-side encryption: it wraps the
// data keys of encrypted blobs. Sealed is the key sealed by the server's
// key file (auth.Sealer); the store never sees it in clear. The key with
// the highest ID is the current one, which new data keys are wrapped by.
type SSEKey struct {
	ID        int64
	Sealed    []byte
	CreatedAt time.Time
}

// SSEEvent is a recorded change of server-side encryption: the mode set to
// another value, or the key-encryption key rotated.
type SSEEvent struct {
	ID int64
	// User is the name of the user who made the change.
	User    string
	Time    time.Time
	Code    string
	Message string
}

// SealedVersion is a version whose segments carry sealed data keys, as
// ListSealedVersions returns it: enough to rewrap its keys.
type SealedVersion struct {
	Seq       int64
	Bucket    string
	Key       string
	VersionID string
	Segments  []Segment
}

// SSETx reads and writes what server-side encryption keeps: the
// key-encryption keys, the record of rekey events, and the sealed data
// keys of versions and parts, which a key rotation rewraps.
type SSETx interface {
	// AddSSEKey inserts k and sets k.ID, higher than any key's before it
	// (ids are never reused), so that k becomes the current key.
	AddSSEKey(k *SSEKey) error
	// SSEKeys returns every key-encryption key in ascending id order; the
	// last is the current one. None is an empty list.
	SSEKeys() ([]SSEKey, error)
	// DeleteSSEKey removes a key; ErrNotFound when absent.
	DeleteSSEKey(id int64) error

	// AddSSEEvent inserts e and sets e.ID.
	AddSSEEvent(e *SSEEvent) error
	// ListSSEEvents returns up to limit events, newest first.
	ListSSEEvents(limit int) ([]SSEEvent, error)

	// ListSealedVersions returns up to limit versions whose SSE is set
	// (their segments carry sealed keys), in ascending Seq order after
	// afterSeq.
	ListSealedVersions(afterSeq int64, limit int) ([]SealedVersion, error)
	// SetVersionSegments replaces a version's segments (to rewrap their
	// keys; the blobs and sizes stay). ErrNotFound when absent.
	SetVersionSegments(bucket, key, versionID string, segs []Segment) error
	// ListSealedParts returns up to limit parts with a sealed key, ordered
	// by (upload id, number), strictly after (afterUploadID, afterNumber).
	ListSealedParts(afterUploadID string, afterNumber, limit int) ([]Part, error)
	// SetPartSealedKey replaces a part's sealed key; ErrNotFound when the
	// part does not exist.
	SetPartSealedKey(uploadID string, number int, sealedKey []byte) error
}

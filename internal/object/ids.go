package object

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"time"

	"github.com/quarrylabs/quarry/internal/meta"
)

// versionIDLen is the length of a version id newVersionID makes.
const versionIDLen = 32

// newVersionID returns a unique version id that sorts by creation time: 8
// bytes of Unix nanoseconds then 8 random bytes, in hex. Hex cannot collide
// with meta.NullVersion.
func newVersionID(now time.Time) string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(now.UnixNano()))
	_, _ = rand.Read(b[8:]) // crypto/rand.Read never fails (Go 1.24+).
	return hex.EncodeToString(b[:])
}

// versionIDTime is the creation time a version id of newVersionID's form
// carries; ok is false for any other string.
func versionIDTime(id string) (t time.Time, ok bool) {
	if len(id) != versionIDLen {
		return time.Time{}, false
	}
	b, err := hex.DecodeString(id)
	if err != nil {
		return time.Time{}, false
	}
	return time.Unix(0, int64(binary.BigEndian.Uint64(b[:8]))), true
}

// IsVersionID reports whether id has the form of a version id: "null" or
// one newVersionID made. Anything else names no version and no position.
func IsVersionID(id string) bool {
	if id == meta.NullVersion {
		return true
	}
	_, ok := versionIDTime(id)
	return ok
}

// positionTime places a version among the versions of its key: the time
// its id carries, or for the null version (and ids of another form) its
// modification time. Among a key's versions a newer one (higher Seq) has a
// later position time, because putVersion never gives a version an id
// earlier than the key's newest version; ListVersions relies on it to
// continue after a version-id-marker that no longer exists.
func positionTime(v *meta.Version) time.Time {
	if t, ok := versionIDTime(v.VersionID); ok {
		return t
	}
	return v.LastModified
}

// versionIDTimeAfter is the time for the id of a version that becomes the
// newest of its key after newest (nil when the key has none): now, or just
// after newest's position when the clock or a slower concurrent write
// would place the new version before it.
func versionIDTimeAfter(now time.Time, newest *meta.Version) time.Time {
	if newest == nil {
		return now
	}
	if floor := positionTime(newest).Add(time.Nanosecond); now.Before(floor) {
		return floor
	}
	return now
}

// newUploadID returns a random, URL-safe multipart upload id.
func newUploadID() string {
	var b [24]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

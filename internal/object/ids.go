package object

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"time"
)

// newVersionID returns a unique version id that sorts by creation time: 8
// bytes of Unix nanoseconds then 8 random bytes, in hex. Hex cannot collide
// with meta.NullVersion.
func newVersionID(now time.Time) string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(now.UnixNano()))
	_, _ = rand.Read(b[8:]) // crypto/rand.Read never fails (Go 1.24+).
	return hex.EncodeToString(b[:])
}

// newUploadID returns a random, URL-safe multipart upload id.
func newUploadID() string {
	var b [24]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

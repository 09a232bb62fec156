package s3api

import (
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"hash"
	"hash/crc32"
	"hash/crc64"
	"net/http"
	"strings"

	"github.com/quarrylabs/quarry/internal/object"
)

// checksumAlgorithms are the x-amz-checksum-* algorithms, in the order
// headers are looked for.
var checksumAlgorithms = []string{
	object.ChecksumCRC32, object.ChecksumCRC32C, object.ChecksumCRC64NVME,
	object.ChecksumSHA1, object.ChecksumSHA256,
}

// checksumHeader is the lower-case header carrying alg's value.
func checksumHeader(alg string) string { return "x-amz-checksum-" + strings.ToLower(alg) }

// checksumAlgorithmOfHeader maps "x-amz-checksum-crc32" to "CRC32".
func checksumAlgorithmOfHeader(name string) (string, bool) {
	alg, ok := strings.CutPrefix(strings.ToLower(name), "x-amz-checksum-")
	if !ok {
		return "", false
	}
	alg = strings.ToUpper(alg)
	return alg, knownChecksum(alg)
}

func knownChecksum(alg string) bool {
	for _, a := range checksumAlgorithms {
		if a == alg {
			return true
		}
	}
	return false
}

// checksumSize is the digest length of alg in bytes.
func checksumSize(alg string) int {
	switch alg {
	case object.ChecksumCRC32, object.ChecksumCRC32C:
		return 4
	case object.ChecksumCRC64NVME:
		return 8
	case object.ChecksumSHA1:
		return sha1.Size
	case object.ChecksumSHA256:
		return sha256.Size
	}
	return 0
}

// validChecksumValue reports whether v is base64 of a digest of alg's size.
func validChecksumValue(alg, v string) bool {
	raw, err := base64.StdEncoding.DecodeString(v)
	return err == nil && len(raw) == checksumSize(alg)
}

// crc64NVMEPoly is the CRC-64/NVME polynomial in the reflected form that
// hash/crc64 expects.
const crc64NVMEPoly = 0x9a6c9329ac4bc9b5

// computeChecksum returns base64 of alg's digest of data ("" for an unknown
// algorithm). Only small request documents are hashed here; object data is
// hashed by the object service as it streams.
func computeChecksum(alg string, data []byte) string {
	var h hash.Hash
	switch alg {
	case object.ChecksumCRC32:
		h = crc32.NewIEEE()
	case object.ChecksumCRC32C:
		h = crc32.New(crc32.MakeTable(crc32.Castagnoli))
	case object.ChecksumCRC64NVME:
		var b [8]byte
		binary.BigEndian.PutUint64(b[:], crc64.Checksum(data, crc64.MakeTable(crc64NVMEPoly)))
		return base64.StdEncoding.EncodeToString(b[:])
	case object.ChecksumSHA1:
		h = sha1.New()
	case object.ChecksumSHA256:
		h = sha256.New()
	default:
		return ""
	}
	h.Write(data)
	return base64.StdEncoding.EncodeToString(h.Sum(nil))
}

// setChecksumHeaders sends the stored whole-object checksums as
// x-amz-checksum-* headers. Callers send them only for whole-object reads:
// a client validates the header against the bytes it received.
func setChecksumHeaders(h http.Header, sums map[string]string) {
	for alg, v := range sums {
		if knownChecksum(alg) {
			h.Set(checksumHeader(alg), v)
		}
	}
}

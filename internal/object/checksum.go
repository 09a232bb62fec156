package object

import (
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"hash"
	"hash/crc32"
	"hash/crc64"
	"strconv"
	"strings"

	"github.com/quarrylabs/quarry/internal/meta"
)

// crc64NVMEPoly is the reflected CRC-64/NVME polynomial, as hash/crc64 and
// the AWS SDKs use it.
const crc64NVMEPoly = 0x9a6c9329ac4bc9b5

// Tables are computed once; they are read-only after that.
var (
	crc32cTable    = crc32.MakeTable(crc32.Castagnoli)
	crc64NVMETable = crc64.MakeTable(crc64NVMEPoly)
)

// newChecksumHash returns a hash for an S3 checksum algorithm; the digest
// (Sum) is big-endian, as S3 encodes it.
func newChecksumHash(algorithm string) (hash.Hash, error) {
	switch algorithm {
	case ChecksumCRC32:
		return crc32.NewIEEE(), nil
	case ChecksumCRC32C:
		return crc32.New(crc32cTable), nil
	case ChecksumCRC64NVME:
		return crc64.New(crc64NVMETable), nil
	case ChecksumSHA1:
		return sha1.New(), nil
	case ChecksumSHA256:
		return sha256.New(), nil
	}
	return nil, fmt.Errorf("checksum algorithm %q: %w", algorithm, ErrInvalidArgument)
}

// validateChecksumAlgorithm accepts "" (none) or a known algorithm.
func validateChecksumAlgorithm(algorithm string) error {
	if algorithm == "" {
		return nil
	}
	_, err := newChecksumHash(algorithm)
	return err
}

// checksumName is an algorithm as S3's messages name it ("crc32").
func checksumName(algorithm string) string { return strings.ToLower(algorithm) }

// validChecksumValue reports whether v is the base64 of a digest of
// algorithm's size.
func validChecksumValue(algorithm, v string) bool {
	h, err := newChecksumHash(algorithm)
	if err != nil {
		return false
	}
	raw, err := base64.StdEncoding.DecodeString(v)
	return err == nil && len(raw) == h.Size()
}

// ChecksumType is the type of a stored checksum: COMPOSITE for a checksum
// of part checksums (its value ends in "-N"), FULL_OBJECT for one of the
// data; "" when there is none.
func ChecksumType(sums map[string]string) string {
	for _, v := range sums {
		if strings.Contains(v, "-") {
			return ChecksumTypeComposite
		}
		return ChecksumTypeFullObject
	}
	return ""
}

// uploadChecksumType decides the checksum type of a new multipart upload
// as S3 does: none without an algorithm; FULL_OBJECT by default for
// CRC64NVME, which has no composite form, COMPOSITE for the others; and
// FULL_OBJECT only for the CRCs, whose part values combine.
func uploadChecksumType(algorithm, asked string) (string, error) {
	switch {
	case algorithm == "" && asked != "":
		return "", refusal(ErrInvalidRequest, "The x-amz-checksum-type header can only be used with the x-amz-checksum-algorithm header.")
	case algorithm == "":
		return "", nil
	case asked == "" && algorithm == ChecksumCRC64NVME:
		return ChecksumTypeFullObject, nil
	case asked == "":
		return ChecksumTypeComposite, nil
	case asked == ChecksumTypeComposite && algorithm == ChecksumCRC64NVME,
		asked == ChecksumTypeFullObject && !combines(algorithm):
		return "", refusal(ErrInvalidRequest, "The %s checksum type cannot be used with the %s checksum algorithm.", asked, checksumName(algorithm))
	case asked == ChecksumTypeComposite, asked == ChecksumTypeFullObject:
		return asked, nil
	}
	return "", refusal(ErrInvalidRequest, "Value for x-amz-checksum-type header is invalid.")
}

// UploadChecksumType is the checksum type of an upload, also of one stored
// before the type was always recorded.
func UploadChecksumType(u *meta.Upload) string {
	if u.ChecksumType != "" || u.ChecksumAlgorithm == "" {
		return u.ChecksumType
	}
	t, _ := uploadChecksumType(u.ChecksumAlgorithm, "")
	return t
}

// encodeChecksum is S3's textual form of a digest.
func encodeChecksum(sum []byte) string { return base64.StdEncoding.EncodeToString(sum) }

// compositeChecksum is the checksum S3 stores for a multipart object whose
// parts all carry one: the checksum of the concatenated raw part checksums,
// followed by "-N". ok is false when a part has no valid checksum.
func compositeChecksum(algorithm string, partSums []string) (value string, ok bool) {
	h, err := newChecksumHash(algorithm)
	if err != nil || len(partSums) == 0 {
		return "", false
	}
	for _, s := range partSums {
		raw, err := base64.StdEncoding.DecodeString(s)
		if err != nil || len(raw) == 0 {
			return "", false
		}
		h.Write(raw)
	}
	return encodeChecksum(h.Sum(nil)) + "-" + strconv.Itoa(len(partSums)), true
}

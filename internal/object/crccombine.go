package object

import (
	"encoding/base64"
	"encoding/binary"
	"hash/crc32"
)

// crcSpec describes a CRC S3 can combine across parts into a full-object
// checksum: reflected, its register starting and ending inverted (as
// CRC-32, CRC-32C and CRC-64/NVME all are), poly in reflected form.
type crcSpec struct {
	poly  uint64
	width int // bits: 32 or 64
}

// fullObjectCRCs are the algorithms a FULL_OBJECT multipart checksum can
// use: the CRCs, whose values combine without the data.
var fullObjectCRCs = map[string]crcSpec{
	ChecksumCRC32:     {poly: crc32.IEEE, width: 32},
	ChecksumCRC32C:    {poly: crc32.Castagnoli, width: 32},
	ChecksumCRC64NVME: {poly: crc64NVMEPoly, width: 64},
}

// combines reports whether algorithm's part checksums combine into a
// full-object one.
func combines(algorithm string) bool {
	_, ok := fullObjectCRCs[algorithm]
	return ok
}

// crcCombine returns the CRC of A||B from crc1 = CRC(A), crc2 = CRC(B) and
// len2 = len(B): crc1 is advanced over len2 zero bytes by repeatedly
// squaring the GF(2) matrix of the CRC register's shift by one zero bit
// (the method of zlib's crc32_combine), then crc2 is added. The inverted
// start and end of the register cancel out in the sum.
func crcCombine(spec crcSpec, crc1, crc2 uint64, len2 int64) uint64 {
	if len2 <= 0 {
		return crc1
	}
	even := make([]uint64, spec.width) // operator for an even power of two zero bits
	odd := make([]uint64, spec.width)  // and for an odd power
	odd[0] = spec.poly                 // one zero bit
	row := uint64(1)
	for n := 1; n < spec.width; n++ {
		odd[n] = row
		row <<= 1
	}
	gf2Square(even, odd) // two zero bits
	gf2Square(odd, even) // four zero bits
	for {
		gf2Square(even, odd) // the first pass makes one zero byte
		if len2&1 != 0 {
			crc1 = gf2Times(even, crc1)
		}
		len2 >>= 1
		if len2 == 0 {
			break
		}
		gf2Square(odd, even)
		if len2&1 != 0 {
			crc1 = gf2Times(odd, crc1)
		}
		len2 >>= 1
		if len2 == 0 {
			break
		}
	}
	return crc1 ^ crc2
}

// gf2Times multiplies the GF(2) matrix mat by the vector vec.
func gf2Times(mat []uint64, vec uint64) uint64 {
	var sum uint64
	for i := 0; vec != 0; i, vec = i+1, vec>>1 {
		if vec&1 != 0 {
			sum ^= mat[i]
		}
	}
	return sum
}

// gf2Square sets square to mat times mat.
func gf2Square(square, mat []uint64) {
	for n := range mat {
		square[n] = gf2Times(mat, mat[n])
	}
}

// partChecksum is one part's checksum and size, for combining.
type partChecksum struct {
	value string // base64, as S3 encodes it
	size  int64
}

// fullObjectChecksum is the FULL_OBJECT checksum of a multipart object: the
// CRC of all its bytes, combined from the CRCs of its parts in order. ok is
// false for an algorithm that does not combine or a malformed part value.
func fullObjectChecksum(algorithm string, parts []partChecksum) (value string, ok bool) {
	spec, known := fullObjectCRCs[algorithm]
	if !known || len(parts) == 0 {
		return "", false
	}
	var crc uint64
	for i, p := range parts {
		raw, err := base64.StdEncoding.DecodeString(p.value)
		if err != nil || len(raw) != spec.width/8 {
			return "", false
		}
		var part uint64
		if spec.width == 32 {
			part = uint64(binary.BigEndian.Uint32(raw))
		} else {
			part = binary.BigEndian.Uint64(raw)
		}
		if i == 0 {
			crc = part
			continue
		}
		crc = crcCombine(spec, crc, part, p.size)
	}
	out := make([]byte, spec.width/8)
	if spec.width == 32 {
		binary.BigEndian.PutUint32(out, uint32(crc))
	} else {
		binary.BigEndian.PutUint64(out, crc)
	}
	return encodeChecksum(out), true
}

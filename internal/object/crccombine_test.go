package object

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// checksumOf is the S3 encoding of algorithm's digest of data.
func checksumOf(t *testing.T, algorithm string, data []byte) string {
	t.Helper()
	h, err := newChecksumHash(algorithm)
	if err != nil {
		t.Fatal(err)
	}
	h.Write(data)
	return encodeChecksum(h.Sum(nil))
}

func TestFullObjectChecksumIsTheCRCOfAllTheBytes(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	data := make([]byte, 300_000)
	for i := range data {
		data[i] = byte(rng.Uint32())
	}
	splits := []struct {
		name  string
		sizes []int
	}{
		{"one part", []int{300_000}},
		{"two parts", []int{100_000, 200_000}},
		{"parts of one byte and odd sizes", []int{1, 7, 65_536, 99_999, 134_457}},
		{"an empty last part", []int{300_000, 0}},
		{"an empty part in the middle", []int{150_000, 0, 150_000}},
	}
	for alg := range fullObjectCRCs {
		for _, sp := range splits {
			t.Run(fmt.Sprintf("%s of %s", alg, sp.name), func(t *testing.T) {
				var parts []partChecksum
				off := 0
				for _, n := range sp.sizes {
					parts = append(parts, partChecksum{value: checksumOf(t, alg, data[off:off+n]), size: int64(n)})
					off += n
				}
				got, ok := fullObjectChecksum(alg, parts)
				if want := checksumOf(t, alg, data[:off]); !ok || got != want {
					t.Fatalf("combined %q (ok %v), want %q", got, ok, want)
				}
			})
		}
	}
}

func TestFullObjectChecksumRefusesWhatDoesNotCombine(t *testing.T) {
	tests := []struct {
		name      string
		algorithm string
		parts     []partChecksum
	}{
		{"SHA256 does not combine", ChecksumSHA256, []partChecksum{{value: checksumOf(t, ChecksumSHA256, []byte("a")), size: 1}}},
		{"no parts", ChecksumCRC32, nil},
		{"a part value that is not base64", ChecksumCRC32, []partChecksum{{value: "not base64!", size: 1}}},
		{"a part value of the wrong size", ChecksumCRC64NVME, []partChecksum{{value: checksumOf(t, ChecksumCRC32, []byte("a")), size: 1}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if v, ok := fullObjectChecksum(tt.algorithm, tt.parts); ok {
				t.Fatalf("combined to %q", v)
			}
		})
	}
}

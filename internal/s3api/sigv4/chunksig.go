package sigv4

import "encoding/hex"

// chunkSigner checks the signature chain of an aws-chunked body: each chunk
// signature covers the one before it, starting from the request signature,
// so chunks cannot be dropped, reordered or spliced from another upload.
type chunkSigner struct {
	key      []byte
	amzDate  string
	scope    string
	previous []byte
}

// verifyChunk checks one chunk's signature and advances the chain.
func (s *chunkSigner) verifyChunk(data, claimed []byte) bool {
	return s.advance(stringToSign(algorithmPayload, s.amzDate, s.scope,
		hex.EncodeToString(s.previous), emptySHA256, sha256Hex(data)), claimed)
}

// verifyTrailer checks the trailer signature, which follows the final
// chunk's; trailer is the trailer lines, each ending in "\n".
func (s *chunkSigner) verifyTrailer(trailer, claimed []byte) bool {
	return s.advance(stringToSign(algorithmTrailer, s.amzDate, s.scope,
		hex.EncodeToString(s.previous), sha256Hex(trailer)), claimed)
}

func (s *chunkSigner) advance(toSign string, claimed []byte) bool {
	computed := hmacSHA256(s.key, toSign)
	if !signatureMatches(computed, claimed) {
		return false
	}
	s.previous = computed
	return true
}

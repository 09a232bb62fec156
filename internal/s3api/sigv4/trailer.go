package sigv4

import (
	"bytes"
	"fmt"
	"strings"
)

const (
	trailerSignatureName = "x-amz-trailer-signature"
	// maxTrailerLines bounds the trailer; SDKs send one checksum.
	maxTrailerLines = 16
)

// readTrailer reads the lines after the final chunk up to the empty line
// that ends the body: none for plain aws-chunked, "name:value" lines for the
// trailer modes, then x-amz-trailer-signature when the trailer is signed.
// Only names announced in x-amz-trailer are accepted: the header is signed,
// the unsigned trailer is not.
func (c *chunkedReader) readTrailer() (map[string]string, error) {
	trailers := map[string]string{}
	var signed bytes.Buffer // trailer lines as the client signed them, '\n'-terminated
	var signature []byte
	for lines := 0; ; lines++ {
		line, err := c.readLine()
		if err != nil {
			return nil, err
		}
		if len(line) == 0 {
			break
		}
		if lines == maxTrailerLines {
			return nil, fmt.Errorf("%w: more than %d trailer lines", ErrIncompleteBody, maxTrailerLines)
		}
		// Errors name a trailer, never quote its value: it may be the
		// trailer signature, and errors reach the log.
		rawName, rawValue, ok := bytes.Cut(line, []byte(":"))
		if !c.spec.mode.hasTrailer() {
			return nil, fmt.Errorf("%w: trailer %q without x-amz-content-sha256 announcing one", ErrIncompleteBody, truncated(rawName))
		}
		if signature != nil {
			return nil, fmt.Errorf("%w: trailer %q after the trailer signature", ErrIncompleteBody, truncated(rawName))
		}
		if !ok {
			return nil, fmt.Errorf("%w: a trailer line of %d bytes is not name:value", ErrIncompleteBody, len(line))
		}
		name := strings.ToLower(strings.TrimSpace(string(rawName)))
		value := strings.TrimSpace(string(rawValue))
		if name == trailerSignatureName && c.spec.mode == payloadStreamingSignedTrailer {
			if signature, err = parseSignature(value); err != nil {
				return nil, fmt.Errorf("%w: %v", ErrIncompleteBody, err)
			}
			continue
		}
		if !c.spec.trailerNames[name] {
			return nil, fmt.Errorf("%w: trailer %q was not announced in x-amz-trailer", ErrIncompleteBody, name)
		}
		if _, dup := trailers[name]; dup {
			return nil, fmt.Errorf("%w: trailer %q repeated", ErrIncompleteBody, name)
		}
		trailers[name] = value
		signed.Write(line)
		signed.WriteByte('\n')
	}
	if c.spec.mode == payloadStreamingSignedTrailer {
		if signature == nil {
			return nil, fmt.Errorf("%w: missing %s", ErrSignatureDoesNotMatch, trailerSignatureName)
		}
		if !c.signer.verifyTrailer(signed.Bytes(), signature) {
			return nil, fmt.Errorf("%w: trailer signature", ErrSignatureDoesNotMatch)
		}
	}
	return trailers, nil
}

package s3api

import (
	"bytes"
	"crypto/md5"
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/quarrylabs/quarry/internal/object"
)

// Limits on request documents and headers.
const (
	maxXMLBody       = 1 << 20 // bytes of any request XML document
	maxDeleteObjects = 1000    // keys in one DeleteObjects request
	maxUserMetadata  = 2 << 10 // bytes of x-amz-meta-* names and values, as AWS
	maxListKeys      = 1000
)

// storedHeaders are the request headers an object keeps and returns.
var storedHeaders = []string{"Cache-Control", "Content-Disposition", "Content-Encoding", "Content-Language", "Expires"}

// parseContentMD5 returns the raw digest of a Content-MD5 header, nil when
// absent.
func parseContentMD5(h http.Header) ([]byte, error) {
	v, ok := h["Content-Md5"]
	if !ok {
		return nil, nil
	}
	sum, err := base64.StdEncoding.DecodeString(strings.TrimSpace(strings.Join(v, "")))
	if err != nil || len(sum) != md5.Size {
		return nil, errorf(codeInvalidDigest, "")
	}
	return sum, nil
}

// parseObjectAttrs reads what a PUT, copy or multipart upload sets on the
// object: content type, stored headers, user metadata, tags, the canned ACL
// and the storage class (only STANDARD exists).
func parseObjectAttrs(h http.Header) (object.ObjectAttrs, error) {
	attrs := object.ObjectAttrs{ContentType: h.Get("Content-Type")}
	if err := checkStorageClass(h.Get("X-Amz-Storage-Class")); err != nil {
		return attrs, err
	}
	canned, err := parseACLHeaders(h)
	if err != nil {
		return attrs, err
	}
	attrs.ACL = canned
	for _, name := range storedHeaders {
		// Kept byte for byte as sent (header lines of one name joined as
		// HTTP joins them): S3 returns them exactly so.
		v := strings.Join(h.Values(name), ", ")
		if name == "Content-Encoding" {
			v = withoutAWSChunked(v)
		}
		if v != "" {
			if attrs.Headers == nil {
				attrs.Headers = map[string]string{}
			}
			attrs.Headers[name] = v
		}
	}
	size := 0
	for name, values := range h {
		lower := strings.ToLower(name)
		if !strings.HasPrefix(lower, "x-amz-meta-") {
			continue
		}
		k := strings.TrimPrefix(lower, "x-amz-meta-")
		v := strings.Join(values, ",")
		size += len(k) + len(v)
		if attrs.UserMeta == nil {
			attrs.UserMeta = map[string]string{}
		}
		attrs.UserMeta[k] = v
	}
	if size > maxUserMetadata {
		return attrs, errorf(codeMetadataTooLarge, "")
	}
	if v, ok := h["X-Amz-Tagging"]; ok {
		tags, err := parseTaggingHeader(strings.Join(v, "&"))
		if err != nil {
			return attrs, err
		}
		attrs.Tags = tags
	}
	return attrs, nil
}

// withoutAWSChunked removes the aws-chunked transfer coding, which
// describes the request body, not the object. The other codings are kept as
// they were written, spacing included.
func withoutAWSChunked(v string) string {
	codings := strings.Split(v, ",")
	kept := codings[:0]
	for _, c := range codings {
		if !strings.EqualFold(strings.TrimSpace(c), "aws-chunked") {
			kept = append(kept, c)
		}
	}
	if len(kept) == len(codings) {
		return v
	}
	return strings.TrimSpace(strings.Join(kept, ","))
}

// checkStorageClass accepts only STANDARD: Quarry has one storage class and
// does not pretend to have others.
func checkStorageClass(v string) error {
	if v == "" || v == "STANDARD" {
		return nil
	}
	return errorf(codeInvalidStorageClass, "")
}

// parseTaggingHeader parses x-amz-tagging: URL query form, unique keys.
func parseTaggingHeader(v string) (map[string]string, error) {
	const msg = "The header 'x-amz-tagging' shall be encoded as UTF-8 then URLEncoded URL query parameters without tag name duplicates."
	values, err := url.ParseQuery(v)
	if err != nil {
		return nil, errorf(codeInvalidArgument, msg)
	}
	tags := make(map[string]string, len(values))
	for k, vs := range values {
		if len(vs) != 1 {
			return nil, errorf(codeInvalidArgument, msg)
		}
		tags[k] = vs[0]
	}
	return tags, nil
}

// parseRange parses a Range header. Like S3, it ignores what it cannot use
// (absent, malformed, several ranges): the whole object is served.
func parseRange(v string) *object.Range {
	spec, ok := strings.CutPrefix(strings.TrimSpace(v), "bytes=")
	if !ok || strings.Contains(spec, ",") {
		return nil
	}
	first, last, ok := strings.Cut(strings.TrimSpace(spec), "-")
	if !ok {
		return nil
	}
	if first == "" {
		n, err := strconv.ParseInt(last, 10, 64)
		if err != nil || n < 0 {
			return nil
		}
		return &object.Range{Suffix: true, SuffixLength: n}
	}
	f, err := strconv.ParseInt(first, 10, 64)
	if err != nil || f < 0 {
		return nil
	}
	if last == "" {
		return &object.Range{First: f, Last: -1}
	}
	l, err := strconv.ParseInt(last, 10, 64)
	if err != nil || l < f {
		return nil
	}
	return &object.Range{First: f, Last: l}
}

// parseCopySourceRange parses x-amz-copy-source-range, which unlike Range
// must be an explicit "bytes=first-last".
func parseCopySourceRange(v string) (*object.Range, error) {
	if v == "" {
		return nil, nil
	}
	rg := parseRange(v)
	if rg == nil || rg.Suffix || rg.Last < 0 {
		return nil, errorf(codeInvalidArgument, "The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy")
	}
	return rg, nil
}

// parseConditions reads If-* headers; prefix is "X-Amz-Copy-Source-" for
// the conditions on a copy source. Unparsable dates are ignored, as by
// HTTP servers generally.
func parseConditions(h http.Header, prefix string) object.Conditions {
	date := func(name string) time.Time {
		t, err := http.ParseTime(h.Get(prefix + name))
		if err != nil {
			return time.Time{}
		}
		return t
	}
	return object.Conditions{
		IfMatch:           h.Get(prefix + "If-Match"),
		IfNoneMatch:       h.Get(prefix + "If-None-Match"),
		IfModifiedSince:   date("If-Modified-Since"),
		IfUnmodifiedSince: date("If-Unmodified-Since"),
	}
}

// copySource is a parsed x-amz-copy-source header.
type copySource struct {
	bucket, key, versionID string
}

// parseCopySource parses "[/]bucket/key[?versionId=id]", URL-encoded.
func parseCopySource(v string) (copySource, error) {
	bad := errorf(codeInvalidArgument, "Copy Source must mention the source bucket and key: sourcebucket/sourcekey")
	path, rawQuery, _ := strings.Cut(v, "?")
	path, err := url.PathUnescape(path)
	if err != nil {
		return copySource{}, bad
	}
	path = strings.TrimPrefix(path, "/")
	bucket, key, ok := strings.Cut(path, "/")
	if !ok || bucket == "" || key == "" {
		return copySource{}, bad
	}
	src := copySource{bucket: bucket, key: key}
	if rawQuery != "" {
		q, err := url.ParseQuery(rawQuery)
		if err != nil {
			return copySource{}, bad
		}
		src.versionID = q.Get("versionId")
		if _, ok := q["versionId"]; ok && src.versionID == "" {
			return copySource{}, errorf(codeInvalidArgument, "Version id cannot be the empty string")
		}
	}
	return src, nil
}

// parseChecksum reads the checksum a request asks for: an x-amz-checksum-*
// value header, an aws-chunked trailer named by x-amz-trailer, or only an
// algorithm (x-amz-sdk-checksum-algorithm) to compute and store.
func parseChecksum(req *request) (object.ChecksumInput, error) {
	return parseChecksumOf(req.r.Header, req.trailer)
}

// parseChecksumOf is parseChecksum over any header (a POST form's fields
// as headers) and trailer.
func parseChecksumOf(h http.Header, trailers func() map[string]string) (object.ChecksumInput, error) {
	var in object.ChecksumInput
	for _, alg := range checksumAlgorithms {
		v := h.Get(checksumHeader(alg))
		if v == "" {
			continue
		}
		if in.Algorithm != "" {
			return in, errorf(codeInvalidRequest, "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.")
		}
		if !validChecksumValue(alg, v) {
			return in, errorf(codeInvalidRequest, fmt.Sprintf("Value for %s header is invalid.", checksumHeader(alg)))
		}
		in.Algorithm, in.Value = alg, v
	}
	if t := strings.ToLower(strings.TrimSpace(h.Get("X-Amz-Trailer"))); t != "" {
		alg, ok := checksumAlgorithmOfHeader(t)
		if !ok || in.Algorithm != "" {
			return in, errorf(codeInvalidRequest, "The value specified in the x-amz-trailer header is not supported")
		}
		in.Algorithm = alg
		in.Trailer = func() string { return trailers()[t] }
	}
	sdk := strings.ToUpper(h.Get("X-Amz-Sdk-Checksum-Algorithm"))
	if sdk == "" {
		return in, nil
	}
	if !knownChecksum(sdk) {
		return in, errorf(codeInvalidRequest, "Value for x-amz-sdk-checksum-algorithm header is invalid.")
	}
	if in.Algorithm != "" && in.Algorithm != sdk {
		return in, errorf(codeInvalidRequest, "Value for x-amz-sdk-checksum-algorithm header is invalid.")
	}
	in.Algorithm = sdk
	return in, nil
}

// parseChecksumAlgorithm reads the x-amz-checksum-algorithm of a
// CreateMultipartUpload or CopyObject.
func parseChecksumAlgorithm(h http.Header) (string, error) {
	alg := strings.ToUpper(h.Get("X-Amz-Checksum-Algorithm"))
	if alg != "" && !knownChecksum(alg) {
		return "", errorf(codeInvalidRequest, "Checksum algorithm provided is unsupported. Please try again with any of the valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]")
	}
	return alg, nil
}

// parseMax reads a max-keys style parameter: absent means def, above
// maxListKeys means maxListKeys, anything not a non-negative integer is
// InvalidArgument.
func parseMax(q url.Values, name string, def int) (int, error) {
	v, ok := q[name]
	if !ok || len(v) == 0 || v[0] == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v[0])
	if err != nil || n < 0 {
		return 0, errorf(codeInvalidArgument, fmt.Sprintf("Provided %s not an integer or within integer range", name))
	}
	return min(n, maxListKeys), nil
}

// parseEncodingType accepts "" or "url".
func parseEncodingType(q url.Values) (string, error) {
	v := q.Get("encoding-type")
	if v != "" && v != "url" {
		return "", errorf(codeInvalidArgument, "Invalid Encoding Method specified in Request")
	}
	return v, nil
}

// requireContentLength rejects a payload of unknown length: S3 needs it to
// know when the object is complete.
func requireContentLength(req *request) error {
	if req.contentLength < 0 {
		return errorf(codeMissingContentLength, "")
	}
	return nil
}

// readXMLBody reads and decodes a request document. The whole body is read
// to its end, so the verifier's payload checks run before anything is
// decoded; a Content-MD5 or x-amz-checksum-* header is checked too.
func readXMLBody(req *request, v any) error {
	sum, err := parseChecksum(req)
	if err != nil {
		return err
	}
	return readXMLBodyChecked(req, v, sum)
}

// readXMLBodyChecked is readXMLBody checking the document against sum
// (and its Content-MD5) only.
func readXMLBodyChecked(req *request, v any, sum object.ChecksumInput) error {
	data, err := readSmallBodyChecked(req, maxXMLBody, sum)
	if err != nil {
		return err
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return errorf(codeMalformedXML, "")
	}
	return xmlUnmarshal(data, v)
}

// xmlUnmarshal decodes a request document; any failure is MalformedXML.
func xmlUnmarshal(data []byte, v any) error {
	if err := xml.Unmarshal(data, v); err != nil {
		return &apiError{code: codeMalformedXML, cause: err}
	}
	return nil
}

// readSmallBody reads a body of at most limit bytes and checks its
// Content-MD5 and checksum headers.
func readSmallBody(req *request, limit int64) ([]byte, error) {
	sum, err := parseChecksum(req)
	if err != nil {
		return nil, err
	}
	return readSmallBodyChecked(req, limit, sum)
}

// readSmallBodyChecked reads a body of at most limit bytes and checks it
// against its Content-MD5 and sum, with S3's codes and words for each way
// they can fail.
func readSmallBodyChecked(req *request, limit int64, sum object.ChecksumInput) ([]byte, error) {
	wantMD5, err := parseContentMD5(req.r.Header)
	if err != nil {
		return nil, err
	}
	data, err := io.ReadAll(io.LimitReader(req.body, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read request body: %w", err)
	}
	if int64(len(data)) > limit {
		return nil, errorf(codeMalformedXML, "The XML you provided was larger than the maximum allowed size.")
	}
	if wantMD5 != nil {
		got := md5.Sum(data)
		if !bytes.Equal(got[:], wantMD5) {
			return nil, errorf(codeBadDigest, "The Content-MD5 you specified did not match what we received.")
		}
	}
	want := sum.Value
	if sum.Trailer != nil {
		switch want = sum.Trailer(); {
		case want == "":
			return nil, errorf(codeMalformedTrailer, "")
		case !validChecksumValue(sum.Algorithm, want):
			return nil, errorf(codeInvalidRequest, fmt.Sprintf("Value for %s trailing header is invalid.", checksumHeader(sum.Algorithm)))
		}
	}
	if want != "" && computeChecksum(sum.Algorithm, data) != want {
		return nil, errorf(codeBadDigest, fmt.Sprintf("The %s you specified did not match the calculated checksum.", strings.ToLower(sum.Algorithm)))
	}
	return data, nil
}

// parseWriteConditions reads the conditional-write headers of a PUT, of a
// copy's destination or of a CompleteMultipartUpload. S3 takes
// If-None-Match only as "*", and not together with If-Match: anything else
// implies functionality it does not have.
func parseWriteConditions(h http.Header) (object.Conditions, error) {
	c := object.Conditions{
		IfMatch:     strings.TrimSpace(h.Get("If-Match")),
		IfNoneMatch: strings.TrimSpace(h.Get("If-None-Match")),
	}
	if c.IfNoneMatch != "" && (c.IfNoneMatch != "*" || c.IfMatch != "") {
		ae := errorf(codeNotImplemented, "")
		ae.fields = []errorField{{"Header", "If-None-Match"}}
		return c, ae
	}
	return c, nil
}

// compositeSuffix is the "-N" that ends a composite checksum.
var compositeSuffix = regexp.MustCompile(`-[1-9][0-9]{0,4}$`)

// parseObjectChecksum reads the x-amz-checksum-* header of a
// CompleteMultipartUpload: the checksum of the whole object, not of the
// request's document; a composite one may end in "-N".
func parseObjectChecksum(h http.Header) (object.ChecksumInput, error) {
	var in object.ChecksumInput
	for _, alg := range checksumAlgorithms {
		v := h.Get(checksumHeader(alg))
		if v == "" {
			continue
		}
		if in.Algorithm != "" {
			return in, errorf(codeInvalidRequest, "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.")
		}
		if !validChecksumValue(alg, compositeSuffix.ReplaceAllString(v, "")) {
			return in, errorf(codeInvalidRequest, fmt.Sprintf("Value for %s header is invalid.", checksumHeader(alg)))
		}
		in.Algorithm, in.Value = alg, v
	}
	return in, nil
}

// parseChecksumType reads x-amz-checksum-type: "", COMPOSITE or
// FULL_OBJECT.
func parseChecksumType(h http.Header) (string, error) {
	t := strings.ToUpper(h.Get("X-Amz-Checksum-Type"))
	switch t {
	case "", object.ChecksumTypeComposite, object.ChecksumTypeFullObject:
		return t, nil
	}
	return "", errorf(codeInvalidRequest, "Value for x-amz-checksum-type header is invalid.")
}

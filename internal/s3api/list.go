package s3api

import (
	"encoding/base64"
	"net/http"
	"sort"
	"strings"

	"github.com/quarrylabs/quarry/internal/auth"
	"github.com/quarrylabs/quarry/internal/meta"
	"github.com/quarrylabs/quarry/internal/object"
)

// keyEncoder returns how keys and prefixes are written in a listing: as
// they are, or URL-encoded for encoding-type=url (which lets clients list
// keys that XML 1.0 cannot carry). Slashes stay readable, as in AWS output.
func keyEncoder(encodingType string) func(string) string {
	if encodingType != "url" {
		return func(s string) string { return s }
	}
	return urlEncodeKey
}

// urlEncodeKey percent-encodes every byte of s but the unreserved
// characters of RFC 3986 and '/': a space is %20, never '+', and '+' is
// %2B, so the result decodes to s whether a client decodes it as a path
// or, as botocore does, as a form value.
func urlEncodeKey(s string) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
			c == '-' || c == '_' || c == '.' || c == '~' || c == '/' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&15])
	}
	return b.String()
}

func commonPrefixes(prefixes []string, enc func(string) string) []commonPrefix {
	out := make([]commonPrefix, 0, len(prefixes))
	for _, p := range prefixes {
		out = append(out, commonPrefix{Prefix: enc(p)})
	}
	return out
}

// continuationToken is opaque to clients: the last key returned.
func continuationToken(key string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(key))
}

func parseContinuationToken(tok string) (string, error) {
	raw, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil || len(raw) == 0 {
		return "", errorf(codeInvalidArgument, "The continuation token provided is incorrect")
	}
	return string(raw), nil
}

// checksumAlgorithmNames lists the algorithms an object has checksums of.
func checksumAlgorithmNames(sums map[string]string) []string {
	var names []string
	for alg := range sums {
		if knownChecksum(alg) {
			names = append(names, alg)
		}
	}
	sort.Strings(names)
	return names
}

func objectEntryOf(v *meta.Version, enc func(string) string, withOwner bool, p auth.Principal) objectEntry {
	e := objectEntry{
		Key:               enc(v.Key),
		LastModified:      isoTime(v.LastModified),
		ETag:              quoteETag(v.ETag),
		ChecksumAlgorithm: checksumAlgorithmNames(v.Checksums),
		ChecksumType:      object.ChecksumType(v.Checksums),
		Size:              v.Size,
		StorageClass:      "STANDARD",
	}
	if withOwner {
		o := ownerXML(p, v.OwnerID)
		e.Owner = &o
	}
	return e
}

func (h *Handler) listObjects(w http.ResponseWriter, req *request) error {
	q := req.query
	encoding, err := parseEncodingType(q)
	if err != nil {
		return err
	}
	maxKeys, err := parseMax(q, "max-keys", maxListKeys)
	if err != nil {
		return err
	}
	in := object.ListInput{
		Bucket:     req.bucket,
		Prefix:     q.Get("prefix"),
		Delimiter:  q.Get("delimiter"),
		StartAfter: q.Get("marker"),
		MaxKeys:    maxKeys,
	}
	out, err := h.cfg.Objects.ListObjects(req.ctx(), req.principal, in)
	if err != nil {
		return err
	}
	enc := keyEncoder(encoding)
	res := listBucketResult{
		Name:           req.bucket,
		Prefix:         enc(in.Prefix),
		Marker:         enc(in.StartAfter),
		MaxKeys:        maxKeys,
		Delimiter:      enc(in.Delimiter),
		IsTruncated:    out.IsTruncated,
		EncodingType:   encoding,
		CommonPrefixes: commonPrefixes(out.CommonPrefixes, enc),
	}
	// AWS sends NextMarker only with a delimiter; without one, clients
	// continue from the last key.
	if out.IsTruncated && in.Delimiter != "" {
		res.NextMarker = enc(out.NextMarker)
	}
	for i := range out.Objects {
		res.Contents = append(res.Contents, objectEntryOf(&out.Objects[i], enc, true, req.principal))
	}
	return writeXML(w, res)
}

func (h *Handler) listObjectsV2(w http.ResponseWriter, req *request) error {
	q := req.query
	encoding, err := parseEncodingType(q)
	if err != nil {
		return err
	}
	maxKeys, err := parseMax(q, "max-keys", maxListKeys)
	if err != nil {
		return err
	}
	startAfter := q.Get("start-after")
	after := startAfter
	// An empty continuation-token is no token: SDKs send one when a
	// caller passes the empty NextContinuationToken of the last page.
	token := q.Get("continuation-token")
	if token != "" {
		if after, err = parseContinuationToken(token); err != nil {
			return err
		}
	}
	in := object.ListInput{
		Bucket:     req.bucket,
		Prefix:     q.Get("prefix"),
		Delimiter:  q.Get("delimiter"),
		StartAfter: after,
		MaxKeys:    maxKeys,
	}
	out, err := h.cfg.Objects.ListObjects(req.ctx(), req.principal, in)
	if err != nil {
		return err
	}
	enc := keyEncoder(encoding)
	res := listBucketResultV2{
		Name:           req.bucket,
		Prefix:         enc(in.Prefix),
		Delimiter:      enc(in.Delimiter),
		MaxKeys:        maxKeys,
		KeyCount:       len(out.Objects) + len(out.CommonPrefixes),
		IsTruncated:    out.IsTruncated,
		EncodingType:   encoding,
		StartAfter:     enc(startAfter),
		CommonPrefixes: commonPrefixes(out.CommonPrefixes, enc),
	}
	res.ContinuationToken = token
	if out.IsTruncated {
		res.NextContinuationToken = continuationToken(out.NextMarker)
	}
	withOwner := q.Get("fetch-owner") == "true"
	for i := range out.Objects {
		res.Contents = append(res.Contents, objectEntryOf(&out.Objects[i], enc, withOwner, req.principal))
	}
	return writeXML(w, res)
}

func (h *Handler) listObjectVersions(w http.ResponseWriter, req *request) error {
	q := req.query
	encoding, err := parseEncodingType(q)
	if err != nil {
		return err
	}
	maxKeys, err := parseMax(q, "max-keys", maxListKeys)
	if err != nil {
		return err
	}
	in := object.ListVersionsInput{
		Bucket:          req.bucket,
		Prefix:          q.Get("prefix"),
		Delimiter:       q.Get("delimiter"),
		KeyMarker:       q.Get("key-marker"),
		VersionIDMarker: q.Get("version-id-marker"),
		MaxKeys:         maxKeys,
	}
	if in.VersionIDMarker != "" && in.KeyMarker == "" {
		return argumentError("A version-id marker cannot be specified without a key marker.", "version-id-marker", in.VersionIDMarker)
	}
	if in.VersionIDMarker != "" && !object.IsVersionID(in.VersionIDMarker) {
		return argumentError("Invalid version id specified", "version-id-marker", in.VersionIDMarker)
	}
	out, err := h.cfg.Objects.ListVersions(req.ctx(), req.principal, in)
	if err != nil {
		return err
	}
	enc := keyEncoder(encoding)
	res := listVersionsResult{
		Name:            req.bucket,
		Prefix:          enc(in.Prefix),
		KeyMarker:       enc(in.KeyMarker),
		VersionIDMarker: in.VersionIDMarker,
		MaxKeys:         maxKeys,
		Delimiter:       enc(in.Delimiter),
		IsTruncated:     out.IsTruncated,
		EncodingType:    encoding,
		CommonPrefixes:  commonPrefixes(out.CommonPrefixes, enc),
	}
	if out.IsTruncated {
		res.NextKeyMarker = enc(out.NextKeyMarker)
		res.NextVersionIDMarker = out.NextVersionIDMarker
	}
	for i := range out.Versions {
		res.Entries = append(res.Entries, versionEntryOf(&out.Versions[i], enc, req.principal))
	}
	return writeXML(w, res)
}

// versionEntryOf renders a version as <Version>, a delete marker as
// <DeleteMarker> (which has no ETag, size or storage class).
func versionEntryOf(v *meta.Version, enc func(string) string, p auth.Principal) versionEntry {
	o := ownerXML(p, v.OwnerID)
	e := versionEntry{
		Key:          enc(v.Key),
		VersionID:    v.VersionID,
		IsLatest:     v.IsLatest,
		LastModified: isoTime(v.LastModified),
		Owner:        &o,
	}
	if v.DeleteMarker {
		e.XMLName.Local = "DeleteMarker"
		return e
	}
	e.XMLName.Local = "Version"
	e.ETag = quoteETag(v.ETag)
	e.ChecksumAlgorithm = checksumAlgorithmNames(v.Checksums)
	e.ChecksumType = object.ChecksumType(v.Checksums)
	size := v.Size
	e.Size = &size
	e.StorageClass = "STANDARD"
	return e
}

package s3api

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/quarrylabs/quarry/internal/lifecycle"
	"github.com/quarrylabs/quarry/internal/meta"
	"github.com/quarrylabs/quarry/internal/object"
)

// defaultContentType is what S3 answers for objects stored without one.
const defaultContentType = "binary/octet-stream"

// responseOverrides are the GET query parameters that replace a stored
// response header.
var responseOverrides = []struct{ param, header string }{
	{"response-content-type", "Content-Type"},
	{"response-content-language", "Content-Language"},
	{"response-expires", "Expires"},
	{"response-cache-control", "Cache-Control"},
	{"response-content-disposition", "Content-Disposition"},
	{"response-content-encoding", "Content-Encoding"},
}

func quoteETag(etag string) string { return `"` + etag + `"` }

func (h *Handler) putObject(w http.ResponseWriter, req *request) error {
	if err := requireContentLength(req); err != nil {
		return err
	}
	if req.contentLength > object.MaxObjectSize {
		return errorf(codeEntityTooLarge, "")
	}
	hdr := req.r.Header
	attrs, err := parseObjectAttrs(hdr)
	if err != nil {
		return err
	}
	sum, err := parseContentMD5(hdr)
	if err != nil {
		return err
	}
	checksum, err := parseChecksum(req)
	if err != nil {
		return err
	}
	if attrs.SSE, err = parseSSE(hdr); err != nil {
		return err
	}
	cond, err := parseWriteConditions(hdr)
	if err != nil {
		return err
	}
	res, err := h.cfg.Objects.Put(req.ctx(), req.principal, object.PutInput{
		Bucket:     req.bucket,
		Key:        req.key,
		Body:       req.body,
		Size:       req.contentLength,
		Attrs:      attrs,
		ContentMD5: sum,
		Checksum:   checksum,
		Cond:       cond,
		Replica:    isReplicaWrite(hdr),
	})
	if err != nil {
		return err
	}
	v := res.Version
	req.bucketInfo = res.Bucket
	out := w.Header()
	out.Set("ETag", quoteETag(v.ETag))
	setSSEHeader(out, v.SSE)
	if checksum.Algorithm != "" {
		if value := v.Checksums[checksum.Algorithm]; value != "" {
			out.Set(checksumHeader(checksum.Algorithm), value)
			out.Set("X-Amz-Checksum-Type", object.ChecksumTypeFullObject)
		}
	}
	h.setObjectHeadersOf(req, out, v)
	w.WriteHeader(http.StatusOK)
	return nil
}

// getInput reads the parameters shared by GET and HEAD.
func getInput(req *request) (object.GetInput, error) {
	in := object.GetInput{
		Bucket:    req.bucket,
		Key:       req.key,
		VersionID: req.query.Get("versionId"),
		Range:     parseRange(req.r.Header.Get("Range")),
		Cond:      parseConditions(req.r.Header, ""),
	}
	if _, ok := req.query["versionId"]; ok && in.VersionID == "" {
		return in, errorf(codeInvalidArgument, "Version id cannot be the empty string")
	}
	if v := req.query.Get("partNumber"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > object.MaxParts {
			return in, errorf(codeInvalidArgument, "Part number must be an integer between 1 and 10000, inclusive")
		}
		if req.r.Header.Get("Range") != "" {
			return in, errorf(codeInvalidRequest, "Cannot specify both Range header and partNumber query parameter")
		}
		in.PartNumber = n
	}
	return in, nil
}

func (h *Handler) getObject(w http.ResponseWriter, req *request) error {
	return h.readObject(w, req, true)
}

func (h *Handler) headObject(w http.ResponseWriter, req *request) error {
	return h.readObject(w, req, false)
}

// readObject serves GET (withBody) and HEAD.
func (h *Handler) readObject(w http.ResponseWriter, req *request, withBody bool) error {
	in, err := getInput(req)
	if err != nil {
		return err
	}
	var out *object.GetOutput
	if withBody {
		out, err = h.cfg.Objects.GetObject(req.ctx(), req.principal, in)
	} else {
		out, err = h.cfg.Objects.HeadObject(req.ctx(), req.principal, in)
	}
	if err != nil {
		if errors.Is(err, object.ErrNotModified) && out != nil && out.Version != nil {
			hdr := w.Header()
			hdr.Set("ETag", quoteETag(out.Version.ETag))
			hdr.Set("Last-Modified", httpTime(out.Version))
			h.setVersionHeader(req, hdr, out.Version.VersionID)
			w.WriteHeader(http.StatusNotModified)
			return nil
		}
		return h.objectError(err, in.PartNumber > 0)
	}
	if out.Body != nil {
		defer out.Body.Close()
	}
	hdr := w.Header()
	setObjectHeaders(hdr, out.Version)
	req.bucketInfo = out.Bucket
	h.setObjectHeadersOf(req, hdr, out.Version)
	if withBody {
		for _, o := range responseOverrides {
			if v := req.query.Get(o.param); v != "" {
				hdr.Set(o.header, v)
			}
		}
	}
	// The checksums of exactly the bytes sent: the object's, or a part's
	// for ?partNumber; none for a byte range.
	if strings.EqualFold(req.r.Header.Get("X-Amz-Checksum-Mode"), "ENABLED") {
		setChecksumHeaders(hdr, out.Checksums)
		if out.ChecksumType != "" {
			hdr.Set("X-Amz-Checksum-Type", out.ChecksumType)
		}
	}
	if out.PartsCount > 0 {
		hdr.Set("X-Amz-Mp-Parts-Count", strconv.Itoa(out.PartsCount))
	}
	hdr.Set("Content-Length", strconv.FormatInt(out.Length, 10))
	status := http.StatusOK
	if out.Ranged {
		hdr.Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", out.Offset, out.Offset+out.Length-1, out.Version.Size))
		status = http.StatusPartialContent
	}
	w.WriteHeader(status)
	if !withBody || out.Body == nil {
		return nil
	}
	if _, err := io.Copy(w, out.Body); err != nil {
		return fmt.Errorf("send %s/%s: %w", req.bucket, req.key, err)
	}
	return nil
}

// objectError adds what S3 says about delete markers to a GET/HEAD error,
// and names a part number out of range as S3 does.
func (h *Handler) objectError(err error, byPart bool) error {
	var dm *object.DeleteMarkerError
	if errors.As(err, &dm) {
		base := toAPIError(dm.Err)
		ae := &apiError{code: base.code, message: base.message, cause: err, header: http.Header{}}
		ae.header.Set("X-Amz-Delete-Marker", "true")
		ae.header.Set("X-Amz-Version-Id", dm.VersionID)
		if !dm.LastModified.IsZero() {
			ae.header.Set("Last-Modified", dm.LastModified.UTC().Format(http.TimeFormat))
		}
		if ae.code == codeMethodNotAllowed {
			ae.header.Set("Allow", "DELETE")
		}
		return ae
	}
	if byPart && errors.Is(err, object.ErrInvalidRange) {
		return &apiError{code: codeInvalidPartNumber, cause: err}
	}
	return err
}

func httpTime(v *meta.Version) string { return v.LastModified.UTC().Format(http.TimeFormat) }

// setObjectHeaders sends the stored attributes of an object version.
func setObjectHeaders(hdr http.Header, v *meta.Version) {
	hdr.Set("ETag", quoteETag(v.ETag))
	hdr.Set("Last-Modified", httpTime(v))
	hdr.Set("Accept-Ranges", "bytes")
	ct := v.ContentType
	if ct == "" {
		ct = defaultContentType
	}
	hdr.Set("Content-Type", ct)
	for name, value := range v.Headers {
		hdr.Set(name, value)
	}
	// Metadata names go out lower-case, as stored and as S3 sends them:
	// Header.Set would canonicalise x-amz-meta-foo to X-Amz-Meta-Foo, which
	// clients that keep the name as sent (boto3) show as Metadata["Foo"].
	for name, value := range v.UserMeta {
		hdr["x-amz-meta-"+name] = []string{value}
	}
	if len(v.Tags) > 0 {
		hdr.Set("X-Amz-Tagging-Count", strconv.Itoa(len(v.Tags)))
	}
	if v.ReplicationStatus != meta.ReplicationNone {
		hdr.Set("X-Amz-Replication-Status", string(v.ReplicationStatus))
	}
	setSSEHeader(hdr, v.SSE)
}

// setVersionHeader sends x-amz-version-id. The "null" version is named
// only when the bucket has (or had) versioning: S3 omits the header on
// buckets that never had it.
func (h *Handler) setVersionHeader(req *request, hdr http.Header, versionID string) {
	if versionID == "" {
		return
	}
	if versionID == meta.NullVersion {
		b := h.bucketOf(req)
		if b == nil || b.Versioning == meta.VersioningOff {
			return
		}
	}
	hdr.Set("X-Amz-Version-Id", versionID)
}

// bucketOf is the request's bucket, read once per request for the headers
// its configuration decides, after the operation was allowed; nil when it
// cannot be read (the operation itself reported why). A PUT sets it from
// the bucket its commit read, so that it is not read again.
func (h *Handler) bucketOf(req *request) *meta.Bucket {
	if req.bucketInfo == nil {
		b, err := h.cfg.Objects.BucketConfig(req.ctx(), req.bucket)
		if err != nil {
			return nil
		}
		req.bucketInfo = b
	}
	return req.bucketInfo
}

// setObjectHeadersOf sends the headers of a version written or read: its
// version id and, for a current object that a lifecycle rule will expire,
// x-amz-expiration.
func (h *Handler) setObjectHeadersOf(req *request, hdr http.Header, v *meta.Version) {
	h.setVersionHeader(req, hdr, v.VersionID)
	h.setExpirationHeader(req, hdr, v)
}

// setExpirationHeader sends x-amz-expiration, as S3 does on PUT, GET and
// HEAD of a current object: when a rule of the bucket's lifecycle
// configuration will expire it, and which rule.
func (h *Handler) setExpirationHeader(req *request, hdr http.Header, v *meta.Version) {
	if v == nil || !v.IsLatest || v.DeleteMarker {
		return
	}
	b := h.bucketOf(req)
	if b == nil || len(b.Lifecycle) == 0 {
		return
	}
	cfg, err := lifecycle.DecodeConfig(b.Lifecycle)
	if err != nil {
		return
	}
	due, rule, ok := cfg.Expiry(lifecycle.Version{
		Key: v.Key, Size: v.Size, Tags: v.Tags, ModTime: v.LastModified, IsLatest: true,
	}, h.cfg.LifecycleDay)
	if !ok {
		return
	}
	hdr.Set("X-Amz-Expiration", fmt.Sprintf(`expiry-date="%s", rule-id="%s"`, due.UTC().Format(http.TimeFormat), rule))
}

func (h *Handler) deleteObject(w http.ResponseWriter, req *request) error {
	versionID := req.query.Get("versionId")
	if _, ok := req.query["versionId"]; ok && versionID == "" {
		return errorf(codeInvalidArgument, "Version id cannot be the empty string")
	}
	deleteObject := h.cfg.Objects.DeleteObject
	if isReplicaWrite(req.r.Header) {
		deleteObject = h.cfg.Objects.DeleteObjectReplica
	}
	res, err := deleteObject(req.ctx(), req.principal, req.bucket, req.key, versionID)
	if err != nil {
		return err
	}
	hdr := w.Header()
	h.setVersionHeader(req, hdr, res.VersionID)
	if res.DeleteMarker {
		hdr.Set("X-Amz-Delete-Marker", "true")
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

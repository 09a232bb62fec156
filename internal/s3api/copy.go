package s3api

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/quarrylabs/quarry/internal/meta"
	"github.com/quarrylabs/quarry/internal/object"
)

// parseDirective reads x-amz-metadata-directive or
// x-amz-tagging-directive: it reports whether the value is REPLACE.
func parseDirective(h http.Header, name, what string) (bool, error) {
	switch h.Get(name) {
	case "", "COPY":
		return false, nil
	case "REPLACE":
		return true, nil
	}
	return false, errorf(codeInvalidArgument, "Unknown "+what+" directive.")
}

// copySourceError explains a copy source that is a delete marker as S3
// does; other errors pass through.
func copySourceError(err error) error {
	var dm *object.DeleteMarkerError
	if errors.As(err, &dm) && errors.Is(dm.Err, object.ErrMethodNotAllowed) {
		return &apiError{
			code:    codeInvalidRequest,
			message: "The source of a copy request may not specifically refer to a delete marker by version id.",
			cause:   err,
		}
	}
	return err
}

// setCopySourceVersion names the source version when it has a real id.
func setCopySourceVersion(hdr http.Header, id string) {
	if id != "" && id != meta.NullVersion {
		hdr.Set("X-Amz-Copy-Source-Version-Id", id)
	}
}

func (h *Handler) copyObject(w http.ResponseWriter, req *request) error {
	hdr := req.r.Header
	src, err := parseCopySource(hdr.Get("X-Amz-Copy-Source"))
	if err != nil {
		return err
	}
	replaceMeta, err := parseDirective(hdr, "X-Amz-Metadata-Directive", "metadata")
	if err != nil {
		return err
	}
	replaceTags, err := parseDirective(hdr, "X-Amz-Tagging-Directive", "tagging")
	if err != nil {
		return err
	}
	attrs, err := parseObjectAttrs(hdr)
	if err != nil {
		return err
	}
	alg, err := parseChecksumAlgorithm(hdr)
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
	res, err := h.cfg.Objects.CopyObject(req.ctx(), req.principal, object.CopyInput{
		SrcBucket:       src.bucket,
		SrcKey:          src.key,
		SrcVersionID:    src.versionID,
		SrcCond:         parseConditions(hdr, "X-Amz-Copy-Source-"),
		Bucket:          req.bucket,
		Key:             req.key,
		ReplaceMetadata: replaceMeta,
		ReplaceTags:     replaceTags,
		Attrs:           attrs,
		Checksum:        object.ChecksumInput{Algorithm: alg},
		Cond:            cond,
		Replica:         isReplicaWrite(hdr),
	})
	if err != nil {
		return copySourceError(err)
	}
	out := w.Header()
	setCopySourceVersion(out, res.SrcVersionID)
	h.setObjectHeadersOf(req, out, res.Version)
	setSSEHeader(out, res.Version.SSE)
	return writeXML(w, copyObjectResult{
		ETag:           quoteETag(res.Version.ETag),
		LastModified:   isoTime(res.Version.LastModified),
		checksumFields: checksumsXML(res.Version.Checksums),
		ChecksumType:   object.ChecksumType(res.Version.Checksums),
	})
}

// parsePartNumber reads the partNumber of an UploadPart(Copy).
func parsePartNumber(req *request) (int, error) {
	n, err := strconv.Atoi(req.query.Get("partNumber"))
	if err != nil || n < 1 || n > object.MaxParts {
		return 0, errorf(codeInvalidArgument, "Part number must be an integer between 1 and 10000, inclusive")
	}
	return n, nil
}

func (h *Handler) uploadPartCopy(w http.ResponseWriter, req *request) error {
	hdr := req.r.Header
	number, err := parsePartNumber(req)
	if err != nil {
		return err
	}
	src, err := parseCopySource(hdr.Get("X-Amz-Copy-Source"))
	if err != nil {
		return err
	}
	rg, err := parseCopySourceRange(hdr.Get("X-Amz-Copy-Source-Range"))
	if err != nil {
		return err
	}
	part, srcVersion, err := h.cfg.Objects.UploadPartCopy(req.ctx(), req.principal, object.PartCopyInput{
		Bucket:       req.bucket,
		Key:          req.key,
		UploadID:     req.query.Get("uploadId"),
		Number:       number,
		SrcBucket:    src.bucket,
		SrcKey:       src.key,
		SrcVersionID: src.versionID,
		SrcRange:     rg,
		SrcCond:      parseConditions(hdr, "X-Amz-Copy-Source-"),
	})
	if err != nil {
		// A well-formed range that does not lie within the source is
		// InvalidRange (416), the code S3 answers and s3-tests expect; a
		// malformed one was InvalidArgument above.
		return copySourceError(err)
	}
	if srcVersion != nil {
		setCopySourceVersion(w.Header(), srcVersion.VersionID)
	}
	setSSEHeader(w.Header(), partSSE(part))
	return writeXML(w, copyPartResult{
		ETag:           quoteETag(part.ETag),
		LastModified:   isoTime(part.LastModified),
		checksumFields: checksumsXML(part.Checksums),
	})
}

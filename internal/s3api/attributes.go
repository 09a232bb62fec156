package s3api

import (
	"encoding/xml"
	"net/http"
	"strconv"
	"strings"

	"github.com/quarrylabs/quarry/internal/object"
)

// Object attributes GetObjectAttributes can return (x-amz-object-attributes).
const (
	attrETag         = "ETag"
	attrChecksum     = "Checksum"
	attrObjectParts  = "ObjectParts"
	attrStorageClass = "StorageClass"
	attrObjectSize   = "ObjectSize"
)

type getObjectAttributesResponse struct {
	XMLName xml.Name `xml:"http://s3.amazonaws.com/doc/2006-03-01/ GetObjectAttributesResponse"`
	// ETag is unquoted here, unlike everywhere else: so S3 sends it.
	ETag         string              `xml:"ETag,omitempty"`
	Checksum     *attributesChecksum `xml:"Checksum,omitempty"`
	ObjectParts  *attributesParts    `xml:"ObjectParts,omitempty"`
	StorageClass string              `xml:"StorageClass,omitempty"`
	ObjectSize   *int64              `xml:"ObjectSize,omitempty"`
}

type attributesChecksum struct {
	checksumFields
	ChecksumType string `xml:"ChecksumType,omitempty"`
}

// attributesParts pages the parts of a multipart object. Of an object
// without a checksum S3 gives the count only.
type attributesParts struct {
	IsTruncated          *bool            `xml:"IsTruncated,omitempty"`
	MaxParts             *int             `xml:"MaxParts,omitempty"`
	NextPartNumberMarker *int             `xml:"NextPartNumberMarker,omitempty"`
	PartNumberMarker     *int             `xml:"PartNumberMarker,omitempty"`
	Parts                []attributesPart `xml:"Part"`
	PartsCount           int              `xml:"PartsCount"`
}

type attributesPart struct {
	checksumFields
	PartNumber int   `xml:"PartNumber"`
	Size       int64 `xml:"Size"`
}

// parseObjectAttributes reads x-amz-object-attributes: one or more of the
// attribute names, in one comma-separated header or several.
func parseObjectAttributes(h http.Header) (map[string]bool, error) {
	bad := errorf(codeInvalidArgument, "Invalid attribute name specified.")
	want := map[string]bool{}
	for _, v := range h.Values("X-Amz-Object-Attributes") {
		for _, name := range strings.Split(v, ",") {
			switch name = strings.TrimSpace(name); name {
			case attrETag, attrChecksum, attrObjectParts, attrStorageClass, attrObjectSize:
				want[name] = true
			default:
				return nil, bad
			}
		}
	}
	if len(want) == 0 {
		return nil, bad
	}
	return want, nil
}

// parseHeaderInt reads a non-negative integer header; def when absent.
func parseHeaderInt(h http.Header, name string, def int) (int, error) {
	v := h.Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, errorf(codeInvalidArgument, "Provided "+strings.ToLower(name)+" not an integer or within integer range")
	}
	return n, nil
}

// getObjectAttributes answers GET ?attributes: the attributes asked of the
// current object or of a version, without its data.
func (h *Handler) getObjectAttributes(w http.ResponseWriter, req *request) error {
	hdr := req.r.Header
	want, err := parseObjectAttributes(hdr)
	if err != nil {
		return err
	}
	maxParts, err := parseHeaderInt(hdr, "X-Amz-Max-Parts", maxListKeys)
	if err != nil {
		return err
	}
	maxParts = min(maxParts, maxListKeys)
	marker, err := parseHeaderInt(hdr, "X-Amz-Part-Number-Marker", 0)
	if err != nil {
		return err
	}
	in := object.GetInput{Bucket: req.bucket, Key: req.key, VersionID: req.query.Get("versionId")}
	if _, ok := req.query["versionId"]; ok && in.VersionID == "" {
		return errorf(codeInvalidArgument, "Version id cannot be the empty string")
	}
	out, err := h.cfg.Objects.HeadObject(req.ctx(), req.principal, in)
	if err != nil {
		return h.objectError(err, false)
	}
	v := out.Version
	req.bucketInfo = out.Bucket
	res := getObjectAttributesResponse{}
	if want[attrETag] {
		res.ETag = v.ETag
	}
	if want[attrChecksum] && len(v.Checksums) > 0 {
		// A composite checksum comes without its "-N" here: the part
		// count is in ObjectParts.
		sums := make(map[string]string, len(v.Checksums))
		for alg, value := range v.Checksums {
			sums[alg], _, _ = strings.Cut(value, "-")
		}
		res.Checksum = &attributesChecksum{checksumFields: checksumsXML(sums), ChecksumType: object.ChecksumType(v.Checksums)}
	}
	if parts := object.Parts(v); want[attrObjectParts] && parts != nil {
		res.ObjectParts = pageParts(parts, len(v.Checksums) > 0, marker, maxParts)
	}
	if want[attrStorageClass] {
		res.StorageClass = "STANDARD"
	}
	if want[attrObjectSize] {
		size := v.Size
		res.ObjectSize = &size
	}
	hdr = w.Header()
	hdr.Set("Last-Modified", httpTime(v))
	h.setVersionHeader(req, hdr, v.VersionID)
	return writeXML(w, res)
}

// pageParts is the page of parts after marker, at most maxParts of them.
// The parts themselves are listed only for an object with a checksum, as
// S3 does; otherwise only their count.
func pageParts(parts []object.ObjectPart, withChecksums bool, marker, maxParts int) *attributesParts {
	res := &attributesParts{PartsCount: len(parts)}
	if !withChecksums {
		return res
	}
	truncated, next := false, marker
	for _, p := range parts {
		if p.Number <= marker {
			continue
		}
		if len(res.Parts) == maxParts {
			truncated = true
			break
		}
		res.Parts = append(res.Parts, attributesPart{checksumFields: checksumsXML(p.Checksums), PartNumber: p.Number, Size: p.Size})
		next = p.Number
	}
	res.IsTruncated, res.MaxParts, res.PartNumberMarker, res.NextPartNumberMarker = &truncated, &maxParts, &marker, &next
	return res
}

package s3api

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/quarrylabs/quarry/internal/object"
)

func (h *Handler) createMultipartUpload(w http.ResponseWriter, req *request) error {
	hdr := req.r.Header
	attrs, err := parseObjectAttrs(hdr)
	if err != nil {
		return err
	}
	attrs.Replica = isReplicaWrite(hdr)
	if attrs.SSE, err = parseSSE(hdr); err != nil {
		return err
	}
	alg, err := parseChecksumAlgorithm(hdr)
	if err != nil {
		return err
	}
	checksumType, err := parseChecksumType(hdr)
	if err != nil {
		return err
	}
	up, err := h.cfg.Objects.CreateMultipartUpload(req.ctx(), req.principal, req.bucket, req.key, attrs, alg, checksumType)
	if err != nil {
		return err
	}
	out := w.Header()
	if up.ChecksumAlgorithm != "" {
		out.Set("X-Amz-Checksum-Algorithm", up.ChecksumAlgorithm)
	}
	if up.ChecksumType != "" {
		out.Set("X-Amz-Checksum-Type", up.ChecksumType)
	}
	setSSEHeader(out, up.SSE)
	return writeXML(w, initiateMultipartUploadResult{Bucket: req.bucket, Key: req.key, UploadID: up.ID})
}

func (h *Handler) uploadPart(w http.ResponseWriter, req *request) error {
	number, err := parsePartNumber(req)
	if err != nil {
		return err
	}
	if err := requireContentLength(req); err != nil {
		return err
	}
	if req.contentLength > object.MaxPartSize {
		return errorf(codeEntityTooLarge, "")
	}
	sum, err := parseContentMD5(req.r.Header)
	if err != nil {
		return err
	}
	checksum, err := parseChecksum(req)
	if err != nil {
		return err
	}
	part, err := h.cfg.Objects.UploadPart(req.ctx(), req.principal, object.PartInput{
		Bucket:     req.bucket,
		Key:        req.key,
		UploadID:   req.query.Get("uploadId"),
		Number:     number,
		Body:       req.body,
		Size:       req.contentLength,
		ContentMD5: sum,
		Checksum:   checksum,
	})
	if err != nil {
		return err
	}
	out := w.Header()
	out.Set("ETag", quoteETag(part.ETag))
	setChecksumHeaders(out, part.Checksums)
	setSSEHeader(out, partSSE(part))
	w.WriteHeader(http.StatusOK)
	return nil
}

func (h *Handler) completeMultipartUpload(w http.ResponseWriter, req *request) error {
	hdr := req.r.Header
	in := object.CompleteInput{Bucket: req.bucket, Key: req.key, UploadID: req.query.Get("uploadId"), ObjectSize: -1}
	var err error
	if in.Cond, err = parseWriteConditions(hdr); err != nil {
		return err
	}
	if in.Checksum, err = parseObjectChecksum(hdr); err != nil {
		return err
	}
	if in.ChecksumType, err = parseChecksumType(hdr); err != nil {
		return err
	}
	if v := hdr.Get("X-Amz-Mp-Object-Size"); v != "" {
		if in.ObjectSize, err = strconv.ParseInt(v, 10, 64); err != nil || in.ObjectSize < 0 {
			return errorf(codeInvalidRequest, "Value for x-amz-mp-object-size header is invalid.")
		}
	}
	// The x-amz-checksum-* headers are the object's checksum, so only
	// Content-MD5 applies to the document itself.
	var doc completeMultipartUpload
	if err := readXMLBodyChecked(req, &doc, object.ChecksumInput{}); err != nil {
		return err
	}
	if len(doc.Parts) == 0 {
		return errorf(codeMalformedXML, "")
	}
	in.Parts = make([]object.CompletePart, len(doc.Parts))
	for i, p := range doc.Parts {
		in.Parts[i] = object.CompletePart{Number: p.PartNumber, ETag: p.ETag, Checksums: p.checksumFields.asMap()}
	}
	res, err := h.cfg.Objects.Complete(req.ctx(), req.principal, in)
	if err != nil {
		return err
	}
	// The headers the bucket decides come from the bucket the commit read.
	v := res.Version
	req.bucketInfo = res.Bucket
	h.setObjectHeadersOf(req, w.Header(), v)
	setSSEHeader(w.Header(), v.SSE)
	return writeXML(w, completeMultipartUploadResult{
		Location:       objectURL(req),
		Bucket:         req.bucket,
		Key:            req.key,
		ETag:           quoteETag(v.ETag),
		checksumFields: checksumsXML(v.Checksums),
		ChecksumType:   object.ChecksumType(v.Checksums),
	})
}

// objectURL is the path-style URL of the request's object.
func objectURL(req *request) string {
	scheme := "http"
	if req.r.TLS != nil {
		scheme = "https"
	}
	u := url.URL{Scheme: scheme, Host: req.r.Host, Path: "/" + req.bucket + "/" + req.key}
	return u.String()
}

func (h *Handler) abortMultipartUpload(w http.ResponseWriter, req *request) error {
	if err := h.cfg.Objects.AbortMultipartUpload(req.ctx(), req.principal, req.bucket, req.key, req.query.Get("uploadId")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Handler) listParts(w http.ResponseWriter, req *request) error {
	marker := 0
	if v := req.query.Get("part-number-marker"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return errorf(codeInvalidArgument, "Provided part-number-marker not an integer or within integer range")
		}
		marker = n
	}
	maxParts, err := parseMax(req.query, "max-parts", maxListKeys)
	if err != nil {
		return err
	}
	uploadID := req.query.Get("uploadId")
	out, err := h.cfg.Objects.ListParts(req.ctx(), req.principal, req.bucket, req.key, uploadID, marker, maxParts)
	if err != nil {
		return err
	}
	res := listPartsResult{
		Bucket:           req.bucket,
		Key:              req.key,
		UploadID:         uploadID,
		StorageClass:     "STANDARD",
		PartNumberMarker: marker,
		MaxParts:         maxParts,
		IsTruncated:      out.IsTruncated,
		Parts:            make([]partEntry, 0, len(out.Parts)),
	}
	if out.Upload != nil {
		res.Initiator = ownerXML(req.principal, out.Upload.OwnerID)
		res.Owner = res.Initiator
		res.ChecksumAlgorithm = out.Upload.ChecksumAlgorithm
		res.ChecksumType = object.UploadChecksumType(out.Upload)
	}
	for _, p := range out.Parts {
		res.Parts = append(res.Parts, partEntry{
			PartNumber:     p.Number,
			LastModified:   isoTime(p.LastModified),
			ETag:           quoteETag(p.ETag),
			Size:           p.Size,
			checksumFields: checksumsXML(p.Checksums),
		})
	}
	if n := len(out.Parts); n > 0 {
		res.NextPartNumberMarker = out.Parts[n-1].Number
	}
	if out.NextMarker > 0 {
		res.NextPartNumberMarker = out.NextMarker
	}
	return writeXML(w, res)
}

func (h *Handler) listMultipartUploads(w http.ResponseWriter, req *request) error {
	q := req.query
	encoding, err := parseEncodingType(q)
	if err != nil {
		return err
	}
	maxUploads, err := parseMax(q, "max-uploads", maxListKeys)
	if err != nil {
		return err
	}
	in := object.ListUploadsInput{
		Bucket:         req.bucket,
		Prefix:         q.Get("prefix"),
		Delimiter:      q.Get("delimiter"),
		KeyMarker:      q.Get("key-marker"),
		UploadIDMarker: q.Get("upload-id-marker"),
		MaxUploads:     maxUploads,
	}
	out, err := h.cfg.Objects.ListUploads(req.ctx(), req.principal, in)
	if err != nil {
		return err
	}
	enc := keyEncoder(encoding)
	res := listMultipartUploadsResult{
		Bucket:             req.bucket,
		KeyMarker:          enc(in.KeyMarker),
		UploadIDMarker:     in.UploadIDMarker,
		NextKeyMarker:      enc(out.NextKeyMarker),
		NextUploadIDMarker: out.NextUploadIDMarker,
		Prefix:             enc(in.Prefix),
		Delimiter:          enc(in.Delimiter),
		MaxUploads:         maxUploads,
		IsTruncated:        out.IsTruncated,
		EncodingType:       encoding,
		CommonPrefixes:     commonPrefixes(out.CommonPrefixes, enc),
	}
	for _, u := range out.Uploads {
		who := ownerXML(req.principal, u.OwnerID)
		res.Uploads = append(res.Uploads, uploadEntry{
			Key:               enc(u.Key),
			UploadID:          u.ID,
			Initiator:         who,
			Owner:             who,
			StorageClass:      "STANDARD",
			Initiated:         isoTime(u.Initiated),
			ChecksumAlgorithm: u.ChecksumAlgorithm,
			ChecksumType:      object.UploadChecksumType(&u),
		})
	}
	return writeXML(w, res)
}

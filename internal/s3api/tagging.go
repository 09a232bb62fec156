package s3api

import (
	"net/http"
	"sort"
)

// readTagging reads a Tagging document into a tag map. Duplicate keys would
// be lost in the map, so they are rejected here.
func readTagging(req *request) (map[string]string, error) {
	var doc taggingRequest
	if err := readXMLBody(req, &doc); err != nil {
		return nil, err
	}
	return tagsOf(doc)
}

// tagsOf is the tag map of a Tagging document (a request body, or the
// tagging field of a form upload).
func tagsOf(doc taggingRequest) (map[string]string, error) {
	if doc.TagSet == nil {
		return nil, errorf(codeMalformedXML, "")
	}
	tags := make(map[string]string, len(doc.TagSet.Tags))
	for _, t := range doc.TagSet.Tags {
		if _, dup := tags[t.Key]; dup {
			return nil, errorf(codeInvalidTag, "Cannot provide multiple Tags with the same key")
		}
		tags[t.Key] = t.Value
	}
	return tags, nil
}

// taggingXML renders tags sorted by key, so responses are stable.
func taggingXML(tags map[string]string) tagging {
	out := tagging{TagSet: make([]tag, 0, len(tags))}
	for k, v := range tags {
		out.TagSet = append(out.TagSet, tag{Key: k, Value: v})
	}
	sort.Slice(out.TagSet, func(i, j int) bool { return out.TagSet[i].Key < out.TagSet[j].Key })
	return out
}

func (h *Handler) getBucketTagging(w http.ResponseWriter, req *request) error {
	tags, err := h.cfg.Objects.GetBucketTags(req.ctx(), req.principal, req.bucket)
	if err != nil {
		return err
	}
	return writeXML(w, taggingXML(tags))
}

func (h *Handler) putBucketTagging(w http.ResponseWriter, req *request) error {
	tags, err := readTagging(req)
	if err != nil {
		return err
	}
	if err := h.cfg.Objects.PutBucketTags(req.ctx(), req.principal, req.bucket, tags); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Handler) deleteBucketTagging(w http.ResponseWriter, req *request) error {
	if err := h.cfg.Objects.DeleteBucketTags(req.ctx(), req.principal, req.bucket); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Handler) getObjectTagging(w http.ResponseWriter, req *request) error {
	tags, versionID, err := h.cfg.Objects.GetObjectTags(req.ctx(), req.principal, req.bucket, req.key, req.query.Get("versionId"))
	if err != nil {
		return err
	}
	h.setVersionHeader(req, w.Header(), versionID)
	return writeXML(w, taggingXML(tags))
}

func (h *Handler) putObjectTagging(w http.ResponseWriter, req *request) error {
	tags, err := readTagging(req)
	if err != nil {
		return err
	}
	versionID, err := h.cfg.Objects.PutObjectTags(req.ctx(), req.principal, req.bucket, req.key, req.query.Get("versionId"), tags)
	if err != nil {
		return err
	}
	h.setVersionHeader(req, w.Header(), versionID)
	w.WriteHeader(http.StatusOK)
	return nil
}

func (h *Handler) deleteObjectTagging(w http.ResponseWriter, req *request) error {
	versionID, err := h.cfg.Objects.DeleteObjectTags(req.ctx(), req.principal, req.bucket, req.key, req.query.Get("versionId"))
	if err != nil {
		return err
	}
	h.setVersionHeader(req, w.Header(), versionID)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

package s3api

import (
	"net/http"

	"github.com/quarrylabs/quarry/internal/acl"
	"github.com/quarrylabs/quarry/internal/object"
)

// deleteObjects deletes up to 1000 keys. The request document is checked
// whole before the first delete, so a rejected request changes nothing;
// after that each key succeeds or fails on its own, as in S3.
func (h *Handler) deleteObjects(w http.ResponseWriter, req *request) error {
	var doc deleteRequest
	if err := readXMLBody(req, &doc); err != nil {
		return err
	}
	if len(doc.Objects) == 0 || len(doc.Objects) > maxDeleteObjects {
		return errorf(codeMalformedXML, "")
	}
	if _, err := h.cfg.Objects.BucketAccess(req.ctx(), req.principal, req.bucket, acl.Write); err != nil {
		return err
	}
	var res deleteResult
	for _, o := range doc.Objects {
		if err := checkDeleteKey(o.Key); err != nil {
			res.Errors = append(res.Errors, deleteErrorEntry{
				Key: o.Key, VersionID: o.VersionID, Code: string(err.code), Message: err.messageText(),
			})
			continue
		}
		out, err := h.cfg.Objects.DeleteObject(req.ctx(), req.principal, req.bucket, o.Key, o.VersionID)
		if err != nil {
			ae := toAPIError(err)
			if ae.code == codeInternalError {
				h.cfg.Logger.Error("s3 delete in DeleteObjects failed",
					"request_id", req.id, "bucket", req.bucket, "key", o.Key, "err", err)
			}
			res.Errors = append(res.Errors, deleteErrorEntry{
				Key: o.Key, VersionID: o.VersionID, Code: string(ae.code), Message: ae.messageText(),
			})
			continue
		}
		if doc.Quiet {
			continue
		}
		d := deletedEntry{Key: o.Key, VersionID: o.VersionID}
		if out.DeleteMarker {
			d.DeleteMarker = true
			d.DeleteMarkerVersionID = out.VersionID
		}
		res.Deleted = append(res.Deleted, d)
	}
	return writeXML(w, res)
}

// checkDeleteKey rejects keys no object can have, so that their entries
// report an error instead of a delete of nothing.
func checkDeleteKey(key string) *apiError {
	switch {
	case key == "":
		return errorf(codeUserKeyMustBeSpecified, "")
	case len(key) > object.MaxKeyLength:
		return errorf(codeKeyTooLong, "")
	}
	return nil
}

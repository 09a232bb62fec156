package s3api

import (
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/quarrylabs/quarry/internal/auth"
	"github.com/quarrylabs/quarry/internal/meta"
	"github.com/quarrylabs/quarry/internal/object"
)

// ownerXML describes a user as S3 owners are shown. Quarry's owner id is
// the user id; the display name is known for the caller only.
func ownerXML(p auth.Principal, userID int64) owner {
	id := strconv.FormatInt(userID, 10)
	if userID == p.UserID && p.Username != "" {
		return owner{ID: id, DisplayName: p.Username}
	}
	return owner{ID: id, DisplayName: id}
}

func (h *Handler) listBuckets(w http.ResponseWriter, req *request) error {
	buckets, err := h.cfg.Objects.ListBuckets(req.ctx(), req.principal)
	if err != nil {
		return err
	}
	prefix := req.query.Get("prefix")
	maxBuckets, err := parseMax(req.query, "max-buckets", 0)
	if err != nil {
		return err
	}
	after := ""
	if tok := req.query.Get("continuation-token"); tok != "" {
		raw, err := base64.RawURLEncoding.DecodeString(tok)
		if err != nil {
			return errorf(codeInvalidArgument, "The continuation token provided is incorrect")
		}
		after = string(raw)
	}
	out := listAllMyBucketsResult{Owner: ownerXML(req.principal, req.principal.UserID), Prefix: prefix}
	for _, b := range buckets {
		if !strings.HasPrefix(b.Name, prefix) || b.Name <= after {
			continue
		}
		if maxBuckets > 0 && len(out.Buckets) == maxBuckets {
			out.ContinuationToken = base64.RawURLEncoding.EncodeToString([]byte(out.Buckets[len(out.Buckets)-1].Name))
			break
		}
		out.Buckets = append(out.Buckets, bucketEntry{Name: b.Name, CreationDate: isoTime(b.CreatedAt), BucketRegion: h.cfg.Region})
	}
	return writeXML(w, out)
}

func (h *Handler) createBucket(w http.ResponseWriter, req *request) error {
	if strings.EqualFold(req.r.Header.Get("X-Amz-Bucket-Object-Lock-Enabled"), "true") {
		return errorf(codeNotImplemented, "Object Lock is not implemented.")
	}
	data, err := readSmallBody(req, maxXMLBody)
	if err != nil {
		return err
	}
	if len(strings.TrimSpace(string(data))) > 0 {
		var cfg createBucketConfiguration
		if err := xmlUnmarshal(data, &cfg); err != nil {
			return err
		}
		if c := cfg.LocationConstraint; c != "" && locationRegion(c) != h.cfg.Region {
			return errorf(codeIllegalLocationConstraint, "The "+c+" location constraint is incompatible for the region specific endpoint this request was sent to.")
		}
	}
	err = h.cfg.Objects.CreateBucket(req.ctx(), req.principal, req.bucket)
	// us-east-1 keeps S3's legacy answer to creating a bucket one already
	// owns: 200, the bucket unchanged. Every other region answers
	// BucketAlreadyOwnedByYou.
	if errors.Is(err, object.ErrBucketAlreadyOwnedByYou) && h.cfg.Region == "us-east-1" {
		err = nil
	}
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/"+req.bucket)
	w.WriteHeader(http.StatusOK)
	return nil
}

// locationRegion is the region a CreateBucket LocationConstraint names.
// AWS documents "EU" as eu-west-1; "US" is the old name of US Standard,
// now us-east-1, which some clients still send. An empty constraint is
// handled by the caller: it means this server's region, whatever it is.
func locationRegion(constraint string) string {
	switch constraint {
	case "US":
		return "us-east-1"
	case "EU":
		return "eu-west-1"
	}
	return constraint
}

func (h *Handler) deleteBucket(w http.ResponseWriter, req *request) error {
	if err := h.cfg.Objects.DeleteBucket(req.ctx(), req.principal, req.bucket); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Handler) headBucket(w http.ResponseWriter, req *request) error {
	if _, err := h.cfg.Objects.HeadBucket(req.ctx(), req.principal, req.bucket); err != nil {
		return err
	}
	w.Header().Set("X-Amz-Bucket-Region", h.cfg.Region)
	w.WriteHeader(http.StatusOK)
	return nil
}

func (h *Handler) getBucketLocation(w http.ResponseWriter, req *request) error {
	if _, err := h.cfg.Objects.HeadBucket(req.ctx(), req.principal, req.bucket); err != nil {
		return err
	}
	// AWS leaves the constraint empty for us-east-1, its original region.
	loc := locationConstraint{}
	if h.cfg.Region != "us-east-1" {
		loc.Region = h.cfg.Region
	}
	return writeXML(w, loc)
}

func (h *Handler) getBucketVersioning(w http.ResponseWriter, req *request) error {
	b, err := h.cfg.Objects.HeadBucket(req.ctx(), req.principal, req.bucket)
	if err != nil {
		return err
	}
	return writeXML(w, versioningConfiguration{Status: string(b.Versioning)})
}

func (h *Handler) putBucketVersioning(w http.ResponseWriter, req *request) error {
	var cfg versioningRequest
	if err := readXMLBody(req, &cfg); err != nil {
		return err
	}
	v := meta.Versioning(cfg.Status)
	if v != meta.VersioningEnabled && v != meta.VersioningSuspended {
		return errorf(codeMalformedXML, "")
	}
	switch cfg.MfaDelete {
	case "", "Disabled":
	case "Enabled":
		return errorf(codeNotImplemented, "MFA Delete is not implemented.")
	default:
		return errorf(codeMalformedXML, "")
	}
	if err := h.cfg.Objects.SetVersioning(req.ctx(), req.principal, req.bucket, v); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

// getBucketACL answers with the one ACL Quarry has, owner FULL_CONTROL:
// tools read ACLs even when they never set one.
func (h *Handler) getBucketACL(w http.ResponseWriter, req *request) error {
	b, err := h.cfg.Objects.HeadBucket(req.ctx(), req.principal, req.bucket)
	if err != nil {
		return err
	}
	return writeXML(w, ownerACL(ownerXML(req.principal, b.OwnerID)))
}

func ownerACL(o owner) accessControlPolicy {
	return accessControlPolicy{
		Owner: o,
		Grants: []grant{{
			Grantee: grantee{
				XMLNSXSI:    "http://www.w3.org/2001/XMLSchema-instance",
				XSIType:     "CanonicalUser",
				ID:          o.ID,
				DisplayName: o.DisplayName,
			},
			Permission: "FULL_CONTROL",
		}},
	}
}

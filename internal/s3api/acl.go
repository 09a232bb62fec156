package s3api

import (
	"bytes"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/quarrylabs/quarry/internal/acl"
)

// ACLs. Quarry stores the four canned ACLs that grant a group READ (and
// WRITE) beside the owner's FULL_CONTROL (see package acl). A request sets
// one with x-amz-acl, with x-amz-grant-* headers that grant groups exactly
// what a canned ACL does, or (PutBucketAcl, PutObjectAcl) with an
// AccessControlPolicy document of exactly a canned ACL's grants. Anything
// else S3 defines answers NotImplemented: it is never stored as something
// it is not.

// grantHeaders are the x-amz-grant-* headers and the permission each one
// grants.
var grantHeaders = []struct {
	name string
	perm acl.Permission
}{
	{"X-Amz-Grant-Read", acl.Read},
	{"X-Amz-Grant-Write", acl.Write},
	{"X-Amz-Grant-Read-Acp", acl.ReadACP},
	{"X-Amz-Grant-Write-Acp", acl.WriteACP},
	{"X-Amz-Grant-Full-Control", acl.FullControl},
}

// aclOwnerPlaceholder stands for the resource's owner when header grants
// are checked: the headers cannot name the owner (see parseGrantHeaders),
// whose FULL_CONTROL Quarry always keeps.
const aclOwnerPlaceholder = "owner"

// hasACLHeaders reports whether h sets an ACL: x-amz-acl or any
// x-amz-grant-* header.
func hasACLHeaders(h http.Header) bool {
	if _, ok := h["X-Amz-Acl"]; ok {
		return true
	}
	for _, g := range grantHeaders {
		if _, ok := h[g.name]; ok {
			return true
		}
	}
	return false
}

// parseACLHeaders reads the canned ACL a request sets with headers;
// private when it sets none.
func parseACLHeaders(h http.Header) (acl.Canned, error) {
	_, canned := h["X-Amz-Acl"]
	grants, hasGrants, err := parseGrantHeaders(h)
	if err != nil {
		return acl.Private, err
	}
	switch {
	case canned && hasGrants:
		return acl.Private, errorf(codeInvalidRequest, "Specifying both Canned ACLs and Header Grants is not allowed")
	case canned:
		c, err := acl.ParseCanned(h.Get("X-Amz-Acl"))
		return c, aclError(err)
	case hasGrants:
		c, err := acl.FromGrants(aclOwnerPlaceholder, grants)
		return c, aclError(err)
	}
	return acl.Private, nil
}

// parseGrantHeaders reads the x-amz-grant-* headers, each a comma-separated
// list of grantees (uri="...", id="..." or emailAddress="..."), into the
// grants they stand for with the owner's FULL_CONTROL first. Only groups
// can be granted that way: a grantee named by id or email cannot be stored
// and answers NotImplemented.
func parseGrantHeaders(h http.Header) (grants []acl.Grant, present bool, err error) {
	grants = []acl.Grant{{Grantee: acl.Grantee{Type: acl.CanonicalUser, ID: aclOwnerPlaceholder}, Permission: acl.FullControl}}
	for _, g := range grantHeaders {
		values, ok := h[g.name]
		if !ok {
			continue
		}
		present = true
		for _, item := range strings.Split(strings.Join(values, ","), ",") {
			kind, value, ok := strings.Cut(strings.TrimSpace(item), "=")
			value = strings.Trim(strings.TrimSpace(value), `"`)
			if !ok || value == "" {
				return nil, true, errorf(codeInvalidArgument, "Invalid grant header value: "+strings.TrimSpace(item))
			}
			switch strings.ToLower(strings.TrimSpace(kind)) {
			case "uri":
				grants = append(grants, acl.Grant{Grantee: acl.Grantee{Type: acl.Group, URI: value}, Permission: g.perm})
			case "id", "emailaddress":
				return nil, true, errorf(codeNotImplemented, "Grants to a particular user (x-amz-grant-* with id or emailAddress) are not implemented; use x-amz-acl.")
			default:
				return nil, true, errorf(codeInvalidArgument, "Invalid grant header value: "+strings.TrimSpace(item))
			}
		}
	}
	return grants, present, nil
}

// aclError gives the acl package's refusals their S3 codes.
func aclError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, acl.ErrNotImplemented):
		return &apiError{code: codeNotImplemented, message: "Quarry supports the canned ACLs private, public-read, public-read-write and authenticated-read only.", cause: err}
	case errors.Is(err, acl.ErrMalformed):
		return &apiError{code: codeMalformedACL, cause: err}
	case errors.Is(err, acl.ErrInvalid):
		return &apiError{code: codeInvalidArgument, cause: err}
	}
	return err
}

// aclPolicy is the AccessControlPolicy document of canned ACL c on a
// resource owned by ownerID.
func (h *Handler) aclPolicy(req *request, ownerID int64, c acl.Canned) accessControlPolicy {
	o := ownerXML(req.principal, ownerID)
	doc := accessControlPolicy{Owner: o}
	for _, g := range c.Grants(o.ID) {
		ge := grantee{XMLNSXSI: "http://www.w3.org/2001/XMLSchema-instance", XSIType: string(g.Grantee.Type)}
		if g.Grantee.Type == acl.CanonicalUser {
			ge.ID, ge.DisplayName = o.ID, o.DisplayName
		} else {
			ge.URI = g.Grantee.URI
		}
		doc.Grants = append(doc.Grants, grant{Grantee: ge, Permission: string(g.Permission)})
	}
	return doc
}

// readACLRequest reads the ACL a PutBucketAcl or PutObjectAcl sets: from
// its headers, or from its AccessControlPolicy document, checked against
// the resource's owner. Both at once is UnexpectedContent, neither is
// MalformedACLError.
func readACLRequest(req *request, ownerID int64) (acl.Canned, error) {
	data, err := readSmallBody(req, maxXMLBody)
	if err != nil {
		return acl.Private, err
	}
	hasBody := len(bytes.TrimSpace(data)) > 0
	if hasACLHeaders(req.r.Header) {
		if hasBody {
			return acl.Private, errorf(codeUnexpectedContent, "")
		}
		return parseACLHeaders(req.r.Header)
	}
	if !hasBody {
		return acl.Private, errorf(codeMalformedACL, "")
	}
	var doc aclRequest
	if err := xmlUnmarshal(data, &doc); err != nil {
		return acl.Private, &apiError{code: codeMalformedACL, cause: err}
	}
	owner := strconv.FormatInt(ownerID, 10)
	if doc.Owner == nil || doc.Owner.ID == "" {
		return acl.Private, errorf(codeMalformedACL, "")
	}
	if doc.Owner.ID != owner {
		// The owner is the resource's, never changed by an ACL.
		return acl.Private, errorf(codeAccessDenied, "")
	}
	c, err := acl.FromGrants(owner, doc.grants())
	return c, aclError(err)
}

func (h *Handler) getBucketACL(w http.ResponseWriter, req *request) error {
	b, c, err := h.cfg.Objects.BucketACL(req.ctx(), req.principal, req.bucket)
	if err != nil {
		return err
	}
	return writeXML(w, h.aclPolicy(req, b.OwnerID, c))
}

func (h *Handler) putBucketACL(w http.ResponseWriter, req *request) error {
	// The caller's right to the ACL is checked before the document is
	// read; the owner checks the document's grants.
	b, _, err := h.cfg.Objects.BucketACL(req.ctx(), req.principal, req.bucket)
	if err != nil {
		return err
	}
	c, err := readACLRequest(req, b.OwnerID)
	if err != nil {
		return err
	}
	if err := h.cfg.Objects.SetBucketACL(req.ctx(), req.principal, req.bucket, c); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

func (h *Handler) getObjectACL(w http.ResponseWriter, req *request) error {
	versionID, err := versionIDParam(req)
	if err != nil {
		return err
	}
	v, c, err := h.cfg.Objects.ObjectACL(req.ctx(), req.principal, req.bucket, req.key, versionID)
	if err != nil {
		return h.objectError(err, false)
	}
	h.setVersionHeader(req, w.Header(), v.VersionID)
	return writeXML(w, h.aclPolicy(req, v.OwnerID, c))
}

func (h *Handler) putObjectACL(w http.ResponseWriter, req *request) error {
	versionID, err := versionIDParam(req)
	if err != nil {
		return err
	}
	v, _, err := h.cfg.Objects.ObjectACL(req.ctx(), req.principal, req.bucket, req.key, versionID)
	if err != nil {
		return h.objectError(err, false)
	}
	c, err := readACLRequest(req, v.OwnerID)
	if err != nil {
		return err
	}
	// The version read above, by id: a write in between does not move the
	// ACL to another version.
	v, err = h.cfg.Objects.SetObjectACL(req.ctx(), req.principal, req.bucket, req.key, v.VersionID, c)
	if err != nil {
		return h.objectError(err, false)
	}
	h.setVersionHeader(req, w.Header(), v.VersionID)
	w.WriteHeader(http.StatusOK)
	return nil
}

// versionIDParam is the versionId query parameter; present but empty is
// InvalidArgument, as S3 answers.
func versionIDParam(req *request) (string, error) {
	id := req.query.Get("versionId")
	if _, ok := req.query["versionId"]; ok && id == "" {
		return "", errorf(codeInvalidArgument, "Version id cannot be the empty string")
	}
	return id, nil
}

package s3api

import (
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/quarrylabs/quarry/internal/acl"
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

// maxBuckets is the largest page of ListBuckets, and its page when a
// listing is paged without max-buckets, as on AWS.
const maxBuckets = 10000

// listBuckets is ListBuckets: every bucket of the caller (of everyone for
// an admin), by name. Any of max-buckets, continuation-token, prefix and
// bucket-region makes it a paged listing, as on AWS: a page of max-buckets
// (default 10000) with a ContinuationToken when more follow. The token is
// opaque to clients; it names the last bucket of the page.
func (h *Handler) listBuckets(w http.ResponseWriter, req *request) error {
	q := req.query
	paged := false
	for _, name := range []string{"max-buckets", "continuation-token", "prefix", "bucket-region"} {
		if _, ok := q[name]; ok {
			paged = true
		}
	}
	in := object.ListBucketsInput{Prefix: q.Get("prefix")}
	if paged {
		in.Limit = maxBuckets
	}
	if v, ok := q["max-buckets"]; ok {
		n, err := strconv.Atoi(v[0])
		if err != nil || n < 1 || n > maxBuckets {
			return errorf(codeInvalidArgument, "Argument max-buckets must be an integer between 1 and 10000.")
		}
		in.Limit = n
	}
	if tok := q.Get("continuation-token"); tok != "" {
		after, err := decodeBucketToken(tok)
		if err != nil {
			return err
		}
		in.After = after
	}
	out := listAllMyBucketsResult{Owner: ownerXML(req.principal, req.principal.UserID), Prefix: in.Prefix}
	if region, ok := q["bucket-region"]; ok && region[0] != h.cfg.Region {
		// Every bucket lives in the server's region.
		return writeXML(w, out)
	}
	page, err := h.cfg.Objects.ListBucketsPage(req.ctx(), req.principal, in)
	if err != nil {
		return err
	}
	for _, b := range page.Buckets {
		out.Buckets = append(out.Buckets, bucketEntry{Name: b.Name, CreationDate: isoTime(b.CreatedAt), BucketRegion: h.cfg.Region})
	}
	if page.IsTruncated {
		out.ContinuationToken = encodeBucketToken(page.Buckets[len(page.Buckets)-1].Name)
	}
	return writeXML(w, out)
}

// bucketTokenPrefix marks a ListBuckets continuation token, so that a
// ListObjectsV2 token passed by mistake is refused, not misread.
const bucketTokenPrefix = "b:"

func encodeBucketToken(name string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(bucketTokenPrefix + name))
}

func decodeBucketToken(tok string) (string, error) {
	raw, err := base64.RawURLEncoding.DecodeString(tok)
	name, ok := strings.CutPrefix(string(raw), bucketTokenPrefix)
	if err != nil || !ok {
		return "", errorf(codeInvalidArgument, "The continuation token provided is incorrect")
	}
	return name, nil
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
	canned, err := parseACLHeaders(req.r.Header)
	if err != nil {
		return err
	}
	err = h.cfg.Objects.CreateBucketWithACL(req.ctx(), req.principal, req.bucket, canned)
	// us-east-1 keeps S3's legacy answer to creating a bucket one already
	// owns: 200, its objects and configurations unchanged but its ACL reset
	// to the request's (private when it names none), as AWS does. Every
	// other region answers BucketAlreadyOwnedByYou.
	if errors.Is(err, object.ErrBucketAlreadyOwnedByYou) && h.cfg.Region == "us-east-1" {
		err = h.cfg.Objects.SetBucketACL(req.ctx(), req.principal, req.bucket, canned)
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

// headBucket is HeadBucket, which asks for the right to list the bucket
// (its owner, or anyone its ACL lets read it).
func (h *Handler) headBucket(w http.ResponseWriter, req *request) error {
	if _, err := h.cfg.Objects.BucketAccess(req.ctx(), req.principal, req.bucket, acl.Read); err != nil {
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

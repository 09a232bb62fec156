package s3api

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/quarrylabs/quarry/internal/acl"
	"github.com/quarrylabs/quarry/internal/auth"
	"github.com/quarrylabs/quarry/internal/object"
	"github.com/quarrylabs/quarry/internal/s3api/postpolicy"
	"github.com/quarrylabs/quarry/internal/s3api/sigv2"
	"github.com/quarrylabs/quarry/internal/s3api/sigv4"
)

// Limits of a browser form upload (POST Object).
const (
	// maxPostFieldBytes is what the fields before the file may hold,
	// names and values together: 20 KB, as on AWS.
	maxPostFieldBytes = 20 << 10
	// maxPostPreamble bounds the bytes read before the file's data: the
	// fields with their boundaries and part headers, and what the
	// multipart reader reads ahead. It keeps a form that never gets to its
	// file from filling memory.
	maxPostPreamble = maxPostFieldBytes + 44<<10
)

// postFieldHeaders are the form fields a form upload stores on the object
// as a PUT stores the headers of the same names (x-amz-meta-* and
// x-amz-checksum-* fields too).
var postFieldHeaders = []string{
	"cache-control", "content-disposition", "content-encoding", "content-language",
	"content-md5", "content-type", "expires", "x-amz-sdk-checksum-algorithm", "x-amz-storage-class",
}

// postForm is a form upload up to its file: the fields (names lower-case,
// repeated fields joined with ',', ${filename} replaced) and the file part,
// positioned at its first byte.
type postForm struct {
	fields postpolicy.Form
	file   *multipart.Part
}

// postObject serves a browser form upload: a multipart/form-data POST to
// the bucket whose fields name the key, the object's headers and a policy
// signed with SigV4 or SigV2, and whose last part is the file. The fields
// are read and checked first; the file is then streamed to the object
// service as a PUT's body is.
func (h *Handler) postObject(w http.ResponseWriter, req *request) error {
	mediaType, params, err := mime.ParseMediaType(req.r.Header.Get("Content-Type"))
	if err != nil || mediaType != "multipart/form-data" {
		return &apiError{code: codePreconditionFailed, fields: []errorField{
			{"Condition", "Bucket POST must be of the enclosure-type multipart/form-data"}}}
	}
	if params["boundary"] == "" {
		return errorf(codeMalformedPOSTRequest, "")
	}
	form, err := readPostForm(req.body, params["boundary"])
	if err != nil {
		return err
	}
	if form.fields["key"] == "" {
		return &apiError{code: codeUserKeyMustBeSpecified, fields: []errorField{{"ArgumentName", "key"}}}
	}
	req.key = form.fields["key"]
	p, policy, err := h.authenticatePost(req, form.fields)
	if err != nil {
		return err
	}
	req.principal = p
	req.setOrigin()
	in, err := postPutInput(req, form, policy)
	if err != nil {
		return err
	}
	res, err := h.cfg.Objects.Put(req.ctx(), req.principal, in)
	if err != nil {
		return err
	}
	v := res.Version
	req.bucketInfo = res.Bucket
	etag := quoteETag(v.ETag)
	location := h.objectURL(req)
	out := w.Header()
	out.Set("ETag", etag)
	out.Set("Location", location)
	h.setObjectHeadersOf(req, out, v)
	return writePostResult(w, form.fields, req.bucket, req.key, etag, location)
}

// readPostForm reads the fields of a form up to its file part. Fields after
// the file are never read: AWS ignores them.
func readPostForm(body io.Reader, boundary string) (*postForm, error) {
	preamble := &budgetReader{r: body, left: maxPostPreamble}
	mr := multipart.NewReader(preamble, boundary)
	fields := postpolicy.Form{}
	used := 0
	for {
		part, err := mr.NextPart()
		switch {
		case errors.Is(err, io.EOF):
			return nil, &apiError{code: codeInvalidArgument, message: "POST requires exactly one file upload per request.",
				fields: []errorField{{"ArgumentName", "file"}, {"ArgumentValue", "0"}}}
		case errors.Is(err, errPreambleTooLong):
			return nil, &apiError{code: codeMaxPostPreDataLengthExceeded, cause: err}
		case err != nil:
			return nil, &apiError{code: codeMalformedPOSTRequest, cause: err}
		}
		name := strings.ToLower(part.FormName())
		if name == "" {
			return nil, &apiError{code: codeMalformedPOSTRequest, cause: errors.New("a part without a form field name")}
		}
		if name == "file" {
			expandFilename(fields, postFilename(part))
			preamble.left = -1 // the file's data is not preamble
			return &postForm{fields: fields, file: part}, nil
		}
		value, err := io.ReadAll(io.LimitReader(part, int64(maxPostFieldBytes-used-len(name)+1)))
		switch {
		case errors.Is(err, errPreambleTooLong):
			return nil, &apiError{code: codeMaxPostPreDataLengthExceeded, cause: err}
		case err != nil:
			return nil, &apiError{code: codeMalformedPOSTRequest, cause: err}
		}
		used += len(name) + len(value)
		if used > maxPostFieldBytes {
			return nil, errorf(codeMaxPostPreDataLengthExceeded, "")
		}
		if previous, ok := fields[name]; ok {
			fields[name] = previous + "," + string(value)
		} else {
			fields[name] = string(value)
		}
	}
}

// postFilename is the file's name as the browser gave it, without any
// directories of either kind of slash.
func postFilename(part *multipart.Part) string {
	name := part.FileName()
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	return name
}

// expandFilename replaces ${filename} in every field, as AWS does before
// checking the policy.
func expandFilename(fields postpolicy.Form, filename string) {
	for name, value := range fields {
		fields[name] = strings.ReplaceAll(value, "${filename}", filename)
	}
}

var errPreambleTooLong = errors.New("form fields before the file are too long")

// budgetReader fails once more than left bytes were read; left < 0 is no
// limit.
type budgetReader struct {
	r    io.Reader
	left int
}

func (b *budgetReader) Read(p []byte) (int, error) {
	if b.left < 0 {
		return b.r.Read(p)
	}
	if b.left == 0 {
		return 0, errPreambleTooLong
	}
	if len(p) > b.left {
		p = p[:b.left]
	}
	n, err := b.r.Read(p)
	b.left -= n
	return n, err
}

// authenticatePost checks the form's signature and its policy and returns
// the signer, on whose behalf the object is written, and the policy.
func (h *Handler) authenticatePost(req *request, f postpolicy.Form) (auth.Principal, *postpolicy.Policy, error) {
	field := f["policy"]
	if field == "" {
		return h.anonymousPost(req, f)
	}
	var p auth.Principal
	ctx := req.ctx()
	if f["x-amz-algorithm"] != "" || f["x-amz-credential"] != "" || f["x-amz-signature"] != "" {
		for _, name := range []string{"x-amz-algorithm", "x-amz-credential", "x-amz-date", "x-amz-signature"} {
			if f[name] == "" {
				return p, nil, missingPostField(name)
			}
		}
		v := h.verifier
		v.Lookup = h.lookup(&p, sigv4.ErrInvalidAccessKeyID)
		_, err := v.VerifyPost(ctx, sigv4.PostForm{
			Algorithm: f["x-amz-algorithm"], Credential: f["x-amz-credential"],
			Date: f["x-amz-date"], Signature: f["x-amz-signature"], Policy: field,
		})
		if err != nil {
			return p, nil, fmt.Errorf("authenticate form (SigV4): %w", err)
		}
	} else {
		for _, name := range []string{"AWSAccessKeyId", "signature"} {
			if f[strings.ToLower(name)] == "" {
				return p, nil, missingPostField(name)
			}
		}
		v := h.v2
		v.Lookup = h.lookup(&p, sigv2.ErrInvalidAccessKeyID)
		if err := v.VerifyPolicy(ctx, f["awsaccesskeyid"], field, f["signature"]); err != nil {
			return p, nil, fmt.Errorf("authenticate form (SigV2): %w", err)
		}
	}
	policy, err := postpolicy.Parse(field)
	if err != nil {
		return p, nil, err
	}
	if err := policy.Check(f, req.bucket, h.cfg.Now()); err != nil {
		return p, nil, err
	}
	return p, policy, nil
}

// postSignatureFields are the fields that sign a form, SigV4's and SigV2's.
var postSignatureFields = []string{"x-amz-algorithm", "x-amz-credential", "x-amz-signature", "awsaccesskeyid", "signature"}

// anonymousPost decides a form upload without a policy. As on AWS, it is
// anonymous, and taken only into a bucket whose ACL grants everyone WRITE
// (public-read-write), by the rule every anonymous write follows; the
// object then belongs to the bucket's owner, as an anonymous PUT's does.
// With no policy there are no conditions to check. A form that carries
// signature fields is signed, never anonymous: without its policy it is
// refused.
func (h *Handler) anonymousPost(req *request, f postpolicy.Form) (auth.Principal, *postpolicy.Policy, error) {
	for _, name := range postSignatureFields {
		if _, ok := f[name]; ok {
			return auth.Principal{}, nil, missingPostField("policy")
		}
	}
	if err := h.anonymousMayWrite(req.ctx(), req.bucket); err != nil {
		return auth.Principal{}, nil, fmt.Errorf("anonymous form upload: %w", err)
	}
	return auth.Anonymous(), nil, nil
}

func missingPostField(name string) error {
	return &apiError{code: codeInvalidArgument,
		message: fmt.Sprintf("Bucket POST must contain a field named '%s'.  If it is specified, please check the order of the fields.", name),
		fields:  []errorField{{"ArgumentName", name}, {"ArgumentValue", ""}}}
}

// postPutInput is the PutObject a form upload means: its fields in the
// place of a PUT's headers, its file as the body.
func postPutInput(req *request, form *postForm, policy *postpolicy.Policy) (object.PutInput, error) {
	hdr := http.Header{}
	for name, value := range form.fields {
		if strings.HasPrefix(name, "x-amz-meta-") || strings.HasPrefix(name, "x-amz-checksum-") || containsString(postFieldHeaders, name) {
			hdr.Set(name, value)
		}
	}
	in := object.PutInput{Bucket: req.bucket, Key: req.key, Size: -1, Form: true}
	var err error
	if in.Attrs, err = parseObjectAttrs(hdr); err != nil {
		return in, err
	}
	if in.Attrs.ACL, err = postACL(form.fields); err != nil {
		return in, err
	}
	if doc, ok := form.fields["tagging"]; ok {
		var t taggingRequest
		if err := xmlUnmarshal([]byte(doc), &t); err != nil {
			return in, err
		}
		if in.Attrs.Tags, err = tagsOf(t); err != nil {
			return in, err
		}
	}
	if in.ContentMD5, err = parseContentMD5(hdr); err != nil {
		return in, err
	}
	if in.Checksum, err = parseChecksumOf(hdr, noTrailer); err != nil {
		return in, err
	}
	in.Body = io.Reader(form.file)
	if policy != nil {
		if lo, hi, ok := policy.LengthRange(); ok {
			in.Body = &rangedBody{r: form.file, lo: lo, hi: hi}
		}
	}
	return in, nil
}

// postACL is the canned ACL a form's acl field gives the object, as
// PutObject's x-amz-acl does: private without one. The canned ACLs S3
// defines and Quarry cannot honour answer NotImplemented rather than being
// ignored, a name S3 does not define InvalidArgument.
func postACL(fields postpolicy.Form) (acl.Canned, error) {
	name, ok := fields["acl"]
	if !ok {
		return acl.Private, nil
	}
	c, err := acl.ParseCanned(name)
	return c, aclError(err)
}

func containsString(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// rangedBody enforces a policy's content-length-range on the file as it
// streams: past hi it fails at once, and below lo it fails instead of
// ending, so the object service stores nothing either way.
type rangedBody struct {
	r      io.Reader
	n      int64
	lo, hi int64
}

func (b *rangedBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	b.n += int64(n)
	if b.n > b.hi {
		return n, &apiError{code: codeEntityTooLarge, message: "Your proposed upload exceeds the maximum allowed size",
			fields: []errorField{{"MaxSizeAllowed", strconv.FormatInt(b.hi, 10)}}}
	}
	if err == io.EOF && b.n < b.lo {
		return n, &apiError{code: codeEntityTooSmall, message: "Your proposed upload is smaller than the minimum allowed size",
			fields: []errorField{{"ProposedSize", strconv.FormatInt(b.n, 10)}, {"MinSizeAllowed", strconv.FormatInt(b.lo, 10)}}}
	}
	return n, err
}

// objectURL is the URL of the request's object, as AWS names it in a form
// upload's Location: the key escaped, slashes included.
func (h *Handler) objectURL(req *request) string {
	scheme := "http"
	if req.r.TLS != nil {
		scheme = "https"
	}
	base := scheme + "://" + req.r.Host + "/"
	if virtualHostBucket(req.r.Host, h.cfg.Domain) == "" {
		base += escapeAll(req.bucket) + "/"
	}
	return base + escapeAll(req.key)
}

// escapeAll percent-encodes every byte but A-Z a-z 0-9 - . _ ~.
func escapeAll(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || strings.IndexByte("-._~", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&0xf])
	}
	return b.String()
}

// postResponse is the document of success_action_status 201.
type postResponse struct {
	XMLName  xml.Name `xml:"PostResponse"`
	Location string   `xml:"Location"`
	Bucket   string   `xml:"Bucket"`
	Key      string   `xml:"Key"`
	ETag     string   `xml:"ETag"`
}

// writePostResult answers a stored form upload as the form asks: a 303 to
// success_action_redirect (or the older redirect) with the bucket, key and
// ETag added to its query; else success_action_status 200 or 201 (with a
// PostResponse document), and 204 for anything else.
func writePostResult(w http.ResponseWriter, fields postpolicy.Form, bucket, key, etag, location string) error {
	for _, name := range []string{"success_action_redirect", "redirect"} {
		target, err := url.Parse(fields[name])
		if fields[name] == "" || err != nil || target.Scheme == "" || target.Host == "" {
			continue // AWS ignores a URL it cannot use
		}
		add := url.Values{"bucket": {bucket}, "key": {key}, "etag": {etag}}.Encode()
		if target.RawQuery != "" {
			target.RawQuery += "&" + add
		} else {
			target.RawQuery = add
		}
		w.Header().Set("Location", target.String())
		w.WriteHeader(http.StatusSeeOther)
		return nil
	}
	switch fields["success_action_status"] {
	case "200":
		w.WriteHeader(http.StatusOK)
	case "201":
		return writeXMLStatus(w, http.StatusCreated, postResponse{Location: location, Bucket: bucket, Key: key, ETag: etag})
	default:
		w.WriteHeader(http.StatusNoContent)
	}
	return nil
}

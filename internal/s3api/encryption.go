package s3api

import (
	"encoding/xml"
	"errors"
	"net/http"
	"strings"

	"github.com/quarrylabs/quarry/internal/meta"
	"github.com/quarrylabs/quarry/internal/object"
)

// Server-side encryption: SSE-S3 (x-amz-server-side-encryption: AES256)
// is served; SSE-KMS and SSE-C are answered NotImplemented, with a message
// that says so, before anything is stored.

const (
	sseHeader          = "X-Amz-Server-Side-Encryption"
	sseKMSKeyHeader    = "X-Amz-Server-Side-Encryption-Aws-Kms-Key-Id"
	sseKMSContextHdr   = "X-Amz-Server-Side-Encryption-Context"
	sseCustomerPrefix  = "X-Amz-Server-Side-Encryption-Customer-"
	sseCopyCustPrefix  = "X-Amz-Copy-Source-Server-Side-Encryption-Customer-"
	kmsNotImplemented  = "Server-side encryption with KMS keys (aws:kms, aws:kms:dsse) is not supported by this server; use AES256 (SSE-S3)."
	sseCNotImplemented = "Server-side encryption with customer-provided keys (SSE-C) is not supported by this server; use AES256 (SSE-S3)."
)

// isKMS reports an algorithm that needs a KMS.
func isKMS(alg string) bool { return strings.HasPrefix(strings.ToLower(alg), "aws:kms") }

// checkNoCustomerKeys refuses SSE-C on any request: an object encrypted
// with a key Quarry never saw cannot be served, and a key sent for one
// must not be silently ignored.
func checkNoCustomerKeys(h http.Header) error {
	for name := range h {
		if strings.HasPrefix(name, sseCustomerPrefix) || strings.HasPrefix(name, sseCopyCustPrefix) {
			return errorf(codeNotImplemented, sseCNotImplemented)
		}
	}
	return nil
}

// parseSSE reads the encryption a write asks for: "" (none asked) or
// meta.SSEAES256.
func parseSSE(h http.Header) (string, error) {
	_, hasKMSKey := h[sseKMSKeyHeader]
	_, hasKMSContext := h[sseKMSContextHdr]
	v := h.Get(sseHeader)
	switch {
	case isKMS(v) || hasKMSKey || hasKMSContext:
		return "", errorf(codeNotImplemented, kmsNotImplemented)
	case v == "":
		return "", nil
	case v == meta.SSEAES256:
		return v, nil
	}
	return "", &apiError{
		code:    codeInvalidArgument,
		message: "The encryption method specified is not supported",
		fields:  []errorField{{"ArgumentName", "x-amz-server-side-encryption"}, {"ArgumentValue", v}},
	}
}

// setSSEHeader names the encryption a stored object or part is under.
func setSSEHeader(hdr http.Header, sse string) {
	if sse != "" {
		hdr.Set(sseHeader, sse)
	}
}

// partSSE is the encryption of a stored part.
func partSSE(p *meta.Part) string {
	if len(p.SealedKey) > 0 {
		return meta.SSEAES256
	}
	return ""
}

type sseByDefault struct {
	SSEAlgorithm   string `xml:"SSEAlgorithm"`
	KMSMasterKeyID string `xml:"KMSMasterKeyID,omitempty"`
}

type sseRule struct {
	ApplyServerSideEncryptionByDefault *sseByDefault `xml:"ApplyServerSideEncryptionByDefault"`
	BucketKeyEnabled                   *bool         `xml:"BucketKeyEnabled"`
}

type serverSideEncryptionConfiguration struct {
	XMLName xml.Name  `xml:"http://s3.amazonaws.com/doc/2006-03-01/ ServerSideEncryptionConfiguration"`
	Rules   []sseRule `xml:"Rule"`
}

type serverSideEncryptionRequest struct {
	XMLName xml.Name  `xml:"ServerSideEncryptionConfiguration"`
	Rules   []sseRule `xml:"Rule"`
}

// bucketEncryptionFromXML checks a PutBucketEncryption document.
func bucketEncryptionFromXML(doc *serverSideEncryptionRequest) (object.BucketEncryption, error) {
	if len(doc.Rules) != 1 {
		return object.BucketEncryption{}, errorf(codeMalformedXML, "A server-side encryption configuration holds exactly one Rule.")
	}
	rule := doc.Rules[0]
	def := rule.ApplyServerSideEncryptionByDefault
	if def == nil {
		return object.BucketEncryption{}, errorf(codeMalformedXML, "The Rule must hold ApplyServerSideEncryptionByDefault.")
	}
	switch {
	case isKMS(def.SSEAlgorithm):
		return object.BucketEncryption{}, errorf(codeNotImplemented, kmsNotImplemented)
	case def.SSEAlgorithm != meta.SSEAES256:
		return object.BucketEncryption{}, errorf(codeMalformedXML, "SSEAlgorithm must be AES256.")
	case def.KMSMasterKeyID != "":
		return object.BucketEncryption{}, errorf(codeInvalidArgument, "KMSMasterKeyID is valid only with the aws:kms algorithm.")
	}
	cfg := object.BucketEncryption{Algorithm: def.SSEAlgorithm}
	if rule.BucketKeyEnabled != nil {
		cfg.BucketKeyEnabled = *rule.BucketKeyEnabled
	}
	return cfg, nil
}

func (h *Handler) putBucketEncryption(w http.ResponseWriter, req *request) error {
	var doc serverSideEncryptionRequest
	if err := readXMLBody(req, &doc); err != nil {
		return err
	}
	cfg, err := bucketEncryptionFromXML(&doc)
	if err != nil {
		return err
	}
	if err := h.cfg.Objects.PutBucketEncryption(req.ctx(), req.principal, req.bucket, cfg); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

func (h *Handler) getBucketEncryption(w http.ResponseWriter, req *request) error {
	cfg, err := h.cfg.Objects.GetBucketEncryption(req.ctx(), req.principal, req.bucket)
	if errors.Is(err, object.ErrNoSuchEncryptionConfig) {
		return &apiError{code: codeSSEConfigurationNotFound, cause: err}
	}
	if err != nil {
		return err
	}
	keyEnabled := cfg.BucketKeyEnabled
	return writeXML(w, serverSideEncryptionConfiguration{Rules: []sseRule{{
		ApplyServerSideEncryptionByDefault: &sseByDefault{SSEAlgorithm: cfg.Algorithm},
		BucketKeyEnabled:                   &keyEnabled,
	}}})
}

func (h *Handler) deleteBucketEncryption(w http.ResponseWriter, req *request) error {
	if err := h.cfg.Objects.DeleteBucketEncryption(req.ctx(), req.principal, req.bucket); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// bucketEncryptionOp routes ?encryption on a bucket.
func bucketEncryptionOp(method string) string {
	switch method {
	case http.MethodGet:
		return opGetBucketEncryption
	case http.MethodPut:
		return opPutBucketEncryption
	case http.MethodDelete:
		return opDeleteBucketEncryption
	}
	return opMethodNotAllowed
}

package s3api

import (
	"context"
	"errors"
	"net/http"

	"github.com/quarrylabs/quarry/internal/auth"
	"github.com/quarrylabs/quarry/internal/lifecycle"
)

// BucketLifecycle stores bucket lifecycle configurations (implemented by
// *lifecycle.Service).
type BucketLifecycle interface {
	Put(ctx context.Context, p auth.Principal, bucket string, cfg *lifecycle.Config) error
	// Get returns lifecycle.ErrNoConfig when the bucket has none.
	Get(ctx context.Context, p auth.Principal, bucket string) (*lifecycle.Config, error)
	Delete(ctx context.Context, p auth.Principal, bucket string) error
}

// lifecycleService returns the configured service, or NotImplemented for a
// server run without lifecycle.
func (h *Handler) lifecycleService() (BucketLifecycle, error) {
	if h.cfg.Lifecycle == nil {
		return nil, errorf(codeNotImplemented, "Bucket lifecycle configuration is not enabled on this server.")
	}
	return h.cfg.Lifecycle, nil
}

// putBucketLifecycle is PutBucketLifecycleConfiguration. As on AWS the
// caller's right to the bucket is checked before the document is read, and
// the document must come with an integrity check: Content-MD5 or an
// x-amz-checksum-* header or trailer (the SDKs and the aws CLI send one).
func (h *Handler) putBucketLifecycle(w http.ResponseWriter, req *request) error {
	svc, err := h.lifecycleService()
	if err != nil {
		return err
	}
	if _, err := h.cfg.Objects.HeadBucket(req.ctx(), req.principal, req.bucket); err != nil {
		return err
	}
	if !hasIntegrityHeader(req.r.Header) {
		return errorf(codeInvalidRequest, "Missing required header for this request: Content-MD5")
	}
	var doc lifecycleRequest
	if err := readXMLBody(req, &doc); err != nil {
		return err
	}
	cfg, err := lifecycleFromXML(&doc)
	if err != nil {
		return err
	}
	if err := svc.Put(req.ctx(), req.principal, req.bucket, cfg); err != nil {
		return lifecycleError(req.bucket, err)
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

func (h *Handler) getBucketLifecycle(w http.ResponseWriter, req *request) error {
	svc, err := h.lifecycleService()
	if err != nil {
		return err
	}
	cfg, err := svc.Get(req.ctx(), req.principal, req.bucket)
	if err != nil {
		return lifecycleError(req.bucket, err)
	}
	return writeXML(w, lifecycleXML(cfg))
}

func (h *Handler) deleteBucketLifecycle(w http.ResponseWriter, req *request) error {
	svc, err := h.lifecycleService()
	if err != nil {
		return err
	}
	if err := svc.Delete(req.ctx(), req.principal, req.bucket); err != nil {
		return lifecycleError(req.bucket, err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// hasIntegrityHeader reports whether a request body comes with a digest to
// check it against: Content-MD5, an x-amz-checksum-* header, or a checksum
// trailer.
func hasIntegrityHeader(h http.Header) bool {
	if h.Get("Content-Md5") != "" || h.Get("X-Amz-Trailer") != "" {
		return true
	}
	for _, alg := range checksumAlgorithms {
		if h.Get(checksumHeader(alg)) != "" {
			return true
		}
	}
	return false
}

// lifecycleError gives the lifecycle service's errors their S3 codes.
// Configuration faults keep their message, which names the rule at fault;
// other errors (NoSuchBucket, AccessDenied) go through the table.
func lifecycleError(bucket string, err error) error {
	var ve *lifecycle.ValidationError
	switch {
	case errors.Is(err, lifecycle.ErrNoConfig):
		return &apiError{code: codeNoSuchLifecycleConfiguration, fields: []errorField{{"BucketName", bucket}}, cause: err}
	case errors.As(err, &ve):
		code := codeInvalidArgument
		switch {
		case errors.Is(ve, lifecycle.ErrMalformed):
			code = codeMalformedXML
		case errors.Is(ve, lifecycle.ErrInvalidRequest):
			code = codeInvalidRequest
		}
		return &apiError{code: code, message: ve.Message, cause: err}
	}
	return err
}

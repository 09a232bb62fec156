package s3api

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/quarrylabs/quarry/internal/auth"
	"github.com/quarrylabs/quarry/internal/replication"
)

// BucketReplication stores bucket replication configurations
// (implemented by *replication.Service).
type BucketReplication interface {
	PutBucketReplication(ctx context.Context, p auth.Principal, bucket string, cfg *replication.Config) error
	// GetBucketReplication returns replication.ErrNoConfig when the
	// bucket has none.
	GetBucketReplication(ctx context.Context, p auth.Principal, bucket string) (*replication.Config, error)
	DeleteBucketReplication(ctx context.Context, p auth.Principal, bucket string) error
}

// replicaHeader, set to "true" by Quarry's replicator on the writes it
// makes, marks the object (or delete marker) as a replica: it is never
// replicated again, so two buckets replicating to each other do not loop.
const replicaHeader = "X-Quarry-Replica"

func isReplicaWrite(h http.Header) bool { return strings.EqualFold(h.Get(replicaHeader), "true") }

// replicationService returns the configured service, or NotImplemented
// for a server run without replication.
func (h *Handler) replicationService() (BucketReplication, error) {
	if h.cfg.Replication == nil {
		return nil, errorf(codeNotImplemented, "Bucket replication is not enabled on this server.")
	}
	return h.cfg.Replication, nil
}

func (h *Handler) putBucketReplication(w http.ResponseWriter, req *request) error {
	svc, err := h.replicationService()
	if err != nil {
		return err
	}
	var doc replicationRequest
	if err := readXMLBody(req, &doc); err != nil {
		return err
	}
	cfg, err := configFromXML(&doc)
	if err != nil {
		return err
	}
	if err := svc.PutBucketReplication(req.ctx(), req.principal, req.bucket, cfg); err != nil {
		return replicationError(err)
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

func (h *Handler) getBucketReplication(w http.ResponseWriter, req *request) error {
	svc, err := h.replicationService()
	if err != nil {
		return err
	}
	cfg, err := svc.GetBucketReplication(req.ctx(), req.principal, req.bucket)
	if err != nil {
		return replicationError(err)
	}
	return writeXML(w, configXML(cfg))
}

func (h *Handler) deleteBucketReplication(w http.ResponseWriter, req *request) error {
	svc, err := h.replicationService()
	if err != nil {
		return err
	}
	if err := svc.DeleteBucketReplication(req.ctx(), req.principal, req.bucket); err != nil {
		return replicationError(err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// replicationError gives the replication service's errors their S3 codes.
// Configuration faults keep their text, which names the rule or ARN at
// fault; other errors (NoSuchBucket, AccessDenied) go through the table.
func replicationError(err error) error {
	switch {
	case errors.Is(err, replication.ErrNoConfig):
		return &apiError{code: codeReplicationConfigurationNotFound, cause: err}
	case errors.Is(err, replication.ErrVersioningNotEnabled):
		return &apiError{code: codeInvalidRequest, message: "Versioning must be 'Enabled' on the bucket to apply a replication configuration", cause: err}
	case errors.Is(err, replication.ErrUnknownTarget), errors.Is(err, replication.ErrInvalidConfig):
		return &apiError{code: codeInvalidArgument, message: err.Error(), cause: err}
	case errors.Is(err, replication.ErrTargetNotPermitted):
		// The text names the bucket's owner and the ARN the caller sent.
		return &apiError{code: codeAccessDenied, message: err.Error(), cause: err}
	}
	return err
}

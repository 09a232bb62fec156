// Package object is the object service: what a bucket or object operation
// means, independent of the protocol that asked for it. It writes data to the
// blob store first, then commits the metadata change, the usage counters and
// the blobs it made garbage in one transaction.
package object

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/quarrylabs/quarry/internal/auth"
	"github.com/quarrylabs/quarry/internal/blob"
	"github.com/quarrylabs/quarry/internal/meta"
)

var errTODO = errors.New("not implemented")

// Config configures a Service.
type Config struct {
	Meta  meta.Store
	Blobs blob.Store
	// Logger defaults to slog.Default().
	Logger *slog.Logger
	// Now defaults to time.Now.
	Now func() time.Time
	// MinPartSize defaults to MinPartSize (5 MiB).
	MinPartSize int64
}

// Service carries out bucket and object operations for a principal.
type Service struct {
	cfg Config
}

// New returns a Service.
func New(cfg Config) *Service {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.MinPartSize == 0 {
		cfg.MinPartSize = MinPartSize
	}
	return &Service{cfg: cfg}
}

// CreateBucket creates a bucket owned by p.
func (s *Service) CreateBucket(ctx context.Context, p auth.Principal, name string) error {
	return errTODO
}

// DeleteBucket deletes an empty bucket.
func (s *Service) DeleteBucket(ctx context.Context, p auth.Principal, name string) error {
	return errTODO
}

// HeadBucket returns the bucket if it exists and p may use it.
func (s *Service) HeadBucket(ctx context.Context, p auth.Principal, name string) (*meta.Bucket, error) {
	return nil, errTODO
}

// ListBuckets lists p's buckets (every bucket for an admin).
func (s *Service) ListBuckets(ctx context.Context, p auth.Principal) ([]meta.Bucket, error) {
	return nil, errTODO
}

// SetVersioning sets Enabled or Suspended.
func (s *Service) SetVersioning(ctx context.Context, p auth.Principal, bucket string, v meta.Versioning) error {
	return errTODO
}

// GetBucketTags returns ErrNoSuchTagSet when the bucket has none.
func (s *Service) GetBucketTags(ctx context.Context, p auth.Principal, bucket string) (map[string]string, error) {
	return nil, errTODO
}

// PutBucketTags replaces the bucket's tag set.
func (s *Service) PutBucketTags(ctx context.Context, p auth.Principal, bucket string, tags map[string]string) error {
	return errTODO
}

// DeleteBucketTags removes the bucket's tag set.
func (s *Service) DeleteBucketTags(ctx context.Context, p auth.Principal, bucket string) error {
	return errTODO
}

// Usage returns the bucket's usage counters.
func (s *Service) Usage(ctx context.Context, p auth.Principal, bucket string) (meta.Usage, error) {
	return meta.Usage{}, errTODO
}

// PutObject stores an object.
func (s *Service) PutObject(ctx context.Context, p auth.Principal, in PutInput) (*meta.Version, error) {
	return nil, errTODO
}

// GetObject returns an object's data and attributes. The caller closes Body.
func (s *Service) GetObject(ctx context.Context, p auth.Principal, in GetInput) (*GetOutput, error) {
	return nil, errTODO
}

// HeadObject is GetObject without a body.
func (s *Service) HeadObject(ctx context.Context, p auth.Principal, in GetInput) (*GetOutput, error) {
	return nil, errTODO
}

// DeleteObject deletes a key (creating a delete marker when versioning is
// on) or, with a version id, that version. Deleting what does not exist
// succeeds.
func (s *Service) DeleteObject(ctx context.Context, p auth.Principal, bucket, key, versionID string) (DeleteResult, error) {
	return DeleteResult{}, errTODO
}

// CopyObject copies an object.
func (s *Service) CopyObject(ctx context.Context, p auth.Principal, in CopyInput) (*CopyResult, error) {
	return nil, errTODO
}

// ListObjects lists current objects.
func (s *Service) ListObjects(ctx context.Context, p auth.Principal, in ListInput) (*ListOutput, error) {
	return nil, errTODO
}

// ListVersions lists versions and delete markers.
func (s *Service) ListVersions(ctx context.Context, p auth.Principal, in ListVersionsInput) (*ListVersionsOutput, error) {
	return nil, errTODO
}

// GetObjectTags returns the tags of a version (the latest when versionID is
// empty) and the version id they belong to.
func (s *Service) GetObjectTags(ctx context.Context, p auth.Principal, bucket, key, versionID string) (map[string]string, string, error) {
	return nil, "", errTODO
}

// PutObjectTags replaces a version's tags and returns its version id.
func (s *Service) PutObjectTags(ctx context.Context, p auth.Principal, bucket, key, versionID string, tags map[string]string) (string, error) {
	return "", errTODO
}

// DeleteObjectTags removes a version's tags and returns its version id.
func (s *Service) DeleteObjectTags(ctx context.Context, p auth.Principal, bucket, key, versionID string) (string, error) {
	return "", errTODO
}

// CreateMultipartUpload starts a multipart upload.
func (s *Service) CreateMultipartUpload(ctx context.Context, p auth.Principal, bucket, key string, attrs ObjectAttrs, checksumAlgorithm, checksumType string) (*meta.Upload, error) {
	return nil, errTODO
}

// UploadPart stores one part.
func (s *Service) UploadPart(ctx context.Context, p auth.Principal, in PartInput) (*meta.Part, error) {
	return nil, errTODO
}

// UploadPartCopy stores one part copied from an existing object.
func (s *Service) UploadPartCopy(ctx context.Context, p auth.Principal, in PartCopyInput) (*meta.Part, *meta.Version, error) {
	return nil, nil, errTODO
}

// CompleteMultipartUpload assembles the listed parts into the object.
func (s *Service) CompleteMultipartUpload(ctx context.Context, p auth.Principal, bucket, key, uploadID string, parts []CompletePart) (*meta.Version, error) {
	return nil, errTODO
}

// AbortMultipartUpload discards an upload and its parts.
func (s *Service) AbortMultipartUpload(ctx context.Context, p auth.Principal, bucket, key, uploadID string) error {
	return errTODO
}

// ListParts lists an upload's parts after marker.
func (s *Service) ListParts(ctx context.Context, p auth.Principal, bucket, key, uploadID string, marker, maxParts int) (*ListPartsOutput, error) {
	return nil, errTODO
}

// ListUploads lists a bucket's multipart uploads in progress.
func (s *Service) ListUploads(ctx context.Context, p auth.Principal, in ListUploadsInput) (*ListUploadsOutput, error) {
	return nil, errTODO
}

// Run empties the blob trash until ctx ends: blobs that committed changes
// stopped referring to are deleted from the blob store.
func (s *Service) Run(ctx context.Context) error {
	<-ctx.Done()
	return nil
}

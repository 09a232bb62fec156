package replication

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/quarrylabs/quarry/internal/auth"
	"github.com/quarrylabs/quarry/internal/meta"
	"github.com/quarrylabs/quarry/internal/object"
)

var errTODO = errors.New("not implemented")

// ServiceConfig configures the control plane.
type ServiceConfig struct {
	Meta    meta.Store
	Objects *object.Service
	Sealer  *auth.Sealer
	// Region is the region named in the ARNs of new targets.
	Region string
	Logger *slog.Logger
	Now    func() time.Time
}

// TargetInput is what replication_target/create takes.
type TargetInput struct {
	Name               string
	Endpoint           string
	Region             string
	AccessKey          string
	SecretKey          string
	Bucket             string
	InsecureSkipVerify bool
}

// Service manages replication targets and bucket replication
// configurations, and plans the replication of new writes for the object
// service.
type Service struct {
	cfg ServiceConfig
}

// NewService returns a Service.
func NewService(cfg ServiceConfig) *Service { return &Service{cfg: cfg} }

// CreateTarget stores a new target (admin only) with its secret sealed.
func (s *Service) CreateTarget(ctx context.Context, p auth.Principal, in TargetInput) (*meta.ReplicationTarget, error) {
	return nil, errTODO
}

// ListTargets lists every target (admin only).
func (s *Service) ListTargets(ctx context.Context, p auth.Principal) ([]meta.ReplicationTarget, error) {
	return nil, errTODO
}

// DeleteTarget removes a target no bucket uses (admin only).
func (s *Service) DeleteTarget(ctx context.Context, p auth.Principal, arn string) error {
	return errTODO
}

// TestTarget checks that the target answers, accepts its credentials and
// has its bucket (admin only).
func (s *Service) TestTarget(ctx context.Context, p auth.Principal, arn string) error {
	return errTODO
}

// Target returns a target and its secret in clear, for the data plane.
func (s *Service) Target(ctx context.Context, arn string) (*meta.ReplicationTarget, string, error) {
	return nil, "", errTODO
}

// PutBucketReplication validates and stores a bucket's configuration.
func (s *Service) PutBucketReplication(ctx context.Context, p auth.Principal, bucket string, cfg *Config) error {
	return errTODO
}

// GetBucketReplication returns ErrNoConfig when the bucket has none.
func (s *Service) GetBucketReplication(ctx context.Context, p auth.Principal, bucket string) (*Config, error) {
	return nil, errTODO
}

// DeleteBucketReplication removes the bucket's configuration.
func (s *Service) DeleteBucketReplication(ctx context.Context, p auth.Principal, bucket string) error {
	return errTODO
}

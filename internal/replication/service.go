package replication

import (
	"log/slog"
	"time"

	"github.com/quarrylabs/quarry/internal/auth"
	"github.com/quarrylabs/quarry/internal/meta"
	"github.com/quarrylabs/quarry/internal/object"
)

// DefaultRegion is the region of targets created without one, and of the
// ARNs of a Service configured without one.
const DefaultRegion = "us-east-1"

// ServiceConfig configures the control plane.
type ServiceConfig struct {
	Meta meta.Store
	// Objects is the object service the data plane reads sources from.
	// The control plane itself works on Meta only (bucket checks run in
	// the same transaction as the change they guard), so this Service can
	// be built first and given to object.New as its ReplicationPlanner.
	Objects *object.Service
	Sealer  *auth.Sealer
	// Region is the region named in the ARNs of new targets
	// (DefaultRegion when empty).
	Region string
	// Logger defaults to slog.Default().
	Logger *slog.Logger
	// Now defaults to time.Now.
	Now func() time.Time
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
	// Grants are who besides its owner may use the target.
	Grants Grants
}

// Service manages replication targets and bucket replication
// configurations, and plans the replication of new writes for the object
// service (it implements object.ReplicationPlanner).
type Service struct {
	cfg ServiceConfig
	// configs caches decoded bucket configurations for Plan.
	configs *configCache
}

// NewService returns a Service.
func NewService(cfg ServiceConfig) *Service {
	if cfg.Region == "" {
		cfg.Region = DefaultRegion
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Service{cfg: cfg, configs: newConfigCache()}
}

func (s *Service) now() time.Time { return s.cfg.Now().UTC() }

package replication

import (
	"log/slog"
	"sync/atomic"
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
	// Notify, when set, wakes the live replicator after a commit that
	// queued replication tasks (see also SetNotify).
	Notify func()
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
	// notify is the replicator's wake-up, settable after construction
	// because the replicator is built after the object service.
	notify atomic.Pointer[func()]
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
	s := &Service{cfg: cfg, configs: newConfigCache()}
	if cfg.Notify != nil {
		s.SetNotify(cfg.Notify)
	}
	return s
}

// SetNotify sets the function Notify calls (the live replicator's
// wake-up). It is safe to call while the service is in use.
func (s *Service) SetNotify(fn func()) {
	if fn == nil {
		s.notify.Store(nil)
		return
	}
	s.notify.Store(&fn)
}

// Notify wakes the live replicator, if one is set. The object service
// calls it after committing a version that queued replication tasks.
func (s *Service) Notify() {
	if s == nil {
		return
	}
	if fn := s.notify.Load(); fn != nil {
		(*fn)()
	}
}

func (s *Service) now() time.Time { return s.cfg.Now().UTC() }

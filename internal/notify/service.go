package notify

import (
	"log/slog"
	"sync"
	"time"

	"github.com/quarrylabs/quarry/internal/auth"
	"github.com/quarrylabs/quarry/internal/meta"
	"github.com/quarrylabs/quarry/internal/outbox"
)

// ServiceConfig configures a Service.
type ServiceConfig struct {
	Meta   meta.Store
	Sealer *auth.Sealer
	// Types are the target types, by name ("webhook").
	Types map[string]TargetType
	// Region is named in the ARNs of new targets and in events
	// (DefaultRegion when empty).
	Region string
	// Logger defaults to slog.Default().
	Logger *slog.Logger
	// Now defaults to time.Now.
	Now func() time.Time
}

// Service manages notification targets and bucket notification
// configurations, plans the events of object changes for the object
// service (it implements object.EventPlanner) and delivers them (its
// Delivery is the outbox's notification delivery).
type Service struct {
	cfg     ServiceConfig
	configs *configCache

	mu sync.Mutex
	// senders are the open senders, by target ARN. A target never changes
	// where it sends (only its grants change), so one stays valid for the
	// target's life.
	senders map[string]Sender
	// breaker notes targets that do not answer, for the job's deliveries
	// (the drainer keeps its own).
	breaker *outbox.Breaker
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
	return &Service{cfg: cfg, configs: newConfigCache(), senders: map[string]Sender{}, breaker: outbox.NewBreaker(cfg.Now)}
}

func (s *Service) now() time.Time { return s.cfg.Now().UTC() }

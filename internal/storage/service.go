// Package storage is where object data is kept: the storage components
// registered through the management API (buckets on S3 endpoints), their
// storage classes and fault domains, and the Router that sends the blob
// calls of the running server to the store in use.
//
// In this release one component at most is in service (ACTIVE, READ_ONLY
// or PAUSED): the server keeps its object data there, or on the local disk
// under the data directory when none is, or where the --blob flag says
// when it is given (then registered components are kept and tested but
// not used). A component is put in service (activated) only while the
// server holds no object data, and taken out of service (decommissioned)
// only then: moving data between stores is not part of this release.
package storage

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/quarrylabs/quarry/internal/auth"
	"github.com/quarrylabs/quarry/internal/blob"
	blobs3 "github.com/quarrylabs/quarry/internal/blob/s3"
	"github.com/quarrylabs/quarry/internal/meta"
)

// Errors the service's callers tell apart; the texts after them are for
// people.
var (
	ErrInvalid  = errors.New("invalid storage request")
	ErrNotFound = errors.New("no such storage record")
	ErrConflict = errors.New("storage conflict")
)

// Defaults of Config.
const (
	defaultRecheck      = 5 * time.Second
	defaultProbeTimeout = 15 * time.Second
)

// settingSiteID holds the UUID components show as their site affiliation.
const settingSiteID = "storage.site_id"

// Config configures a Service. Meta and Sealer are required, and either
// Local or Fixed.
type Config struct {
	Meta   meta.Store
	Sealer *auth.Sealer
	// Local is the local disk store, where data is kept while no
	// component is in service; LocalDir its directory (for capacity).
	Local    blob.Store
	LocalDir string
	// Fixed, when set, is the store the --blob flag names (FixedName, for
	// logs and answers): the server keeps its data there whatever is
	// registered.
	Fixed     blob.Store
	FixedName string
	Logger    *slog.Logger
	// Recheck is how often Run reads the component in service, to follow
	// changes made through other nodes (5 s when zero).
	Recheck time.Duration
	// ProbeTimeout bounds a component test (15 s when zero).
	ProbeTimeout time.Duration
	Now          func() time.Time
}

// Service manages storage components, classes and fault domains, and
// keeps the Router on the store in use.
type Service struct {
	cfg    Config
	router *Router

	// mu serialises switches of the router, and guards using.
	mu sync.Mutex
	// using is the component the router is on (nil: no component).
	using *meta.StorageComponent
}

// New returns a service; Open makes its router.
func New(cfg Config) *Service {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Recheck <= 0 {
		cfg.Recheck = defaultRecheck
	}
	if cfg.ProbeTimeout <= 0 {
		cfg.ProbeTimeout = defaultProbeTimeout
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Service{cfg: cfg}
}

// Open makes sure a default storage class exists and returns the router
// the server's services write to: on the --blob store when given, else on
// the component in service, else on the local disk.
func (s *Service) Open(ctx context.Context) (*Router, error) {
	if err := s.EnsureDefaultClass(ctx); err != nil {
		return nil, err
	}
	inService, err := s.inService(ctx)
	if err != nil {
		return nil, err
	}
	if s.cfg.Fixed != nil {
		if inService != nil {
			s.cfg.Logger.Warn("storage component in service is not used: --blob names where this server keeps its data",
				"component", inService.ID, "label", inService.Label, "blob", s.cfg.FixedName)
		}
		s.router = NewRouter(s.cfg.Fixed, s.cfg.FixedName)
		return s.router, nil
	}
	if inService == nil {
		s.router = NewRouter(s.cfg.Local, "local disk")
		return s.router, nil
	}
	store, err := s.build(inService)
	if err != nil {
		return nil, fmt.Errorf("storage component %d (%s): %w", inService.ID, inService.Label, err)
	}
	s.router = newRouterOn(store, inService)
	s.using = inService
	s.cfg.Logger.Info("object data on storage component", "component", inService.ID, "label", inService.Label,
		"state", inService.State, "bucket", store.Config().String())
	return s.router, nil
}

func newRouterOn(store blob.Store, c *meta.StorageComponent) *Router {
	return &Router{cur: newRouted(store, c.State, componentName(c))}
}

func componentName(c *meta.StorageComponent) string { return fmt.Sprintf("%d (%s)", c.ID, c.Label) }

// Router returns the router Open made.
func (s *Service) Router() *Router { return s.router }

// Fixed reports whether the --blob flag decides where data is kept.
func (s *Service) Fixed() bool { return s.cfg.Fixed != nil }

// Run follows changes of the component in service made through other
// nodes until ctx ends.
func (s *Service) Run(ctx context.Context) error {
	if s.cfg.Fixed != nil {
		<-ctx.Done()
		return ctx.Err()
	}
	tick := time.NewTicker(s.cfg.Recheck)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
		c, err := s.inService(ctx)
		if err != nil {
			if ctx.Err() == nil {
				s.cfg.Logger.Warn("storage: read the component in service", "err", err)
			}
			continue
		}
		if err := s.use(c); err != nil {
			s.cfg.Logger.Error("storage: switch to the component in service", "component", c.ID, "err", err)
		}
	}
}

// inService returns the component in service, nil when none is.
func (s *Service) inService(ctx context.Context) (*meta.StorageComponent, error) {
	var found *meta.StorageComponent
	err := s.cfg.Meta.View(ctx, func(tx meta.Tx) error {
		var err error
		found, err = inServiceTx(tx)
		return err
	})
	return found, err
}

func inServiceTx(tx meta.Tx) (*meta.StorageComponent, error) {
	all, err := tx.ListStorageComponents()
	if err != nil {
		return nil, err
	}
	for i := range all {
		if all[i].State.InService() {
			return &all[i], nil
		}
	}
	return nil, nil
}

// use points the router at c (nil: the local disk), as it is now in the
// metadata: a new store when its connection changed, the new state
// otherwise. A server on the --blob store never switches.
func (s *Service) use(c *meta.StorageComponent) error {
	if s.cfg.Fixed != nil || s.router == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	prev := s.using
	switch {
	case c == nil && prev == nil:
		return nil
	case c == nil:
		s.router.switchTo(s.cfg.Local, "", "local disk")
		s.cfg.Logger.Info("object data on the local disk again", "was", componentName(prev))
	case prev != nil && prev.ID == c.ID && string(prev.Config) == string(c.Config) && string(prev.SecretsEnc) == string(c.SecretsEnc):
		if prev.State != c.State {
			s.router.setState(c.State)
			s.cfg.Logger.Info("storage component state", "component", componentName(c), "state", c.State)
		}
	default:
		store, err := s.build(c)
		if err != nil {
			return err
		}
		s.router.switchTo(store, c.State, componentName(c))
		s.cfg.Logger.Info("object data on storage component", "component", componentName(c), "state", c.State,
			"bucket", store.Config().String())
	}
	s.using = c
	return nil
}

// build opens a component's blob store.
func (s *Service) build(c *meta.StorageComponent) (*blobs3.Store, error) {
	set, sec, err := s.decode(c)
	if err != nil {
		return nil, err
	}
	return blobs3.New(blobConfig(&set, &sec))
}

// decode reads a component's settings and opens its secrets.
func (s *Service) decode(c *meta.StorageComponent) (Settings, Secrets, error) {
	var (
		set Settings
		sec Secrets
	)
	if err := json.Unmarshal(c.Config, &set); err != nil {
		return set, sec, fmt.Errorf("decode settings of storage component %d: %w", c.ID, err)
	}
	if len(c.SecretsEnc) > 0 {
		plain, err := s.cfg.Sealer.Open(c.SecretsEnc)
		if err != nil {
			return set, sec, fmt.Errorf("open secrets of storage component %d: %w", c.ID, err)
		}
		if err := json.Unmarshal(plain, &sec); err != nil {
			return set, sec, fmt.Errorf("decode secrets of storage component %d: %w", c.ID, err)
		}
	}
	return set, sec, nil
}

// encode stores settings and seals secrets into c.
func (s *Service) encode(c *meta.StorageComponent, set *Settings, sec *Secrets) error {
	doc, err := json.Marshal(set)
	if err != nil {
		return fmt.Errorf("encode storage component settings: %w", err)
	}
	plain, err := json.Marshal(sec)
	if err != nil {
		return fmt.Errorf("encode storage component secrets: %w", err)
	}
	sealed, err := s.cfg.Sealer.Seal(plain)
	if err != nil {
		return fmt.Errorf("seal storage component secrets: %w", err)
	}
	c.Config, c.SecretsEnc = doc, sealed
	return nil
}

// SiteID returns the UUID components show as their site, made once.
func (s *Service) SiteID(ctx context.Context) (string, error) {
	var id string
	err := s.cfg.Meta.Update(ctx, func(tx meta.Tx) error {
		var err error
		id, err = tx.GetSetting(settingSiteID)
		if errors.Is(err, meta.ErrNotFound) {
			id = newUUID()
			return tx.PutSetting(settingSiteID, id)
		}
		return err
	})
	return id, err
}

// newUUID returns a random (version 4) UUID.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// dataIn says where the server holds object data ("" when nowhere): an
// object version or a multipart upload in any bucket.
func dataIn(tx meta.Tx) (string, error) {
	buckets, err := tx.ListBuckets(0)
	if err != nil {
		return "", err
	}
	for _, b := range buckets {
		has, err := tx.HasVersions(b.Name)
		if err != nil {
			return "", err
		}
		if has {
			return fmt.Sprintf("bucket %s holds objects", b.Name), nil
		}
		ups, err := tx.ListUploads(b.Name, "", "", "", 1)
		if err != nil {
			return "", err
		}
		if len(ups) > 0 {
			return fmt.Sprintf("bucket %s has a multipart upload in progress", b.Name), nil
		}
	}
	return "", nil
}

// Describe says where object data is kept now, for logs.
func (s *Service) Describe() string {
	if s.cfg.Fixed != nil {
		return s.cfg.FixedName
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.using != nil {
		return "storage component " + componentName(s.using)
	}
	return "local disk " + s.cfg.LocalDir
}

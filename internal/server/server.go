// Package server wires Quarry's stores and services together and runs its
// listeners: the S3 API and the management API. It is the one place where
// long-running pieces are started and stopped.
package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/quarrylabs/quarry/internal/auth"
	"github.com/quarrylabs/quarry/internal/console"
	"github.com/quarrylabs/quarry/internal/cors"
	"github.com/quarrylabs/quarry/internal/events"
	"github.com/quarrylabs/quarry/internal/job"
	"github.com/quarrylabs/quarry/internal/lifecycle"
	"github.com/quarrylabs/quarry/internal/mapi"
	"github.com/quarrylabs/quarry/internal/metrics"
	"github.com/quarrylabs/quarry/internal/notify"
	"github.com/quarrylabs/quarry/internal/notify/webhook"
	"github.com/quarrylabs/quarry/internal/object"
	"github.com/quarrylabs/quarry/internal/outbox"
	"github.com/quarrylabs/quarry/internal/replication"
	"github.com/quarrylabs/quarry/internal/s3api"
	"github.com/quarrylabs/quarry/internal/sse"
	"github.com/quarrylabs/quarry/internal/tlscert"
	"github.com/quarrylabs/quarry/internal/usage"
)

// Config is what `quarry server` is told by flags and environment.
type Config struct {
	DataDir  string
	S3Addr   string
	MAPIAddr string
	// DebugAddr, when set, serves Go's profiler (/debug/pprof/) on plain
	// HTTP: for loopback use only.
	DebugAddr     string
	Region        string
	S3Domain      string
	TLSCert       string
	TLSKey        string
	TLSSelfSigned bool
	// S3PublicURL is the S3 endpoint as browsers reach it, which the
	// console's presigned URLs name; empty: the host name the console was
	// loaded from, on the S3 listener's port.
	S3PublicURL string
	// ConsoleOrigins are origins, besides the management listener's own,
	// from which the S3 API takes cross-origin requests (a console behind
	// a proxy).
	ConsoleOrigins []string
	// KeyFile holds the key that seals S3 secrets and the key-encryption
	// keys of encrypted objects at rest; DataDir/quarry.key when empty.
	KeyFile string
	// Blob, when set, is where object data is kept: an s3:// URL (see
	// blobs3.ParseURL), used whatever storage components are registered.
	// Empty: the storage component in service, else the local disk under
	// DataDir.
	Blob string
	// Meta names the metadata store: empty for the SQLite file in
	// DataDir, or a postgres:// URL of a database nodes share (see
	// openMeta).
	Meta string
	// BlobAccessKey and BlobSecretKey are the credentials of Blob's
	// endpoint.
	BlobAccessKey string
	BlobSecretKey string
	Root          auth.RootConfig
	// Stdout receives the first-start banner with the root credentials.
	Stdout io.Writer
	Logger *slog.Logger
	// JobWorkers is how many jobs this node runs at once (4 when zero).
	JobWorkers int
	// JobLease is how long a job stays with a worker that stopped renewing
	// it before another worker takes it over (15 s when zero).
	JobLease time.Duration
	// JobRetention is how long finished jobs are kept (30 days when zero).
	JobRetention time.Duration
	// LifecycleDay is the length of a lifecycle day: the scanner applies
	// every bucket's lifecycle rules once per day, and every Days value of
	// a rule counts in it (24 h when zero; seconds for tests and demos).
	LifecycleDay time.Duration
	// NoLifecycleScan turns this node's background lifecycle scanner off
	// (LIFECYCLE_UPDATE jobs still run here).
	NoLifecycleScan bool
	// EventRetention is how long the event log keeps events (30 days when
	// zero).
	EventRetention time.Duration
	// AccessTokenTTL and RefreshTokenTTL bound MAPI tokens (300 s and
	// 1800 s when zero).
	AccessTokenTTL  time.Duration
	RefreshTokenTTL time.Duration
	// MetricsPublic serves /metrics to anyone; otherwise it takes an
	// admin's access token or a metrics token (mapi.Handler.AuthorizeMetrics).
	MetricsPublic bool
	// OutboxMaxAttempts, OutboxBackoff and OutboxBackoffMax are the retry
	// budget of replication copies and event deliveries: attempts before
	// an entry is FAILED (6), and the first and largest delay between
	// attempts (1 s and 5 min), doubled per attempt with jitter.
	OutboxMaxAttempts int
	OutboxBackoff     time.Duration
	OutboxBackoffMax  time.Duration
	// OutboxRetention is how long delivered outbox entries are kept (24 h
	// when zero).
	OutboxRetention time.Duration
	// InlineMax is the size up to which an object's data is kept in the
	// metadata store with its version rather than in a blob
	// (object.Config.InlineMax); 0 never inlines. The flag defaults it to
	// object.DefaultInlineMax; at most MaxInlineMax.
	InlineMax int64
	// Version is Quarry's version, reported by the MAPI's galaxy/info.
	Version string
	// ShutdownTimeout bounds how long in-flight requests may take to finish
	// after a stop signal (30 s when zero).
	ShutdownTimeout time.Duration
}

// MaxInlineMax bounds InlineMax: inline data is read into memory whole and
// written into one metadata row, which suits small objects only.
const MaxInlineMax = 16 << 20

// blobDirsLogged is how many blob directories whose permissions were
// restricted are logged one by one; the rest are counted.
const blobDirsLogged = 16

// Files under the data dir.
const (
	metaFile        = "meta.db"
	blobDir         = "blobs"
	keyFile         = "quarry.key"
	rootCredentials = "root-credentials"
)

// Run serves until ctx ends, then stops accepting, lets in-flight requests
// finish and closes the stores.
func Run(ctx context.Context, cfg Config) error {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Stdout == nil {
		cfg.Stdout = os.Stdout
	}
	if cfg.ShutdownTimeout == 0 {
		cfg.ShutdownTimeout = 30 * time.Second
	}
	if cfg.InlineMax < 0 || cfg.InlineMax > MaxInlineMax {
		return fmt.Errorf("inline max %d: want 0 (off) to %d bytes", cfg.InlineMax, MaxInlineMax)
	}
	if cfg.KeyFile == "" {
		cfg.KeyFile = filepath.Join(cfg.DataDir, keyFile)
	}
	log := cfg.Logger
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return fmt.Errorf("data dir: %w", err)
	}
	restrictDataDir(cfg.DataDir, blobDir, log)
	blobRoot := filepath.Join(cfg.DataDir, blobDir)

	key, err := auth.LoadOrCreateKey(cfg.KeyFile)
	if err != nil {
		return fmt.Errorf("secret key: %w", err)
	}
	sealer, err := auth.NewSealer(key)
	if err != nil {
		return fmt.Errorf("secret key: %w", err)
	}
	metaStore, err := openMeta(ctx, cfg)
	if err != nil {
		return fmt.Errorf("metadata store: %w", err)
	}
	defer metaStore.Close()
	if err := auth.CheckKey(ctx, metaStore, sealer); err != nil {
		return fmt.Errorf("secret key %s: %w", cfg.KeyFile, err)
	}
	storageSvc, err := openStorage(ctx, cfg, metaStore, sealer, blobRoot, log)
	if err != nil {
		return err
	}
	blobs, err := storageSvc.Open(ctx)
	if err != nil {
		return fmt.Errorf("blob store: %w", err)
	}

	s3Browser, err := newBrowserS3(cfg.S3PublicURL, cfg.ConsoleOrigins, cfg.TLSCert != "" || cfg.TLSSelfSigned)
	if err != nil {
		return err
	}

	users := auth.NewService(metaStore, sealer)
	root, err := users.Bootstrap(ctx, cfg.Root)
	if err != nil {
		return fmt.Errorf("root account: %w", err)
	}

	eventLog := events.New(events.Config{Meta: metaStore, Retention: cfg.EventRetention, Logger: log})
	stats := metrics.New(metaStore, log)
	repl := replication.NewService(replication.ServiceConfig{
		Meta:   metaStore,
		Sealer: sealer,
		Region: cfg.Region,
		Logger: log,
	})
	// Object data keys are wrapped by key-encryption keys kept in the
	// metadata, each sealed by the key file (as S3 secrets are).
	sseKeys := sse.NewKeyring(metaStore, sealer)
	if err := sseKeys.EnsureKey(ctx); err != nil {
		return fmt.Errorf("encryption keys: %w", err)
	}
	encryption := sse.NewService(metaStore, sseKeys)
	// The drainer is built once the copier, which reads through the
	// object service, exists; commits wake it through this variable, set
	// before any request is served.
	notifications := notify.NewService(notify.ServiceConfig{
		Meta:   metaStore,
		Sealer: sealer,
		Types:  map[string]notify.TargetType{"webhook": webhook.Type{}},
		Region: cfg.Region,
		Logger: log,
	})
	var drainer *outbox.Drainer
	objects := object.New(object.Config{Meta: metaStore, Blobs: blobs, Logger: log, Replication: repl,
		Events: notifications, Notify: func() { drainer.Notify() }, Keys: sseKeys, InlineMax: cfg.InlineMax})
	s3 := s3api.New(s3api.Config{
		Objects:       objects,
		Creds:         users,
		Region:        cfg.Region,
		Domain:        cfg.S3Domain,
		Logger:        log,
		Observe:       stats.ObserveS3,
		Replication:   repl,
		Notifications: notifications,
		Lifecycle:     lifecycle.NewService(metaStore),
		LifecycleDay:  cfg.LifecycleDay,
		CORS:          cors.NewService(metaStore),
		ConsoleOrigin: s3Browser.AllowsOrigin,
	})
	copier := replication.NewCopier(replication.CopierConfig{
		Objects: objects,
		Clients: replication.NewClientPool(repl),
		Access:  repl,
		Logger:  log,
	})
	drainer = outbox.New(outbox.Config{
		Meta: metaStore,
		Deliveries: map[string]outbox.Delivery{
			replication.OutboxKind: replication.NewDelivery(copier),
			notify.OutboxKind:      notifications.Delivery(),
		},
		MaxAttempts: cfg.OutboxMaxAttempts,
		BackoffBase: cfg.OutboxBackoff,
		BackoffMax:  cfg.OutboxBackoffMax,
		Retention:   cfg.OutboxRetention,
		Logger:      log,
	})
	jobs := job.New(job.Config{
		Meta:       metaStore,
		Objects:    objects,
		Blobs:      blobs,
		Workers:    cfg.JobWorkers,
		Lease:      cfg.JobLease,
		Retention:  cfg.JobRetention,
		Logger:     log,
		OnProgress: stats.JobProgress,
	},
		usage.NewMetricReconciliation(),
		replication.NewBatchRunner(replication.BatchConfig{Meta: metaStore, Service: repl, Copier: copier, Logger: log}),
		notify.NewReconciliation(notify.ReconConfig{Service: notifications}),
		&lifecycle.UpdateRunner{Day: cfg.LifecycleDay},
	)
	scanner := lifecycle.NewScanner(lifecycle.ScannerConfig{Meta: metaStore, Day: cfg.LifecycleDay, Wake: jobs.Wake, Logger: log})

	mapiKeys, err := mapi.LoadKeys(ctx, metaStore, sealer)
	if err != nil {
		return fmt.Errorf("mapi keys: %w", err)
	}
	serial, err := mapi.LoadSerial(ctx, metaStore)
	if err != nil {
		return fmt.Errorf("serial number: %w", err)
	}
	tlsCfg, err := tlsConfig(cfg)
	if err != nil {
		return err
	}
	// The certificates added through the MAPI, served by name beside the
	// configured one; kept even on plain HTTP, for when TLS is turned on.
	certs := tlscert.New(tlscert.Config{Meta: metaStore, Sealer: sealer, Serving: tlsCfg != nil, Logger: log})
	if tlsCfg != nil {
		if err := certs.Reload(ctx); err != nil {
			return fmt.Errorf("tls: %w", err)
		}
		tlsCfg.GetCertificate = certs.GetCertificate
	}

	management := mapi.New(mapi.Config{
		Users:         users,
		Replication:   repl,
		Notifications: notifications,
		Certificates:  certs,
		Storage:       storageSvc,
		Encryption:    encryption,
		Events:        eventLog,
		Settings:      metaStore,
		Jobs:          jobs,
		Objects:       objects,
		Keys:          mapiKeys,
		Region:        cfg.Region,
		S3URL:         s3Browser.URL,
		Serial:        serial,
		Version:       cfg.Version,
		AccessTTL:     cfg.AccessTokenTTL,
		RefreshTTL:    cfg.RefreshTokenTTL,
		Logger:        log,
		Observe:       stats.ObserveMAPI,
	})
	// Listen on both before serving either, so a taken port fails the start
	// instead of leaving half a server running.
	s3Lis, err := listen(cfg.S3Addr, tlsCfg)
	if err != nil {
		return fmt.Errorf("s3 listener: %w", err)
	}
	mapiLis, err := listen(cfg.MAPIAddr, tlsCfg)
	if err != nil {
		s3Lis.Close()
		return fmt.Errorf("mapi listener: %w", err)
	}

	listeners := []net.Listener{s3Lis, mapiLis}
	scrape := stats.Handler()
	if cfg.MetricsPublic {
		log.Warn("metrics are public: /metrics answers without a token (--metrics-public)")
	} else {
		scrape = management.AuthorizeMetrics(scrape)
	}
	s3Browser.listening(s3Lis.Addr(), mapiLis.Addr())
	web := console.New(console.Config{S3Origin: s3Browser.Origin})
	handlers := []http.Handler{s3, mapiMux(management, scrape, web)}
	if cfg.DebugAddr != "" {
		debugLis, err := listen(cfg.DebugAddr, nil)
		if err != nil {
			s3Lis.Close()
			mapiLis.Close()
			return fmt.Errorf("debug listener: %w", err)
		}
		listeners = append(listeners, debugLis)
		handlers = append(handlers, debugMux())
		log.Warn("profiler listening", "addr", debugLis.Addr().String())
	}

	scheme := "http"
	if tlsCfg != nil {
		scheme = "https"
	}
	s3URL := scheme + "://" + s3Lis.Addr().String()
	mapiURL := scheme + "://" + mapiLis.Addr().String()
	if root != nil {
		if err := announceRoot(cfg, root, s3URL, mapiURL); err != nil {
			for _, lis := range listeners {
				lis.Close()
			}
			return err
		}
	}

	bg, stopBG := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := objects.Run(bg); err != nil && !errors.Is(err, context.Canceled) {
			log.Error("blob trash collector stopped", "err", err)
		}
	})
	wg.Go(func() {
		if err := jobs.Run(bg); err != nil && !errors.Is(err, context.Canceled) {
			log.Error("job engine stopped", "err", err)
		}
	})
	wg.Go(func() {
		if err := drainer.Run(bg); err != nil && !errors.Is(err, context.Canceled) {
			log.Error("outbox drainer stopped", "err", err)
		}
	})
	if !cfg.NoLifecycleScan {
		wg.Go(func() {
			if err := scanner.Run(bg); err != nil && !errors.Is(err, context.Canceled) {
				log.Error("lifecycle scanner stopped", "err", err)
			}
		})
	}
	if tlsCfg != nil {
		wg.Go(func() {
			if err := certs.Run(bg); err != nil && !errors.Is(err, context.Canceled) {
				log.Error("tls certificate reloader stopped", "err", err)
			}
		})
	}
	wg.Go(func() {
		if err := storageSvc.Run(bg); err != nil && !errors.Is(err, context.Canceled) {
			log.Error("storage component watcher stopped", "err", err)
		}
	})
	wg.Go(func() {
		if err := eventLog.Run(bg); err != nil && !errors.Is(err, context.Canceled) {
			log.Error("event log retention stopped", "err", err)
		}
	})

	servers := make([]*http.Server, len(handlers))
	for i, h := range handlers {
		servers[i] = newHTTPServer(h, log)
	}
	errc := make(chan error, len(servers))
	for i, lis := range listeners {
		srv := servers[i]
		go func() {
			if err := srv.Serve(lis); err != nil && !errors.Is(err, http.ErrServerClosed) {
				errc <- err
			}
		}()
	}
	log.Info("quarry ready", "s3", s3URL, "mapi", mapiURL, "data", cfg.DataDir, "region", cfg.Region, "blobs", storageSvc.Describe())

	var serveErr error
	select {
	case <-ctx.Done():
		log.Info("stopping: finishing in-flight requests", "timeout", cfg.ShutdownTimeout)
	case serveErr = <-errc:
		log.Error("listener failed; stopping", "err", serveErr)
	}
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.ShutdownTimeout)
	defer cancel()
	for _, srv := range servers {
		if err := srv.Shutdown(shutdownCtx); err != nil {
			log.Warn("shutdown", "err", err)
		}
	}
	stopBG()
	wg.Wait()
	log.Info("stopped")
	return serveErr
}

func listen(addr string, tlsCfg *tls.Config) (net.Listener, error) {
	lis, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	if tlsCfg != nil {
		lis = tls.NewListener(lis, tlsCfg)
	}
	return lis, nil
}

func newHTTPServer(h http.Handler, log *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    1 << 20,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelDebug),
	}
}

// announceRoot prints the root account made on first start and, when any of
// its secrets was generated, keeps them in a 0600 file in the data dir.
func announceRoot(cfg Config, root *auth.RootCredentials, s3URL, mapiURL string) error {
	path := filepath.Join(cfg.DataDir, rootCredentials)
	if root.Generated {
		body := fmt.Sprintf("user=%s\npassword=%s\naccess_key=%s\nsecret_key=%s\n",
			root.User, root.Password, root.AccessKey, root.SecretKey)
		if err := writeFileAtomic(path, []byte(body), 0o600); err != nil {
			return fmt.Errorf("root credentials: %w", err)
		}
	}
	fmt.Fprintf(cfg.Stdout, `
Quarry is set up. This is shown once.
  S3 endpoint:   %s
  MAPI endpoint: %s
  Root user:     %s
  Password:      %s
  Access key:    %s
  Secret key:    %s
`, s3URL, mapiURL, root.User, masked(root.Password, root.Generated), root.AccessKey, masked(root.SecretKey, root.Generated))
	if root.Generated {
		fmt.Fprintf(cfg.Stdout, "  (also saved in %s, mode 0600)\n", path)
	}
	fmt.Fprintln(cfg.Stdout)
	return nil
}

// masked hides a secret the operator supplied: they know it, and stdout may
// be captured by a log system.
func masked(secret string, generated bool) string {
	if generated {
		return secret
	}
	return "(as configured)"
}

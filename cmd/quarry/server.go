package main

import (
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/quarrylabs/quarry/internal/auth"
	"github.com/quarrylabs/quarry/internal/object"
	"github.com/quarrylabs/quarry/internal/server"
)

func newServerCmd() *cobra.Command {
	var (
		cfg           server.Config
		logFormat     string
		logLevel      string
		lifecycleScan bool
	)
	cmd := &cobra.Command{
		Use:   "server",
		Short: "Run the S3 API and the management API on embedded storage",
		Long: `Run Quarry. With no flags it keeps everything under ./data and serves
S3 on 127.0.0.1:9000 and the management API on 127.0.0.1:9001.
Every flag can also be set by the environment variable shown; a flag wins.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := applyEnv(cmd.Flags()); err != nil {
				return err
			}
			logger, err := newLogger(logFormat, logLevel)
			if err != nil {
				return err
			}
			cfg.Logger = logger
			cfg.NoLifecycleScan = !lifecycleScan
			cfg.Version = version
			privateUmask()
			cfg.Stdout = cmd.OutOrStdout()
			// The standard AWS variables are the blob store's
			// credentials when Quarry's own are not set.
			if cfg.BlobAccessKey == "" && cfg.BlobSecretKey == "" {
				cfg.BlobAccessKey, cfg.BlobSecretKey = os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY")
			}
			cfg.Root = auth.RootConfig{
				User:      os.Getenv("QUARRY_ROOT_USER"),
				Password:  os.Getenv("QUARRY_ROOT_PASSWORD"),
				AccessKey: os.Getenv("QUARRY_ROOT_ACCESS_KEY"),
				SecretKey: os.Getenv("QUARRY_ROOT_SECRET_KEY"),
			}
			return server.Run(cmd.Context(), cfg)
		},
	}
	f := cmd.Flags()
	f.StringVar(&cfg.DataDir, "data", "./data", "data directory")
	f.StringVar(&cfg.S3Addr, "s3-addr", "127.0.0.1:9000", "S3 API listen address")
	f.StringVar(&cfg.MAPIAddr, "mapi-addr", "127.0.0.1:9001", "management API listen address")
	f.StringVar(&cfg.DebugAddr, "debug-addr", "", "serve Go's profiler (/debug/pprof/) on this address; off when empty")
	f.StringVar(&cfg.Region, "region", "us-east-1", "region this server answers for")
	f.StringVar(&cfg.S3Domain, "s3-domain", "", "domain for virtual-host-style addressing, BUCKET.DOMAIN")
	f.StringVar(&cfg.S3PublicURL, "s3-public-url", "", "the S3 endpoint as browsers reach it, for the web console's presigned URLs (default: the console's host name, the S3 listener's port)")
	f.StringSliceVar(&cfg.ConsoleOrigins, "console-origin", nil, "origins besides the management listener's own whose pages may call the S3 API (a console behind a proxy), comma-separated")
	f.StringVar(&cfg.TLSCert, "tls-cert", "", "TLS certificate file (PEM)")
	f.StringVar(&cfg.TLSKey, "tls-key", "", "TLS private key file (PEM)")
	f.BoolVar(&cfg.TLSSelfSigned, "tls-self-signed", false, "serve HTTPS with a self-signed certificate kept in DATA/tls")
	f.StringVar(&cfg.KeyFile, "key-file", "", "file holding the key that encrypts S3 secrets at rest (default DATA/quarry.key)")
	f.StringVar(&cfg.Meta, "meta", "", "metadata store: sqlite (DATA/meta.db, the default) or a postgres://USER@HOST/DB URL that many nodes share (prefer the environment, QUARRY_META, to keep a password off the command line)")
	f.StringVar(&cfg.Blob, "blob", "", "where object data is kept: s3://BUCKET?endpoint=https://HOST:PORT&region=R&prefix=P&path_style=true&insecure=false&part_size=16MiB (default: the active storage component, else DATA/blobs)")
	f.StringVar(&cfg.BlobAccessKey, "blob-access-key", "", "access key of the --blob endpoint (default $AWS_ACCESS_KEY_ID)")
	f.StringVar(&cfg.BlobSecretKey, "blob-secret-key", "", "secret key of the --blob endpoint (default $AWS_SECRET_ACCESS_KEY; prefer the environment to the command line)")
	f.Int64Var(&cfg.InlineMax, "inline-max", object.DefaultInlineMax, "objects up to this many bytes are kept in the metadata store, committed with their version (one durable write per PUT) instead of in a blob; 0: never")
	f.IntVar(&cfg.JobWorkers, "job-workers", 4, "jobs this node runs at once")
	f.DurationVar(&cfg.JobLease, "job-lease", 15*time.Second, "how long a silent worker keeps a job before another takes it over")
	f.DurationVar(&cfg.JobRetention, "job-retention", 30*24*time.Hour, "how long finished jobs are kept")
	f.IntVar(&cfg.OutboxMaxAttempts, "outbox-max-attempts", 6, "attempts at a replication copy or an event delivery before it is FAILED")
	f.DurationVar(&cfg.OutboxBackoff, "outbox-backoff", time.Second, "delay after a first failed attempt, doubled per attempt (with jitter)")
	f.DurationVar(&cfg.OutboxBackoffMax, "outbox-backoff-max", 5*time.Minute, "longest delay between attempts")
	f.DurationVar(&cfg.OutboxRetention, "outbox-retention", 24*time.Hour, "how long delivered events and finished copies are kept in the outbox")
	f.DurationVar(&cfg.LifecycleDay, "lifecycle-day", 24*time.Hour, "length of a lifecycle day: the scanner applies lifecycle rules once a day, and rules' Days count in it (shorten for tests and demos)")
	f.BoolVar(&lifecycleScan, "lifecycle-scan", true, "run the background lifecycle scanner on this node")
	f.DurationVar(&cfg.EventRetention, "event-retention", 30*24*time.Hour, "how long the event log (audit log) keeps events")
	f.DurationVar(&cfg.AccessTokenTTL, "access-token-ttl", 300*time.Second, "lifetime of MAPI access tokens")
	f.DurationVar(&cfg.RefreshTokenTTL, "refresh-token-ttl", 1800*time.Second, "lifetime of MAPI refresh tokens")
	f.BoolVar(&cfg.MetricsPublic, "metrics-public", false, "serve /metrics without a bearer token")
	f.StringVar(&logFormat, "log-format", "text", "log format: text or json")
	f.StringVar(&logLevel, "log-level", "info", "log level: debug, info, warn, error")
	f.VisitAll(func(fl *pflag.Flag) {
		fl.Usage += " [" + envName(fl.Name) + "]"
	})
	return cmd
}

// envName is the environment variable of a flag: --job-lease is
// QUARRY_JOB_LEASE.
func envName(flag string) string {
	return "QUARRY_" + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

// applyEnv sets every flag the command line did not set from its
// environment variable, so a flag wins and a bad value in either is an error.
func applyEnv(fs *pflag.FlagSet) error {
	var err error
	fs.VisitAll(func(fl *pflag.Flag) {
		if err != nil || fl.Changed {
			return
		}
		if v, ok := os.LookupEnv(envName(fl.Name)); ok {
			if serr := fs.Set(fl.Name, v); serr != nil {
				err = fmt.Errorf("%s=%q: %w", envName(fl.Name), v, serr)
			}
		}
	})
	return err
}

func newLogger(format, level string) (*slog.Logger, error) {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level %q: want debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: lvl}
	switch strings.ToLower(format) {
	case "text":
		return slog.New(slog.NewTextHandler(os.Stderr, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(os.Stderr, opts)), nil
	default:
		return nil, fmt.Errorf("--log-format %q: want text or json", format)
	}
}

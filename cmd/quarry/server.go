package main

import (
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/quarrylabs/quarry/internal/auth"
	"github.com/quarrylabs/quarry/internal/server"
)

func newServerCmd() *cobra.Command {
	var (
		cfg       server.Config
		logFormat string
		logLevel  string
	)
	cmd := &cobra.Command{
		Use:   "server",
		Short: "Run the S3 API and the management API on embedded storage",
		Long: `Run Quarry. With no flags it keeps everything under ./data and serves
S3 on 127.0.0.1:9000 and the management API on 127.0.0.1:9001.
Every flag can also be set by the environment variable shown; a flag wins.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			logger, err := newLogger(logFormat, logLevel)
			if err != nil {
				return err
			}
			cfg.Logger = logger
			cfg.Stdout = cmd.OutOrStdout()
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
	f.StringVar(&cfg.DataDir, "data", env("QUARRY_DATA", "./data"), "data directory [QUARRY_DATA]")
	f.StringVar(&cfg.S3Addr, "s3-addr", env("QUARRY_S3_ADDR", "127.0.0.1:9000"), "S3 API listen address [QUARRY_S3_ADDR]")
	f.StringVar(&cfg.MAPIAddr, "mapi-addr", env("QUARRY_MAPI_ADDR", "127.0.0.1:9001"), "management API listen address [QUARRY_MAPI_ADDR]")
	f.StringVar(&cfg.Region, "region", env("QUARRY_REGION", "us-east-1"), "region this server answers for [QUARRY_REGION]")
	f.StringVar(&cfg.S3Domain, "s3-domain", env("QUARRY_S3_DOMAIN", ""), "domain for virtual-host-style addressing, BUCKET.DOMAIN [QUARRY_S3_DOMAIN]")
	f.StringVar(&cfg.TLSCert, "tls-cert", env("QUARRY_TLS_CERT", ""), "TLS certificate file (PEM) [QUARRY_TLS_CERT]")
	f.StringVar(&cfg.TLSKey, "tls-key", env("QUARRY_TLS_KEY", ""), "TLS private key file (PEM) [QUARRY_TLS_KEY]")
	f.BoolVar(&cfg.TLSSelfSigned, "tls-self-signed", envBool("QUARRY_TLS_SELF_SIGNED"), "serve HTTPS with a self-signed certificate kept in DATA/tls [QUARRY_TLS_SELF_SIGNED]")
	f.StringVar(&cfg.KeyFile, "key-file", env("QUARRY_KEY_FILE", ""), "file holding the key that encrypts S3 secrets at rest (default DATA/quarry.key) [QUARRY_KEY_FILE]")
	f.StringVar(&logFormat, "log-format", env("QUARRY_LOG_FORMAT", "text"), "log format: text or json [QUARRY_LOG_FORMAT]")
	f.StringVar(&logLevel, "log-level", env("QUARRY_LOG_LEVEL", "info"), "log level: debug, info, warn, error [QUARRY_LOG_LEVEL]")
	return cmd
}

func env(name, def string) string {
	if v, ok := os.LookupEnv(name); ok {
		return v
	}
	return def
}

func envBool(name string) bool {
	b, _ := strconv.ParseBool(os.Getenv(name))
	return b
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

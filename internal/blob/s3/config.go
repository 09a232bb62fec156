package s3

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Defaults of Config.
const (
	DefaultRegion      = "us-east-1"
	DefaultPrefix      = "blobs/"
	DefaultPartSize    = 16 << 20
	DefaultConcurrency = 2
	// MinPartSize is S3's smallest part of a multipart upload (but the
	// last).
	MinPartSize = 5 << 20
	// MaxPartSize is S3's largest part.
	MaxPartSize = 5 << 30
	// maxParts is S3's limit on the parts of one upload.
	maxParts = 10000
	// maxConcurrency bounds the parts one Put sends at once: each holds a
	// part-size buffer.
	maxConcurrency = 16
)

// Scheme is the URL scheme of an S3 blob store: s3://bucket?...
const Scheme = "s3"

// Config says where a Store keeps its blobs and how it reaches them.
type Config struct {
	// Bucket is the bucket holding the blobs; it must exist.
	Bucket string
	// Endpoint is the S3 endpoint, an http:// or https:// URL with a host
	// and an optional port; empty means AWS's endpoint of Region.
	Endpoint string
	// Region is the region requests are signed for (us-east-1 when
	// empty).
	Region string
	// Prefix is put before every blob id to make its key; "blobs/" when
	// Config comes from ParseURL without a prefix parameter.
	Prefix string
	// PathStyle addresses the bucket in the path (endpoint/bucket/key)
	// instead of the host name (bucket.endpoint/key).
	PathStyle bool
	// Insecure skips the verification of the endpoint's TLS certificate:
	// for test endpoints with self-signed certificates only.
	Insecure bool
	// AccessKey, SecretKey and SessionToken are the credentials.
	AccessKey    string
	SecretKey    string
	SessionToken string
	// PartSize is the size of the parts of a multipart upload, and the
	// largest blob sent as one PutObject (DefaultPartSize when zero).
	PartSize int64
	// Concurrency is how many parts of one blob are sent at once
	// (DefaultConcurrency when zero).
	Concurrency int

	// Connection tuning (zero: the defaults of newTransport).
	DialTimeout     time.Duration
	ResponseTimeout time.Duration
	IdleTimeout     time.Duration
	MaxConns        int
	// Proxy, when set, is the HTTP proxy every request goes through.
	Proxy *url.URL
}

// ParseURL reads a blob store URL:
//
//	s3://BUCKET?endpoint=https://host:port&region=R&prefix=P&path_style=true&insecure=true&part_size=16MiB&concurrency=2
//
// Every parameter is optional. Credentials are not part of the URL. An
// unknown parameter is an error, so that a typo does not go unnoticed.
func ParseURL(raw string) (Config, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return Config{}, fmt.Errorf("blob URL: %w", err)
	}
	if u.Scheme != Scheme {
		return Config{}, fmt.Errorf("blob URL %q: the scheme must be s3://", raw)
	}
	if u.User != nil {
		return Config{}, errors.New("blob URL: credentials do not belong in the URL; use --blob-access-key and --blob-secret-key (or the AWS variables)")
	}
	if u.Path != "" && u.Path != "/" {
		return Config{}, fmt.Errorf("blob URL: s3://%s%s: the bucket is followed by no path; use prefix= for a key prefix", u.Host, u.Path)
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return Config{}, fmt.Errorf("blob URL: query: %w", err)
	}
	cfg := Config{Bucket: u.Host, Region: DefaultRegion, Prefix: DefaultPrefix}
	for name, values := range q {
		if len(values) != 1 {
			return Config{}, fmt.Errorf("blob URL: %s is given %d times", name, len(values))
		}
		v := values[0]
		switch name {
		case "endpoint":
			cfg.Endpoint = v
		case "region":
			cfg.Region = v
		case "prefix":
			cfg.Prefix = v
		case "path_style":
			cfg.PathStyle, err = strconv.ParseBool(v)
		case "insecure":
			cfg.Insecure, err = strconv.ParseBool(v)
		case "part_size":
			cfg.PartSize, err = parseSize(v)
		case "concurrency":
			cfg.Concurrency, err = strconv.Atoi(v)
		default:
			return Config{}, fmt.Errorf("blob URL: unknown parameter %q (known: endpoint, region, prefix, path_style, insecure, part_size, concurrency)", name)
		}
		if err != nil {
			return Config{}, fmt.Errorf("blob URL: %s=%q: %w", name, v, err)
		}
	}
	// Any endpoint but AWS's is path style unless told otherwise: a
	// virtual host needs a wildcard DNS name most deployments lack.
	if _, set := q["path_style"]; !set && cfg.Endpoint != "" {
		cfg.PathStyle = true
	}
	if err := cfg.validate(); err != nil {
		return Config{}, err
	}
	return cfg, nil
}

// parseSize reads a byte count: a number of bytes, or one with a KiB,
// MiB or GiB suffix (16MiB).
func parseSize(s string) (int64, error) {
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}, {"B", 1}} {
		if n, ok := strings.CutSuffix(s, u.suffix); ok {
			s, mult = n, u.mult
			break
		}
	}
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || n < 0 {
		return 0, errors.New("want a number of bytes, or one with KiB, MiB or GiB")
	}
	return n * mult, nil
}

// validate checks the settings and fills in the defaults.
func (c *Config) validate() error {
	if c.Bucket == "" {
		return errors.New("blob store: no bucket (s3://BUCKET?...)")
	}
	if c.Region == "" {
		c.Region = DefaultRegion
	}
	if c.Endpoint != "" {
		if err := checkEndpoint(c.Endpoint); err != nil {
			return err
		}
	}
	if c.Prefix != "" && !strings.HasSuffix(c.Prefix, "/") {
		c.Prefix += "/"
	}
	if c.PartSize == 0 {
		c.PartSize = DefaultPartSize
	}
	if c.PartSize < MinPartSize || c.PartSize > MaxPartSize {
		return fmt.Errorf("blob store: part size %d is outside S3's %d to %d bytes", c.PartSize, MinPartSize, int64(MaxPartSize))
	}
	if c.Concurrency == 0 {
		c.Concurrency = DefaultConcurrency
	}
	if c.Concurrency < 1 || c.Concurrency > maxConcurrency {
		return fmt.Errorf("blob store: concurrency %d is outside 1 to %d", c.Concurrency, maxConcurrency)
	}
	return nil
}

// checkEndpoint accepts an absolute http:// or https:// URL of a host
// with an optional port, and nothing else.
func checkEndpoint(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("blob store: endpoint %q must be an http:// or https:// URL of a host", raw)
	}
	if u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("blob store: endpoint %q must hold a host and a port only", raw)
	}
	if port := u.Port(); port != "" {
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 {
			return fmt.Errorf("blob store: endpoint %q has an invalid port", raw)
		}
	}
	if _, _, err := net.SplitHostPort(u.Host); err != nil && u.Port() != "" {
		return fmt.Errorf("blob store: endpoint %q: %v", raw, err)
	}
	return nil
}

// String describes where the blobs are, without credentials: for logs.
func (c Config) String() string {
	where := c.Endpoint
	if where == "" {
		where = "aws " + c.Region
	}
	return fmt.Sprintf("s3://%s/%s at %s", c.Bucket, c.Prefix, where)
}

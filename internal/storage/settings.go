package storage

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	blobs3 "github.com/quarrylabs/quarry/internal/blob/s3"
)

// TypeS3 is the storage type Quarry serves: a bucket of an S3-compatible
// endpoint (the vendor's name for it).
const TypeS3 = "HCPS_S3"

// componentPrefix is the key prefix of blobs in a component's bucket.
const componentPrefix = blobs3.DefaultPrefix

// Settings are a component's connection settings, without its secrets,
// under the JSON names of the vendor's storageComponentConfig (stored as
// meta.StorageComponent.Config). The Kubernetes, management and socket
// buffer fields are kept and shown but not used: Quarry talks S3 only.
type Settings struct {
	Label              string `json:"label"`
	Host               string `json:"host"`
	Port               int    `json:"port"`
	URIScheme          string `json:"uriScheme"`
	Bucket             string `json:"bucket"`
	Region             string `json:"region"`
	AuthType           string `json:"authType"`
	AccessKey          string `json:"accessKey"`
	UsePathStyleAlways bool   `json:"usePathStyleAlways"`
	UseProxy           bool   `json:"useProxy"`
	ProxyHost          string `json:"proxyHost,omitempty"`
	ProxyPort          int    `json:"proxyPort,omitempty"`
	ProxyUserName      string `json:"proxyUserName,omitempty"`
	ProxyDomain        string `json:"proxyDomain,omitempty"`
	ManagementUser     string `json:"managementUser,omitempty"`
	ManagementProtocol string `json:"managementProtocol,omitempty"`
	ManagementHost     string `json:"managementHost,omitempty"`
	// Milliseconds; zero takes the blob store's defaults.
	ConnectionTimeout int    `json:"connectionTimeout"`
	SocketTimeout     int    `json:"socketTimeout"`
	ConnectionTTL     int    `json:"connectionTTL"`
	MaxConnections    int    `json:"maxConnections"`
	UserAgentPrefix   string `json:"userAgentPrefix,omitempty"`
	SendBufferHint    int    `json:"socketSendBufferSizeHint,omitempty"`
	RecvBufferHint    int    `json:"socketRecvBufferSizeHint,omitempty"`
	Namespace         string `json:"namespace,omitempty"`
	VolumeName        string `json:"dataPersistentVolumeName,omitempty"`
	// DataClaimCapacity, when set ("10Ti", "500GB"), is the capacity
	// get_capacity reports for the component: S3 has no way to ask.
	DataClaimCapacity string `json:"dataClaimCapacity,omitempty"`
	Node              string `json:"node,omitempty"`
}

// Secrets are what a component keeps sealed and never shows.
type Secrets struct {
	SecretKey          string `json:"secretKey,omitempty"`
	ManagementPassword string `json:"managementPassword,omitempty"`
	ProxyPassword      string `json:"proxyPassword,omitempty"`
}

// Spec is a create, update or test request: the fields given, by their
// camelCase names (snake_case and connectionTtl are accepted too).
type Spec struct {
	StorageType    string
	Config         map[string]json.RawMessage
	CustomMetadata json.RawMessage
	// Class and FaultDomain name or number the component's class and
	// fault domain (from the config's storageClass, storageFaultDomain).
	Class, FaultDomain string
	ActivateNow        *bool
}

// field applies one config key to the settings and secrets.
type field func(s *Settings, sec *Secrets, raw json.RawMessage) error

// fields are the config keys a spec may set.
var fields = map[string]field{
	"label":                    str(func(s *Settings, _ *Secrets) *string { return &s.Label }),
	"host":                     str(func(s *Settings, _ *Secrets) *string { return &s.Host }),
	"port":                     integer(func(s *Settings) *int { return &s.Port }),
	"uriScheme":                str(func(s *Settings, _ *Secrets) *string { return &s.URIScheme }),
	"bucket":                   str(func(s *Settings, _ *Secrets) *string { return &s.Bucket }),
	"region":                   str(func(s *Settings, _ *Secrets) *string { return &s.Region }),
	"authType":                 str(func(s *Settings, _ *Secrets) *string { return &s.AuthType }),
	"accessKey":                str(func(s *Settings, _ *Secrets) *string { return &s.AccessKey }),
	"secretKey":                str(func(_ *Settings, x *Secrets) *string { return &x.SecretKey }),
	"usePathStyleAlways":       boolean(func(s *Settings) *bool { return &s.UsePathStyleAlways }),
	"useProxy":                 boolean(func(s *Settings) *bool { return &s.UseProxy }),
	"proxyHost":                str(func(s *Settings, _ *Secrets) *string { return &s.ProxyHost }),
	"proxyPort":                integer(func(s *Settings) *int { return &s.ProxyPort }),
	"proxyUserName":            str(func(s *Settings, _ *Secrets) *string { return &s.ProxyUserName }),
	"proxyPassword":            str(func(_ *Settings, x *Secrets) *string { return &x.ProxyPassword }),
	"proxyDomain":              str(func(s *Settings, _ *Secrets) *string { return &s.ProxyDomain }),
	"managementUser":           str(func(s *Settings, _ *Secrets) *string { return &s.ManagementUser }),
	"managementPassword":       str(func(_ *Settings, x *Secrets) *string { return &x.ManagementPassword }),
	"managementProtocol":       str(func(s *Settings, _ *Secrets) *string { return &s.ManagementProtocol }),
	"managementHost":           str(func(s *Settings, _ *Secrets) *string { return &s.ManagementHost }),
	"connectionTimeout":        integer(func(s *Settings) *int { return &s.ConnectionTimeout }),
	"socketTimeout":            integer(func(s *Settings) *int { return &s.SocketTimeout }),
	"connectionTTL":            integer(func(s *Settings) *int { return &s.ConnectionTTL }),
	"maxConnections":           integer(func(s *Settings) *int { return &s.MaxConnections }),
	"userAgentPrefix":          str(func(s *Settings, _ *Secrets) *string { return &s.UserAgentPrefix }),
	"socketSendBufferSizeHint": integer(func(s *Settings) *int { return &s.SendBufferHint }),
	"socketRecvBufferSizeHint": integer(func(s *Settings) *int { return &s.RecvBufferHint }),
	"namespace":                str(func(s *Settings, _ *Secrets) *string { return &s.Namespace }),
	"dataPersistentVolumeName": str(func(s *Settings, _ *Secrets) *string { return &s.VolumeName }),
	"dataClaimCapacity":        str(func(s *Settings, _ *Secrets) *string { return &s.DataClaimCapacity }),
	"node":                     str(func(s *Settings, _ *Secrets) *string { return &s.Node }),
}

// typeError is a config value of the wrong type.
type typeError struct{ want string }

func (e typeError) Error() string { return e.want }

func str(at func(*Settings, *Secrets) *string) field {
	return func(s *Settings, x *Secrets, raw json.RawMessage) error {
		var v string
		if err := json.Unmarshal(raw, &v); err != nil {
			return typeError{"a string"}
		}
		*at(s, x) = v
		return nil
	}
}

// integer takes a JSON number or a numeric string (the vendor's client
// sends port as a string).
func integer(at func(*Settings) *int) field {
	return func(s *Settings, _ *Secrets, raw json.RawMessage) error {
		n, err := FlexInt(raw)
		if err != nil || n < 0 || n > 1<<31-1 {
			return typeError{"a non-negative integer (or a string of one)"}
		}
		*at(s) = int(n)
		return nil
	}
}

func boolean(at func(*Settings) *bool) field {
	return func(s *Settings, _ *Secrets, raw json.RawMessage) error {
		var v bool
		if err := json.Unmarshal(raw, &v); err == nil {
			*at(s) = v
			return nil
		}
		var text string
		if err := json.Unmarshal(raw, &text); err == nil {
			if b, err := strconv.ParseBool(text); err == nil {
				*at(s) = b
				return nil
			}
		}
		return typeError{"a boolean"}
	}
}

// FlexInt reads a JSON integer or a string holding one: the vendor's
// clients send ids and ports either way.
func FlexInt(raw json.RawMessage) (int64, error) {
	raw = bytes.TrimSpace(raw)
	var text string
	if json.Unmarshal(raw, &text) == nil {
		raw = []byte(strings.TrimSpace(text))
	}
	n, err := strconv.ParseInt(string(raw), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("not an integer")
	}
	return n, nil
}

// apply sets the spec's config keys on settings and secrets. Null values
// and keys Quarry does not know are skipped (the vendor's client sends
// both); a known key of the wrong type is an ErrInvalid naming it.
func (sp *Spec) apply(s *Settings, sec *Secrets) error {
	for key, raw := range sp.Config {
		if bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
			continue
		}
		f, ok := fields[key]
		if !ok {
			continue
		}
		if err := f(s, sec, raw); err != nil {
			return fmt.Errorf("%w: storageComponentConfig.%s must be %v", ErrInvalid, key, err)
		}
	}
	return nil
}

// normalize fills in defaults and checks the settings of a component.
func normalize(s *Settings, sec *Secrets) error {
	s.Label = strings.TrimSpace(s.Label)
	s.URIScheme = strings.ToUpper(strings.TrimSpace(s.URIScheme))
	s.AuthType = strings.ToUpper(strings.TrimSpace(s.AuthType))
	if s.URIScheme == "" {
		s.URIScheme = "HTTPS"
	}
	if s.AuthType == "" {
		s.AuthType = "V4"
	}
	if s.Region == "" {
		s.Region = blobs3.DefaultRegion
	}
	if s.Port == 0 {
		s.Port = 443
		if s.URIScheme == "HTTP" {
			s.Port = 80
		}
	}
	invalid := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
	}
	switch {
	case s.Label == "":
		return invalid("storageComponentConfig.label is required")
	case len(s.Label) > 255 || strings.ContainsFunc(s.Label, isControl):
		return invalid("storageComponentConfig.label must be at most 255 printable characters")
	case s.Host == "":
		return invalid("storageComponentConfig.host is required")
	case !validHost(s.Host):
		return invalid("storageComponentConfig.host %q must be a host name or an IP address, without scheme, port or path", s.Host)
	case s.Port < 1 || s.Port > 65535:
		return invalid("storageComponentConfig.port must be 1 to 65535")
	case s.URIScheme != "HTTP" && s.URIScheme != "HTTPS":
		return invalid("storageComponentConfig.uriScheme must be HTTP or HTTPS")
	case s.Bucket == "":
		return invalid("storageComponentConfig.bucket is required")
	case len(s.Bucket) < 3 || len(s.Bucket) > 63 || strings.ContainsAny(s.Bucket, "/ ?#"):
		return invalid("storageComponentConfig.bucket %q is not a bucket name", s.Bucket)
	case s.AuthType != "V2" && s.AuthType != "V4":
		return invalid("storageComponentConfig.authType must be V2 or V4")
	case s.AccessKey == "":
		return invalid("storageComponentConfig.accessKey is required")
	case sec.SecretKey == "":
		return invalid("storageComponentConfig.secretKey is required")
	case s.UseProxy && (s.ProxyHost == "" || s.ProxyPort == 0):
		return invalid("storageComponentConfig.proxyHost and proxyPort are required with useProxy")
	case s.UseProxy && !validHost(s.ProxyHost):
		return invalid("storageComponentConfig.proxyHost %q must be a host name or an IP address", s.ProxyHost)
	case s.ProxyPort > 65535:
		return invalid("storageComponentConfig.proxyPort must be 1 to 65535")
	}
	if s.DataClaimCapacity != "" {
		if _, err := parseCapacity(s.DataClaimCapacity); err != nil {
			return invalid("storageComponentConfig.dataClaimCapacity %q: %v", s.DataClaimCapacity, err)
		}
	}
	return nil
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

// validHost accepts a DNS name or an IP address.
func validHost(h string) bool {
	if net.ParseIP(strings.Trim(h, "[]")) != nil {
		return true
	}
	if len(h) > 253 {
		return false
	}
	for _, label := range strings.Split(h, ".") {
		if label == "" || len(label) > 63 {
			return false
		}
		for _, c := range label {
			if !(c == '-' || c == '_' || ('0' <= c && c <= '9') || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z')) {
				return false
			}
		}
	}
	return true
}

// Endpoint is the component's S3 endpoint URL.
func (s *Settings) Endpoint() string {
	return strings.ToLower(s.URIScheme) + "://" + net.JoinHostPort(strings.Trim(s.Host, "[]"), strconv.Itoa(s.Port))
}

// location identifies where the component's data is.
func (s *Settings) location() string { return s.Endpoint() + "/" + s.Bucket }

// blobConfig is the blob store configuration of a component. The
// component's authType is kept as given, but requests are always signed
// with Signature Version 4, which every S3-compatible store Quarry knows
// of accepts.
func blobConfig(s *Settings, sec *Secrets) blobs3.Config {
	cfg := blobs3.Config{
		Bucket:          s.Bucket,
		Endpoint:        s.Endpoint(),
		Region:          s.Region,
		Prefix:          componentPrefix,
		PathStyle:       s.UsePathStyleAlways,
		AccessKey:       s.AccessKey,
		SecretKey:       sec.SecretKey,
		DialTimeout:     time.Duration(s.ConnectionTimeout) * time.Millisecond,
		ResponseTimeout: time.Duration(s.SocketTimeout) * time.Millisecond,
		IdleTimeout:     time.Duration(s.ConnectionTTL) * time.Millisecond,
		MaxConns:        s.MaxConnections,
	}
	if s.UseProxy {
		p := &url.URL{Scheme: "http", Host: net.JoinHostPort(s.ProxyHost, strconv.Itoa(s.ProxyPort))}
		if s.ProxyUserName != "" {
			p.User = url.UserPassword(s.ProxyUserName, sec.ProxyPassword)
		}
		cfg.Proxy = p
	}
	return cfg
}

// parseCapacity reads a byte count with an optional unit: 1000, 500GB,
// 10Ti, 2.5 TiB.
func parseCapacity(text string) (int64, error) {
	s := strings.TrimSpace(text)
	units := []struct {
		suffix string
		mult   float64
	}{
		{"PiB", 1 << 50}, {"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10},
		{"Pi", 1 << 50}, {"Ti", 1 << 40}, {"Gi", 1 << 30}, {"Mi", 1 << 20}, {"Ki", 1 << 10},
		{"PB", 1e15}, {"TB", 1e12}, {"GB", 1e9}, {"MB", 1e6}, {"KB", 1e3},
		{"P", 1e15}, {"T", 1e12}, {"G", 1e9}, {"M", 1e6}, {"K", 1e3}, {"B", 1},
	}
	mult := 1.0
	for _, u := range units {
		if n, ok := strings.CutSuffix(s, u.suffix); ok {
			s, mult = strings.TrimSpace(n), u.mult
			break
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f < 0 || f*mult > 1<<62 {
		return 0, fmt.Errorf("want a size such as 500GB or 10Ti")
	}
	return int64(f * mult), nil
}

// FormatBytes writes a size as the vendor does: "100.0 GB" (decimal units).
func FormatBytes(n int64) string {
	if n < 0 {
		return "unlimited"
	}
	units := []string{"B", "KB", "MB", "GB", "TB", "PB", "EB"}
	f, i := float64(n), 0
	for f >= 1000 && i < len(units)-1 {
		f /= 1000
		i++
	}
	if i == 0 {
		return fmt.Sprintf("%d B", n)
	}
	return fmt.Sprintf("%.1f %s", f, units[i])
}

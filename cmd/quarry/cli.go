package main

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/quarrylabs/quarry/internal/mapiclient"
)

// globalFlags are the persistent flags of the management commands.
type globalFlags struct {
	endpoint string // MAPI endpoint; empty: the saved session's
	output   string // table or json
	insecure bool   // accept any TLS certificate
}

// Output formats of --output.
const (
	outputTable = "table"
	outputJSON  = "json"
)

// exitError ends the process with a status other than 1 (see main).
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }
func (e *exitError) ExitCode() int { return e.code }

// jsonOutput reports whether --output json was asked for, and refuses
// anything but table and json.
func (g *globalFlags) jsonOutput() (bool, error) {
	switch g.output {
	case outputTable, "":
		return false, nil
	case outputJSON:
		return true, nil
	}
	return false, fmt.Errorf("--output %q: want table or json", g.output)
}

// sessionStore is the session file of this user.
func sessionStore() (*mapiclient.FileStore, error) {
	path, err := mapiclient.DefaultSessionPath()
	if err != nil {
		return nil, err
	}
	return &mapiclient.FileStore{Path: path}, nil
}

// client returns a MAPI client on the saved session: of --endpoint (or
// QUARRY_ENDPOINT) when given, else of the endpoint last logged in to.
func (g *globalFlags) client() (*mapiclient.Client, error) {
	if _, err := g.jsonOutput(); err != nil {
		return nil, err
	}
	store, err := sessionStore()
	if err != nil {
		return nil, err
	}
	saved, err := store.Load()
	if err != nil && !errors.Is(err, mapiclient.ErrNoSession) {
		return nil, err
	}
	endpoint := mapiclient.NormalizeEndpoint(g.endpoint)
	if endpoint == "" {
		if saved == nil {
			return nil, errNotLoggedIn("")
		}
		endpoint = mapiclient.NormalizeEndpoint(saved.Endpoint)
	}
	insecure := g.insecure
	if saved != nil && mapiclient.NormalizeEndpoint(saved.Endpoint) == endpoint {
		insecure = insecure || saved.InsecureSkipVerify
	}
	return mapiclient.New(endpoint, mapiclient.Options{TokenStore: store, InsecureSkipVerify: insecure}), nil
}

// explain turns the client's errors into what to do about them: session
// errors, an endpoint that is not a management API, a server that cannot
// be reached. Server errors keep the server's message.
func explain(c *mapiclient.Client, err error) error {
	ep := c.Endpoint()
	var (
		apiErr *mapiclient.APIError
		bad    *mapiclient.BadAnswerError
	)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, mapiclient.ErrS3Endpoint) && errors.As(err, &apiErr):
		return s3EndpointError(ep, apiErr)
	case errors.Is(err, mapiclient.ErrUserGone):
		who := "the session's user"
		if s, serr := c.Session(); serr == nil && s.Username != "" {
			who = "user " + s.Username
		}
		return fmt.Errorf("%s no longer exists on %s (it was deleted): log in as another user with quarry login --endpoint %s --user NAME", who, ep, ep)
	case errors.Is(err, mapiclient.ErrNotLoggedIn):
		return errNotLoggedIn(ep)
	case errors.Is(err, mapiclient.ErrSessionExpired):
		return fmt.Errorf("the session on %s expired: run quarry login --endpoint %s --user NAME again", ep, ep)
	case errors.As(err, &bad):
		return fmt.Errorf("%s did not answer as a Quarry management API does (%v): check --endpoint", ep, bad.Err)
	case errors.As(err, &apiErr) && apiErr.Code == "" && apiErr.S3Code == "":
		// Not a MAPI error body: a proxy, another web server.
		return fmt.Errorf("%s answered %s, which is not a Quarry management API answer: check --endpoint", ep, apiErr)
	}
	if reason, ok := unreachable(err); ok {
		return fmt.Errorf("cannot reach %s: %s", ep, reason)
	}
	return err
}

// s3EndpointError says that endpoint is an S3 port, and which to use.
func s3EndpointError(endpoint string, apiErr *mapiclient.APIError) error {
	whose := "an S3 endpoint"
	if apiErr.FromQuarryS3() {
		whose = "Quarry's S3 endpoint"
	}
	example := ""
	if u, err := url.Parse(endpoint); err == nil && u.Host != "" && u.Port() != defaultMAPIPort {
		u.Host = net.JoinHostPort(u.Hostname(), defaultMAPIPort)
		example = fmt.Sprintf(", e.g. quarry login --endpoint %s --user NAME", u)
	}
	return fmt.Errorf("%s is %s, not its management API: log in to the management API endpoint (default port %s)%s",
		endpoint, whose, defaultMAPIPort, example)
}

// defaultMAPIPort is the port of quarry server's default --mapi-addr.
const defaultMAPIPort = "9001"

// unreachable words a failure to talk to the server at all: refused,
// unknown host, timeout, TLS trouble.
func unreachable(err error) (string, bool) {
	var (
		urlErr    *url.Error
		dnsErr    *net.DNSError
		certErr   *tls.CertificateVerificationError
		recordErr tls.RecordHeaderError
	)
	if !errors.As(err, &urlErr) {
		return "", false
	}
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused (is Quarry running, and is this its management API address?)", true
	case errors.As(err, &dnsErr):
		return fmt.Sprintf("no such host %s", dnsErr.Name), true
	case urlErr.Timeout():
		return "no answer in time", true
	case errors.As(err, &certErr):
		return fmt.Sprintf("its TLS certificate is not trusted (%v); for a test server with a self-signed certificate, add --insecure", certErr.Err), true
	case errors.As(err, &recordErr), strings.Contains(urlErr.Err.Error(), "server gave HTTP response to HTTPS client"):
		return "it does not speak HTTPS: use an http:// endpoint", true
	}
	return urlErr.Err.Error(), true
}

func errNotLoggedIn(endpoint string) error {
	if endpoint == "" {
		return errors.New("not logged in: run quarry login --endpoint URL --user NAME first")
	}
	return fmt.Errorf("not logged in to %s: run quarry login --endpoint %s --user NAME first", endpoint, endpoint)
}

// parseJobID reads a job id argument.
func parseJobID(arg string) (int32, error) {
	id, err := strconv.ParseInt(arg, 10, 32)
	if err != nil || id <= 0 {
		return 0, fmt.Errorf("job id %q: want a positive number", arg)
	}
	return int32(id), nil
}

// withClient runs fn with a client and the output mode, explaining the
// client's errors.
func (g *globalFlags) withClient(fn func(c *mapiclient.Client, jsonOut bool) error) error {
	c, err := g.client()
	if err != nil {
		return err
	}
	jsonOut, _ := g.jsonOutput()
	return explain(c, fn(c, jsonOut))
}

// exactArgs is cobra.ExactArgs with the usage line in the error.
func exactArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return fmt.Errorf("usage: %s", cmd.UseLine())
		}
		return nil
	}
}

// envOrDefault is the value of the environment variable name, or def
// when it is unset: the default of a management command's flag.
func envOrDefault(name, def string) string {
	if v, ok := os.LookupEnv(name); ok {
		return v
	}
	return def
}

// Package webhook is the webhook notification target type: each event is
// POSTed as JSON to an HTTP or HTTPS URL, with an optional Authorization
// header value, TLS verified unless the target opted out.
package webhook

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/quarrylabs/quarry/internal/meta"
	"github.com/quarrylabs/quarry/internal/notify"
	"github.com/quarrylabs/quarry/internal/outbox"
)

// Type is the webhook target type.
type Type struct {
	// Timeout bounds one POST (DefaultTimeout when zero).
	Timeout time.Duration
}

// DefaultTimeout bounds one POST: a receiver slower than this is retried.
const DefaultTimeout = 10 * time.Second

// EventIDHeader carries the event's id beside the body, for receivers
// that de-duplicate before they parse.
const EventIDHeader = "X-Quarry-Event-Id"

var _ notify.TargetType = Type{}

// Check validates a webhook's URL: an absolute http:// or https:// URL
// of a host, with an optional port (1 to 65535) and a path, and nothing
// that would put a secret where others see it (credentials, a query) or
// that a request never sends (a fragment). A secret goes in the
// Authorization value, which is stored sealed.
func (Type) Check(in notify.TargetInput) error {
	endpoint := in.Endpoint
	u, err := url.Parse(endpoint)
	if err != nil {
		return fmt.Errorf("endpoint %q is not a URL", endpoint)
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Errorf("endpoint %q must be an absolute http:// or https:// URL", endpoint)
	case u.Opaque != "" || u.Hostname() == "":
		return fmt.Errorf("endpoint %q has no host", endpoint)
	case u.User != nil:
		return fmt.Errorf("endpoint %q must not hold credentials: give them as the authorization header value (authHeader)", endpoint)
	case u.RawQuery != "" || u.ForceQuery:
		return fmt.Errorf("endpoint %q must not hold a query: give a secret as the authorization header value (authHeader)", endpoint)
	case u.Fragment != "" || strings.HasSuffix(endpoint, "#"):
		return fmt.Errorf("endpoint %q must not hold a fragment", endpoint)
	case strings.HasSuffix(u.Host, ":"):
		return fmt.Errorf("endpoint %q has an empty port", endpoint)
	}
	if port := u.Port(); port != "" {
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 {
			return fmt.Errorf("endpoint %q: the port must be 1 to 65535, not %s", endpoint, port)
		}
	}
	if strings.ContainsAny(in.Secret, "\r\n") {
		return errors.New("the authorization value must be one line")
	}
	return nil
}

// Open returns the sender of a stored webhook.
func (t Type) Open(target *meta.NotificationTarget, secret string) (notify.Sender, error) {
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.MaxIdleConnsPerHost = 64
	if target.InsecureSkipVerify {
		transport.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // the target's owner asked for it
	}
	timeout := t.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	return &sender{
		url:           target.Endpoint,
		authorization: secret,
		client: &http.Client{
			Transport: transport,
			Timeout:   timeout,
			// A redirect would resend the event (and its Authorization)
			// somewhere the target's owner never named.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}, nil
}

type sender struct {
	url           string
	authorization string
	client        *http.Client
}

// jsonType is the Content-Type of every event.
var jsonType = []string{"application/json"}

// maxAnswer is how much of a refusal's body is kept for its reason.
const maxAnswer = 256

// Send POSTs the message: any 2xx answer is a delivery; another answer is
// an error that says what came back; no answer is outbox.ErrUnreachable.
func (s *sender) Send(ctx context.Context, m notify.Message) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url, bytes.NewReader(m.Body))
	if err != nil {
		return outbox.Permanent(fmt.Errorf("webhook request: %w", err))
	}
	// Keys already in canonical form: no canonicalising per request.
	req.Header = http.Header{"Content-Type": jsonType, EventIDHeader: {m.ID}}
	if s.authorization != "" {
		req.Header["Authorization"] = []string{s.authorization}
	}
	resp, err := s.client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return outbox.Unreachable(fmt.Errorf("webhook %s: %w", s.url, cause(err)))
	}
	defer resp.Body.Close()
	// Read what is left (a little, bounded) so that the connection is
	// reused; keep the start of a refusal for its reason.
	var answer []byte
	if resp.StatusCode/100 != 2 {
		answer, _ = io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode/100 == 2 {
		return nil
	}
	text := strings.TrimSpace(string(answer))
	if text != "" {
		text = ": " + text
	}
	return fmt.Errorf("webhook %s answered HTTP %d%s", s.url, resp.StatusCode, text)
}

// cause strips the client's "Post URL:" wrapping, which repeats the URL.
func cause(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		var ne net.Error
		if errors.As(ue.Err, &ne) && ne.Timeout() {
			return fmt.Errorf("no answer within the timeout: %w", ue.Err)
		}
		return ue.Err
	}
	return err
}

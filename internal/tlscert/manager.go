package tlscert

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/quarrylabs/quarry/internal/auth"
	"github.com/quarrylabs/quarry/internal/events"
	"github.com/quarrylabs/quarry/internal/meta"
)

// ErrNotFound is returned when no stored certificate has the subject DN.
var ErrNotFound = errors.New("no such certificate")

// settingGeneration counts changes to the stored certificates: every node
// polls it and reloads when it moves.
const settingGeneration = "tls.certificates.generation"

// DefaultPoll is how often a node looks for changes made on other nodes.
const DefaultPoll = 2 * time.Second

// Info is a stored certificate as the MAPI shows it: never its key.
type Info struct {
	SubjectDN string
	IssuerDN  string
	NotBefore time.Time
	NotAfter  time.Time
	DNSNames  []string
	// CertPEM is the server's certificate alone, PEM-encoded.
	CertPEM string
}

// Config configures a Manager. Meta and Sealer are required.
type Config struct {
	Meta   meta.Store
	Sealer *auth.Sealer
	// Serving says whether the listeners serve TLS: when not, certificates
	// are still kept, for when TLS is turned on.
	Serving bool
	// Poll defaults to DefaultPoll.
	Poll time.Duration
	// Logger defaults to slog.Default().
	Logger *slog.Logger
	// Now defaults to time.Now.
	Now func() time.Time
}

// Manager stores certificates and chooses among them for each handshake.
// It is safe for concurrent use.
type Manager struct {
	cfg Config
	set atomic.Pointer[certSet]

	mu         sync.Mutex // serialises reloads
	generation string     // of the set loaded; "" before the first load
	loaded     bool
}

// New returns a Manager holding no certificates until Reload or Run.
func New(cfg Config) *Manager {
	if cfg.Poll <= 0 {
		cfg.Poll = DefaultPoll
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	m := &Manager{cfg: cfg}
	m.set.Store(&certSet{})
	return m
}

// Serving says whether the listeners serve TLS.
func (m *Manager) Serving() bool { return m.cfg.Serving }

// Add checks data (the PEM file of a certificate chain and its unencrypted
// private key) and stores it, replacing a stored certificate with the same
// subject DN. Every node serves it within a poll; this one at once.
func (m *Manager) Add(ctx context.Context, data []byte) (Info, error) {
	b, err := parseBundle(data, m.cfg.Now())
	if err != nil {
		return Info{}, err
	}
	subject := b.leaf.Subject.String()
	key, err := DNKey(subject)
	if err != nil {
		// Go wrote this DN; failing to read it back is a bug here.
		return Info{}, fmt.Errorf("canonical subject %q: %v", subject, err)
	}
	sealed, err := m.cfg.Sealer.Seal(b.keyPEM)
	if err != nil {
		return Info{}, fmt.Errorf("seal private key of %s: %w", subject, err)
	}
	c := &meta.Certificate{
		DNKey:     key,
		SubjectDN: subject,
		IssuerDN:  b.leaf.Issuer.String(),
		NotBefore: b.leaf.NotBefore,
		NotAfter:  b.leaf.NotAfter,
		ChainPEM:  b.chainPEM,
		KeyEnc:    sealed,
		CreatedAt: m.cfg.Now(),
	}
	err = m.cfg.Meta.Update(ctx, func(tx meta.Tx) error {
		if err := tx.PutCertificate(c); err != nil {
			return err
		}
		if err := bumpGeneration(tx); err != nil {
			return err
		}
		return events.Append(tx, certificateEvent(ctx, events.CertificateAdded, subject, "added, serving "+strings.Join(b.leaf.DNSNames, ", ")))
	})
	if err != nil {
		return Info{}, fmt.Errorf("store certificate %s: %w", subject, err)
	}
	m.reloadAfterChange(ctx)
	return infoOf(c)
}

// List returns the stored certificates by subject DN.
func (m *Manager) List(ctx context.Context) ([]Info, error) {
	var certs []meta.Certificate
	err := m.cfg.Meta.View(ctx, func(tx meta.Tx) error {
		var err error
		certs, err = tx.ListCertificates()
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list certificates: %w", err)
	}
	out := make([]Info, 0, len(certs))
	for i := range certs {
		info, err := infoOf(&certs[i])
		if err != nil {
			return nil, err
		}
		out = append(out, info)
	}
	return out, nil
}

// Get returns the certificate whose subject is dn, in any spelling of it:
// ErrInvalidDN when dn cannot be read, ErrNotFound when none is stored.
func (m *Manager) Get(ctx context.Context, dn string) (Info, error) {
	key, err := DNKey(dn)
	if err != nil {
		return Info{}, err
	}
	var c *meta.Certificate
	err = m.cfg.Meta.View(ctx, func(tx meta.Tx) error {
		c, err = tx.GetCertificate(key)
		return err
	})
	if errors.Is(err, meta.ErrNotFound) {
		return Info{}, fmt.Errorf("get %s: %w", dn, ErrNotFound)
	}
	if err != nil {
		return Info{}, fmt.Errorf("get certificate %s: %w", dn, err)
	}
	return infoOf(c)
}

// Delete removes the certificate whose subject is dn; the names it served
// fall back to the listeners' own certificate.
func (m *Manager) Delete(ctx context.Context, dn string) error {
	key, err := DNKey(dn)
	if err != nil {
		return err
	}
	err = m.cfg.Meta.Update(ctx, func(tx meta.Tx) error {
		if err := tx.DeleteCertificate(key); err != nil {
			return err
		}
		if err := bumpGeneration(tx); err != nil {
			return err
		}
		return events.Append(tx, certificateEvent(ctx, events.CertificateDeleted, dn, "deleted"))
	})
	if errors.Is(err, meta.ErrNotFound) {
		return fmt.Errorf("delete %s: %w", dn, ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("delete certificate %s: %w", dn, err)
	}
	m.reloadAfterChange(ctx)
	return nil
}

// reloadAfterChange makes this node serve a change it just made. The
// change is committed: a failure here only delays it to the next poll.
func (m *Manager) reloadAfterChange(ctx context.Context) {
	if !m.cfg.Serving {
		return
	}
	if err := m.Reload(ctx); err != nil {
		m.cfg.Logger.Warn("tls: reload certificates", "err", err)
	}
}

func bumpGeneration(tx meta.Tx) error {
	var n int64
	v, err := tx.GetSetting(settingGeneration)
	switch {
	case err == nil:
		if n, err = strconv.ParseInt(v, 10, 64); err != nil {
			return fmt.Errorf("setting %s holds %q: %w", settingGeneration, v, err)
		}
	case !errors.Is(err, meta.ErrNotFound):
		return err
	}
	return tx.PutSetting(settingGeneration, strconv.FormatInt(n+1, 10))
}

func infoOf(c *meta.Certificate) (Info, error) {
	block, _ := pem.Decode(c.ChainPEM)
	if block == nil {
		return Info{}, fmt.Errorf("stored certificate %s: no PEM", c.SubjectDN)
	}
	info := Info{SubjectDN: c.SubjectDN, IssuerDN: c.IssuerDN, NotBefore: c.NotBefore, NotAfter: c.NotAfter,
		CertPEM: string(pem.EncodeToMemory(block))}
	if leaf, err := x509.ParseCertificate(block.Bytes); err == nil {
		info.DNSNames = leaf.DNSNames
	}
	return info, nil
}

// Reload loads the stored certificates when their generation moved since
// the last load.
func (m *Manager) Reload(ctx context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	var (
		gen   string
		certs []meta.Certificate
	)
	err := m.cfg.Meta.View(ctx, func(tx meta.Tx) error {
		var err error
		gen, err = tx.GetSetting(settingGeneration)
		if errors.Is(err, meta.ErrNotFound) {
			gen, err = "0", nil
		}
		if err != nil || m.loaded && gen == m.generation {
			return err
		}
		certs, err = tx.ListCertificates()
		return err
	})
	if err != nil {
		return fmt.Errorf("load certificates: %w", err)
	}
	if m.loaded && gen == m.generation {
		return nil
	}
	m.set.Store(m.build(certs))
	m.generation, m.loaded = gen, true
	return nil
}

// Run reloads every poll until ctx ends. A failing store keeps the
// certificates last loaded; the failure is logged once, and the recovery.
func (m *Manager) Run(ctx context.Context) error {
	t := time.NewTicker(m.cfg.Poll)
	defer t.Stop()
	failing := false
	for {
		err := m.Reload(ctx)
		switch {
		case err != nil && ctx.Err() == nil && !failing:
			m.cfg.Logger.Warn("tls: cannot reload certificates; serving the ones loaded", "err", err)
			failing = true
		case err == nil && failing:
			m.cfg.Logger.Info("tls: certificates reload again")
			failing = false
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

// build opens the stored certificates into a set to serve. One whose key
// does not open (sealed with another node's key) is left out and logged.
func (m *Manager) build(certs []meta.Certificate) *certSet {
	set := &certSet{exact: map[string][]*tls.Certificate{}, wildcard: map[string][]*tls.Certificate{}}
	for i := range certs {
		c := &certs[i]
		keyPEM, err := m.cfg.Sealer.Open(c.KeyEnc)
		if err != nil {
			m.cfg.Logger.Error("tls: cannot open the key of a stored certificate; not serving it",
				"subject", c.SubjectDN, "err", err)
			continue
		}
		pair, err := tls.X509KeyPair(c.ChainPEM, keyPEM)
		if err != nil {
			m.cfg.Logger.Error("tls: stored certificate unusable; not serving it", "subject", c.SubjectDN, "err", err)
			continue
		}
		for _, name := range pair.Leaf.DNSNames {
			name = normalName(name)
			if suffix, ok := strings.CutPrefix(name, "*."); ok {
				set.wildcard[suffix] = append(set.wildcard[suffix], &pair)
			} else {
				set.exact[name] = append(set.exact[name], &pair)
			}
		}
	}
	for _, byName := range []map[string][]*tls.Certificate{set.exact, set.wildcard} {
		for _, list := range byName {
			sort.SliceStable(list, func(i, j int) bool { return list[i].Leaf.NotAfter.After(list[j].Leaf.NotAfter) })
		}
	}
	return set
}

// GetCertificate is tls.Config.GetCertificate: the stored certificate for
// the name the client asked for. One valid now comes before an expired
// one, then an exact name before a wildcard, then the latest to expire.
// It returns nil when none is stored for the name (or the client sent no
// name), so that the listener serves its own certificate.
func (m *Manager) GetCertificate(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
	name := normalName(hello.ServerName)
	if name == "" {
		return nil, nil
	}
	set := m.set.Load()
	candidates := set.exact[name]
	if _, parent, ok := strings.Cut(name, "."); ok {
		candidates = append(candidates[:len(candidates):len(candidates)], set.wildcard[parent]...)
	}
	now := m.cfg.Now()
	for _, c := range candidates {
		if !now.After(c.Leaf.NotAfter) {
			return c, nil
		}
	}
	if len(candidates) > 0 {
		return candidates[0], nil
	}
	return nil, nil
}

// certSet is what a node serves: certificates by the names they carry.
type certSet struct {
	exact    map[string][]*tls.Certificate
	wildcard map[string][]*tls.Certificate // by the part after "*."
}

func normalName(name string) string {
	return strings.TrimSuffix(strings.ToLower(name), ".")
}

// certificateEvent records a change of certificate subject by the caller
// the request's context names.
func certificateEvent(ctx context.Context, t events.Type, subject, what string) events.Event {
	a := events.ActorFrom(ctx)
	by := ""
	if a.Name != "" {
		by = " by " + a.Name
	}
	return events.Event{Type: t, Subject: "certificate/" + subject, Actor: a,
		Message: fmt.Sprintf("TLS certificate %s %s%s", subject, what, by)}
}

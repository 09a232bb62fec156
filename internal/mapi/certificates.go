package mapi

import (
	"context"
	"errors"

	"github.com/quarrylabs/quarry/internal/tlscert"
)

// Certificates is what the certificates endpoints need: *tlscert.Manager.
type Certificates interface {
	Add(ctx context.Context, pem []byte) (tlscert.Info, error)
	List(ctx context.Context) ([]tlscert.Info, error)
	Get(ctx context.Context, dn string) (tlscert.Info, error)
	Delete(ctx context.Context, dn string) error
	// Serving says whether the listeners serve TLS.
	Serving() bool
}

// certTimeLayout is how the vendor's system writes a certificate's
// validity: "9/6/2029 6:11PM". Quarry writes it in UTC.
const certTimeLayout = "1/2/2006 3:04PM"

// certificateJSON is a stored certificate as the MAPI shows it: the
// certificate itself, never its key.
type certificateJSON struct {
	SubjectDN  string   `json:"subjectDn"`
	IssuerDN   string   `json:"issuerDn"`
	NotBefore  string   `json:"notBefore"`
	NotAfter   string   `json:"notAfter"`
	PEMEncoded string   `json:"pemEncoded"`
	DNSNames   []string `json:"dnsNames"`
}

func newCertificateJSON(c tlscert.Info) certificateJSON {
	names := c.DNSNames
	if names == nil {
		names = []string{}
	}
	return certificateJSON{
		SubjectDN:  c.SubjectDN,
		IssuerDN:   c.IssuerDN,
		NotBefore:  c.NotBefore.UTC().Format(certTimeLayout),
		NotAfter:   c.NotAfter.UTC().Format(certTimeLayout),
		PEMEncoded: c.CertPEM,
		DNSNames:   names,
	}
}

// addedCertificateJSON is certificates/add's answer: the certificate and
// what happens to it.
type addedCertificateJSON struct {
	certificateJSON
	Message string `json:"message"`
}

// Messages of certificates/add.
const (
	certServedMessage = "stored; every TLS listener serves it to clients asking for its names within a few seconds"
	certStoredMessage = "stored; this server serves plain HTTP, so the certificate is served once it runs with " +
		"TLS (--tls-cert and --tls-key, or --tls-self-signed)"
)

// addCertificate stores the PEM file that is the body (the vendor's client
// sends the file as it is, under Content-Type application/json).
func (h *Handler) addCertificate(ctx context.Context, c *call) (any, error) {
	info, err := h.cfg.Certificates.Add(ctx, c.body)
	if err != nil {
		return nil, certError(err, "")
	}
	msg := certStoredMessage
	if h.cfg.Certificates.Serving() {
		msg = certServedMessage
	}
	return addedCertificateJSON{certificateJSON: newCertificateJSON(info), Message: msg}, nil
}

func (h *Handler) listCertificates(ctx context.Context, c *call) (any, error) {
	if err := decodeJSON(c.body, &struct{}{}); err != nil {
		return nil, err
	}
	infos, err := h.cfg.Certificates.List(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]certificateJSON, len(infos))
	for i, info := range infos {
		out[i] = newCertificateJSON(info)
	}
	return map[string]any{"certificates": out}, nil
}

// subjectDNRequest names a certificate. The vendor's facts module sends
// its spec unconverted, so subject_dn is taken too.
type subjectDNRequest struct {
	SubjectDN  *string `json:"subjectDn"`
	SubjectDN2 *string `json:"subject_dn"`
}

func (r subjectDNRequest) dn() (string, error) {
	dn := r.SubjectDN
	if dn == nil {
		dn = r.SubjectDN2
	} else if r.SubjectDN2 != nil && *r.SubjectDN2 != *dn {
		return "", invalid("subjectDn and subject_dn disagree; send one")
	}
	if dn == nil || *dn == "" {
		return "", invalid("subjectDn is required")
	}
	return *dn, nil
}

func (h *Handler) getCertificate(ctx context.Context, c *call) (any, error) {
	var req subjectDNRequest
	if err := decodeJSON(c.body, &req); err != nil {
		return nil, err
	}
	dn, err := req.dn()
	if err != nil {
		return nil, err
	}
	info, err := h.cfg.Certificates.Get(ctx, dn)
	if err != nil {
		return nil, certError(err, dn)
	}
	return newCertificateJSON(info), nil
}

func (h *Handler) deleteCertificate(ctx context.Context, c *call) (any, error) {
	var req subjectDNRequest
	if err := decodeStrictJSON(c.body, &req); err != nil {
		return nil, err
	}
	dn, err := req.dn()
	if err != nil {
		return nil, err
	}
	if err := h.cfg.Certificates.Delete(ctx, dn); err != nil {
		return nil, certError(err, dn)
	}
	return struct{}{}, nil
}

// certError maps the certificate manager's errors to answers.
func certError(err error, dn string) error {
	switch {
	case errors.Is(err, tlscert.ErrInvalid):
		return invalid("%s", after(err, tlscert.ErrInvalid))
	case errors.Is(err, tlscert.ErrInvalidDN):
		return invalid("invalid DN: %s", after(err, tlscert.ErrInvalidDN))
	case errors.Is(err, tlscert.ErrNotFound):
		return notFound("no certificate has the subject DN %s", clip(dn, maxPathInMessage))
	}
	return err
}

package mapi

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/quarrylabs/quarry/internal/meta"
)

// productShortName is what galaxy/info calls the product: Quarry, not the
// vendor's, so that nobody mistakes one for the other.
const productShortName = "Quarry"

// maxSerialLength is the longest serial number serial_number/set takes,
// in characters.
const maxSerialLength = 64

// serialNumber answers the serial number the settings hold now, so that
// serial_number/set on one node shows on every node at once.
func (h *Handler) serialNumber(ctx context.Context, c *call) (any, error) {
	if err := decodeJSON(c.body, &struct{}{}); err != nil {
		return nil, err
	}
	serial, err := h.currentSerial(ctx)
	if err != nil {
		return nil, err
	}
	return map[string]string{"value": serial}, nil
}

func (h *Handler) currentSerial(ctx context.Context) (string, error) {
	if h.cfg.Settings == nil {
		return h.cfg.Serial, nil
	}
	var serial string
	err := h.cfg.Settings.View(ctx, func(tx meta.Tx) error {
		var err error
		serial, err = tx.GetSetting(settingSerial)
		return err
	})
	if errors.Is(err, meta.ErrNotFound) {
		return h.cfg.Serial, nil
	}
	if err != nil {
		return "", fmt.Errorf("read serial number: %w", err)
	}
	return serial, nil
}

type serialRequest struct {
	Value *string `json:"value"`
}

// setSerialNumber replaces the installation's serial number: the vendor's
// clients let an operator give it the one their inventory knows.
func (h *Handler) setSerialNumber(ctx context.Context, c *call) (any, error) {
	var req serialRequest
	if err := decodeJSON(c.body, &req); err != nil {
		return nil, err
	}
	if req.Value == nil {
		return nil, invalid("value is required")
	}
	value := *req.Value
	if err := validSerial(value); err != nil {
		return nil, err
	}
	err := h.cfg.Settings.Update(ctx, func(tx meta.Tx) error { return tx.PutSetting(settingSerial, value) })
	if err != nil {
		return nil, fmt.Errorf("store serial number: %w", err)
	}
	return map[string]string{"value": value}, nil
}

// validSerial refuses what a serial number shown in tables and inventories
// should not hold: nothing, blanks around it, control or invisible
// characters, more than maxSerialLength characters.
func validSerial(v string) error {
	switch {
	case strings.TrimSpace(v) == "":
		return invalid("value must not be empty")
	case strings.TrimSpace(v) != v:
		return invalid("value must not start or end with spaces")
	case !utf8.ValidString(v):
		return invalid("value must be UTF-8 text")
	case utf8.RuneCountInString(v) > maxSerialLength:
		return invalid("value is %d characters long; at most %d are allowed", utf8.RuneCountInString(v), maxSerialLength)
	}
	for _, r := range v {
		if !unicode.IsPrint(r) {
			return invalid("value must hold printable characters only, not %U", r)
		}
	}
	return nil
}

type regionInfo struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

type galaxyInfo struct {
	ProductShortName string       `json:"productShortName"`
	GalaxyFQDN       string       `json:"galaxyFqdn"`
	GMSVersion       string       `json:"gmsVersion"`
	Regions          []regionInfo `json:"regions"`
}

// galaxyInfo describes the installation as the vendor's system describes
// its galaxy: one region, this server's, running this version. The name
// is the host the client reached the MAPI by, which is the name it knows
// the installation by.
func (h *Handler) galaxyInfo(ctx context.Context, c *call) (any, error) {
	return galaxyInfo{
		ProductShortName: productShortName,
		GalaxyFQDN:       hostName(c.host),
		GMSVersion:       h.cfg.Version,
		Regions:          []regionInfo{{Name: h.cfg.Region, Version: h.cfg.Version}},
	}, nil
}

// hostName is host without its port; the machine's name when the request
// named no host (HTTP/1.0).
func hostName(host string) string {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.Trim(host, "[]"), ".")
	if host == "" {
		host, _ = os.Hostname()
	}
	return host
}

// listLicenses answers that no licence is installed: Quarry needs none.
func (h *Handler) listLicenses(ctx context.Context, c *call) (any, error) {
	if err := decodeJSON(c.body, &struct{}{}); err != nil {
		return nil, err
	}
	return map[string][]struct{}{"licenses": {}}, nil
}

// addLicense refuses a licence file (the body, which is not JSON) with a
// 400 saying why, rather than a 200 that would suggest something was
// installed.
func (h *Handler) addLicense(ctx context.Context, c *call) (any, error) {
	return nil, invalid("Quarry needs no licence; nothing was installed")
}

func (h *Handler) regionIdentity(ctx context.Context, c *call) (any, error) {
	if err := decodeJSON(c.body, &struct{}{}); err != nil {
		return nil, err
	}
	return map[string]string{"region": h.cfg.Region}, nil
}

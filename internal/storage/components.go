package storage

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	blobs3 "github.com/quarrylabs/quarry/internal/blob/s3"
	"github.com/quarrylabs/quarry/internal/meta"
)

// Component is a storage component as the service shows it: its settings
// without secrets.
type Component struct {
	ID             int64
	StorageType    string
	State          meta.StorageState
	Verified       bool
	ClassID        int64
	FaultDomainID  string
	CustomMetadata json.RawMessage
	Settings       Settings
}

// TestResult is what a component test found.
type TestResult struct {
	ID          int64
	StorageType string
	State       meta.StorageState
	Verified    bool
	// HTTPStatus is 200 when the test passed, else the status the
	// endpoint answered the failing step with (502 when unreachable).
	HTTPStatus int
	// Message says what failed; empty when the test passed.
	Message string
}

func (s *Service) view(c *meta.StorageComponent) (*Component, error) {
	set, _, err := s.decode(c)
	if err != nil {
		return nil, err
	}
	md := json.RawMessage(c.CustomMetadata)
	if len(bytes.TrimSpace(md)) == 0 {
		md = json.RawMessage(`{}`)
	}
	return &Component{ID: c.ID, StorageType: c.StorageType, State: c.State, Verified: c.Verified,
		ClassID: c.ClassID, FaultDomainID: c.FaultDomainID, CustomMetadata: md, Settings: set}, nil
}

// ListComponents lists every component by id.
func (s *Service) ListComponents(ctx context.Context) ([]Component, error) {
	var all []meta.StorageComponent
	err := s.cfg.Meta.View(ctx, func(tx meta.Tx) error {
		var err error
		all, err = tx.ListStorageComponents()
		return err
	})
	if err != nil {
		return nil, err
	}
	out := make([]Component, 0, len(all))
	for i := range all {
		v, err := s.view(&all[i])
		if err != nil {
			return nil, err
		}
		out = append(out, *v)
	}
	return out, nil
}

// GetComponent returns one component.
func (s *Service) GetComponent(ctx context.Context, id int64) (*Component, error) {
	var c *meta.StorageComponent
	err := s.cfg.Meta.View(ctx, func(tx meta.Tx) error {
		var err error
		c, err = getComponent(tx, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.view(c)
}

func getComponent(tx meta.Tx, id int64) (*meta.StorageComponent, error) {
	c, err := tx.GetStorageComponent(id)
	if errors.Is(err, meta.ErrNotFound) {
		return nil, fmt.Errorf("%w: storage component %d does not exist", ErrNotFound, id)
	}
	return c, err
}

// checkType accepts the one storage type Quarry serves (the default).
func checkType(t string) (string, error) {
	switch strings.TrimSpace(t) {
	case "", TypeS3:
		return TypeS3, nil
	}
	return "", fmt.Errorf("%w: storageType %q is not supported: Quarry serves %s (a bucket of an S3-compatible endpoint)", ErrInvalid, t, TypeS3)
}

// checkMetadata accepts a JSON object (or nothing).
func checkMetadata(md json.RawMessage) (json.RawMessage, error) {
	md = bytes.TrimSpace(md)
	if len(md) == 0 || bytes.Equal(md, []byte("null")) {
		return nil, nil
	}
	var obj map[string]any
	if err := json.Unmarshal(md, &obj); err != nil {
		return nil, fmt.Errorf("%w: storageCustomMetadata must be a JSON object", ErrInvalid)
	}
	return md, nil
}

// resolveRefs finds the class and fault domain a spec names, by id or by
// name; an empty class is the default one, an empty domain none.
func resolveRefs(tx meta.Tx, classRef, domainRef string) (int64, string, error) {
	class, err := findClass(tx, classRef)
	if err != nil {
		return 0, "", err
	}
	domain, err := findDomain(tx, domainRef)
	if err != nil {
		return 0, "", err
	}
	return class, domain, nil
}

// CreateComponent registers a component. With activateNow it is tested and
// put in service at once, which takes what ActivateComponent takes;
// otherwise it is UNVERIFIED until a test passes. A refused create stores
// nothing.
func (s *Service) CreateComponent(ctx context.Context, sp Spec) (*Component, error) {
	typ, err := checkType(sp.StorageType)
	if err != nil {
		return nil, err
	}
	md, err := checkMetadata(sp.CustomMetadata)
	if err != nil {
		return nil, err
	}
	var (
		set Settings
		sec Secrets
	)
	set.UsePathStyleAlways = true // the vendor's default, and what works without wildcard DNS
	if err := sp.apply(&set, &sec); err != nil {
		return nil, err
	}
	if err := normalize(&set, &sec); err != nil {
		return nil, err
	}
	activate := sp.ActivateNow != nil && *sp.ActivateNow
	now := s.cfg.Now()
	c := &meta.StorageComponent{Label: set.Label, StorageType: typ, State: meta.StorageUnverified,
		CustomMetadata: md, CreatedAt: now, UpdatedAt: now}
	if err := s.encode(c, &set, &sec); err != nil {
		return nil, err
	}
	var store *blobs3.Store
	if activate {
		if err := s.canActivate(ctx, 0); err != nil {
			return nil, err
		}
		if store, err = s.checkSettings(ctx, &set, &sec); err != nil {
			return nil, err
		}
		c.State, c.Verified = meta.StorageActive, true
	}
	err = s.cfg.Meta.Update(ctx, func(tx meta.Tx) error {
		if c.ClassID, c.FaultDomainID, err = resolveRefs(tx, sp.Class, sp.FaultDomain); err != nil {
			return err
		}
		if activate {
			if err := activationAllowed(tx, 0); err != nil {
				return err
			}
		}
		err := tx.CreateStorageComponent(c)
		if errors.Is(err, meta.ErrExists) {
			return fmt.Errorf("%w: a storage component labelled %q already exists", ErrConflict, set.Label)
		}
		return err
	})
	if store != nil {
		store.Close()
	}
	if err != nil {
		return nil, err
	}
	if activate {
		if err := s.use(c); err != nil {
			return nil, err
		}
		s.afterSwitch(ctx, c)
	}
	return s.view(c)
}

// UpdateComponent changes the settings a spec gives. A component in
// service is tested with its new connection settings before they are
// stored, and may not move to another bucket while the server holds data;
// any other component whose connection settings change is UNVERIFIED
// again.
func (s *Service) UpdateComponent(ctx context.Context, id int64, sp Spec) (*Component, error) {
	md, err := checkMetadata(sp.CustomMetadata)
	if err != nil {
		return nil, err
	}
	if sp.StorageType != "" {
		if _, err := checkType(sp.StorageType); err != nil {
			return nil, err
		}
	}
	old, err := s.loadComponent(ctx, id)
	if err != nil {
		return nil, err
	}
	set, sec, err := s.decode(old)
	if err != nil {
		return nil, err
	}
	before, beforeSec := set, sec
	if err := sp.apply(&set, &sec); err != nil {
		return nil, err
	}
	if err := normalize(&set, &sec); err != nil {
		return nil, err
	}
	c := *old
	c.Label, c.UpdatedAt = set.Label, s.cfg.Now()
	if md != nil {
		c.CustomMetadata = md
	}
	if err := s.encode(&c, &set, &sec); err != nil {
		return nil, err
	}
	if sec == beforeSec {
		c.SecretsEnc = old.SecretsEnc // no new sealing: the running store need not change
	}
	connChanged := !sameConnection(blobConfig(&set, &sec), blobConfig(&before, &beforeSec))
	moved := set.location() != before.location()
	if connChanged && old.State.InService() {
		store, err := s.checkSettings(ctx, &set, &sec)
		if err != nil {
			return nil, err
		}
		store.Close()
		c.Verified = true
	} else if connChanged {
		c.Verified, c.State = false, meta.StorageUnverified
	}
	want := c
	err = s.cfg.Meta.Update(ctx, func(tx meta.Tx) error {
		// Update may run this again: start from the request each time.
		c = want
		cur, err := getComponent(tx, id)
		if err != nil {
			return err
		}
		if cur.State.InService() {
			c.State = cur.State // the state is set by activation and update_state, not here
		}
		if sp.Class != "" || sp.FaultDomain != "" {
			class, domain, err := resolveRefs(tx, sp.Class, sp.FaultDomain)
			if err != nil {
				return err
			}
			if sp.Class != "" {
				c.ClassID = class
			}
			if sp.FaultDomain != "" {
				c.FaultDomainID = domain
			}
		}
		if moved && cur.State.InService() {
			where, err := dataIn(tx)
			if err != nil {
				return err
			}
			if where != "" {
				return fmt.Errorf("%w: storage component %s holds the server's object data (%s): it cannot move to another endpoint or bucket; moving data between stores is not supported",
					ErrConflict, componentName(cur), where)
			}
		}
		err = tx.UpdateStorageComponent(&c)
		if errors.Is(err, meta.ErrExists) {
			return fmt.Errorf("%w: a storage component labelled %q already exists", ErrConflict, set.Label)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if c.State.InService() {
		if err := s.use(&c); err != nil {
			return nil, err
		}
	}
	return s.view(&c)
}

// sameConnection reports whether two blob store configurations reach the
// same bucket the same way.
func sameConnection(a, b blobs3.Config) bool {
	proxy := func(u *url.URL) string {
		if u == nil {
			return ""
		}
		return u.String()
	}
	pa, pb := proxy(a.Proxy), proxy(b.Proxy)
	a.Proxy, b.Proxy = nil, nil
	return a == b && pa == pb
}

func (s *Service) loadComponent(ctx context.Context, id int64) (*meta.StorageComponent, error) {
	var c *meta.StorageComponent
	err := s.cfg.Meta.View(ctx, func(tx meta.Tx) error {
		var err error
		c, err = getComponent(tx, id)
		return err
	})
	return c, err
}

// TestComponent tests a component: a HEAD of its bucket, then a probe
// object written, read back and deleted. id 0 tests the spec alone (a
// component not registered yet); otherwise the spec's settings, if any,
// override the stored ones for the test. A test of the stored settings
// records its outcome: a passing one makes an UNVERIFIED component
// INACTIVE (ready to activate). A failed test is an answer, not an error.
func (s *Service) TestComponent(ctx context.Context, id int64, sp *Spec) (*TestResult, error) {
	var (
		set Settings
		sec Secrets
		old *meta.StorageComponent
	)
	set.UsePathStyleAlways = true
	if id != 0 {
		var err error
		if old, err = s.loadComponent(ctx, id); err != nil {
			return nil, err
		}
		if set, sec, err = s.decode(old); err != nil {
			return nil, err
		}
	}
	overrides := sp != nil && len(sp.Config) > 0
	if overrides {
		if err := sp.apply(&set, &sec); err != nil {
			return nil, err
		}
	} else if id == 0 {
		return nil, fmt.Errorf("%w: id or storageComponentConfig is required", ErrInvalid)
	}
	if err := normalize(&set, &sec); err != nil {
		return nil, err
	}
	res := &TestResult{ID: id, StorageType: TypeS3, State: meta.StorageUnverified, HTTPStatus: http.StatusOK, Verified: true}
	store, err := s.checkSettings(ctx, &set, &sec)
	if store != nil {
		store.Close()
	}
	if err != nil {
		res.Verified, res.Message = false, strings.TrimPrefix(err.Error(), ErrInvalid.Error()+": ")
		var status int
		if status = blobs3.HTTPStatus(err); status == 0 {
			status = http.StatusBadGateway
		}
		res.HTTPStatus = status
	}
	if old == nil {
		return res, nil
	}
	res.StorageType, res.State = old.StorageType, old.State
	if overrides {
		return res, nil
	}
	err = s.cfg.Meta.Update(ctx, func(tx meta.Tx) error {
		res.State = old.State // Update may run this again
		cur, err := getComponent(tx, id)
		if err != nil {
			return err
		}
		if string(cur.Config) != string(old.Config) {
			return nil // changed meanwhile: this test was of the old settings
		}
		cur.Verified = res.Verified
		if res.Verified && cur.State == meta.StorageUnverified {
			cur.State = meta.StorageInactive
		}
		cur.UpdatedAt = s.cfg.Now()
		res.State = cur.State
		return tx.UpdateStorageComponent(cur)
	})
	return res, err
}

// checkSettings builds a store on the settings and checks it; the error
// wraps ErrInvalid with what failed.
func (s *Service) checkSettings(ctx context.Context, set *Settings, sec *Secrets) (*blobs3.Store, error) {
	store, err := blobs3.New(blobConfig(set, sec))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.ProbeTimeout)
	defer cancel()
	if err := store.Check(ctx); err != nil {
		store.Close()
		if errors.Is(err, context.DeadlineExceeded) {
			err = fmt.Errorf("%s did not answer within %s", set.Endpoint(), s.cfg.ProbeTimeout)
		}
		return nil, fmt.Errorf("%w: storage component test failed: %s bucket %s: %w", ErrInvalid, set.Endpoint(), set.Bucket, err)
	}
	return store, nil
}

// canActivate checks, before a test, what the metadata's own check
// (activationAllowed) checks again in the transaction: the --blob flag
// and the component in service. id is the component to activate (0: a
// new one).
func (s *Service) canActivate(ctx context.Context, id int64) error {
	if s.cfg.Fixed != nil {
		return fmt.Errorf("%w: this server keeps its object data where --blob says (%s); restart it without --blob to use registered storage components",
			ErrConflict, s.cfg.FixedName)
	}
	return s.cfg.Meta.View(ctx, func(tx meta.Tx) error { return activationAllowed(tx, id) })
}

// activationAllowed refuses to put a component in service while another
// is (exactly one holds the data in this release) or while the server
// holds data.
func activationAllowed(tx meta.Tx, id int64) error {
	cur, err := inServiceTx(tx)
	if err != nil {
		return err
	}
	if cur != nil && cur.ID != id {
		return fmt.Errorf("%w: storage component %s is %s and holds the server's object data; one component holds it in this release: decommission that one first (it must be empty)",
			ErrConflict, componentName(cur), cur.State)
	}
	where, err := dataIn(tx)
	if err != nil {
		return err
	}
	if where != "" {
		return fmt.Errorf("%w: the server already holds object data (%s): a storage component is only activated on a server without data; moving data between stores is not supported",
			ErrConflict, where)
	}
	return nil
}

// ActivateComponent tests a component and puts it in service (ACTIVE):
// from then on the server keeps its object data there. A component
// already in service is made ACTIVE again (from PAUSED or READ_ONLY).
func (s *Service) ActivateComponent(ctx context.Context, id int64) (*Component, error) {
	old, err := s.loadComponent(ctx, id)
	if err != nil {
		return nil, err
	}
	if old.State.InService() {
		return s.setInServiceState(ctx, id, meta.StorageActive)
	}
	if err := s.canActivate(ctx, id); err != nil {
		return nil, err
	}
	set, sec, err := s.decode(old)
	if err != nil {
		return nil, err
	}
	store, err := s.checkSettings(ctx, &set, &sec)
	if err != nil {
		return nil, err
	}
	store.Close()
	var c *meta.StorageComponent
	err = s.cfg.Meta.Update(ctx, func(tx meta.Tx) error {
		if c, err = getComponent(tx, id); err != nil {
			return err
		}
		if string(c.Config) != string(old.Config) || string(c.SecretsEnc) != string(old.SecretsEnc) {
			return fmt.Errorf("%w: storage component %s changed during its activation; activate it again", ErrConflict, componentName(c))
		}
		if err := activationAllowed(tx, id); err != nil {
			return err
		}
		c.State, c.Verified, c.UpdatedAt = meta.StorageActive, true, s.cfg.Now()
		return tx.UpdateStorageComponent(c)
	})
	if err != nil {
		return nil, err
	}
	if err := s.use(c); err != nil {
		return nil, err
	}
	s.afterSwitch(ctx, c)
	return s.view(c)
}

// afterSwitch warns when data was committed while the server switched
// stores: a write that raced the activation may have its blob on the
// store switched away from (still read in this process; see Router).
func (s *Service) afterSwitch(ctx context.Context, c *meta.StorageComponent) {
	_ = s.cfg.Meta.View(ctx, func(tx meta.Tx) error {
		where, err := dataIn(tx)
		if err == nil && where != "" {
			s.cfg.Logger.Warn("storage: data was written while the storage component was activated; blobs written just before may be on the previous store",
				"component", componentName(c), "data", where)
		}
		return err
	})
}

// SetComponentState sets the state of a component: ACTIVE activates it;
// READ_ONLY and PAUSED apply to the component in service only; INACTIVE
// decommissions it.
func (s *Service) SetComponentState(ctx context.Context, id int64, state meta.StorageState) (*Component, error) {
	switch state {
	case meta.StorageActive:
		return s.ActivateComponent(ctx, id)
	case meta.StorageInactive:
		return s.DecommissionComponent(ctx, id)
	case meta.StorageReadOnly, meta.StoragePaused:
		return s.setInServiceState(ctx, id, state)
	}
	return nil, fmt.Errorf("%w: storageComponentState must be ACTIVE, READ_ONLY, PAUSED or INACTIVE", ErrInvalid)
}

// setInServiceState moves the component in service between ACTIVE,
// READ_ONLY and PAUSED.
func (s *Service) setInServiceState(ctx context.Context, id int64, state meta.StorageState) (*Component, error) {
	var c *meta.StorageComponent
	err := s.cfg.Meta.Update(ctx, func(tx meta.Tx) error {
		var err error
		if c, err = getComponent(tx, id); err != nil {
			return err
		}
		if !c.State.InService() {
			return fmt.Errorf("%w: storage component %s is %s, not in service: activate it first", ErrConflict, componentName(c), c.State)
		}
		if c.State == state {
			return nil
		}
		c.State, c.UpdatedAt = state, s.cfg.Now()
		return tx.UpdateStorageComponent(c)
	})
	if err != nil {
		return nil, err
	}
	if err := s.use(c); err != nil {
		return nil, err
	}
	return s.view(c)
}

// DecommissionComponent takes a component out of use for good (INACTIVE).
// The component in service is refused while the server holds data; once
// it is decommissioned the server keeps new data on the local disk.
func (s *Service) DecommissionComponent(ctx context.Context, id int64) (*Component, error) {
	var c *meta.StorageComponent
	err := s.cfg.Meta.Update(ctx, func(tx meta.Tx) error {
		var err error
		if c, err = getComponent(tx, id); err != nil {
			return err
		}
		if c.State == meta.StorageInactive {
			return nil
		}
		if c.State.InService() {
			where, err := dataIn(tx)
			if err != nil {
				return err
			}
			if where != "" {
				return fmt.Errorf("%w: storage component %s holds the server's object data (%s): it cannot be decommissioned; moving data between stores is not supported",
					ErrConflict, componentName(c), where)
			}
		}
		c.State, c.UpdatedAt = meta.StorageInactive, s.cfg.Now()
		return tx.UpdateStorageComponent(c)
	})
	if err != nil {
		return nil, err
	}
	if cur, _ := s.inService(ctx); cur == nil {
		if err := s.use(nil); err != nil {
			return nil, err
		}
	}
	return s.view(c)
}

// ParseID reads a component, class or domain id given as a JSON number or
// a numeric string.
func ParseID(raw json.RawMessage, field string) (int64, error) {
	if len(bytes.TrimSpace(raw)) == 0 || bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		return 0, fmt.Errorf("%w: %s is required", ErrInvalid, field)
	}
	n, err := FlexInt(raw)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("%w: %s must be a positive integer (or a string of one), not %s", ErrInvalid, field, clipRaw(raw))
	}
	return n, nil
}

func clipRaw(raw json.RawMessage) string {
	s := string(bytes.TrimSpace(raw))
	if len(s) > 40 {
		s = s[:40] + "..."
	}
	return strconv.Quote(s)
}

package mapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/quarrylabs/quarry/internal/meta"
	"github.com/quarrylabs/quarry/internal/storage"
)

// Storage is what the storage_component, storage_class and
// storage_fault_domain endpoints need (*storage.Service). They are for
// admins only.
type Storage interface {
	ListComponents(ctx context.Context) ([]storage.Component, error)
	CreateComponent(ctx context.Context, sp storage.Spec) (*storage.Component, error)
	UpdateComponent(ctx context.Context, id int64, sp storage.Spec) (*storage.Component, error)
	TestComponent(ctx context.Context, id int64, sp *storage.Spec) (*storage.TestResult, error)
	ActivateComponent(ctx context.Context, id int64) (*storage.Component, error)
	SetComponentState(ctx context.Context, id int64, state meta.StorageState) (*storage.Component, error)
	DecommissionComponent(ctx context.Context, id int64) (*storage.Component, error)
	Capacity(ctx context.Context) (storage.Capacity, error)
	SiteID(ctx context.Context) (string, error)

	ListClasses(ctx context.Context, afterID int64, limit int) ([]storage.Class, bool, error)
	CreateClass(ctx context.Context, name string, data, parity int) (*storage.Class, error)
	GetClass(ctx context.Context, id int64) (*storage.Class, error)
	UpdateClass(ctx context.Context, id int64, u storage.ClassUpdate) (*storage.Class, error)
	DefaultClass(ctx context.Context) (*storage.Class, error)
	SetDefaultClass(ctx context.Context, id int64) (*storage.Class, error)

	ListFaultDomains(ctx context.Context, afterID string, limit int) ([]storage.FaultDomain, bool, error)
	CreateFaultDomain(ctx context.Context, name, tags string) (*storage.FaultDomain, error)
	GetFaultDomain(ctx context.Context, id string) (*storage.FaultDomain, error)
	UpdateFaultDomain(ctx context.Context, id string, name, tags *string) (*storage.FaultDomain, error)
}

// Page sizes of the storage lists, as the vendor's clients ask for them.
const (
	defaultClassPageSize  = 1000
	defaultDomainPageSize = 100
)

func (h *Handler) registerStorage() {
	h.addJSON("storage_component/list", adminOnly, h.listComponents)
	h.addJSON("storage_component/create", adminOnly, h.createComponent)
	// The vendor's module sends PATCH; a helper of it sends POST.
	h.addJSONMethods([]string{http.MethodPost, http.MethodPatch}, "storage_component/update", adminOnly, h.updateComponent)
	h.addJSON("storage_component/test", adminOnly, h.testComponent)
	h.addJSON("storage_component/activate", adminOnly, h.activateComponent)
	h.addJSON("storage_component/update_state", adminOnly, h.updateComponentState)
	h.addJSON("storage_component/decommission", adminOnly, h.decommissionComponent)
	h.addJSON("storage_component/get_capacity", adminOnly, h.componentCapacity)

	h.addJSON("storage_class/list", adminOnly, h.listClasses)
	h.addJSON("storage_class/create", adminOnly, h.createClass)
	h.addJSON("storage_class/info", adminOnly, h.classInfo)
	h.addJSON("storage_class/update", adminOnly, h.updateClass)
	h.addJSON("storage_class/default/get", adminOnly, h.defaultClass)
	h.addJSON("storage_class/default/update", adminOnly, h.setDefaultClass)

	h.addJSON("storage_fault_domain/list", adminOnly, h.listFaultDomains)
	h.addJSON("storage_fault_domain/info", adminOnly, h.faultDomainInfo)
	h.addJSON("storage_fault_domain/create", adminOnly, h.createFaultDomain)
	h.addJSON("storage_fault_domain/update", adminOnly, h.updateFaultDomain)
}

// componentJSON is a storage component as the vendor's clients read it:
// never its secretKey, managementPassword or proxyPassword, nor the access
// key.
type componentJSON struct {
	ID                     int64               `json:"id"`
	StorageClassID         int64               `json:"storageClassId"`
	StorageFaultDomainID   string              `json:"storageFaultDomainId"`
	StorageType            string              `json:"storageType"`
	StorageCustomMetadata  json.RawMessage     `json:"storageCustomMetadata"`
	StorageComponentConfig componentConfigJSON `json:"storageComponentConfig"`
}

type componentConfigJSON struct {
	Label              string   `json:"label"`
	Host               string   `json:"host"`
	Port               int      `json:"port"`
	Bucket             string   `json:"bucket"`
	Region             string   `json:"region"`
	AuthType           string   `json:"authType"`
	URIScheme          string   `json:"uriScheme"`
	ManagementHost     string   `json:"managementHost"`
	ManagementProtocol string   `json:"managementProtocol"`
	ManagementUser     string   `json:"managementUser"`
	ConnectionTTL      int      `json:"connectionTTL"`
	ConnectionTimeout  int      `json:"connectionTimeout"`
	MaxConnections     int      `json:"maxConnections"`
	SocketTimeout      int      `json:"socketTimeout"`
	UsePathStyleAlways bool     `json:"usePathStyleAlways"`
	UseProxy           bool     `json:"useProxy"`
	ProxyHost          string   `json:"proxyHost,omitempty"`
	ProxyPort          int      `json:"proxyPort,omitempty"`
	ProxyUserName      string   `json:"proxyUserName,omitempty"`
	DataClaimCapacity  string   `json:"dataClaimCapacity,omitempty"`
	State              string   `json:"state"`
	Verified           bool     `json:"verified"`
	SiteAffiliation    idString `json:"siteAffiliation"`
}

type idString struct {
	ID string `json:"id"`
}

func newComponentJSON(c *storage.Component, site string) componentJSON {
	s := &c.Settings
	return componentJSON{
		ID: c.ID, StorageClassID: c.ClassID, StorageFaultDomainID: c.FaultDomainID, StorageType: c.StorageType,
		StorageCustomMetadata: c.CustomMetadata,
		StorageComponentConfig: componentConfigJSON{
			Label: s.Label, Host: s.Host, Port: s.Port, Bucket: s.Bucket, Region: s.Region, AuthType: s.AuthType,
			URIScheme: s.URIScheme, ManagementHost: s.ManagementHost, ManagementProtocol: s.ManagementProtocol,
			ManagementUser: s.ManagementUser, ConnectionTTL: s.ConnectionTTL, ConnectionTimeout: s.ConnectionTimeout,
			MaxConnections: s.MaxConnections, SocketTimeout: s.SocketTimeout, UsePathStyleAlways: s.UsePathStyleAlways,
			UseProxy: s.UseProxy, ProxyHost: s.ProxyHost, ProxyPort: s.ProxyPort, ProxyUserName: s.ProxyUserName,
			DataClaimCapacity: s.DataClaimCapacity, State: string(c.State), Verified: c.Verified,
			SiteAffiliation: idString{ID: site},
		},
	}
}

// stateJSON is what update_state, decommission and test answer.
type stateJSON struct {
	ID          int64  `json:"id"`
	State       string `json:"state"`
	StorageType string `json:"storageType"`
	Verified    bool   `json:"verified"`
	HTTPStatus  int    `json:"httpStatus"`
	Message     string `json:"message,omitempty"`
}

func componentState(c *storage.Component) stateJSON {
	return stateJSON{ID: c.ID, State: string(c.State), StorageType: c.StorageType, Verified: c.Verified, HTTPStatus: http.StatusOK}
}

// storageError words the storage service's errors for the caller.
func storageError(err error) error {
	switch {
	case errors.Is(err, storage.ErrInvalid):
		return invalid("%s", after(err, storage.ErrInvalid))
	case errors.Is(err, storage.ErrNotFound):
		return notFound("%s", after(err, storage.ErrNotFound))
	case errors.Is(err, storage.ErrConflict):
		return conflict("%s", after(err, storage.ErrConflict))
	}
	return err
}

// camelKey turns a snake_case key into the camelCase the contract uses,
// with the vendor's one exception: connectionTTL.
func camelKey(k string) string {
	if strings.Contains(k, "_") {
		parts := strings.Split(k, "_")
		for i := 1; i < len(parts); i++ {
			if parts[i] != "" {
				parts[i] = strings.ToUpper(parts[i][:1]) + parts[i][1:]
			}
		}
		k = strings.Join(parts, "")
	}
	if k == "connectionTtl" {
		return "connectionTTL"
	}
	return k
}

// fieldsOf decodes a JSON object into its fields by camelCase name (the
// vendor's clients send either casing). An empty body has no fields.
func fieldsOf(body []byte, what string) (map[string]json.RawMessage, error) {
	if len(bytes.TrimSpace(body)) == 0 || bytes.Equal(bytes.TrimSpace(body), []byte("null")) {
		return map[string]json.RawMessage{}, nil
	}
	var raw map[string]json.RawMessage
	if err := decodeJSON(body, &raw); err != nil {
		if what != "" {
			return nil, invalid("%s must be a JSON object", what)
		}
		return nil, err
	}
	out := make(map[string]json.RawMessage, len(raw))
	for k, v := range raw {
		out[camelKey(k)] = v
	}
	return out, nil
}

func isNull(raw json.RawMessage) bool {
	t := bytes.TrimSpace(raw)
	return len(t) == 0 || bytes.Equal(t, []byte("null"))
}

// stringField reads an optional string field; null or absent is "".
func stringField(fields map[string]json.RawMessage, name string) (string, bool, error) {
	raw, ok := fields[name]
	if !ok || isNull(raw) {
		return "", false, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", false, invalid("%s must be a string", name)
	}
	return s, true, nil
}

// intField reads an optional integer field, a number or a numeric string.
func intField(fields map[string]json.RawMessage, name string) (int, bool, error) {
	raw, ok := fields[name]
	if !ok || isNull(raw) {
		return 0, false, nil
	}
	n, err := storage.FlexInt(raw)
	if err != nil || n < -1<<31 || n > 1<<31-1 {
		return 0, false, invalid("%s must be an integer", name)
	}
	return int(n), true, nil
}

// componentSpec reads the spec of a create, update or test request.
func componentSpec(fields map[string]json.RawMessage) (storage.Spec, error) {
	var sp storage.Spec
	var err error
	if sp.StorageType, _, err = stringField(fields, "storageType"); err != nil {
		return sp, err
	}
	if raw, ok := fields["storageComponentConfig"]; ok && !isNull(raw) {
		if sp.Config, err = fieldsOf(raw, "storageComponentConfig"); err != nil {
			return sp, err
		}
	}
	if raw, ok := fields["storageCustomMetadata"]; ok && !isNull(raw) {
		sp.CustomMetadata = raw
	}
	if sp.Class, _, err = stringField(sp.Config, "storageClass"); err != nil {
		return sp, invalid("storageComponentConfig.storageClass must be a string")
	}
	if sp.FaultDomain, _, err = stringField(sp.Config, "storageFaultDomain"); err != nil {
		return sp, invalid("storageComponentConfig.storageFaultDomain must be a string")
	}
	for _, src := range []map[string]json.RawMessage{fields, sp.Config} {
		if raw, ok := src["activateNow"]; ok && !isNull(raw) {
			var b bool
			if err := json.Unmarshal(raw, &b); err != nil {
				return sp, invalid("activateNow must be a boolean")
			}
			sp.ActivateNow = &b
		}
	}
	return sp, nil
}

// componentID reads the id field of a component call.
// componentRequest decodes a body that names one storage component by
// its id and answers its fields and the id.
func componentRequest(c *call) (map[string]json.RawMessage, int64, error) {
	fields, err := fieldsOf(c.body, "")
	if err != nil {
		return nil, 0, err
	}
	id, err := componentID(fields)
	return fields, id, err
}

// domainRequest decodes a body that names one fault domain by its id.
func domainRequest(c *call) (map[string]json.RawMessage, string, error) {
	fields, err := fieldsOf(c.body, "")
	if err != nil {
		return nil, "", err
	}
	id, err := domainID(fields)
	return fields, id, err
}

func componentID(fields map[string]json.RawMessage) (int64, error) {
	id, err := storage.ParseID(fields["id"], "id")
	return id, storageError(err)
}

func (h *Handler) componentJSON(ctx context.Context, c *storage.Component) (componentJSON, error) {
	site, err := h.cfg.Storage.SiteID(ctx)
	if err != nil {
		return componentJSON{}, err
	}
	return newComponentJSON(c, site), nil
}

// listComponents answers a bare JSON array, as the vendor's client
// iterates it directly.
func (h *Handler) listComponents(ctx context.Context, c *call) (any, error) {
	if err := decodeJSON(c.body, &struct{}{}); err != nil {
		return nil, err
	}
	all, err := h.cfg.Storage.ListComponents(ctx)
	if err != nil {
		return nil, storageError(err)
	}
	site, err := h.cfg.Storage.SiteID(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]componentJSON, len(all))
	for i := range all {
		out[i] = newComponentJSON(&all[i], site)
	}
	return out, nil
}

func (h *Handler) createComponent(ctx context.Context, c *call) (any, error) {
	fields, err := fieldsOf(c.body, "")
	if err != nil {
		return nil, err
	}
	sp, err := componentSpec(fields)
	if err != nil {
		return nil, err
	}
	if sp.Config == nil {
		return nil, invalid("storageComponentConfig is required")
	}
	comp, err := h.cfg.Storage.CreateComponent(ctx, sp)
	if err != nil {
		return nil, storageError(err)
	}
	return h.componentJSON(ctx, comp)
}

func (h *Handler) updateComponent(ctx context.Context, c *call) (any, error) {
	fields, id, err := componentRequest(c)
	if err != nil {
		return nil, err
	}
	sp, err := componentSpec(fields)
	if err != nil {
		return nil, err
	}
	comp, err := h.cfg.Storage.UpdateComponent(ctx, id, sp)
	if err != nil {
		return nil, storageError(err)
	}
	return h.componentJSON(ctx, comp)
}

// testComponent answers the test's outcome: a failed test is a 200 whose
// verified is false, with the endpoint's status and what failed.
func (h *Handler) testComponent(ctx context.Context, c *call) (any, error) {
	fields, err := fieldsOf(c.body, "")
	if err != nil {
		return nil, err
	}
	var id int64
	if !isNull(fields["id"]) {
		if id, err = componentID(fields); err != nil {
			return nil, err
		}
	}
	sp, err := componentSpec(fields)
	if err != nil {
		return nil, err
	}
	res, err := h.cfg.Storage.TestComponent(ctx, id, &sp)
	if err != nil {
		return nil, storageError(err)
	}
	return stateJSON{ID: res.ID, State: string(res.State), StorageType: res.StorageType, Verified: res.Verified,
		HTTPStatus: res.HTTPStatus, Message: res.Message}, nil
}

func (h *Handler) activateComponent(ctx context.Context, c *call) (any, error) {
	_, id, err := componentRequest(c)
	if err != nil {
		return nil, err
	}
	comp, err := h.cfg.Storage.ActivateComponent(ctx, id)
	if err != nil {
		return nil, storageError(err)
	}
	return h.componentJSON(ctx, comp)
}

func (h *Handler) updateComponentState(ctx context.Context, c *call) (any, error) {
	fields, id, err := componentRequest(c)
	if err != nil {
		return nil, err
	}
	state, _, err := stringField(fields, "storageComponentState")
	if err != nil {
		return nil, err
	}
	if state == "" {
		return nil, invalid("storageComponentState is required")
	}
	comp, err := h.cfg.Storage.SetComponentState(ctx, id, meta.StorageState(strings.ToUpper(state)))
	if err != nil {
		return nil, storageError(err)
	}
	return componentState(comp), nil
}

func (h *Handler) decommissionComponent(ctx context.Context, c *call) (any, error) {
	_, id, err := componentRequest(c)
	if err != nil {
		return nil, err
	}
	comp, err := h.cfg.Storage.DecommissionComponent(ctx, id)
	if err != nil {
		return nil, storageError(err)
	}
	return componentState(comp), nil
}

// capacityJSON serves the figures both at the top level and inside
// storageCapacities: the vendor's documents disagree on the nesting.
type capacityJSON struct {
	StorageCapacities     capacityFigures `json:"storageCapacities"`
	AvailableBytes        int64           `json:"availableBytes"`
	TotalBytes            int64           `json:"totalBytes"`
	UsedBytes             int64           `json:"usedBytes"`
	WarnThreshold         int64           `json:"warnThreshold"`
	AvailableCapacity     string          `json:"availableCapacity"`
	TotalCapacity         string          `json:"totalCapacity"`
	UsedCapacity          string          `json:"usedCapacity"`
	WarnThresholdCapacity string          `json:"warnThresholdCapacity"`
}

type capacityFigures struct {
	AvailableBytes int64 `json:"availableBytes"`
	TotalBytes     int64 `json:"totalBytes"`
	UsedBytes      int64 `json:"usedBytes"`
	WarnThreshold  int64 `json:"warnThreshold"`
}

func (h *Handler) componentCapacity(ctx context.Context, c *call) (any, error) {
	if err := decodeJSON(c.body, &struct{}{}); err != nil {
		return nil, err
	}
	cp, err := h.cfg.Storage.Capacity(ctx)
	if err != nil {
		return nil, err
	}
	f := capacityFigures{AvailableBytes: cp.Available, TotalBytes: cp.Total, UsedBytes: cp.Used, WarnThreshold: cp.WarnThreshold}
	return capacityJSON{StorageCapacities: f, AvailableBytes: f.AvailableBytes, TotalBytes: f.TotalBytes,
		UsedBytes: f.UsedBytes, WarnThreshold: f.WarnThreshold,
		AvailableCapacity: storage.FormatBytes(cp.Available), TotalCapacity: storage.FormatBytes(cp.Total),
		UsedCapacity: storage.FormatBytes(cp.Used), WarnThresholdCapacity: storage.FormatBytes(cp.WarnThreshold)}, nil
}

// classJSON is a storage class.
type classJSON struct {
	ID                int64   `json:"id"`
	Name              string  `json:"name"`
	DataCount         int     `json:"dataCount"`
	ParityCount       int     `json:"parityCount"`
	Default           bool    `json:"isDefault"`
	StorageComponents []int64 `json:"storageComponents"`
}

func newClassJSON(c *storage.Class) classJSON {
	return classJSON{ID: c.ID, Name: c.Name, DataCount: c.DataCount, ParityCount: c.ParityCount, Default: c.Default,
		StorageComponents: c.Components}
}

// storagePage reads the paging of a storage list: pageSize from the body
// or else the query string, and the token under pageToken or page_token
// (fieldsOf folds both to pageToken).
func storagePage(fields map[string]json.RawMessage, query string, def int) (size int, token string, err error) {
	n, ok, err := intField(fields, "pageSize")
	if err != nil {
		return 0, "", err
	}
	if !ok {
		if v := queryValue(query, "pageSize"); v != "" {
			if n, err = strconv.Atoi(v); err != nil {
				return 0, "", invalid("pageSize must be an integer")
			}
		}
	}
	switch {
	case n < 0:
		return 0, "", invalid("pageSize must not be negative")
	case n == 0:
		n = def
	case n > maxPageSize:
		n = maxPageSize
	}
	token, _, err = stringField(fields, "pageToken")
	if err != nil {
		return 0, "", err
	}
	if token != "" {
		if token, err = decodePageToken(token); err != nil {
			return 0, "", err
		}
	}
	return n, token, nil
}

func queryValue(rawQuery, name string) string {
	for _, kv := range strings.Split(rawQuery, "&") {
		if k, v, ok := strings.Cut(kv, "="); ok && k == name {
			return v
		}
	}
	return ""
}

// listPage is a page of a storage list; PageToken is null on the last
// page, which is what stops the vendor's client looping.
type classPage struct {
	StorageClasses []classJSON `json:"storageClasses"`
	PageToken      *string     `json:"pageToken"`
}

func (h *Handler) listClasses(ctx context.Context, c *call) (any, error) {
	fields, err := fieldsOf(c.body, "")
	if err != nil {
		return nil, err
	}
	size, after, err := storagePage(fields, c.query, defaultClassPageSize)
	if err != nil {
		return nil, err
	}
	var afterID int64
	if after != "" {
		if afterID, err = strconv.ParseInt(after, 10, 64); err != nil {
			return nil, invalid("pageToken is malformed")
		}
	}
	classes, more, err := h.cfg.Storage.ListClasses(ctx, afterID, size)
	if err != nil {
		return nil, storageError(err)
	}
	out := classPage{StorageClasses: make([]classJSON, len(classes))}
	for i := range classes {
		out.StorageClasses[i] = newClassJSON(&classes[i])
	}
	if more {
		tok := encodePageToken(strconv.FormatInt(classes[len(classes)-1].ID, 10))
		out.PageToken = &tok
	}
	return out, nil
}

func (h *Handler) createClass(ctx context.Context, c *call) (any, error) {
	fields, err := fieldsOf(c.body, "")
	if err != nil {
		return nil, err
	}
	name, _, err := stringField(fields, "name")
	if err != nil {
		return nil, err
	}
	data, ok, err := intField(fields, "dataCount")
	if err != nil {
		return nil, err
	}
	if !ok {
		data = 1
	}
	parity, _, err := intField(fields, "parityCount")
	if err != nil {
		return nil, err
	}
	cl, err := h.cfg.Storage.CreateClass(ctx, name, data, parity)
	if err != nil {
		return nil, storageError(err)
	}
	return newClassJSON(cl), nil
}

func (h *Handler) classInfo(ctx context.Context, c *call) (any, error) {
	_, id, err := componentRequest(c)
	if err != nil {
		return nil, err
	}
	cl, err := h.cfg.Storage.GetClass(ctx, id)
	if err != nil {
		return nil, storageError(err)
	}
	return newClassJSON(cl), nil
}

func (h *Handler) updateClass(ctx context.Context, c *call) (any, error) {
	fields, id, err := componentRequest(c)
	if err != nil {
		return nil, err
	}
	var u storage.ClassUpdate
	if name, ok, err := stringField(fields, "name"); err != nil {
		return nil, err
	} else if ok {
		u.Name = &name
	}
	if n, ok, err := intField(fields, "dataCount"); err != nil {
		return nil, err
	} else if ok {
		u.DataCount = &n
	}
	if n, ok, err := intField(fields, "parityCount"); err != nil {
		return nil, err
	} else if ok {
		u.ParityCount = &n
	}
	cl, err := h.cfg.Storage.UpdateClass(ctx, id, u)
	if err != nil {
		return nil, storageError(err)
	}
	return newClassJSON(cl), nil
}

func (h *Handler) defaultClass(ctx context.Context, c *call) (any, error) {
	if err := decodeJSON(c.body, &struct{}{}); err != nil {
		return nil, err
	}
	cl, err := h.cfg.Storage.DefaultClass(ctx)
	if err != nil {
		return nil, storageError(err)
	}
	return newClassJSON(cl), nil
}

func (h *Handler) setDefaultClass(ctx context.Context, c *call) (any, error) {
	_, id, err := componentRequest(c)
	if err != nil {
		return nil, err
	}
	cl, err := h.cfg.Storage.SetDefaultClass(ctx, id)
	if err != nil {
		return nil, storageError(err)
	}
	return newClassJSON(cl), nil
}

// domainJSON is a storage fault domain.
type domainJSON struct {
	ID                string  `json:"id"`
	Name              string  `json:"name"`
	Tags              string  `json:"tags"`
	StorageComponents []int64 `json:"storageComponents"`
}

func newDomainJSON(d *storage.FaultDomain) domainJSON {
	return domainJSON{ID: d.ID, Name: d.Name, Tags: d.Tags, StorageComponents: d.Components}
}

type domainPage struct {
	StorageFaultDomains []domainJSON `json:"storageFaultDomains"`
	PageToken           *string      `json:"pageToken"`
}

// domainID reads a fault domain's id: a UUID, or any string or number.
func domainID(fields map[string]json.RawMessage) (string, error) {
	raw := fields["id"]
	if isNull(raw) {
		return "", invalid("id is required")
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		if strings.TrimSpace(s) == "" {
			return "", invalid("id is required")
		}
		return s, nil
	}
	n, err := storage.FlexInt(raw)
	if err != nil {
		return "", invalid("id must be a string or an integer")
	}
	return strconv.FormatInt(n, 10), nil
}

func (h *Handler) listFaultDomains(ctx context.Context, c *call) (any, error) {
	fields, err := fieldsOf(c.body, "")
	if err != nil {
		return nil, err
	}
	size, after, err := storagePage(fields, c.query, defaultDomainPageSize)
	if err != nil {
		return nil, err
	}
	domains, more, err := h.cfg.Storage.ListFaultDomains(ctx, after, size)
	if err != nil {
		return nil, storageError(err)
	}
	out := domainPage{StorageFaultDomains: make([]domainJSON, len(domains))}
	for i := range domains {
		out.StorageFaultDomains[i] = newDomainJSON(&domains[i])
	}
	if more {
		tok := encodePageToken(domains[len(domains)-1].ID)
		out.PageToken = &tok
	}
	return out, nil
}

func (h *Handler) faultDomainInfo(ctx context.Context, c *call) (any, error) {
	_, id, err := domainRequest(c)
	if err != nil {
		return nil, err
	}
	d, err := h.cfg.Storage.GetFaultDomain(ctx, id)
	if err != nil {
		return nil, storageError(err)
	}
	return newDomainJSON(d), nil
}

func (h *Handler) createFaultDomain(ctx context.Context, c *call) (any, error) {
	fields, err := fieldsOf(c.body, "")
	if err != nil {
		return nil, err
	}
	name, _, err := stringField(fields, "name")
	if err != nil {
		return nil, err
	}
	tags, _, err := stringField(fields, "tags")
	if err != nil {
		return nil, err
	}
	d, err := h.cfg.Storage.CreateFaultDomain(ctx, name, tags)
	if err != nil {
		return nil, storageError(err)
	}
	return newDomainJSON(d), nil
}

func (h *Handler) updateFaultDomain(ctx context.Context, c *call) (any, error) {
	fields, id, err := domainRequest(c)
	if err != nil {
		return nil, err
	}
	var name, tags *string
	if s, ok, err := stringField(fields, "name"); err != nil {
		return nil, err
	} else if ok {
		name = &s
	}
	if s, ok, err := stringField(fields, "tags"); err != nil {
		return nil, err
	} else if ok {
		tags = &s
	}
	d, err := h.cfg.Storage.UpdateFaultDomain(ctx, id, name, tags)
	if err != nil {
		return nil, storageError(err)
	}
	return newDomainJSON(d), nil
}

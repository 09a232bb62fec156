package mapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/quarrylabs/quarry/internal/blob/s3/s3test"
	"github.com/quarrylabs/quarry/internal/meta"
)

// componentBody is a create request as the vendor's module sends it, for
// a bucket of backend.
func componentBody(b *s3test.Backend, bucket, label string, activate bool) string {
	return fmt.Sprintf(`{"storageType":"HCPS_S3","storageCustomMetadata":{"team":"ops"},"storageComponentConfig":{
		"label":%q,"host":%q,"port":"%d","uriScheme":"HTTP","bucket":%q,"region":"us-east-1","authType":"V4",
		"accessKey":%q,"secretKey":%q,"managementUser":"mgr","managementPassword":"mgmt-pass-123",
		"managementProtocol":"HTTPS","managementHost":"mgmt.example:9090/mapi","storageClass":"standard",
		"storageFaultDomain":null,"usePathStyleAlways":true,"connectionTTL":60000,"activateNow":%v}}`,
		label, b.Host, b.Port, bucket, s3test.AccessKey, s3test.SecretKey, activate)
}

// rawCall is h.call with any method.
func (h *harness) rawCall(method, user, endpoint, body string) response {
	h.t.Helper()
	x := h.csrf()
	req := h.request("/mapi/v1/"+endpoint, h.token(user), x, x, strings.NewReader(body))
	req.Method = method
	return h.send(req)
}

func TestStorageComponentsAreRegisteredListedUpdatedTestedAndActivated(t *testing.T) {
	h := newHarness(t)
	b := s3test.Start(t)
	bucket := b.NewBucket(t)

	r := h.call("admin", "storage_component/create", componentBody(b, bucket, "primary", false))
	wantOK(t, r)
	id := int64(r.num("id"))
	if id <= 0 || r.str("storageType") != "HCPS_S3" || r.str("storageComponentConfig", "state") != "UNVERIFIED" ||
		r.num("storageComponentConfig", "port") != float64(b.Port) || r.num("storageComponentConfig", "connectionTTL") != 60000 ||
		r.num("storageClassId") <= 0 || r.str("storageComponentConfig", "siteAffiliation", "id") == "" ||
		r.str("storageCustomMetadata", "team") != "ops" {
		t.Fatalf("create answered %s", r.raw)
	}
	for _, secret := range []string{s3test.SecretKey, "mgmt-pass-123", s3test.AccessKey, "secretKey", "managementPassword"} {
		if strings.Contains(r.raw, secret) {
			t.Fatalf("create answered a secret (%s): %s", secret, r.raw)
		}
	}
	// The secrets are sealed in the metadata store.
	err := h.store.View(h.ctx, func(tx meta.Tx) error {
		c, err := tx.GetStorageComponent(id)
		if err != nil {
			return err
		}
		for _, doc := range [][]byte{c.Config, c.SecretsEnc} {
			if bytes.Contains(doc, []byte(s3test.SecretKey)) || bytes.Contains(doc, []byte("mgmt-pass-123")) {
				t.Errorf("a secret is stored in clear: %s", doc)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	// list is a bare array the client compares str(id) against.
	list := h.call("admin", "storage_component/list", ``)
	var items []map[string]any
	if list.status != 200 || json.Unmarshal([]byte(list.raw), &items) != nil || len(items) != 1 || items[0]["id"] != float64(id) {
		t.Fatalf("list answered %s, want a bare array of one component", list.raw)
	}
	if strings.Contains(list.raw, s3test.SecretKey) {
		t.Fatal("list shows the secret key")
	}

	// update, the module's way: PATCH, the id as a string, snake_case keys.
	up := h.rawCall(http.MethodPatch, "admin", "storage_component/update",
		fmt.Sprintf(`{"id":"%d","storage_component_config":{"max_connections":64,"connection_ttl":30000,"label":"Primary"}}`, id))
	wantOK(t, up)
	if up.num("storageComponentConfig", "maxConnections") != 64 || up.num("storageComponentConfig", "connectionTTL") != 30000 ||
		up.str("storageComponentConfig", "label") != "Primary" || up.str("storageComponentConfig", "bucket") != bucket {
		t.Fatalf("PATCH update answered %s", up.raw)
	}
	wantOK(t, h.call("admin", "storage_component/update", fmt.Sprintf(`{"id":%d,"storageCustomMetadata":{"team":"infra"}}`, id)))

	// test connects: a HEAD of the bucket and a probe object.
	tr := h.call("admin", "storage_component/test", fmt.Sprintf(`{"id":"%d"}`, id))
	wantOK(t, tr)
	if tr.get("verified") != true || tr.num("httpStatus") != 200 || tr.str("state") != "INACTIVE" {
		t.Fatalf("test answered %s", tr.raw)
	}
	if keys := b.Keys(t, bucket, ""); len(keys) != 0 {
		t.Fatalf("the test left %v in the bucket", keys)
	}
	bad := h.call("admin", "storage_component/test", fmt.Sprintf(`{"id":%d,"storageComponentConfig":{"bucket":"no-such-bucket"}}`, id))
	wantOK(t, bad)
	if bad.get("verified") != false || bad.num("httpStatus") != 404 || !strings.Contains(bad.str("message"), "no-such-bucket") {
		t.Fatalf("a test of a missing bucket answered %s", bad.raw)
	}

	// activate puts it in service; the router now writes to the bucket.
	act := h.call("admin", "storage_component/activate", fmt.Sprintf(`{"id":"%d"}`, id))
	wantOK(t, act)
	if act.str("storageComponentConfig", "state") != "ACTIVE" {
		t.Fatalf("activate answered %s", act.raw)
	}
	if _, state := h.storage.Router().Current(); state != meta.StorageActive {
		t.Fatalf("the router serves state %q after activation", state)
	}

	// A second component cannot be activated: one holds the data.
	other := h.call("admin", "storage_component/create", componentBody(b, b.NewBucket(t), "secondary", false))
	wantOK(t, other)
	wantError(t, h.call("admin", "storage_component/activate", fmt.Sprintf(`{"id":%d}`, int64(other.num("id")))),
		409, CodeConflict, fmt.Sprintf("storage component %d (Primary) is ACTIVE", id))
	wantError(t, h.call("admin", "storage_component/create", componentBody(b, b.NewBucket(t), "third", true)),
		409, CodeConflict, "Primary")
	if n := len(h.storageLabels()); n != 2 {
		t.Fatalf("a refused create stored a component: %d components", n)
	}

	// update_state and decommission answer the state object.
	st := h.call("admin", "storage_component/update_state", fmt.Sprintf(`{"id":"%d","storageComponentState":"READ_ONLY"}`, id))
	wantOK(t, st)
	if st.str("state") != "READ_ONLY" || st.num("id") != float64(id) || st.get("verified") != true || st.num("httpStatus") != 200 {
		t.Fatalf("update_state answered %s", st.raw)
	}
	if _, state := h.storage.Router().Current(); state != meta.StorageReadOnly {
		t.Fatalf("the router serves state %q after update_state READ_ONLY", state)
	}
	wantError(t, h.call("admin", "storage_component/update_state", fmt.Sprintf(`{"id":%d,"storageComponentState":"PAUSED"}`, int64(other.num("id")))),
		409, CodeConflict, "activate it first")
	wantOK(t, h.call("admin", "storage_component/update_state", fmt.Sprintf(`{"id":%d,"storageComponentState":"ACTIVE"}`, id)))

	h.putObject("alice", "alice", "k", "data")
	wantError(t, h.call("admin", "storage_component/decommission", fmt.Sprintf(`{"id":%d}`, id)), 409, CodeConflict, "bucket alice holds objects")
	wantError(t, h.call("admin", "storage_component/update", fmt.Sprintf(`{"id":%d,"storageComponentConfig":{"bucket":%q}}`, id, b.NewBucket(t))),
		409, CodeConflict, "cannot move")
	dec := h.call("admin", "storage_component/decommission", fmt.Sprintf(`{"id":%d}`, int64(other.num("id"))))
	wantOK(t, dec)
	if dec.str("state") != "INACTIVE" {
		t.Fatalf("decommission answered %s", dec.raw)
	}

	capa := h.call("admin", "storage_component/get_capacity", ``)
	wantOK(t, capa)
	if capa.num("usedBytes") != 4 || capa.num("storageCapacities", "usedBytes") != 4 || capa.num("totalBytes") != -1 ||
		capa.str("totalCapacity") != "unlimited" || capa.str("usedCapacity") != "4 B" {
		t.Fatalf("get_capacity answered %s", capa.raw)
	}
}

func (h *harness) storageLabels() []string {
	var out []string
	_ = h.store.View(h.ctx, func(tx meta.Tx) error {
		all, err := tx.ListStorageComponents()
		for _, c := range all {
			out = append(out, c.Label)
		}
		return err
	})
	return out
}

func TestStorageComponentCallsRefuseBadInputAndChangeNothing(t *testing.T) {
	h := newHarness(t)
	b := s3test.Start(t)
	bucket := b.NewBucket(t)
	wantOK(t, h.call("admin", "storage_component/create", componentBody(b, bucket, "taken", false)))
	tests := []struct {
		endpoint, body string
		status         int
		code, msg      string
	}{
		{"storage_component/create", `{}`, 400, CodeInvalidRequest, "storageComponentConfig is required"},
		{"storage_component/create", `{"storageComponentConfig":{"host":"h"}}`, 400, CodeInvalidRequest, "label is required"},
		{"storage_component/create", `{"storageType":"HCPF","storageComponentConfig":{}}`, 400, CodeInvalidRequest, "storageType"},
		{"storage_component/create", `{"storageComponentConfig":{"label":"x","host":"h","bucket":"bkt","accessKey":"a","secretKey":"s","port":"eighty"}}`, 400, CodeInvalidRequest, "port must be"},
		{"storage_component/create", `{"storageComponentConfig":{"label":"x","host":"http://h/p","bucket":"bkt","accessKey":"a","secretKey":"s"}}`, 400, CodeInvalidRequest, "host"},
		{"storage_component/create", `{"storageComponentConfig":{"label":"x","host":"h","bucket":"bkt","accessKey":"a"}}`, 400, CodeInvalidRequest, "secretKey is required"},
		{"storage_component/create", `{"storageComponentConfig":{"label":"x","host":"h","bucket":"bkt","accessKey":"a","secretKey":"s","storageClass":"GOLD"}}`, 400, CodeInvalidRequest, `storage class "GOLD" does not exist`},
		{"storage_component/create", `{"storageComponentConfig":{"label":"x","host":"h","bucket":"bkt","accessKey":"a","secretKey":"s","uriScheme":"FTP"}}`, 400, CodeInvalidRequest, "uriScheme"},
		{"storage_component/create", `{"storageComponentConfig":"label"}`, 400, CodeInvalidRequest, "storageComponentConfig must be a JSON object"},
		{"storage_component/create", componentBody(b, bucket, "TAKEN", false), 409, CodeConflict, `labelled "TAKEN" already exists`},
		{"storage_component/update", `{"storageComponentConfig":{}}`, 400, CodeInvalidRequest, "id is required"},
		{"storage_component/update", `{"id":"abc"}`, 400, CodeInvalidRequest, "id must be a positive integer"},
		{"storage_component/update", `{"id":999}`, 404, CodeNotFound, "storage component 999 does not exist"},
		{"storage_component/test", `{}`, 400, CodeInvalidRequest, "id or storageComponentConfig is required"},
		{"storage_component/test", `{"id":999}`, 404, CodeNotFound, "999"},
		{"storage_component/activate", `{"id":999}`, 404, CodeNotFound, "999"},
		{"storage_component/update_state", `{"id":1,"storageComponentState":"BROKEN"}`, 400, CodeInvalidRequest, "storageComponentState must be"},
		{"storage_component/update_state", `{"id":1}`, 400, CodeInvalidRequest, "storageComponentState is required"},
		{"storage_component/decommission", `{"id":true}`, 400, CodeInvalidRequest, "id must be"},
		{"storage_class/create", `{"dataCount":1}`, 400, CodeInvalidRequest, "name is required"},
		{"storage_class/create", `{"name":"standard"}`, 409, CodeConflict, "already exists"},
		{"storage_class/create", `{"name":"x","dataCount":0}`, 400, CodeInvalidRequest, "dataCount"},
		{"storage_class/info", `{"id":"42"}`, 404, CodeNotFound, "storage class 42"},
		{"storage_class/info", `{"id":"x"}`, 400, CodeInvalidRequest, "id must be"},
		{"storage_class/list", `{"pageSize":-1}`, 400, CodeInvalidRequest, "pageSize"},
		{"storage_class/list", `{"page_token":"%%"}`, 400, CodeInvalidRequest, "pageToken"},
		{"storage_fault_domain/info", `{"id":"nope"}`, 404, CodeNotFound, "nope"},
		{"storage_fault_domain/create", `{"tags":"t"}`, 400, CodeInvalidRequest, "name is required"},
		{"storage_fault_domain/update", `{"name":"x"}`, 400, CodeInvalidRequest, "id is required"},
	}
	for _, tt := range tests {
		t.Run(tt.endpoint+" "+tt.body, func(t *testing.T) {
			wantError(t, h.call("admin", tt.endpoint, tt.body), tt.status, tt.code, tt.msg)
		})
	}
	if labels := h.storageLabels(); len(labels) != 1 {
		t.Fatalf("refused calls stored components: %v", labels)
	}
	for _, ep := range []string{"storage_component/list", "storage_component/create", "storage_class/list", "storage_fault_domain/create"} {
		wantError(t, h.call("alice", ep, `{}`), 403, CodeForbidden, "administrator")
	}
}

func TestStorageClassesAndFaultDomainsPageWithANullTokenOnTheLastPage(t *testing.T) {
	h := newHarness(t)
	def := h.call("admin", "storage_class/default/get", ``)
	wantOK(t, def)
	if def.str("name") != "STANDARD" || def.get("isDefault") != true || def.num("dataCount") != 1 {
		t.Fatalf("the default class is %s", def.raw)
	}
	for i := range 3 {
		wantOK(t, h.call("admin", "storage_class/create", fmt.Sprintf(`{"name":"class-%d","dataCount":4,"parityCount":2}`, i)))
	}
	var names []string
	token := ""
	for pages := 0; ; pages++ {
		if pages > 5 {
			t.Fatal("the class list never ends")
		}
		body := `{"pageSize":3}`
		if token != "" {
			body = fmt.Sprintf(`{"pageSize":3,"page_token":%q}`, token) // snake_case, as the module sends it
		}
		r := h.call("admin", "storage_class/list?pageSize=3", body)
		wantOK(t, r)
		for _, c := range r.get("storageClasses").([]any) {
			names = append(names, c.(map[string]any)["name"].(string))
		}
		if _, present := r.body["pageToken"]; !present {
			t.Fatalf("pageToken is missing, want it null on the last page: %s", r.raw)
		}
		if r.get("pageToken") == nil {
			break
		}
		token = r.str("pageToken")
	}
	if strings.Join(names, ",") != "STANDARD,class-0,class-1,class-2" {
		t.Fatalf("paged through %v", names)
	}
	cls := h.call("admin", "storage_class/list", ``).get("storageClasses").([]any)
	second := cls[1].(map[string]any)["id"].(float64)
	up := h.call("admin", "storage_class/update", fmt.Sprintf(`{"id":"%d","name":"Renamed"}`, int64(second)))
	wantOK(t, up)
	if up.str("name") != "Renamed" || up.num("dataCount") != 4 {
		t.Fatalf("update answered %s", up.raw)
	}
	wantOK(t, h.call("admin", "storage_class/default/update", fmt.Sprintf(`{"id":"%d"}`, int64(second))))
	if got := h.call("admin", "storage_class/default/get", ``).str("name"); got != "Renamed" {
		t.Fatalf("the default is %s after default/update", got)
	}
	if info := h.call("admin", "storage_class/info", fmt.Sprintf(`{"id":%d}`, int64(def.num("id")))); info.get("isDefault") != false {
		t.Fatalf("the old default is still default: %s", info.raw)
	}

	d := h.call("admin", "storage_fault_domain/create", `{"name":"TestFaultDomain","tags":"sample_tag"}`)
	wantOK(t, d)
	if len(d.str("id")) != 36 || d.str("tags") != "sample_tag" {
		t.Fatalf("fault domain create answered %s", d.raw)
	}
	wantOK(t, h.call("admin", "storage_fault_domain/create", `{"name":"Second"}`))
	wantError(t, h.call("admin", "storage_fault_domain/create", `{"name":"testfaultdomain"}`), 409, CodeConflict, "already exists")
	first := h.call("admin", "storage_fault_domain/list?pageSize=1", `{"pageSize":1}`)
	wantOK(t, first)
	if len(first.get("storageFaultDomains").([]any)) != 1 || first.str("pageToken") == "" {
		t.Fatalf("the first page of one is %s", first.raw)
	}
	last := h.call("admin", "storage_fault_domain/list?pageSize=1", fmt.Sprintf(`{"pageSize":1,"pageToken":%q}`, first.str("pageToken")))
	wantOK(t, last)
	if len(last.get("storageFaultDomains").([]any)) != 1 || last.get("pageToken") != nil {
		t.Fatalf("the last page is %s", last.raw)
	}
	up = h.call("admin", "storage_fault_domain/update", fmt.Sprintf(`{"id":%q,"name":"Renamed","tags":"t2"}`, d.str("id")))
	wantOK(t, up)
	if info := h.call("admin", "storage_fault_domain/info", fmt.Sprintf(`{"id":%q}`, d.str("id"))); info.str("name") != "Renamed" || info.str("tags") != "t2" {
		t.Fatalf("info after update: %s", info.raw)
	}
}

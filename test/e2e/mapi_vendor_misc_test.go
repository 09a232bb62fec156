package e2e

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/quarrylabs/quarry/internal/tlscert/tlscerttest"
)

// The rest of the vendor's endpoints (shared/spec/VENDOR-CLIENTS.md),
// called as its Ansible collection calls them.

// keycloakUsersPath is where the collection lists users to map names to
// UUIDs, on the admin.gms host.
const keycloakUsersPath = "/ui/auth/admin/realms/vsp-object/users"

// vendorGet is a GET of the vendor's client: no body, the bearer token,
// and (when xsrf) the XSRF header and cookies it sends on every MAPI call.
func vendorGet(c *mapiClient, path string, xsrf bool) mapiResponse {
	c.t.Helper()
	req, err := http.NewRequestWithContext(c.t.Context(), http.MethodGet, c.base+path, nil)
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Accept", "application/json")
	if c.AccessToken != "" {
		req.Header.Set("Authorization", "Bearer "+c.AccessToken)
	}
	if xsrf {
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set(mapiXSRFHeader, c.XSRF)
		req.AddCookie(&http.Cookie{Name: mapiXSRFCookie, Value: c.XSRF})
		req.AddCookie(&http.Cookie{Name: mapiSessCookie, Value: c.Session})
	}
	c.setHost(req)
	return c.send(req)
}

// adminCLILogin logs in at the token endpoint as the collection does for
// the users listing: client_id=admin-cli.
func adminCLILogin(t *testing.T, srv *server, user, password string) *mapiClient {
	t.Helper()
	c := newMAPIClient(t, srv)
	tr := c.grant(url.Values{"grant_type": {"password"}, "client_id": {"admin-cli"},
		"username": {user}, "password": {password}})
	if tr.Status != http.StatusOK || tr.AccessToken == "" {
		t.Fatalf("admin-cli grant: %d %s", tr.Status, tr.Error)
	}
	c.AccessToken = tr.AccessToken
	return c
}

type keycloakUser struct {
	ID               string `json:"id"`
	Username         string `json:"username"`
	Enabled          bool   `json:"enabled"`
	CreatedTimestamp int64  `json:"createdTimestamp"`
}

// vendorUserMap is what the collection's user facts module builds: each
// listed user's UUID, name, and MAPI id from user/lookup (or "not_found").
func vendorUserMap(t *testing.T, srv *server, root *mapiClient) map[string]string {
	t.Helper()
	kc := adminCLILogin(t, srv, rootUser, rootPassword)
	r := vendorGet(kc, keycloakUsersPath, false)
	var users []keycloakUser
	if r.Status != http.StatusOK || json.Unmarshal(r.Body, &users) != nil {
		t.Fatalf("GET %s: %s, want a JSON array", keycloakUsersPath, r)
	}
	out := map[string]string{}
	for _, u := range users {
		if len(u.ID) != 36 || !u.Enabled || u.CreatedTimestamp <= 0 {
			t.Fatalf("Keycloak user %+v", u)
		}
		var lookup struct {
			ID struct {
				ID int64 `json:"id"`
			} `json:"id"`
			IdpID string `json:"idpId"`
		}
		lr := vendorPost(root, "user/lookup", map[string]any{"id": u.ID})
		if lr.Status != http.StatusOK || decodeInto(lr, &lookup) != nil || lookup.IdpID != u.ID {
			out[u.Username] = u.ID + " not_found"
			continue
		}
		out[u.Username] = fmt.Sprintf("%s %d", u.ID, lookup.ID.ID)
	}
	return out
}

func TestVendorUserFactsMapKeycloakUUIDsToMAPIIDs(t *testing.T) {
	t.Parallel()
	srv := startServer(t, serverOptions{})
	root := mapiRoot(t, srv)
	alice := newMAPIUser(t, srv, root, "facts-alice")
	bob := newMAPIUser(t, srv, root, "facts-bob")
	carolID := root.createUser("facts-carol", "password-facts-carol-123", "USER")

	before := vendorUserMap(t, srv, root)
	for _, u := range []*mapiUser{alice, bob} {
		if !strings.HasSuffix(before[u.Name], fmt.Sprintf(" %d", u.ID)) {
			t.Fatalf("the user map gives %s %q, want its id %d: %v", u.Name, before[u.Name], u.ID, before)
		}
	}
	if len(before) != 4 || strings.Contains(fmt.Sprint(before), "not_found") {
		t.Fatalf("user map %v, want root, alice, bob and carol, all found", before)
	}
	carolUUID := strings.Fields(before["facts-carol"])[0]

	t.Run("an unknown UUID is 404, a user's token 403", func(t *testing.T) {
		wantMAPIError(t, "lookup of an unknown UUID",
			vendorPost(root.as(t), "user/lookup", map[string]any{"id": "e696b93c-840a-4ba4-858e-4086a6034a5c"}),
			http.StatusNotFound, "NOT_FOUND", "e696b93c-840a-4ba4-858e-4086a6034a5c")
		wantMAPIError(t, "lookup of a malformed UUID", vendorPost(root.as(t), "user/lookup", map[string]any{"id": "1852773175"}),
			http.StatusBadRequest, "INVALID_REQUEST", "UUID")
		users := newMAPIClient(t, srv)
		users.AccessToken = alice.MAPI.AccessToken
		wantMAPIError(t, "a user listing users", vendorGet(users, keycloakUsersPath, false), http.StatusForbidden, "FORBIDDEN", "administrator")
		wantMAPIError(t, "no token", vendorGet(newMAPIClient(t, srv), keycloakUsersPath, false), http.StatusUnauthorized, "UNAUTHORIZED", "")
		bobUUID := strings.Fields(before[bob.Name])[0]
		wantMAPIError(t, "alice looking up bob", vendorPost(alice.as(t).MAPI, "user/lookup", map[string]any{"id": bobUUID}),
			http.StatusForbidden, "FORBIDDEN", "")
	})

	t.Run("Keycloak's query parameters", func(t *testing.T) {
		kc := adminCLILogin(t, srv, rootUser, rootPassword)
		for _, tt := range []struct{ query, want string }{
			{"?username=facts-", "facts-alice,facts-bob,facts-carol"},
			{"?username=facts-bob&exact=true", "facts-bob"},
			{"?search=facts&first=1&max=1", "facts-bob"},
		} {
			var users []keycloakUser
			r := vendorGet(kc, keycloakUsersPath+tt.query, false)
			if r.Status != http.StatusOK || json.Unmarshal(r.Body, &users) != nil {
				t.Fatalf("%s: %s", tt.query, r)
			}
			var names []string
			for _, u := range users {
				names = append(names, u.Username)
			}
			if got := strings.Join(names, ","); got != tt.want {
				t.Errorf("%s lists %q, want %q", tt.query, got, tt.want)
			}
		}
	})

	// The UUIDs survive a restart; a deleted user's is not found.
	root.must("user/delete", map[string]any{"id": map[string]any{"id": carolID}}, nil)
	srv.Stop(t)
	srv.Restart(t)
	root = mapiRoot(t, srv)
	after := vendorUserMap(t, srv, root)
	if len(after) != 3 || after[alice.Name] != before[alice.Name] || after[bob.Name] != before[bob.Name] || after[rootUser] != before[rootUser] {
		t.Fatalf("after a restart the user map is %v, was %v", after, before)
	}
	wantMAPIError(t, "lookup of a deleted user's UUID", vendorPost(root, "user/lookup", map[string]any{"id": carolUUID}),
		http.StatusNotFound, "NOT_FOUND", carolUUID)
}

func TestVendorGalaxyInfoSerialNumberAndLicences(t *testing.T) {
	t.Parallel()
	srv := startServer(t, serverOptions{})
	root := mapiRoot(t, srv)
	root.Host = "admin.us-east-1.cluster.example"

	r := vendorGet(root, mapiBase+"galaxy/info", true)
	var info struct {
		ProductShortName string `json:"productShortName"`
		GalaxyFqdn       string `json:"galaxyFqdn"`
		GmsVersion       string `json:"gmsVersion"`
		Regions          []struct {
			Name    string `json:"name"`
			Version string `json:"version"`
		} `json:"regions"`
	}
	if r.Status != http.StatusOK || decodeInto(r, &info) != nil {
		t.Fatalf("GET galaxy/info: %s", r)
	}
	if info.ProductShortName != "Quarry" || info.GalaxyFqdn != "admin.us-east-1.cluster.example" || info.GmsVersion == "" ||
		len(info.Regions) != 1 || info.Regions[0].Name != testRegion || info.Regions[0].Version != info.GmsVersion {
		t.Fatalf("galaxy/info: %s", r.Body)
	}

	r = vendorPost(root, "license/list", nil)
	if r.Status != http.StatusOK || strings.TrimSpace(string(r.Body)) != `{"licenses":[]}` {
		t.Fatalf("license/list: %s", r)
	}
	wantMAPIError(t, "license/add", vendorPost(root, "license/add", []byte("FEATURE DARE VALID 2100-12-31\nSIGNATURE 0xdeadbeef\n")),
		http.StatusBadRequest, "INVALID_REQUEST", "Quarry needs no licence; nothing was installed")

	var serial struct {
		Value string `json:"value"`
	}
	r = vendorPost(root, "serial_number/set", map[string]any{"value": "S12345678"})
	if r.Status != http.StatusOK || decodeInto(r, &serial) != nil || serial.Value != "S12345678" {
		t.Fatalf("serial_number/set: %s", r)
	}
	wantMAPIError(t, "an empty serial", vendorPost(root, "serial_number/set", map[string]any{"value": ""}),
		http.StatusBadRequest, "INVALID_REQUEST", "empty")
	wantMAPIError(t, "a serial of 65 characters", vendorPost(root, "serial_number/set", map[string]any{"value": strings.Repeat("9", 65)}),
		http.StatusBadRequest, "INVALID_REQUEST", "64")
	user := newMAPIUser(t, srv, root, "serial-user")
	wantMAPIError(t, "a user setting the serial", vendorPost(user.MAPI, "serial_number/set", map[string]any{"value": "MINE"}),
		http.StatusForbidden, "FORBIDDEN", "")

	srv.Stop(t)
	srv.Restart(t)
	root = mapiRoot(t, srv)
	root.must("serial_number/get", nil, &serial)
	if serial.Value != "S12345678" {
		t.Fatalf("after a restart serial_number/get = %q, want S12345678", serial.Value)
	}
}

func TestVendorKMIPStorageClassesAndUnknownPathsAre501(t *testing.T) {
	t.Parallel()
	root := mapiRoot(t, sharedSrv)
	calls := []struct {
		endpoint string
		body     any
		mention  string
	}{
		{"kmip/list_servers", nil, "KMIP key servers are not implemented by Quarry"},
		{"kmip/get_server", map[string]any{"name": "srv1"}, "server-side encryption uses the server's own key"},
		{"kmip/add_server", map[string]any{"name": "srv1", "host": "kms.example", "port": 5696, "isTls12Enabled": true,
			"kmipProtocol": "V1_4", "httpsCiphers": "TLS_AES_128_GCM_SHA256"}, "KMIP"},
		{"kmip/update_server", map[string]any{"name": "srv1", "uuid": "5f0e3c1a-0000-4000-8000-000000000001", "isTLS12Enabled": nil}, "KMIP"},
		{"kmip/promote_server", map[string]any{"name": "srv1"}, "KMIP"},
		{"kmip/delete_server", map[string]any{"name": "srv1"}, "KMIP"},
		{"storage_class/list?pageSize=1000", map[string]any{"pageSize": 1000}, "storage classes are part of storage components, which come with scale-out mode"},
		{"storage_class/list?pageSize=1000", map[string]any{"pageSize": 1000, "page_token": "eyJ9"}, "storage classes"},
		{"storage_class/create", map[string]any{"name": "StandardClass", "dataCount": 1, "parityCount": 1}, "storage classes"},
		{"storage_class/info", map[string]any{"id": "194783998"}, "storage classes"},
		{"storage_class/update", map[string]any{"id": "194783998", "name": "Renamed"}, "storage classes"},
		{"storage_class/default/get", nil, "storage classes"},
		{"storage_class/default/update", map[string]any{"id": "194783998"}, "storage classes"},
		{"storage_fault_domain/list?pageSize=100", map[string]any{"pageSize": 100}, "fault domains are part of storage components"},
		{"storage_fault_domain/info", map[string]any{"id": "073cddb1-0000-4000-8000-000000000001"}, "fault domains"},
		{"storage_fault_domain/create", map[string]any{"name": "TestFaultDomain", "tags": "sample_tag"}, "fault domains"},
		{"storage_fault_domain/update", map[string]any{"id": "1", "name": "TestFaultDomain", "tags": "t"}, "fault domains"},
		{"storage_component/list", nil, "/mapi/v1/storage_component/list is not implemented by Quarry"},
		{"system/nonsense", map[string]any{}, "/mapi/v1/system/nonsense is not implemented by Quarry"},
	}
	for _, c := range calls {
		wantMAPIError(t, c.endpoint, vendorPost(root, c.endpoint, c.body), http.StatusNotImplemented, "NOT_IMPLEMENTED", c.mention)
	}

	t.Run("a PATCH, under /v1/ and without a token, is 501 too", func(t *testing.T) {
		anon := newMAPIClient(t, sharedSrv)
		for _, path := range []string{"/mapi/v1/storage_component/update", "/v1/storage_component/update"} {
			req, err := http.NewRequestWithContext(t.Context(), http.MethodPatch, anon.base+path, strings.NewReader(`{"id":"1"}`))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/json")
			wantMAPIError(t, "PATCH "+path, anon.send(req), http.StatusNotImplemented, "NOT_IMPLEMENTED", path+" is not implemented by Quarry")
		}
		// Outside the MAPI's prefixes an unknown path stays a 404.
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, anon.base+"/nothing/here", nil)
		wantMAPIError(t, "GET /nothing/here", anon.send(req), http.StatusNotFound, "NOT_FOUND", "")
	})

	t.Run("a user is refused the admin endpoints before 501", func(t *testing.T) {
		u := newMAPIUser(t, sharedSrv, root, fmt.Sprintf("kmip-user-%d", bucketSeq.Add(1)))
		wantMAPIError(t, "kmip as a user", vendorPost(u.MAPI, "kmip/list_servers", nil), http.StatusForbidden, "FORBIDDEN", "")
	})

	waitForLog(t, sharedSrv, "mapi request refused", "status=501", "path=/mapi/v1/system/nonsense", "user="+rootUser)
}

// waitForLog waits for a line of srv's output that holds every part.
func waitForLog(t *testing.T, srv *server, parts ...string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		for _, line := range strings.Split(srv.Output(), "\n") {
			found := true
			for _, p := range parts {
				found = found && strings.Contains(line, p)
			}
			if found {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no log line holds %q", parts)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// vendorCert is a certificate as certificates/list shows it.
type vendorCert struct {
	SubjectDn  string `json:"subjectDn"`
	IssuerDn   string `json:"issuerDn"`
	NotBefore  string `json:"notBefore"`
	NotAfter   string `json:"notAfter"`
	PemEncoded string `json:"pemEncoded"`
	Message    string `json:"message"`
}

func vendorCerts(t *testing.T, c *mapiClient) []vendorCert {
	t.Helper()
	r := vendorPost(c, "certificates/list", nil)
	var out struct {
		Certificates []vendorCert `json:"certificates"`
	}
	if r.Status != http.StatusOK || decodeInto(r, &out) != nil || out.Certificates == nil {
		t.Fatalf("certificates/list: %s", r)
	}
	return out.Certificates
}

// tlsMAPIRoot is a root client of a server that serves TLS.
func tlsMAPIRoot(t *testing.T, srv *server) *mapiClient {
	t.Helper()
	hc := insecureHTTPClient()
	hc.Timeout = 30 * time.Second
	c := &mapiClient{t: t, base: "https://" + srv.MAPIAddr, hc: hc, Prefix: mapiBase}
	c.login(rootUser, rootPassword)
	return c
}

// servedLeaf is the certificate addr serves to a client asking for name.
func servedLeaf(t *testing.T, addr, name string) *x509.Certificate {
	t.Helper()
	conn, err := tls.Dial("tcp", addr, &tls.Config{ServerName: name, InsecureSkipVerify: true}) //nolint:gosec // the test inspects what is served
	if err != nil {
		t.Fatalf("TLS to %s as %s: %v", addr, name, err)
	}
	defer conn.Close()
	return conn.ConnectionState().PeerCertificates[0]
}

// A certificate added through the MAPI is served by both listeners of
// every node to clients asking for its name, at once on the node that
// took it and within seconds on another, without a restart; deleted, the
// name gets the listener's own certificate again.
func TestVendorCertificatesAreServedByTheTLSListenersWithoutARestart(t *testing.T) {
	t.Parallel()
	srv := startServer(t, serverOptions{TLS: true})
	other := startServerIn(t, serverOptions{TLS: true}, srv.DataDir) // a second node on the same store
	root := tlsMAPIRoot(t, srv)
	const name = "objects.quarry-e2e.test"
	defaultLeaf := servedLeaf(t, srv.MAPIAddr, name)
	if defaultLeaf.Subject.CommonName != "quarry" {
		t.Fatalf("before any add %s is served %s, want the self-signed certificate", name, defaultLeaf.Subject)
	}

	ca := tlscerttest.NewCA(t, "E2E CA")
	issued := tlscerttest.Issue(t, tlscerttest.Options{CommonName: name, Organization: "Quarry E2E",
		DNSNames: []string{name, "*." + name}, Issuer: ca})
	// As the collection sends it: the PEM file as the body, under
	// Content-Type application/json.
	r := vendorPost(root, "certificates/add", issued.Bundle(ca.CertPEM))
	var added vendorCert
	if r.Status != http.StatusOK || decodeInto(r, &added) != nil || added.SubjectDn != "CN="+name+",O=Quarry E2E" ||
		!strings.Contains(added.Message, "serves it") {
		t.Fatalf("certificates/add: %s", r)
	}

	for _, addr := range []string{srv.MAPIAddr, srv.S3Addr} {
		if got := servedLeaf(t, addr, name); !got.Equal(issued.Cert) {
			t.Fatalf("after add %s serves %s for %s, want the added certificate", addr, got.Subject, name)
		}
		if got := servedLeaf(t, addr, "bucket."+name); !got.Equal(issued.Cert) {
			t.Fatalf("%s serves %s for the wildcard name", addr, got.Subject)
		}
		if got := servedLeaf(t, addr, "localhost"); !got.Equal(defaultLeaf) {
			t.Fatalf("%s serves %s for localhost, want its own certificate", addr, got.Subject)
		}
	}
	// A client that trusts the CA (and not the self-signed certificate)
	// talks to the server by the new name.
	pool := x509.NewCertPool()
	pool.AddCert(ca.Cert)
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, ServerName: name}}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr, Timeout: 10 * time.Second}).Get("https://" + srv.MAPIAddr + "/healthz")
	if err != nil {
		t.Fatalf("a client verifying %s against the CA: %v", name, err)
	}
	resp.Body.Close()

	deadline := time.Now().Add(10 * time.Second)
	for !servedLeaf(t, other.MAPIAddr, name).Equal(issued.Cert) {
		if time.Now().After(deadline) {
			t.Fatal("the other node does not serve the added certificate within 10s")
		}
		time.Sleep(100 * time.Millisecond)
	}

	list := vendorCerts(t, root)
	if len(list) != 1 || list[0].SubjectDn != added.SubjectDn || list[0].IssuerDn != "CN=E2E CA,O=Quarry tests" ||
		list[0].PemEncoded != string(issued.CertPEM) {
		t.Fatalf("certificates/list: %+v", list)
	}
	if _, err := time.Parse("1/2/2006 3:04PM", list[0].NotAfter); err != nil || list[0].NotAfter != issued.Cert.NotAfter.UTC().Format("1/2/2006 3:04PM") {
		t.Fatalf("notAfter %q, want the vendor's M/D/YYYY h:mmPM", list[0].NotAfter)
	}
	var got vendorCert
	// The facts module sends its spec unconverted: subject_dn.
	if r := vendorPost(root, "certificates/get", map[string]any{"subject_dn": added.SubjectDn}); r.Status != http.StatusOK ||
		decodeInto(r, &got) != nil || got.PemEncoded != string(issued.CertPEM) || bytes.Contains(r.Body, []byte("PRIVATE KEY")) {
		t.Fatalf("certificates/get: %s", r)
	}
	wantMAPIError(t, "get of an invalid DN", vendorPost(root, "certificates/get", map[string]any{"subjectDn": "not a DN"}),
		http.StatusBadRequest, "INVALID_REQUEST", "invalid DN")
	wantMAPIError(t, "get of an unknown DN", vendorPost(root, "certificates/get", map[string]any{"subjectDn": "CN=nobody.test"}),
		http.StatusNotFound, "NOT_FOUND", "CN=nobody.test")
	wantMAPIError(t, "add of an expired certificate", vendorPost(root, "certificates/add", tlscerttest.Issue(t, tlscerttest.Options{
		CommonName: "old.test", DNSNames: []string{"old.test"}, NotBefore: time.Now().AddDate(-2, 0, 0), NotAfter: time.Now().AddDate(-1, 0, 0)}).Bundle()),
		http.StatusBadRequest, "INVALID_REQUEST", "expired")
	wantMAPIError(t, "add of a mismatched key", vendorPost(root, "certificates/add", append(append([]byte(nil), issued.CertPEM...), tlscerttest.NewKeyPEM(t)...)),
		http.StatusBadRequest, "INVALID_REQUEST", "does not match")

	if r := vendorPost(root, "certificates/delete", map[string]any{"subjectDn": added.SubjectDn}); r.Status != http.StatusOK {
		t.Fatalf("certificates/delete: %s", r)
	}
	for _, addr := range []string{srv.MAPIAddr, srv.S3Addr} {
		if got := servedLeaf(t, addr, name); !got.Equal(defaultLeaf) {
			t.Fatalf("after delete %s serves %s for %s, want its own certificate", addr, got.Subject, name)
		}
	}
	deadline = time.Now().Add(10 * time.Second)
	for !servedLeaf(t, other.MAPIAddr, name).Equal(defaultLeaf) {
		if time.Now().After(deadline) {
			t.Fatal("the other node still serves the deleted certificate after 10s")
		}
		time.Sleep(100 * time.Millisecond)
	}
	if list := vendorCerts(t, root); len(list) != 0 {
		t.Fatalf("after delete: %+v", list)
	}
}

// On plain HTTP a certificate is kept for when TLS is turned on, and the
// answer says so.
func TestVendorCertificatesAreKeptOnPlainHTTP(t *testing.T) {
	t.Parallel()
	root := mapiRoot(t, sharedSrv)
	name := fmt.Sprintf("plain-%d.quarry-e2e.test", bucketSeq.Add(1))
	issued := tlscerttest.Issue(t, tlscerttest.Options{CommonName: name, DNSNames: []string{name}})
	r := vendorPost(root, "certificates/add", issued.Bundle())
	var added vendorCert
	if r.Status != http.StatusOK || decodeInto(r, &added) != nil || !strings.Contains(added.Message, "plain HTTP") {
		t.Fatalf("certificates/add on plain HTTP: %s", r)
	}
	found := false
	for _, c := range vendorCerts(t, root) {
		found = found || c.SubjectDn == "CN="+name
	}
	if !found {
		t.Fatalf("the added certificate is not listed")
	}
	if r := vendorPost(root, "certificates/delete", map[string]any{"subjectDn": "CN=" + name}); r.Status != http.StatusOK {
		t.Fatalf("certificates/delete: %s", r)
	}
	wantMAPIError(t, "delete again", vendorPost(root, "certificates/delete", map[string]any{"subjectDn": "CN=" + name}),
		http.StatusNotFound, "NOT_FOUND", name)
}

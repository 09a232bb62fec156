package e2e

import (
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"
)

// Existing clients call https://admin.<region>.<cluster>/mapi/v1/..., the
// vendor's reference page calls /v1/..., and the token endpoint lives on
// admin.gms.<cluster>: one listener must answer all of them alike.
func TestEveryPathAnswersUnderBothPrefixesWhateverTheHost(t *testing.T) {
	t.Parallel()
	c := rootClient()
	bucket := newBucket(t, c)
	putObject(t, c, bucket, "x", []byte("x"))
	root := mapiRoot(t, sharedSrv)
	root.waitJobEnded(root.createJob(metricRecon, bucket, nil).ID(), time.Minute)

	clients := map[string]*mapiClient{}
	for _, prefix := range []string{"/mapi/v1/", "/v1/"} {
		for _, host := range []string{"", "admin.us-east-1.cluster.example", "admin.gms.cluster.example"} {
			cc := newMAPIClient(t, sharedSrv)
			cc.Prefix, cc.Host = prefix, host
			cc.login(rootUser, rootPassword) // token endpoint and csrf under that host and prefix
			clients[prefix+" host "+host] = cc
		}
	}
	calls := []struct {
		endpoint string
		body     any
	}{
		{"user/info", nil},
		{"region/identity", nil},
		{"serial_number/get", nil},
		{"jobs/list", map[string]any{"bucketName": bucket}},
		{"user/list_buckets", map[string]any{"pageSize": 1000}},
	}
	for _, call := range calls {
		var want any
		wantFrom := ""
		for name, cc := range clients {
			resp := cc.post(call.endpoint, call.body)
			var got any
			if resp.Status != http.StatusOK || json.Unmarshal(resp.Body, &got) != nil {
				t.Errorf("%s via %s: %s, want 200 JSON", call.endpoint, name, resp)
				continue
			}
			if want == nil {
				want, wantFrom = got, name
				continue
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s answers differently via %s and %s:\n%s\n%s", call.endpoint, name, wantFrom, resp.Body, mustJSON(want))
			}
		}
	}
	var region struct {
		Region string `json:"region"`
	}
	root.must("region/identity", nil, &region)
	if region.Region != testRegion {
		t.Errorf("region/identity = %q, want %q", region.Region, testRegion)
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestOpenAPIDocumentDescribesTheMAPI(t *testing.T) {
	t.Parallel()
	c := newMAPIClient(t, sharedSrv)
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, c.base+"/mapi/v1/openapi.json", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp := c.send(req) // no token: the document is public
	var doc struct {
		OpenAPI string                     `json:"openapi"`
		Paths   map[string]json.RawMessage `json:"paths"`
	}
	if resp.Status != http.StatusOK || json.Unmarshal(resp.Body, &doc) != nil {
		t.Fatalf("GET openapi.json: %s, want 200 JSON", resp)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Errorf("openapi = %q, want 3.x", doc.OpenAPI)
	}
	for _, ep := range append(append([]string(nil), mapiEndpoints...), mapiOtherEndpoints...) {
		found := false
		for p := range doc.Paths {
			if strings.HasSuffix(p, "/"+ep) {
				found = true
			}
		}
		if !found {
			t.Errorf("the OpenAPI document has no path for %s", ep)
		}
	}
}

package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// vendorPatch is the module's update call: a PATCH with its JSON spec.
func vendorPatch(c *mapiClient, endpoint string, body any) mapiResponse {
	c.t.Helper()
	payload, err := json.Marshal(body)
	if err != nil {
		c.t.Fatal(err)
	}
	return c.do(mapiRequest{Endpoint: endpoint, Body: payload, Edit: func(r *http.Request) { r.Method = http.MethodPatch }})
}

type vendorComponent struct {
	ID                     int64          `json:"id"`
	StorageClassID         int64          `json:"storageClassId"`
	StorageType            string         `json:"storageType"`
	StorageCustomMetadata  map[string]any `json:"storageCustomMetadata"`
	StorageComponentConfig map[string]any `json:"storageComponentConfig"`
}

type vendorState struct {
	ID         int64  `json:"id"`
	State      string `json:"state"`
	Verified   bool   `json:"verified"`
	HTTPStatus int    `json:"httpStatus"`
}

// A Quarry on local disk registers another Quarry's bucket as its storage
// component the way the vendor's Ansible modules do, and from the
// activation on keeps its objects there.
func TestVendorStorageComponentCallsPutAServerOnAnotherQuarrysBucket(t *testing.T) {
	t.Parallel()
	backend, bc := startBackend(t)
	front := startServer(t, serverOptions{})
	root := mapiRoot(t, front)
	host, port, _ := strings.Cut(backend.S3Addr, ":")
	spec := map[string]any{
		"storageType":           "HCPS_S3",
		"storageCustomMetadata": map[string]any{},
		"storageComponentConfig": map[string]any{
			"label": "component-test6", "host": host, "storageClass": "STANDARD", "storageFaultDomain": "",
			"uriScheme": "HTTP", "port": port, "bucket": componentBucket, "region": testRegion, "authType": "V4",
			"accessKey": backend.AccessKey, "secretKey": backend.SecretKey, "useProxy": false, "proxyHost": nil,
			"managementUser": "johndoenag", "managementPassword": "Passw0rd!", "managementProtocol": "HTTPS",
			"managementHost": host + ":9090/mapi", "usePathStyleAlways": true, "activateNow": false,
		},
	}
	var created vendorComponent
	r := vendorPost(root, "storage_component/create", spec)
	if r.Status != http.StatusOK || decodeInto(r, &created) != nil || created.ID <= 0 ||
		created.StorageComponentConfig["state"] != "UNVERIFIED" || created.StorageType != "HCPS_S3" {
		t.Fatalf("create: %s", r)
	}
	for _, secret := range []string{backend.SecretKey, "Passw0rd!"} {
		if bytes.Contains(r.Body, []byte(secret)) {
			t.Fatalf("create answered a secret: %s", r)
		}
	}
	// list: a bare array, ids the client runs int() and str() on.
	r = vendorPost(root, "storage_component/list", nil)
	var list []vendorComponent
	if r.Status != http.StatusOK || decodeInto(r, &list) != nil || len(list) != 1 || strconv.FormatInt(list[0].ID, 10) != fmt.Sprint(created.ID) {
		t.Fatalf("list: %s", r)
	}
	// update: PATCH with the id as a string, connectionTTL upper-case.
	var updated vendorComponent
	r = vendorPatch(root, "storage_component/update", map[string]any{"id": fmt.Sprint(created.ID), "storageType": "HCPS_S3",
		"storageComponentConfig": map[string]any{"connectionTTL": 45000, "maxConnections": 256}})
	if r.Status != http.StatusOK || decodeInto(r, &updated) != nil || updated.StorageComponentConfig["connectionTTL"] != float64(45000) ||
		updated.StorageComponentConfig["maxConnections"] != float64(256) || updated.StorageComponentConfig["bucket"] != componentBucket {
		t.Fatalf("PATCH update: %s", r)
	}
	var st vendorState
	r = vendorPost(root, "storage_component/test", map[string]any{"id": fmt.Sprint(created.ID)})
	if r.Status != http.StatusOK || decodeInto(r, &st) != nil || !st.Verified || st.HTTPStatus != 200 || st.State != "INACTIVE" {
		t.Fatalf("test: %s", r)
	}
	r = vendorPost(root, "storage_component/activate", map[string]any{"id": fmt.Sprint(created.ID)})
	if r.Status != http.StatusOK || !bytes.Contains(r.Body, []byte(`"state":"ACTIVE"`)) {
		t.Fatalf("activate: %s", r)
	}

	// From now on the front's objects are blobs in the backend's bucket.
	c := s3Client(front.S3URL, front.AccessKey, front.SecretKey)
	if _, err := c.CreateBucket(t.Context(), &s3.CreateBucketInput{Bucket: aws.String("after")}); err != nil {
		t.Fatal(err)
	}
	data := marked("stored-on-the-component", aboveInlineMax) // in a blob, not inline
	if _, err := c.PutObject(t.Context(), &s3.PutObjectInput{Bucket: aws.String("after"), Key: aws.String("k"), Body: bytes.NewReader(data)}); err != nil {
		t.Fatal(err)
	}
	waitBackendBytes(t, bc, len(data))
	if got := readObject(t, c, "after", "k", nil); !bytes.Equal(got, data) {
		t.Fatal("the object reads back other bytes from the component")
	}

	// READ_ONLY: reads go on, writes are 503.
	r = vendorPost(root, "storage_component/update_state", map[string]any{"id": fmt.Sprint(created.ID), "storageComponentState": "READ_ONLY"})
	if r.Status != http.StatusOK || decodeInto(r, &st) != nil || st.State != "READ_ONLY" || st.ID != created.ID {
		t.Fatalf("update_state: %s", r)
	}
	_, err := c.PutObject(t.Context(), &s3.PutObjectInput{Bucket: aws.String("after"), Key: aws.String("k2"), Body: strings.NewReader("x")},
		func(o *s3.Options) { o.RetryMaxAttempts = 1 })
	wantErr(t, "PUT to a read-only component", err, http.StatusServiceUnavailable, "ServiceUnavailable")
	if got := readObject(t, c, "after", "k", nil); !bytes.Equal(got, data) {
		t.Fatal("a read-only component does not serve reads")
	}
	vendorPost(root, "storage_component/update_state", map[string]any{"id": fmt.Sprint(created.ID), "storageComponentState": "ACTIVE"})

	// With data in it, the component stays: decommission is refused.
	r = vendorPost(root, "storage_component/decommission", map[string]any{"id": created.ID})
	wantMAPIError(t, "decommission with data", r, http.StatusConflict, "CONFLICT", "holds the server's object data")

	var capacity struct {
		UsedBytes         int64 `json:"usedBytes"`
		StorageCapacities struct {
			UsedBytes int64 `json:"usedBytes"`
		} `json:"storageCapacities"`
		TotalCapacity string `json:"totalCapacity"`
	}
	r = vendorPost(root, "storage_component/get_capacity", nil)
	if r.Status != http.StatusOK || decodeInto(r, &capacity) != nil || capacity.UsedBytes != int64(len(data)) ||
		capacity.StorageCapacities.UsedBytes != int64(len(data)) || capacity.TotalCapacity != "unlimited" {
		t.Fatalf("get_capacity: %s", r)
	}

	// After a restart the server is still on the component.
	front.Stop(t)
	front.Restart(t)
	if got := readObject(t, c, "after", "k", nil); !bytes.Equal(got, data) {
		t.Fatal("after a restart the object is not read from the component")
	}
}

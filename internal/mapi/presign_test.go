package mapi

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/quarrylabs/quarry/internal/object"
	"github.com/quarrylabs/quarry/internal/s3api"
)

// presignHarness is a MAPI harness whose s3/presign signs for a real S3
// API over the same stores.
func presignHarness(t *testing.T) (*harness, *httptest.Server) {
	t.Helper()
	var s3srv *httptest.Server
	h := newHarness(t, func(c *Config) {
		c.S3URL = func(string) *url.URL { u, _ := url.Parse(s3srv.URL); return u }
	})
	s3srv = httptest.NewServer(s3api.New(s3api.Config{Objects: h.objects, Creds: h.users, Region: "eu-test-1"}))
	t.Cleanup(s3srv.Close)
	return h, s3srv
}

func (h *harness) giveKey(user string) string {
	h.t.Helper()
	ak, _, err := h.users.CreateAccessKey(h.ctx, h.ids[user])
	if err != nil {
		h.t.Fatal(err)
	}
	return ak
}

func sendURL(t *testing.T, method, u, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, u, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body == "" {
		req.Body = nil
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(raw)
}

func TestPresignedURLsWorkOnTheS3APIWithTheCallersOwnKey(t *testing.T) {
	h, s3srv := presignHarness(t)
	key := h.giveKey("alice")

	put := h.call("alice", "s3/presign", `{"method":"PUT","bucketName":"alice","key":"dir/a file+ü.txt"}`)
	wantOK(t, put)
	if put.str("accessKey") != key || put.str("method") != "PUT" || !strings.HasPrefix(put.str("url"), s3srv.URL+"/alice/dir/a%20file%2B%C3%BC.txt?") {
		t.Fatalf("presigned PUT: %s", put.raw)
	}
	u, _ := url.Parse(put.str("url"))
	if u.Query().Get("X-Amz-Expires") != "300" || !strings.HasPrefix(u.Query().Get("X-Amz-Credential"), key+"/") {
		t.Errorf("presigned PUT query %v: want the default 300 s and alice's key", u.Query())
	}
	if exp, err := time.Parse(time.RFC3339, put.str("expiresAt")); err != nil || exp.Sub(h.clock.Now()) > 301*time.Second || exp.Sub(h.clock.Now()) < 299*time.Second {
		t.Errorf("expiresAt %q, want 300 s from now", put.str("expiresAt"))
	}
	if status, body := sendURL(t, http.MethodPut, put.str("url"), "hello"); status != http.StatusOK {
		t.Fatalf("PUT to the presigned URL: %d %s", status, body)
	}

	get := h.call("alice", "s3/presign", `{"method":"get","bucketName":"alice","key":"dir/a file+ü.txt",
		"query":{"response-content-disposition":"attachment; filename=\"a file.txt\""},"expiresSeconds":60}`)
	wantOK(t, get)
	resp, err := http.Get(get.str("url"))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != "hello" || resp.Header.Get("Content-Disposition") != `attachment; filename="a file.txt"` {
		t.Errorf("GET of the presigned URL: %d %q, Content-Disposition %q", resp.StatusCode, body, resp.Header.Get("Content-Disposition"))
	}

	list := h.call("alice", "s3/presign", `{"method":"GET","bucketName":"alice","query":{"list-type":"2","prefix":"dir/","delimiter":"/"}}`)
	wantOK(t, list)
	if status, body := sendURL(t, http.MethodGet, list.str("url"), ""); status != 200 || !strings.Contains(body, "<Key>dir/a file+ü.txt</Key>") {
		t.Errorf("presigned ListObjectsV2: %d %s", status, body)
	}

	del := h.call("alice", "s3/presign", `{"method":"DELETE","bucketName":"alice","key":"dir/a file+ü.txt"}`)
	wantOK(t, del)
	if status, body := sendURL(t, http.MethodDelete, del.str("url"), ""); status != http.StatusNoContent {
		t.Errorf("presigned DELETE: %d %s", status, body)
	}
	if _, err := h.objects.HeadObject(h.ctx, h.principal("alice"), object.GetInput{Bucket: "alice", Key: "dir/a file+ü.txt"}); err == nil {
		t.Error("the object is still there after the presigned DELETE")
	}
}

func TestAPresignedURLGrantsNothingTheKeyDoesNot(t *testing.T) {
	h, _ := presignHarness(t)
	h.putObject("alice", "alice", "secret", "alice's")
	h.giveKey("bob")
	r := h.call("bob", "s3/presign", `{"method":"GET","bucketName":"alice","key":"secret"}`)
	wantOK(t, r)
	if status, body := sendURL(t, http.MethodGet, r.str("url"), ""); status != http.StatusForbidden || !strings.Contains(body, "AccessDenied") {
		t.Errorf("bob's presigned GET of alice's object: %d %s, want 403 AccessDenied", status, body)
	}
}

func TestPresignSignsWithTheNamedOrNewestKeyOfTheCallerOnly(t *testing.T) {
	h, _ := presignHarness(t)
	older := h.giveKey("alice")
	time.Sleep(10 * time.Millisecond) // keys are ordered by their creation times
	newer := h.giveKey("alice")
	bobs := h.giveKey("bob")

	if r := h.call("alice", "s3/presign", `{"method":"GET","bucketName":"alice","key":"k"}`); r.str("accessKey") != newer {
		t.Errorf("default key %q, want the newest %q (older %q)", r.str("accessKey"), newer, older)
	}
	if r := h.call("alice", "s3/presign", `{"method":"GET","bucketName":"alice","key":"k","accessKey":"`+older+`"}`); r.str("accessKey") != older {
		t.Errorf("named key: %s", r.raw)
	}
	wantError(t, h.call("alice", "s3/presign", `{"method":"GET","bucketName":"alice","key":"k","accessKey":"`+bobs+`"}`),
		http.StatusNotFound, CodeNotFound, "does not exist")
	wantError(t, h.call("admin", "s3/presign", `{"method":"GET","bucketName":"alice","key":"k"}`),
		http.StatusConflict, CodeConflict, "no S3 access key", "generate_credentials")
}

func TestPresignRefusesWhatItCannotSign(t *testing.T) {
	h, _ := presignHarness(t)
	h.giveKey("alice")
	for name, body := range map[string]string{
		"no method":                 `{"bucketName":"alice","key":"k"}`,
		"a method it does not sign": `{"method":"POST","bucketName":"alice","key":"k"}`,
		"no bucket":                 `{"method":"GET","key":"k"}`,
		"a bucket that is a path":   `{"method":"GET","bucketName":"alice/../bob","key":"k"}`,
		"a key with NUL":            `{"method":"GET","bucketName":"alice","key":"a\u0000b"}`,
		"a key too long":            `{"method":"GET","bucketName":"alice","key":"` + strings.Repeat("k", 1025) + `"}`,
		"a lifetime of 0":           `{"method":"GET","bucketName":"alice","key":"k","expiresSeconds":0}`,
		"a lifetime over an hour":   `{"method":"GET","bucketName":"alice","key":"k","expiresSeconds":3601}`,
		"a signature parameter":     `{"method":"GET","bucketName":"alice","key":"k","query":{"X-Amz-Expires":"999999"}}`,
		"a misspelt field":          `{"method":"DELETE","bucketName":"alice","kye":"k"}`,
		"a query that is no map":    `{"method":"GET","bucketName":"alice","query":"list-type=2"}`,
	} {
		t.Run(name, func(t *testing.T) {
			wantError(t, h.call("alice", "s3/presign", body), http.StatusBadRequest, CodeInvalidRequest)
		})
	}
}

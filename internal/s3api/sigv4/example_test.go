package sigv4_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"

	"github.com/quarrylabs/quarry/internal/s3api/sigv4"
)

// A handler authenticates with Verify, then reads the payload from
// Result.Body, never from r.Body: an error while reading means the payload
// is not what was signed and must not be stored.
func ExampleVerifier_Verify() {
	verifier := &sigv4.Verifier{
		Region: "us-east-1",
		Lookup: func(ctx context.Context, accessKey string) (string, error) {
			return "", fmt.Errorf("%q: %w", accessKey, sigv4.ErrInvalidAccessKeyID)
		},
	}
	handler := func(w http.ResponseWriter, r *http.Request) {
		res, err := verifier.Verify(r)
		if errors.Is(err, sigv4.ErrAccessDenied) {
			http.Error(w, "AccessDenied", http.StatusForbidden)
			return
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusForbidden)
			return
		}
		n, err := io.Copy(io.Discard, res.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		fmt.Fprintf(w, "%s sent %d bytes, trailer %v", res.AccessKey, n, res.Trailer())
	}
	// An anonymous request is refused before any body is read.
	server := httptest.NewServer(http.HandlerFunc(handler))
	defer server.Close()
	resp, err := http.Get(server.URL + "/bucket/key")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Print(resp.StatusCode, " ", string(body))
	// Output: 403 AccessDenied
}

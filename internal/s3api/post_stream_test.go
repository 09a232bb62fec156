package s3api

import (
	"bytes"
	"context"
	"io"
	"mime/multipart"
	"net/http"
	"runtime"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// patternReader yields n bytes of a repeating pattern without holding them.
type patternReader struct{ n int64 }

func (p *patternReader) Read(b []byte) (int, error) {
	if p.n == 0 {
		return 0, io.EOF
	}
	if int64(len(b)) > p.n {
		b = b[:p.n]
	}
	for i := range b {
		b[i] = byte('a' + i%26)
	}
	p.n -= int64(len(b))
	return len(b), nil
}

func TestPostObjectStreamsTheFileWithoutHoldingIt(t *testing.T) {
	ts := newTestServer(t)
	ts.mustCreateBucket(ts.alice, "stream")
	const size = 64 << 20
	fields := append([]formField{{"key", "big"}},
		sigV2PostFields(ts.alice, time.Now().Add(time.Hour), `{"bucket": "stream"}`, `{"key": "big"}`)...)
	var head bytes.Buffer
	w := multipart.NewWriter(&head)
	for _, f := range fields {
		_ = w.WriteField(f.name, f.value)
	}
	if _, err := w.CreateFormFile("file", "big.bin"); err != nil {
		t.Fatal(err)
	}
	tail := "\r\n--" + w.Boundary() + "--\r\n"
	body := io.MultiReader(&head, &patternReader{n: size}, bytes.NewBufferString(tail))
	req, err := http.NewRequest(http.MethodPost, ts.srv.URL+"/stream", body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", w.FormDataContentType())

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	status, _, resp := ts.do(req)
	runtime.ReadMemStats(&after)
	if status != http.StatusNoContent {
		t.Fatalf("POST: %d %s", status, resp)
	}
	// Holding the file would allocate at least its size; streaming it
	// allocates buffers.
	if allocated := after.TotalAlloc - before.TotalAlloc; allocated > size/4 {
		t.Errorf("a %d MiB upload allocated %d MiB", size>>20, allocated>>20)
	} else {
		t.Logf("a %d MiB upload allocated %.1f MiB", size>>20, float64(allocated)/(1<<20))
	}
	out, err := ts.client(ts.alice).HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String("stream"), Key: aws.String("big")})
	if err != nil || aws.ToInt64(out.ContentLength) != size {
		t.Errorf("HeadObject = %v; want %d bytes stored", err, size)
	}
}

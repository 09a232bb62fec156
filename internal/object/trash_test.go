package object

import (
	"context"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/quarrylabs/quarry/internal/blob"
	"github.com/quarrylabs/quarry/internal/meta"
)

func TestRunEmptiesTheTrashAfterACommit(t *testing.T) {
	h := newHarness(t)
	h.bucket("bkt", meta.VersioningOff)
	old := h.put("bkt", "k", "one")

	ctx, cancel := context.WithCancel(h.ctx)
	done := make(chan error, 1)
	go func() { done <- h.svc.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	}()

	h.put("bkt", "k", "two") // replaces the null version: its blob is trash
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		_, err := h.blobs.Stat(h.ctx, old.Segments[0].BlobID)
		if errors.Is(err, blob.ErrNotFound) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the replaced blob is still stored (%v)", err)
		}
	}
	if h.mustGet("bkt", "k", "") != "two" {
		t.Fatal("current object damaged")
	}
}

func TestSingleSegmentReadsUseTheBlobStoresReader(t *testing.T) {
	h := newHarness(t)
	h.bucket("bkt", meta.VersioningOff)
	h.put("bkt", "k", "hello")
	out, err := h.svc.GetObject(h.ctx, alice, GetInput{Bucket: "bkt", Key: "k", Range: &Range{First: 1, Last: 3}})
	if err != nil {
		t.Fatal(err)
	}
	defer out.Body.Close()
	if _, ok := out.Body.(*segmentReader); ok {
		t.Fatal("a single-segment read is wrapped")
	}
	if _, ok := out.Body.(io.WriterTo); !ok {
		t.Fatalf("body %T does not offer the disk store's WriterTo", out.Body)
	}
}

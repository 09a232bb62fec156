package storage

import (
	"context"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/quarrylabs/quarry/internal/blob"
	"github.com/quarrylabs/quarry/internal/blob/blobtest"
	"github.com/quarrylabs/quarry/internal/blob/disk"
	"github.com/quarrylabs/quarry/internal/meta"
)

func diskStore(t *testing.T) *disk.Store {
	t.Helper()
	s, err := disk.New(filepath.Join(t.TempDir(), "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestTheRouterPassesTheConformanceSuite(t *testing.T) {
	blobtest.Run(t, func(t *testing.T) blob.Store { return NewRouter(diskStore(t), "disk") })
}

func TestTheRouterRefusesWhatTheComponentsStateForbids(t *testing.T) {
	ctx := context.Background()
	r := NewRouter(diskStore(t), "disk")
	id := blob.NewID()
	if _, err := r.Put(ctx, id, strings.NewReader("data")); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		state              meta.StorageState
		readable, writable bool
	}{
		{meta.StorageActive, true, true},
		{meta.StorageReadOnly, true, false},
		{meta.StoragePaused, false, false},
	}
	for _, tt := range tests {
		t.Run(string(tt.state), func(t *testing.T) {
			r.setState(tt.state)
			_, err := r.Put(ctx, blob.NewID(), strings.NewReader("x"))
			if got := !errors.Is(err, blob.ErrUnavailable); got != tt.writable || (tt.writable && err != nil) {
				t.Errorf("Put: %v, writable %v", err, tt.writable)
			}
			if err := r.Delete(ctx, blob.NewID()); errors.Is(err, blob.ErrUnavailable) == tt.writable {
				t.Errorf("Delete: %v, writable %v", err, tt.writable)
			}
			if _, err := r.Stat(ctx, id); errors.Is(err, blob.ErrUnavailable) == tt.readable {
				t.Errorf("Stat: %v, readable %v", err, tt.readable)
			}
			rc, err := r.Open(ctx, id, 0, -1)
			if errors.Is(err, blob.ErrUnavailable) == tt.readable {
				t.Errorf("Open: %v, readable %v", err, tt.readable)
			}
			if err == nil {
				rc.Close()
			}
			if err := r.Walk(ctx, func(blob.Info) error { return nil }); errors.Is(err, blob.ErrUnavailable) == tt.readable {
				t.Errorf("Walk: %v, readable %v", err, tt.readable)
			}
		})
	}
}

func TestAfterASwitchNewBlobsGoToTheNewStoreAndOldOnesStayReadable(t *testing.T) {
	ctx := context.Background()
	old, next := diskStore(t), diskStore(t)
	r := NewRouter(old, "old")
	before := blob.NewID()
	if _, err := r.Put(ctx, before, strings.NewReader("written before")); err != nil {
		t.Fatal(err)
	}
	r.switchTo(next, meta.StorageActive, "next")
	after := blob.NewID()
	if _, err := r.Put(ctx, after, strings.NewReader("written after")); err != nil {
		t.Fatal(err)
	}
	if _, err := next.Stat(ctx, after); err != nil {
		t.Fatalf("the new blob is not in the new store: %v", err)
	}
	if _, err := old.Stat(ctx, after); !errors.Is(err, blob.ErrNotFound) {
		t.Fatalf("the new blob is in the old store: %v", err)
	}
	rc, err := r.Open(ctx, before, 0, -1)
	if err != nil {
		t.Fatalf("a blob of the old store is no longer readable: %v", err)
	}
	got, _ := io.ReadAll(rc)
	rc.Close()
	if string(got) != "written before" {
		t.Fatalf("read %q", got)
	}
	if err := r.Delete(ctx, before); err != nil {
		t.Fatal(err)
	}
	if _, err := old.Stat(ctx, before); !errors.Is(err, blob.ErrNotFound) {
		t.Fatalf("Delete left the blob in the old store: %v", err)
	}
	var walked []string
	_ = r.Walk(ctx, func(i blob.Info) error { walked = append(walked, i.ID); return nil })
	if len(walked) != 1 || walked[0] != after {
		t.Fatalf("Walk saw %v, want only the new store's %s", walked, after)
	}
}

func TestCapacitiesAndSizesReadAndWriteAsTheVendorWritesThem(t *testing.T) {
	for in, want := range map[string]int64{"1000": 1000, "500GB": 500e9, "10Ti": 10 << 40, "2.5 TiB": 5 << 39, "1G": 1e9} {
		if got, err := parseCapacity(in); err != nil || got != want {
			t.Errorf("parseCapacity(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "lots", "-5GB", "10XB"} {
		if _, err := parseCapacity(bad); err == nil {
			t.Errorf("parseCapacity(%q) succeeded", bad)
		}
	}
	for n, want := range map[int64]string{-1: "unlimited", 0: "0 B", 999: "999 B", 100e9: "100.0 GB", 9_900_000_000_000: "9.9 TB"} {
		if got := FormatBytes(n); got != want {
			t.Errorf("FormatBytes(%d) = %q, want %q", n, got, want)
		}
	}
}

package object

import (
	"errors"
	"fmt"
	"testing"

	"github.com/quarrylabs/quarry/internal/meta"
)

func TestUnversionedBucketKeepsOneNullVersion(t *testing.T) {
	h := newHarness(t)
	h.bucket("bkt", meta.VersioningOff)
	h.put("bkt", "k", "one")
	h.put("bkt", "k", "two")
	if got := fmt.Sprint(h.versions("bkt")); got != "[k@null]" {
		t.Fatalf("versions %s", got)
	}
	if got := h.mustGet("bkt", "k", ""); got != "two" {
		t.Fatalf("got %q", got)
	}
	res := h.del("bkt", "k", "")
	if res.DeleteMarker || len(h.versions("bkt")) != 0 {
		t.Fatalf("delete %+v left %v", res, h.versions("bkt"))
	}
	// Deleting what is not there succeeds.
	h.del("bkt", "k", "")
	h.assertNoOrphans("bkt")
	if len(h.storedBlobs()) != 0 {
		t.Fatal("blobs left")
	}
}

func TestEnabledVersioningKeepsHistory(t *testing.T) {
	h := newHarness(t)
	h.bucket("bkt", meta.VersioningEnabled)
	v1 := h.put("bkt", "k", "one")
	v2 := h.put("bkt", "k", "two")
	if v1.VersionID == v2.VersionID || v1.VersionID == meta.NullVersion {
		t.Fatalf("version ids %q %q", v1.VersionID, v2.VersionID)
	}
	if h.mustGet("bkt", "k", "") != "two" || h.mustGet("bkt", "k", v1.VersionID) != "one" {
		t.Fatal("wrong data")
	}

	res := h.del("bkt", "k", "")
	if !res.DeleteMarker || res.VersionID == "" {
		t.Fatalf("delete made %+v", res)
	}
	_, _, err := h.get(GetInput{Bucket: "bkt", Key: "k"})
	var dm *DeleteMarkerError
	if !errors.As(err, &dm) || !errors.Is(err, ErrNoSuchKey) || dm.VersionID != res.VersionID {
		t.Fatalf("get after delete: %v", err)
	}
	_, _, err = h.get(GetInput{Bucket: "bkt", Key: "k", VersionID: res.VersionID})
	if !errors.As(err, &dm) || !errors.Is(err, ErrMethodNotAllowed) {
		t.Fatalf("get of the marker: %v", err)
	}
	_, _, err = h.get(GetInput{Bucket: "bkt", Key: "k", VersionID: "nope"})
	wantErr(t, err, ErrNoSuchVersion)

	// Removing the marker brings the newest version back.
	if r := h.del("bkt", "k", res.VersionID); !r.DeleteMarker {
		t.Fatalf("removing the marker reported %+v", r)
	}
	if h.mustGet("bkt", "k", "") != "two" {
		t.Fatal("v2 not promoted")
	}
	// Removing the latest version promotes the one before it.
	h.del("bkt", "k", v2.VersionID)
	if h.mustGet("bkt", "k", "") != "one" {
		t.Fatal("v1 not promoted")
	}
	// Deleting a version that does not exist succeeds and changes nothing.
	h.del("bkt", "k", "0000000000000000")
	if u := h.usage("bkt"); u != (meta.Usage{Objects: 1, Bytes: 3, Versions: 1, VersionBytes: 3}) {
		t.Fatalf("usage %+v", u)
	}
	h.assertNoOrphans("bkt")
}

func TestSuspendedVersioningReplacesTheNullVersion(t *testing.T) {
	h := newHarness(t)
	h.bucket("bkt", meta.VersioningOff)
	h.put("bkt", "k", "null-1")
	h.versioning("bkt", meta.VersioningEnabled)
	v := h.put("bkt", "k", "versioned")
	h.versioning("bkt", meta.VersioningSuspended)

	// The null version sits below the versioned one; a new write replaces
	// it and goes on top.
	h.put("bkt", "k", "null-2")
	if got := fmt.Sprint(h.versions("bkt")); got != fmt.Sprintf("[k@null k@%s]", v.VersionID) {
		t.Fatalf("versions %s", got)
	}
	if h.mustGet("bkt", "k", "") != "null-2" || h.mustGet("bkt", "k", meta.NullVersion) != "null-2" {
		t.Fatal("null version not replaced")
	}

	// A delete puts a null marker on top, replacing the null version.
	res := h.del("bkt", "k", "")
	if !res.DeleteMarker || res.VersionID != meta.NullVersion {
		t.Fatalf("delete %+v", res)
	}
	if got := fmt.Sprint(h.versions("bkt")); got != fmt.Sprintf("[k@null! k@%s]", v.VersionID) {
		t.Fatalf("versions %s", got)
	}
	if u := h.usage("bkt"); u != (meta.Usage{Objects: 0, Bytes: 0, Versions: 1, VersionBytes: 9}) {
		t.Fatalf("usage %+v", u)
	}
	h.assertNoOrphans("bkt")
}

package object

import (
	"strings"
	"testing"

	"github.com/quarrylabs/quarry/internal/meta"
)

func TestObjectTags(t *testing.T) {
	h := newHarness(t)
	h.bucket("bkt", meta.VersioningEnabled)
	v1 := h.put("bkt", "k", "one")
	v2 := h.put("bkt", "k", "two")

	id, err := h.svc.PutObjectTags(h.ctx, alice, "bkt", "k", "", map[string]string{"a": "1"})
	if err != nil || id != v2.VersionID {
		t.Fatalf("put tags on latest: %q %v", id, err)
	}
	if _, err := h.svc.PutObjectTags(h.ctx, alice, "bkt", "k", v1.VersionID, map[string]string{"old": "yes"}); err != nil {
		t.Fatal(err)
	}
	tags, id, err := h.svc.GetObjectTags(h.ctx, alice, "bkt", "k", "")
	if err != nil || id != v2.VersionID || tags["a"] != "1" || len(tags) != 1 {
		t.Fatalf("latest tags %v %q %v", tags, id, err)
	}
	tags, _, err = h.svc.GetObjectTags(h.ctx, alice, "bkt", "k", v1.VersionID)
	if err != nil || tags["old"] != "yes" {
		t.Fatalf("v1 tags %v %v", tags, err)
	}
	if _, err := h.svc.DeleteObjectTags(h.ctx, alice, "bkt", "k", ""); err != nil {
		t.Fatal(err)
	}
	if tags, _, _ := h.svc.GetObjectTags(h.ctx, alice, "bkt", "k", ""); len(tags) != 0 {
		t.Fatalf("tags after delete %v", tags)
	}

	tooMany := map[string]string{}
	for i := range 11 {
		tooMany[strings.Repeat("k", i+1)] = ""
	}
	_, err = h.svc.PutObjectTags(h.ctx, alice, "bkt", "k", "", tooMany)
	wantErr(t, err, ErrInvalidTag)
	_, err = h.svc.PutObjectTags(h.ctx, alice, "bkt", "k", "nope", map[string]string{"a": "1"})
	wantErr(t, err, ErrNoSuchVersion)
	_, err = h.svc.PutObjectTags(h.ctx, bob, "bkt", "k", "", map[string]string{"a": "1"})
	wantErr(t, err, ErrAccessDenied)
	h.del("bkt", "k", "")
	_, _, err = h.svc.GetObjectTags(h.ctx, alice, "bkt", "k", "")
	wantErr(t, err, ErrNoSuchKey)
}

func TestBucketTags(t *testing.T) {
	h := newHarness(t)
	h.bucket("bkt", meta.VersioningOff)
	_, err := h.svc.GetBucketTags(h.ctx, alice, "bkt")
	wantErr(t, err, ErrNoSuchTagSet)
	if err := h.svc.PutBucketTags(h.ctx, alice, "bkt", map[string]string{"env": "prod"}); err != nil {
		t.Fatal(err)
	}
	tags, err := h.svc.GetBucketTags(h.ctx, alice, "bkt")
	if err != nil || tags["env"] != "prod" {
		t.Fatalf("tags %v %v", tags, err)
	}
	tooMany := map[string]string{}
	for i := range 51 {
		tooMany[strings.Repeat("k", i+1)] = ""
	}
	wantErr(t, h.svc.PutBucketTags(h.ctx, alice, "bkt", tooMany), ErrInvalidTag)
	wantErr(t, h.svc.PutBucketTags(h.ctx, bob, "bkt", map[string]string{"a": "b"}), ErrAccessDenied)
	if err := h.svc.DeleteBucketTags(h.ctx, alice, "bkt"); err != nil {
		t.Fatal(err)
	}
	_, err = h.svc.GetBucketTags(h.ctx, alice, "bkt")
	wantErr(t, err, ErrNoSuchTagSet)
}

package object

import (
	"bytes"
	"context"
	"crypto/md5"
	"errors"
	"fmt"
	"io"
	"sort"
	"testing"

	"github.com/quarrylabs/quarry/internal/auth"
	"github.com/quarrylabs/quarry/internal/blob"
	"github.com/quarrylabs/quarry/internal/blob/disk"
	"github.com/quarrylabs/quarry/internal/meta"
	"github.com/quarrylabs/quarry/internal/meta/sqlite"
	"github.com/quarrylabs/quarry/internal/storetest"
)

var (
	alice = auth.Principal{UserID: 1, Username: "alice", Role: meta.RoleUser}
	bob   = auth.Principal{UserID: 2, Username: "bob", Role: meta.RoleUser}
	admin = auth.Principal{UserID: 3, Username: "root", Role: meta.RoleAdmin}
)

// harness is a Service on real SQLite and disk stores in a temp dir.
type harness struct {
	t     testing.TB
	ctx   context.Context
	svc   *Service
	meta  *sqlite.Store
	blobs *disk.Store
	// outboxSeen is the last outbox entry outbox() returned.
	outboxSeen int64
}

func newHarness(t testing.TB, tweak ...func(*Config)) *harness {
	t.Helper()
	ctx := context.Background()
	m, b := storetest.Open(t)
	cfg := Config{Meta: m, Blobs: b, MinPartSize: 5}
	for _, f := range tweak {
		f(&cfg)
	}
	return &harness{t: t, ctx: ctx, svc: New(cfg), meta: m, blobs: b}
}

// bucket creates a bucket owned by alice with the given versioning.
func (h *harness) bucket(name string, v meta.Versioning) {
	h.t.Helper()
	if err := h.svc.CreateBucket(h.ctx, alice, name); err != nil {
		h.t.Fatalf("create bucket %s: %v", name, err)
	}
	if v != meta.VersioningOff {
		if err := h.svc.SetVersioning(h.ctx, alice, name, v); err != nil {
			h.t.Fatalf("set versioning: %v", err)
		}
	}
}

func (h *harness) versioning(bucket string, v meta.Versioning) {
	h.t.Helper()
	if err := h.svc.SetVersioning(h.ctx, alice, bucket, v); err != nil {
		h.t.Fatalf("set versioning: %v", err)
	}
}

// put stores data under key as alice.
func (h *harness) put(bucket, key, data string) *meta.Version {
	h.t.Helper()
	v, err := h.svc.PutObject(h.ctx, alice, PutInput{Bucket: bucket, Key: key, Body: bytes.NewReader([]byte(data)), Size: int64(len(data))})
	if err != nil {
		h.t.Fatalf("put %s/%s: %v", bucket, key, err)
	}
	return v
}

// get reads the body of a GET as alice.
func (h *harness) get(in GetInput) (string, *GetOutput, error) {
	h.t.Helper()
	out, err := h.svc.GetObject(h.ctx, alice, in)
	if err != nil {
		return "", out, err
	}
	defer out.Body.Close()
	data, err := io.ReadAll(out.Body)
	if err != nil {
		h.t.Fatalf("read body: %v", err)
	}
	return string(data), out, nil
}

func (h *harness) mustGet(bucket, key, versionID string) string {
	h.t.Helper()
	data, _, err := h.get(GetInput{Bucket: bucket, Key: key, VersionID: versionID})
	if err != nil {
		h.t.Fatalf("get %s/%s %q: %v", bucket, key, versionID, err)
	}
	return data
}

func (h *harness) del(bucket, key, versionID string) DeleteResult {
	h.t.Helper()
	res, err := h.svc.DeleteObject(h.ctx, alice, bucket, key, versionID)
	if err != nil {
		h.t.Fatalf("delete %s/%s %q: %v", bucket, key, versionID, err)
	}
	return res
}

func (h *harness) usage(bucket string) meta.Usage {
	h.t.Helper()
	u, err := h.svc.Usage(h.ctx, alice, bucket)
	if err != nil {
		h.t.Fatalf("usage: %v", err)
	}
	return u
}

// versions lists every version of the bucket as "key@id" (markers "key@id!").
func (h *harness) versions(bucket string) []string {
	h.t.Helper()
	out, err := h.svc.ListVersions(h.ctx, alice, ListVersionsInput{Bucket: bucket, MaxKeys: 1000})
	if err != nil {
		h.t.Fatalf("list versions: %v", err)
	}
	var ids []string
	for _, v := range out.Versions {
		s := v.Key + "@" + v.VersionID
		if v.DeleteMarker {
			s += "!"
		}
		ids = append(ids, s)
	}
	return ids
}

// storedBlobs drains the trash and returns the ids of the blobs on disk.
func (h *harness) storedBlobs() []string {
	h.t.Helper()
	if err := h.svc.DrainTrash(h.ctx); err != nil {
		h.t.Fatalf("drain trash: %v", err)
	}
	var ids []string
	err := h.blobs.Walk(h.ctx, func(i blob.Info) error {
		ids = append(ids, i.ID)
		return nil
	})
	if err != nil {
		h.t.Fatalf("walk blobs: %v", err)
	}
	sort.Strings(ids)
	return ids
}

// referencedBlobs lists the blobs that versions and parts refer to.
func (h *harness) referencedBlobs(bucket string) []string {
	h.t.Helper()
	var ids []string
	err := h.meta.View(h.ctx, func(tx meta.Tx) error {
		vs, err := tx.ListVersions(bucket, "", "", 0, 100000)
		if err != nil {
			return err
		}
		for _, v := range vs {
			for _, s := range v.Segments {
				ids = append(ids, s.BlobID)
			}
		}
		ups, err := tx.ListUploads(bucket, "", "", "", 100000)
		if err != nil {
			return err
		}
		for _, u := range ups {
			parts, err := tx.ListParts(u.ID, 0, 100000)
			if err != nil {
				return err
			}
			for _, p := range parts {
				ids = append(ids, p.BlobID)
			}
		}
		return nil
	})
	if err != nil {
		h.t.Fatalf("referenced blobs: %v", err)
	}
	sort.Strings(ids)
	return ids
}

// assertNoOrphans checks that the blob store holds exactly the referenced
// blobs once the trash is drained.
func (h *harness) assertNoOrphans(buckets ...string) {
	h.t.Helper()
	var want []string
	for _, b := range buckets {
		want = append(want, h.referencedBlobs(b)...)
	}
	sort.Strings(want)
	got := h.storedBlobs()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		h.t.Fatalf("stored blobs %v, referenced %v", got, want)
	}
}

func wantErr(t *testing.T, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("got error %v, want %v", err, want)
	}
}

func md5hex(s string) string { return fmt.Sprintf("%x", md5.Sum([]byte(s))) }

func stringsReader(s string) io.Reader { return bytes.NewReader([]byte(s)) }

package e2e

import (
	"path/filepath"
	"testing"

	"github.com/quarrylabs/quarry/internal/auth"
	"github.com/quarrylabs/quarry/internal/meta"
)

// createUser adds a user with an access key directly in the server's
// meta.db (SQLite WAL allows this while the server runs) and returns the
// key pair.
func createUser(t *testing.T, srv *server, name string, role meta.Role) (accessKey, secretKey string) {
	t.Helper()
	ctx := t.Context()
	key, err := auth.LoadOrCreateKey(filepath.Join(srv.DataDir, "quarry.key"))
	if err != nil {
		t.Fatalf("load sealing key: %v", err)
	}
	sealer, err := auth.NewSealer(key)
	if err != nil {
		t.Fatalf("new sealer: %v", err)
	}
	st, err := openStoreAt(ctx, srv.DataDir)
	if err != nil {
		t.Fatalf("open meta.db: %v", err)
	}
	defer st.Close()
	svc := auth.NewService(st, sealer)
	u, err := svc.CreateUser(ctx, name, "password-"+name+"-123", role)
	if err != nil {
		t.Fatalf("create user %s: %v", name, err)
	}
	ak, sk, err := svc.CreateAccessKey(ctx, u.ID)
	if err != nil {
		t.Fatalf("create access key for %s: %v", name, err)
	}
	return ak, sk
}

// readUsage reads a bucket's usage counters from the server's meta.db.
func readUsage(t *testing.T, srv *server, bucket string) meta.Usage {
	t.Helper()
	ctx := t.Context()
	st, err := openStoreAt(ctx, srv.DataDir)
	if err != nil {
		t.Fatalf("open meta.db: %v", err)
	}
	defer st.Close()
	var u meta.Usage
	err = st.View(ctx, func(tx meta.Tx) error {
		var err error
		u, err = tx.GetUsage(bucket)
		return err
	})
	if err != nil {
		t.Fatalf("read usage of %s: %v", bucket, err)
	}
	return u
}

package server

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/quarrylabs/quarry/internal/auth"
	"github.com/quarrylabs/quarry/internal/blob/disk"
	blobs3 "github.com/quarrylabs/quarry/internal/blob/s3"
	"github.com/quarrylabs/quarry/internal/meta"
	"github.com/quarrylabs/quarry/internal/storage"
)

// blobCheckTimeout bounds the check of the --blob store at start.
const blobCheckTimeout = 30 * time.Second

// openStorage opens the store object data goes to: the --blob store when
// given (checked before the server starts, so that a wrong URL or
// credentials stop it with the reason instead of failing every PUT), else
// the local disk under the data dir, which the storage service replaces
// with the component in service if there is one.
func openStorage(ctx context.Context, cfg Config, metaStore meta.Store, sealer *auth.Sealer, blobRoot string, log *slog.Logger) (*storage.Service, error) {
	scfg := storage.Config{Meta: metaStore, Sealer: sealer, LocalDir: blobRoot, Logger: log}
	if cfg.Blob != "" {
		bcfg, err := blobs3.ParseURL(cfg.Blob)
		if err != nil {
			return nil, fmt.Errorf("--blob: %w", err)
		}
		if cfg.BlobAccessKey == "" || cfg.BlobSecretKey == "" {
			return nil, fmt.Errorf("--blob %s: no credentials: set --blob-access-key and --blob-secret-key (or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)", bcfg)
		}
		bcfg.AccessKey, bcfg.SecretKey = cfg.BlobAccessKey, cfg.BlobSecretKey
		store, err := blobs3.New(bcfg)
		if err != nil {
			return nil, fmt.Errorf("--blob: %w", err)
		}
		cctx, cancel := context.WithTimeout(ctx, blobCheckTimeout)
		defer cancel()
		if err := store.Check(cctx); err != nil {
			return nil, fmt.Errorf("--blob %s: %w", bcfg, err)
		}
		scfg.Fixed, scfg.FixedName = store, bcfg.String()
		log.Info("object data on the --blob store", "blob", bcfg.String())
		return storage.New(scfg), nil
	}
	local, err := disk.New(blobRoot)
	if err != nil {
		return nil, fmt.Errorf("blob store: %w", err)
	}
	blobPerms := &permReport{log: log, limit: blobDirsLogged}
	if err := local.RestrictDirs(blobPerms.logged); err != nil {
		log.Warn("data dir: cannot restrict the blob directories", "err", err)
	}
	blobPerms.done(blobRoot)
	scfg.Local = local
	return storage.New(scfg), nil
}

package server

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
)

// Everything under the data dir is for the server's user only: the
// metadata holds password hashes and sealed secrets, the blobs are the
// tenants' data. New files and directories are made that way (0600, 0700);
// restrictDataDir fixes what an earlier version, or an operator's mkdir,
// left open.

// groupOther are the permission bits restrictDataDir removes.
const groupOther fs.FileMode = 0o077

// restrictDataDir removes group and other permissions from dir and from
// every directory and regular file in it, except the entry named skip (the
// blob store, which restricts its own directories cheaply; see
// disk.Store.RestrictDirs). Symbolic links in it are neither followed nor
// changed; dir itself may be one. Each change is logged at info, so it
// shows once: the next start finds nothing to change. A path that cannot
// be changed (owned by another user) is logged as a warning and left as it
// is.
func restrictDataDir(dir, skip string, log *slog.Logger) {
	root, err := filepath.EvalSymlinks(dir)
	if err != nil {
		log.Warn("data dir: cannot resolve", "path", dir, "err", err)
		return
	}
	skip = filepath.Join(root, skip)
	report := &permReport{log: log}
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			log.Warn("data dir: cannot read", "path", path, "err", err)
			return nil
		}
		if path == skip {
			return filepath.SkipDir
		}
		if !d.IsDir() && !d.Type().IsRegular() {
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			if !errors.Is(err, fs.ErrNotExist) {
				log.Warn("data dir: cannot stat", "path", path, "err", err)
			}
			return nil
		}
		report.restrict(path, fi.Mode().Perm())
		return nil
	})
	if err != nil {
		log.Warn("data dir: walk", "path", root, "err", err)
	}
}

// permReport changes and logs permissions. After limit changes (none when
// zero) it only counts them, so a data dir of an earlier version with tens
// of thousands of blob directories does not flood the log; done logs the
// count.
type permReport struct {
	log     *slog.Logger
	limit   int
	changed int
}

// restrict removes group and other bits from path, whose permissions are
// old.
func (r *permReport) restrict(path string, old fs.FileMode) {
	if old&groupOther == 0 {
		return
	}
	if err := os.Chmod(path, old&^groupOther); err != nil {
		r.log.Warn("data dir: cannot restrict permissions", "path", path, "mode", octal(old), "err", err)
		return
	}
	r.logged(path, old)
}

// logged records a change made elsewhere (by the blob store).
func (r *permReport) logged(path string, old fs.FileMode) {
	r.changed++
	if r.limit == 0 || r.changed <= r.limit {
		r.log.Info("data dir: restricted permissions", "path", path, "old", octal(old), "new", octal(old&^groupOther))
	}
}

// done logs how many changes were counted but not logged one by one.
func (r *permReport) done(under string) {
	if r.limit > 0 && r.changed > r.limit {
		r.log.Info("data dir: restricted permissions of more directories", "under", under, "count", r.changed-r.limit, "new", octal(0o700))
	}
}

func octal(m fs.FileMode) string { return fmt.Sprintf("%04o", m.Perm()) }

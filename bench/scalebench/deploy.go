package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"

	"path/filepath"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/quarrylabs/quarry/bench/internal/pairbench"
	"github.com/quarrylabs/quarry/bench/internal/quarryproc"
	"github.com/quarrylabs/quarry/internal/auth"
	"github.com/quarrylabs/quarry/internal/meta"
	"github.com/quarrylabs/quarry/internal/meta/postgres"
	"github.com/quarrylabs/quarry/internal/meta/sqlite"
)

// deployment is one Quarry set-up being measured: its nodes, the storage
// component they keep data in (if any), the metadata store opened beside
// them for seeding, and the PostgreSQL probe (if on PostgreSQL).
type deployment struct {
	name  string
	meta  string // "SQLite" or "PostgreSQL"
	blob  string // "local disk" or "storage component"
	nodes []*quarryproc.Server
	// component is shared by the runs that use it and stopped by the
	// caller, not by close.
	component *quarryproc.Server
	store     meta.Store
	probe     *pgProbe
}

// close stops the nodes and closes the store and probe, keeping every
// error.
func (d *deployment) close() error {
	var errs []error
	if d.store != nil {
		errs = append(errs, d.store.Close())
	}
	if d.probe != nil {
		errs = append(errs, d.probe.close())
	}
	for _, n := range d.nodes {
		errs = append(errs, n.Stop())
	}
	return errors.Join(errs...)
}

// bench is one run's shared state.
type bench struct {
	cfg    config
	bin    string
	work   string
	root   quarryproc.Root
	pg     *pgServer
	bodies []byte
	// component, componentArgs: the storage component and the node flags
	// that use it, set up on first use.
	component     *quarryproc.Server
	componentRuns int
	keyFile       string
}

// start runs one quarry server with a data directory named dir in the work
// directory.
func (b *bench) start(ctx context.Context, name, dir string, args []string) (*quarryproc.Server, error) {
	if b.cfg.inlineMax >= 0 {
		args = append(args, "--inline-max", strconv.FormatInt(b.cfg.inlineMax, 10))
	}
	return quarryproc.Start(ctx, quarryproc.Config{
		Name: name, Bin: b.bin, DataDir: filepath.Join(b.work, dir), Root: b.root, Args: args,
		Started: func(s *quarryproc.Server) { progress("started %s (pid %d), S3 at %s", name, s.PID(), s.S3URL) },
	})
}

// sqliteNode is one node on its embedded SQLite database and local disk.
// The store is opened beside it (SQLite in WAL mode takes a second
// process's writes while the server runs).
func (b *bench) sqliteNode(ctx context.Context) (*deployment, error) {
	d := &deployment{name: "SQLite, 1 node", meta: "SQLite", blob: "local disk"}
	srv, err := b.start(ctx, "the SQLite node", "sqlite", nil)
	if err != nil {
		return nil, err
	}
	d.nodes = append(d.nodes, srv)
	if d.store, err = sqlite.Open(ctx, filepath.Join(srv.DataDir, "meta.db")); err != nil {
		return nil, errors.Join(fmt.Errorf("open the SQLite node's metadata: %w", err), d.close())
	}
	return d, nil
}

// pgNodes is n nodes on one new PostgreSQL database, started one after
// the other. onComponent keeps their object data in a bucket of the
// storage component, with one key file for all (it seals the secrets in
// the shared database); otherwise each keeps it on local disk.
func (b *bench) pgNodes(ctx context.Context, n int, onComponent bool) (_ *deployment, err error) {
	d := &deployment{name: fmt.Sprintf("PostgreSQL, %d node", n), meta: "PostgreSQL", blob: "local disk"}
	if n > 1 {
		d.name += "s"
	}
	dsn, err := b.pg.database()
	if err != nil {
		return nil, err
	}
	args := []string{"--meta", dsn}
	dirName := fmt.Sprintf("pg%d", n)
	if onComponent {
		d.blob = "storage component"
		d.name += ", storage component"
		more, err := b.componentArgs(ctx)
		if err != nil {
			return nil, err
		}
		args = append(args, more...)
		dirName += "-component"
	}
	defer func() {
		if err != nil {
			err = errors.Join(err, d.close())
		}
	}()
	for i := range n {
		srv, err := b.start(ctx, fmt.Sprintf("node %d of %q", i+1, d.name), fmt.Sprintf("%s-node%d", dirName, i+1), args)
		if err != nil {
			return d, err
		}
		d.nodes = append(d.nodes, srv)
	}
	d.component = b.component
	if d.store, err = postgres.Open(ctx, dsn); err != nil {
		return d, fmt.Errorf("open the nodes' PostgreSQL database: %w", err)
	}
	if d.probe, err = newPGProbe(ctx, dsn); err != nil {
		return d, err
	}
	return d, nil
}

// componentArgs starts the storage component on first use (a Quarry on
// local disk and SQLite) and creates the key file, and returns the node
// flags for a new bucket of it, one per deployment so that no run reads
// another's data.
func (b *bench) componentArgs(ctx context.Context) ([]string, error) {
	if b.component == nil {
		srv, err := b.start(ctx, "the storage component", "component", nil)
		if err != nil {
			return nil, err
		}
		b.component = srv
		b.keyFile = filepath.Join(b.work, "cluster.key")
		if _, err := auth.LoadOrCreateKey(b.keyFile); err != nil {
			return nil, err
		}
	}
	b.componentRuns++
	bucket := fmt.Sprintf("scalebench-data-%d", b.componentRuns)
	client := pairbench.NewClient(b.component.S3URL, b.root.AccessKey, b.root.SecretKey, 1)
	if _, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		return nil, fmt.Errorf("create bucket %s on the storage component: %w", bucket, err)
	}
	blob := "s3://" + bucket + "?" + url.Values{
		"endpoint": {b.component.S3URL}, "region": {"us-east-1"}, "path_style": {"true"},
	}.Encode()
	return []string{"--key-file", b.keyFile,
		"--blob", blob, "--blob-access-key", b.root.AccessKey, "--blob-secret-key", b.root.SecretKey}, nil
}

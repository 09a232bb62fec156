package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/quarrylabs/quarry/bench/internal/mapicall"
	"github.com/quarrylabs/quarry/bench/internal/metaseed"
	"github.com/quarrylabs/quarry/bench/internal/oprate"
	"github.com/quarrylabs/quarry/bench/internal/pairbench"
	"github.com/quarrylabs/quarry/bench/internal/quarryproc"
)

const (
	// objectSize is the size of the PUT and GET objects.
	objectSize = 4 << 10
	// bodyWindows is how many different bodies the PUTs cycle through.
	bodyWindows = 256
	// s3Bucket is the bucket the PUTs and GETs use.
	s3Bucket = "scalebench"
	// jobPoll is how often a job's status is read while it runs: the
	// reconciliation's time is accurate to about this much.
	jobPoll = 20 * time.Millisecond
	// reconJob is the job type measured.
	reconJob = "METRIC_RECONCILIATION"
)

// Phase is one measurement on one deployment: PUT or GET ops/s, or the
// reconciliation's objects/s, and what every process spent meanwhile.
type Phase struct {
	Op      string  `json:"op"`
	Unit    string  `json:"unit"`
	Count   int     `json:"count"` // successful operations, or objects reconciled
	Errors  int     `json:"errors"`
	Seconds float64 `json:"seconds"`
	Rate    float64 `json:"rate"`
	P50ms   float64 `json:"p50Ms,omitempty"`
	P99ms   float64 `json:"p99Ms,omitempty"`
	// Jobs is how many reconciliation jobs shared the objects, and
	// SeedSeconds how long seeding their buckets took (untimed).
	Jobs        int       `json:"jobs,omitempty"`
	SeedSeconds float64   `json:"seedSeconds,omitempty"`
	CPU         []ProcCPU `json:"cpu"`
	// OtherCPU is the CPU seconds the rest of the machine used meanwhile
	// (all CPUs' busy time less the processes in CPU): on a shared
	// machine, how much the measurement had to share.
	OtherCPU *float64 `json:"otherCpuSeconds,omitempty"`
	// PGWriteTx is how many transactions that wrote PostgreSQL ran,
	// committed or rolled back (each retry of a serialisation failure
	// counts); nil on SQLite.
	PGWriteTx  *int64 `json:"pgWriteTx,omitempty"`
	FirstError string `json:"firstError,omitempty"`
}

// ProcCPU is the CPU time one process (or process tree) used during a
// phase.
type ProcCPU struct {
	Name    string  `json:"name"`
	Seconds float64 `json:"seconds"`
}

// Measurement is every phase of one deployment.
type Measurement struct {
	Name   string  `json:"name"`
	Meta   string  `json:"meta"`
	Blob   string  `json:"blob"`
	Nodes  int     `json:"nodes"`
	Phases []Phase `json:"phases"`
}

// phase returns the measurement's phase op, or a zero one.
func (m Measurement) phase(op string) Phase {
	for _, p := range m.Phases {
		if p.Op == op {
			return p
		}
	}
	return Phase{}
}

// measure runs PUT, GET and the reconciliation (of cfg.objects versions
// split over reconBuckets buckets, one job each) on d.
func (b *bench) measure(ctx context.Context, d *deployment, reconBuckets int) (Measurement, error) {
	m := Measurement{Name: d.name, Meta: d.meta, Blob: d.blob, Nodes: len(d.nodes)}
	clients := make([]*s3.Client, len(d.nodes))
	perNode := (b.cfg.clients + len(d.nodes) - 1) / len(d.nodes)
	for i, n := range d.nodes {
		clients[i] = pairbench.NewClient(n.S3URL, b.root.AccessKey, b.root.SecretKey, perNode)
	}
	if _, err := clients[0].CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(s3Bucket)}); err != nil {
		return m, fmt.Errorf("%s: create bucket %s: %w", d.name, s3Bucket, err)
	}
	put, keys := b.putPhase(ctx, d, clients)
	get := b.getPhase(ctx, d, clients, keys)
	m.Phases = append(m.Phases, put, get)
	if put.Errors+get.Errors > 0 {
		showServerErrors(d)
	}
	recon, err := b.reconPhase(ctx, d, clients, reconBuckets)
	if err != nil {
		return m, fmt.Errorf("%s: reconciliation: %w", d.name, err)
	}
	m.Phases = append(m.Phases, recon)
	return m, ctx.Err()
}

// clientOf is the node client worker w uses: the workers are spread
// round-robin over the nodes.
func clientOf(clients []*s3.Client, w int) *s3.Client { return clients[w%len(clients)] }

// putPhase PUTs new objectSize objects from cfg.clients workers for
// cfg.duration and returns the keys written.
func (b *bench) putPhase(ctx context.Context, d *deployment, clients []*s3.Client) (Phase, []string) {
	conc := b.cfg.clients
	written := make([][]string, conc) // each worker appends to its own
	progress("%s: PUT of %d B objects from %d clients for %s", d.name, objectSize, conc, b.cfg.duration)
	w := newWatcher(ctx, d)
	st := oprate.Measure(ctx, conc, b.cfg.duration, 0, func(ctx context.Context, worker, n int) error {
		key := fmt.Sprintf("w%03d/%08d", worker, n)
		i := (worker + n*conc) % bodyWindows
		_, err := clientOf(clients, worker).PutObject(ctx, &s3.PutObjectInput{
			Bucket: aws.String(s3Bucket), Key: aws.String(key),
			Body: bytes.NewReader(b.bodies[i*objectSize : (i+1)*objectSize]), ContentLength: aws.Int64(objectSize),
		})
		if err != nil {
			return fmt.Errorf("put %s: %w", key, err)
		}
		written[worker] = append(written[worker], key)
		return nil
	})
	var keys []string
	for _, ks := range written {
		keys = append(keys, ks...)
	}
	return opsPhase("PUT", st, w.done(ctx)), keys
}

// errNoObjects is every GET's error when the PUTs wrote nothing.
var errNoObjects = errors.New("no objects were written to read back")

// getPhase GETs the objects the PUTs wrote, each worker through its own
// node (so mostly objects another node wrote), for cfg.duration.
func (b *bench) getPhase(ctx context.Context, d *deployment, clients []*s3.Client, keys []string) Phase {
	conc := b.cfg.clients
	progress("%s: GET of %d objects from %d clients for %s", d.name, len(keys), conc, b.cfg.duration)
	w := newWatcher(ctx, d)
	st := oprate.Measure(ctx, conc, b.cfg.duration, 0, func(ctx context.Context, worker, n int) error {
		if len(keys) == 0 {
			return errNoObjects
		}
		// Spread over all keys, so workers do not read one in lockstep.
		key := keys[(worker+n*conc)%len(keys)]
		out, err := clientOf(clients, worker).GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(s3Bucket), Key: aws.String(key)})
		if err != nil {
			return fmt.Errorf("get %s: %w", key, err)
		}
		defer out.Body.Close()
		got, err := io.Copy(io.Discard, out.Body)
		if err != nil {
			return fmt.Errorf("read %s: %w", key, err)
		}
		if got != objectSize {
			return fmt.Errorf("get %s: %d bytes, want %d", key, got, objectSize)
		}
		return nil
	})
	return opsPhase("GET", st, w.done(ctx))
}

func opsPhase(op string, st oprate.Stats, u usage) Phase {
	p := Phase{Op: op, Unit: "ops/s", Count: st.OK, Errors: st.Errors, Seconds: st.Elapsed.Seconds(), Rate: st.PerSecond(),
		P50ms: ms(oprate.Percentile(st.Latencies, 0.50)), P99ms: ms(oprate.Percentile(st.Latencies, 0.99)),
		CPU: u.cpu, OtherCPU: u.other, PGWriteTx: u.pgWriteTx}
	if st.FirstErr != nil {
		p.FirstError = st.FirstErr.Error()
		progress("%s: %d errors, the first: %v", op, st.Errors, st.FirstErr)
	}
	return p
}

// showServerErrors prints the error lines of every node's log, for a
// measurement that saw failed requests: the client only sees a 500.
func showServerErrors(d *deployment) {
	for _, n := range d.nodes {
		for line := range strings.Lines(n.Output()) {
			if strings.Contains(line, "level=ERROR") || strings.Contains(line, "level=WARN") {
				progress("%s: %s", n.Name, strings.TrimSpace(line))
			}
		}
	}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// reconPhase seeds buckets buckets with cfg.objects versions in all
// through the metadata store (untimed), then reconciles them
// cfg.reconReps times and keeps the fastest pass: the job only reads the
// versions (their counters are right), so every pass does the same work,
// and the fastest is the one a shared machine disturbed least.
func (b *bench) reconPhase(ctx context.Context, d *deployment, clients []*s3.Client, buckets int) (Phase, error) {
	p := Phase{Op: "RECON", Unit: "objects/s", Jobs: buckets}
	per := b.cfg.objects / buckets
	names := make([]string, buckets)
	seedStart := time.Now()
	for i := range names {
		names[i] = fmt.Sprintf("recon-%d", i)
		if _, err := clientOf(clients, i).CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(names[i])}); err != nil {
			return p, fmt.Errorf("create bucket %s: %w", names[i], err)
		}
	}
	// The buckets are seeded at once: on PostgreSQL a seeding transaction
	// waits mostly on round trips, which several connections overlap.
	seedErrs := make([]error, buckets)
	var seeding sync.WaitGroup
	for i, name := range names {
		seeding.Go(func() {
			seedErrs[i] = metaseed.Versions(ctx, d.store, name, "obj/", per, b.cfg.seedBatch, progress)
		})
	}
	seeding.Wait()
	if err := errors.Join(seedErrs...); err != nil {
		return p, err
	}
	p.SeedSeconds = time.Since(seedStart).Seconds()
	mapis := make([]*mapicall.Client, len(d.nodes))
	for i, n := range d.nodes {
		hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: buckets}, Timeout: 2 * time.Minute}
		var err error
		if mapis[i], err = mapicall.Login(ctx, hc, n.MAPIURL, b.root.User, b.root.Password); err != nil {
			return p, fmt.Errorf("log in to %s: %w", n.Name, err)
		}
	}
	for rep := range b.cfg.reconReps {
		pass, err := b.reconPass(ctx, d, mapis, names, per)
		if err != nil {
			return p, err
		}
		progress("%s: pass %d: %d versions in %.2f s", d.name, rep+1, pass.Count, pass.Seconds)
		if rep == 0 || pass.Seconds < p.Seconds {
			pass.Jobs, pass.SeedSeconds = p.Jobs, p.SeedSeconds
			p = pass
		}
	}
	return p, nil
}

// reconPass creates one job per bucket, job i on node i (round-robin),
// all at once, and times them from the first create until every one is
// seen COMPLETE with exact stats.
func (b *bench) reconPass(ctx context.Context, d *deployment, mapis []*mapicall.Client, names []string, per int) (Phase, error) {
	p := Phase{Op: "RECON", Unit: "objects/s"}
	progress("%s: %s of %d versions in %d bucket(s), one job each", d.name, reconJob, per*len(names), len(names))
	w := newWatcher(ctx, d)
	start := time.Now()
	ids := make([]int32, len(names))
	for i, name := range names {
		created, err := mapis[i%len(mapis)].CreateJob(ctx, reconJob, name)
		if err != nil {
			return p, fmt.Errorf("create the job on %s: %w", name, err)
		}
		ids[i] = created.JobID.ID
	}
	finals := make([]mapicall.JobStatus, len(names))
	errs := make([]error, len(names))
	var wg sync.WaitGroup
	for i := range ids {
		wg.Go(func() {
			finals[i], errs[i] = mapis[i%len(mapis)].WaitJob(ctx, ids[i], jobPoll, nil)
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	u := w.done(ctx)
	if err := errors.Join(errs...); err != nil {
		return p, err
	}
	for i, j := range finals {
		s := j.JobStats
		if j.JobState != "COMPLETE" || s.Processed != int64(per) || s.Failed != 0 || s.Processed+s.Failed+s.Skipped != s.Total {
			return p, fmt.Errorf("job %d on %s ended %s (%s) with %+v; want COMPLETE with processed = total = %d", ids[i], names[i], j.JobState, j.Message, s, per)
		}
	}
	p.Count, p.Seconds = per*len(names), elapsed.Seconds()
	p.Rate = float64(p.Count) / p.Seconds
	p.CPU, p.OtherCPU, p.PGWriteTx = u.cpu, u.other, u.pgWriteTx
	return p, nil
}

// watcher reads every process's CPU time (and PostgreSQL's transaction
// count) at the start of a phase, for done to subtract from at its end.
type watcher struct {
	d     *deployment
	start reading
}

type reading struct {
	machine   time.Duration
	machineOK bool
	cpu       []time.Duration
	ok        []bool
	xid       int64
	xidErr    error
}

// usage is what the processes spent during a phase.
type usage struct {
	cpu       []ProcCPU
	other     *float64
	pgWriteTx *int64
}

// procs names the deployment's processes and how to read each one's CPU:
// every node, the storage component, PostgreSQL (its postmaster and
// every backend) and this program, the clients.
func (d *deployment) procs() ([]string, []func() (time.Duration, bool)) {
	var names []string
	var reads []func() (time.Duration, bool)
	pidCPU := func(pid int) func() (time.Duration, bool) {
		return func() (time.Duration, bool) { return quarryproc.ProcessCPU(pid) }
	}
	for i, n := range d.nodes {
		names = append(names, fmt.Sprintf("node %d", i+1))
		reads = append(reads, pidCPU(n.PID()))
	}
	if d.component != nil {
		names = append(names, "component")
		reads = append(reads, pidCPU(d.component.PID()))
	}
	if d.probe != nil {
		names = append(names, "postgres")
		reads = append(reads, d.probe.cpu)
	}
	names = append(names, "clients")
	reads = append(reads, pidCPU(os.Getpid()))
	return names, reads
}

func (d *deployment) read(ctx context.Context) reading {
	_, reads := d.procs()
	r := reading{cpu: make([]time.Duration, len(reads)), ok: make([]bool, len(reads))}
	r.machine, r.machineOK = quarryproc.MachineCPU()
	for i, read := range reads {
		r.cpu[i], r.ok[i] = read()
	}
	if d.probe != nil {
		r.xid, r.xidErr = d.probe.nextXID(ctx)
	}
	return r
}

func newWatcher(ctx context.Context, d *deployment) *watcher {
	return &watcher{d: d, start: d.read(ctx)}
}

// done is what each process spent since the watcher was made; a process
// whose CPU could not be read is left out.
func (w *watcher) done(ctx context.Context) usage {
	end := w.d.read(ctx)
	names, _ := w.d.procs()
	var u usage
	allOurs, ours := true, 0.0
	for i, name := range names {
		if w.start.ok[i] && end.ok[i] {
			c := ProcCPU{Name: name, Seconds: (end.cpu[i] - w.start.cpu[i]).Seconds()}
			u.cpu = append(u.cpu, c)
			ours += c.Seconds
		} else {
			allOurs = false
		}
	}
	if allOurs && w.start.machineOK && end.machineOK {
		// The readings are not atomic: a slightly negative rest is none.
		other := max(0, (end.machine-w.start.machine).Seconds()-ours)
		u.other = &other
	}
	if w.d.probe != nil && w.start.xidErr == nil && end.xidErr == nil {
		n := end.xid - w.start.xid
		u.pgWriteTx = &n
	}
	return u
}

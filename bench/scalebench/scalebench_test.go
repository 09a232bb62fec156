package main

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/jackc/pgx/v5"

	"github.com/quarrylabs/quarry/internal/meta/postgres/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func TestParseFlagsDefaultsAreShortAndNonsenseIsRefused(t *testing.T) {
	c, err := parseFlags(nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.objects != 20_000 || c.clients != 16 || c.nodes != 3 || c.duration != 5*time.Second || c.pg != "" || c.skipPG {
		t.Errorf("defaults = %+v; want 20,000 objects, 16 clients, 3 nodes, 5s, a throwaway PostgreSQL", c)
	}
	c, err = parseFlags([]string{"-objects", "900", "-nodes", "2", "-clients", "4", "-duration", "1s", "-pg", "postgres://x/y", "-bin", "/q"})
	if err != nil || c.objects != 900 || c.nodes != 2 || c.clients != 4 || c.duration != time.Second || c.pg != "postgres://x/y" || c.bin != "/q" {
		t.Errorf("parseFlags = %+v, %v", c, err)
	}
	for _, args := range [][]string{
		{"-objects", "0"}, {"-recon-reps", "0"}, {"-clients", "0"}, {"-duration", "0s"}, {"-seed-batch", "0"},
		{"-nodes", "1"}, {"-objects", "2", "-nodes", "3"}, {"-pg", "postgres://x", "-skip-pg"}, {"extra"},
	} {
		if _, err := parseFlags(args); err == nil {
			t.Errorf("parseFlags(%q) accepted it", args)
		}
	}
}

func TestClientsAreSpreadRoundRobinOverTheNodes(t *testing.T) {
	clients := []*s3.Client{{}, {}, {}}
	seen := map[*s3.Client]int{}
	for w := range 16 {
		seen[clientOf(clients, w)]++
	}
	for i, c := range clients {
		if n := seen[c]; n < 5 || n > 6 {
			t.Errorf("node %d serves %d of 16 workers, want 5 or 6", i, n)
		}
	}
}

func phases(put, get, recon float64, cpu []ProcCPU, wtx *int64) []Phase {
	other := 3.5
	return []Phase{
		{Op: "PUT", Unit: "ops/s", Count: int(put * 5), Seconds: 5, Rate: put, P50ms: 3, P99ms: 9, CPU: cpu, OtherCPU: &other, PGWriteTx: wtx},
		{Op: "GET", Unit: "ops/s", Count: int(get * 5), Seconds: 5, Rate: get, CPU: cpu},
		{Op: "RECON", Unit: "objects/s", Count: 1000, Seconds: 1000 / recon, Rate: recon, Jobs: 1, CPU: cpu},
	}
}

func TestTheReportPrintsTheRatiosAndWhereTheTimeGoes(t *testing.T) {
	wtx := int64(2500)
	r := &Results{NumCPU: 2, Nodes: 3, Clients: 16, Objects: 1000, Duration: "5s", PostgreSQL: "PostgreSQL 15.1 (fsync=on, synchronous_commit=on)",
		Runs: []Measurement{
			{Name: "SQLite, 1 node", Meta: "SQLite", Blob: "local disk", Nodes: 1,
				Phases: phases(400, 3000, 100000, []ProcCPU{{"node 1", 4}, {"clients", 1}}, nil)},
			{Name: "PostgreSQL, 1 node", Meta: "PostgreSQL", Blob: "local disk", Nodes: 1,
				Phases: phases(800, 1500, 50000, []ProcCPU{{"node 1", 3}, {"postgres", 5}, {"clients", 1}}, &wtx)},
			{Name: "PostgreSQL, 1 node, storage component", Meta: "PostgreSQL", Blob: "storage component", Nodes: 1,
				Phases: phases(500, 1000, 40000, nil, nil)},
			{Name: "PostgreSQL, 3 nodes, storage component", Meta: "PostgreSQL", Blob: "storage component", Nodes: 3,
				Phases: phases(600, 1100, 44000, []ProcCPU{{"node 1", 1}, {"node 2", 1.5}, {"node 3", 2}, {"component", 0.5}, {"postgres", 4}, {"clients", 1}}, nil)},
		}}
	var out bytes.Buffer
	printResults(&out, r)
	// Columns are compared with the padding between them collapsed.
	got := strings.Join(strings.Fields(out.String()), " ")
	for _, want := range []string{
		"PUT ops/s 400 800 2.00 400 444 1.11", // PostgreSQL / SQLite, then per CPU-second
		"RECON objects/s 100000 50000 0.50",
		"PUT ops/s 500 600 1.20 - 300 -", // 3 nodes / 1 node (whose CPU was not read)
		"4.5 (1.0+1.5+2.0)",              // each node's CPU
		"0.625",                          // 2,500 write transactions over 4,000 PUTs
		"fsync=on",                       // what a commit cost
		"PUT PostgreSQL/SQLite 2.00", "RECON 3 nodes/1 node 1.10",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("the report lacks %q:\n%s", want, out.String())
		}
	}
}

func TestTheReportOfTheSQLiteHalfSaysThePostgreSQLHalfWasNotMeasured(t *testing.T) {
	r := &Results{NumCPU: 2, Nodes: 3, Runs: []Measurement{{Name: "SQLite, 1 node", Meta: "SQLite", Blob: "local disk", Nodes: 1,
		Phases: phases(400, 3000, 100000, nil, nil)}}}
	var out bytes.Buffer
	printResults(&out, r)
	if got := out.String(); !strings.Contains(got, "not measured") || strings.Contains(got, "1 node vs") || !strings.Contains(got, "SQLite PUT 400 ops/s") {
		t.Errorf("report of a SQLite-only run:\n%s", got)
	}
}

func TestThePostgreSQLProbeFindsTheServersProcessesAndCountsWriteTransactions(t *testing.T) {
	dsn := pgtest.DSN(t)
	ctx := context.Background()
	p, err := newPGProbe(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer p.close()
	if p.Version == "" || !strings.Contains(p.Settings, "fsync=") {
		t.Errorf("probe describes the server as %q, %q", p.Version, p.Settings)
	}
	if os.Getenv("QUARRY_TEST_PG") == "" && p.postmaster == 0 {
		t.Fatal("the probe did not find the local throwaway server's postmaster")
	}
	cpuBefore, cpuOK := p.cpu()
	before, err := p.nextXID(ctx)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE TABLE t (n int)"); err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		if _, err := conn.Exec(ctx, "INSERT INTO t SELECT generate_series(1, 20000) + $1", i); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := conn.Exec(ctx, "SELECT count(*) FROM t"); err != nil { // reads take no id
		t.Fatal(err)
	}
	after, err := p.nextXID(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n := after - before; n != 21 {
		t.Errorf("%d write transactions counted; want 21 (one CREATE TABLE, 20 INSERTs)", n)
	}
	if cpuAfter, ok := p.cpu(); cpuOK && ok && cpuAfter <= cpuBefore {
		t.Errorf("PostgreSQL's CPU went from %v to %v across 400,000 inserts", cpuBefore, cpuAfter)
	}
}

package quarryproc

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// fakeServerEnv makes the test binary play `quarry server` when it is
// started as one: "serve" answers /healthz until SIGTERM, "crash" exits at
// once with an error, as a server that cannot open its data would.
const fakeServerEnv = "QUARRYPROC_FAKE_SERVER"

func TestMain(m *testing.M) {
	if mode := os.Getenv(fakeServerEnv); mode != "" {
		os.Exit(fakeServer(mode, os.Args[1:]))
	}
	os.Exit(m.Run())
}

// fakeServer records its arguments and root user in <data>/args, then
// behaves as mode says.
func fakeServer(mode string, args []string) int {
	flagValue := func(name string) string {
		if i := slices.Index(args, name); i >= 0 && i+1 < len(args) {
			return args[i+1]
		}
		return ""
	}
	dataDir := flagValue("--data")
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		fmt.Println(err)
		return 1
	}
	record := strings.Join(args, " ") + "\n" + os.Getenv("QUARRY_ROOT_USER") + "\n"
	if err := os.WriteFile(filepath.Join(dataDir, "args"), []byte(record), 0o644); err != nil {
		fmt.Println(err)
		return 1
	}
	if mode == "crash" {
		fmt.Println("cannot open the metadata store")
		return 3
	}
	terms := make(chan os.Signal, 1)
	signal.Notify(terms, syscall.SIGTERM)
	srv := &http.Server{Addr: flagValue("--mapi-addr"), Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/healthz" {
			http.NotFound(w, r)
		}
	})}
	go func() { _ = srv.ListenAndServe() }()
	<-terms
	return 0
}

func TestStartWaitsForTheHealthCheckAndStopEndsTheProcessCleanly(t *testing.T) {
	t.Setenv(fakeServerEnv, "serve")
	dataDir := filepath.Join(t.TempDir(), "data")
	var startedPID int
	srv, err := Start(context.Background(), Config{
		Name: "the test quarry", Bin: os.Args[0], DataDir: dataDir,
		Root:    Root{User: "bench-root", Password: "p", AccessKey: "a", SecretKey: "s"},
		Region:  "eu-west-1",
		Args:    []string{"--lifecycle-day", "1s"},
		Started: func(s *Server) { startedPID = s.PID() },
	})
	if err != nil {
		t.Fatal(err)
	}
	if startedPID != srv.PID() {
		t.Errorf("Started saw pid %d, the server is %d", startedPID, srv.PID())
	}
	resp, err := http.Get(srv.MAPIURL + "/healthz")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("the health check of a started server: %v, %v", resp, err)
	}
	resp.Body.Close()
	if _, ok := ProcessCPU(srv.PID()); !ok {
		t.Error("ProcessCPU could not read a running child's CPU time")
	}
	if err := srv.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	record, err := os.ReadFile(filepath.Join(dataDir, "args"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"server --data " + dataDir, "--region eu-west-1 --log-level warn --lifecycle-day 1s", "\nbench-root\n"} {
		if !strings.Contains(string(record), want) {
			t.Errorf("the server got %q; want it to contain %q", record, want)
		}
	}
	if err := srv.Stop(); err == nil || !strings.Contains(err.Error(), "the test quarry exited during the benchmark") {
		t.Errorf("Stop of a server that already exited = %v; want it said to have exited", err)
	}
}

func TestStartReportsTheOutputOfAServerThatExitsBeforeItIsReady(t *testing.T) {
	t.Setenv(fakeServerEnv, "crash")
	dataDir := filepath.Join(t.TempDir(), "data")
	_, err := Start(context.Background(), Config{Name: "quarry", Bin: os.Args[0], DataDir: dataDir})
	if err == nil {
		t.Fatal("Start of a server that exits at once succeeded")
	}
	for _, want := range []string{"quarry exited before it was ready", "cannot open the metadata store"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	record, err := os.ReadFile(filepath.Join(dataDir, "args"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(record), "--region") {
		t.Errorf("no region was asked for, yet the server got %q", record)
	}
}

func TestStartGivesUpWhenTheContextEnds(t *testing.T) {
	t.Setenv(fakeServerEnv, "serve")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	start := time.Now()
	_, err := Start(ctx, Config{Name: "quarry", Bin: os.Args[0], DataDir: filepath.Join(t.TempDir(), "data")})
	if err == nil || !strings.Contains(err.Error(), "not ready") {
		t.Fatalf("Start with a cancelled context = %v; want a not-ready error", err)
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("gave up after %v; want at once", took)
	}
}

func TestTailBufferKeepsTheEnd(t *testing.T) {
	tb := newTailBuffer(5)
	tb.Write([]byte("hello "))
	tb.Write([]byte("world"))
	if got := tb.String(); got != "world" {
		t.Fatalf("got %q, want %q", got, "world")
	}
}

func TestParseStatCPUCountsFieldsAfterTheCommandName(t *testing.T) {
	tests := []struct {
		name   string
		stat   string
		want   time.Duration
		wantOK bool
	}{
		{"a command name with spaces and parentheses", "1234 (quarry (x) y) S 1 1234 1234 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 12 0 100 1000 10", 3 * time.Second, true},
		{"a line without a command name", "garbage", 0, false},
		{"a line cut short before stime", "1 (q) S 1 1 1 0 -1 0 0 0 0 0 250", 0, false},
		{"non-numeric times", "1 (q) S 1 1 1 0 -1 0 0 0 0 0 x y 0", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := parseStatCPU(tt.stat)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("parseStatCPU = %v, %v; want %v, %v", got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestParseStatReadsTheParentAndTheReapedChildrensTime(t *testing.T) {
	st, ok := parseStat("1234 (postgres) S 77 1234 1234 0 -1 4194560 100 0 0 0 250 50 300 100 20 0 12 0 100 1000 10")
	want := stat{ppid: 77, cpu: 3 * time.Second, childrenCPU: 4 * time.Second}
	if !ok || st != want {
		t.Errorf("parseStat = %+v, %v; want %+v", st, ok, want)
	}
}

func TestTreeCPUCountsAChildThatExited(t *testing.T) {
	if _, ok := ProcessCPU(os.Getpid()); !ok {
		t.Skip("no /proc")
	}
	before, ok := TreeCPU(os.Getpid())
	if !ok {
		t.Fatal("TreeCPU could not read this process")
	}
	// A child that burns CPU and is waited for: its time must show up in
	// the tree's, through this process's cutime.
	cmd := exec.Command("sh", "-c", "i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done")
	if err := cmd.Run(); err != nil {
		t.Skip("no sh to burn CPU in:", err)
	}
	child := cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	after, _ := TreeCPU(os.Getpid())
	own, _ := ProcessCPU(os.Getpid())
	if after-before < child-20*time.Millisecond {
		t.Errorf("the tree used %v while a child used %v; want at least the child's", after-before, child)
	}
	if after < own {
		t.Errorf("the tree's %v is less than the process's own %v", after, own)
	}
	if ppid, ok := ParentPID(os.Getpid()); !ok || ppid != os.Getppid() {
		t.Errorf("ParentPID = %d, %v; want %d", ppid, ok, os.Getppid())
	}
}

func TestParseMachineCPUCountsBusyTicksOnly(t *testing.T) {
	// user 100, nice 10, system 50, idle 9000, iowait 40, irq 5, softirq 5, steal 30
	got, ok := parseMachineCPU("cpu  100 10 50 9000 40 5 5 30 0 0")
	if want := 2 * time.Second; !ok || got != want {
		t.Errorf("parseMachineCPU = %v, %v; want %v", got, ok, want)
	}
	for _, bad := range []string{"cpu0 1 2 3 4 5 6 7 8", "cpu 1 2 3", "cpu 1 2 3 x 5 6 7 8"} {
		if _, ok := parseMachineCPU(bad); ok {
			t.Errorf("parseMachineCPU(%q) succeeded", bad)
		}
	}
}

func TestBinaryUsesTheGivenBinaryWithoutBuilding(t *testing.T) {
	got, err := Binary(context.Background(), "/opt/quarry", t.TempDir(), func(string, ...any) {
		t.Error("Binary built although a binary was given")
	})
	if err != nil || got != "/opt/quarry" {
		t.Errorf("Binary = %q, %v; want /opt/quarry", got, err)
	}
}

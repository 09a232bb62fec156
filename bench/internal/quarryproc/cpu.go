package quarryproc

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// clockTicks is USER_HZ, the unit of /proc/<pid>/stat's CPU times: 100 on
// every Linux platform Go runs on.
const clockTicks = 100

// ProcessCPU is the user+system CPU time process pid has used so far, from
// /proc (Linux); ok is false where that cannot be read, and the benchmarks
// then leave their CPU figures out rather than report zero.
func ProcessCPU(pid int) (cpu time.Duration, ok bool) {
	st, ok := readStat(pid)
	return st.cpu, ok
}

// TreeCPU is the CPU time used so far by process pid and all its
// descendants, live or exited: its own, its reaped children's (which the
// kernel adds to its cutime and cstime) and, recursively, its live
// children's. For a server made of many processes, such as PostgreSQL's
// postmaster and its backends, where a backend that exits between two
// readings moves its time from the live sum into the parent's, so that the
// difference of two readings stays right.
func TreeCPU(pid int) (cpu time.Duration, ok bool) {
	root, ok := readStat(pid)
	if !ok {
		return 0, false
	}
	children := childrenOf()
	var sum func(pid int, st stat) time.Duration
	sum = func(pid int, st stat) time.Duration {
		total := st.cpu + st.childrenCPU
		for _, child := range children[pid] {
			if cst, ok := readStat(child); ok {
				total += sum(child, cst)
			}
		}
		return total
	}
	return sum(pid, root), true
}

// ParentPID is process pid's parent, from /proc.
func ParentPID(pid int) (int, bool) {
	st, ok := readStat(pid)
	return st.ppid, ok
}

// childrenOf maps every process's id to its live children's, from a scan
// of /proc.
func childrenOf() map[int][]int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	children := map[int][]int{}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if st, ok := readStat(pid); ok {
			children[st.ppid] = append(children[st.ppid], pid)
		}
	}
	return children
}

// stat is the part of /proc/<pid>/stat the benchmarks read.
type stat struct {
	ppid int
	// cpu is utime+stime; childrenCPU cutime+cstime, the CPU of the
	// children the process has waited for.
	cpu, childrenCPU time.Duration
}

func readStat(pid int) (stat, bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return stat{}, false
	}
	return parseStat(string(b))
}

// parseStatCPU reads utime and stime (fields 14 and 15) of a
// /proc/<pid>/stat line.
func parseStatCPU(line string) (time.Duration, bool) {
	st, ok := parseStat(line)
	return st.cpu, ok
}

// parseStat reads ppid (field 4) and utime, stime, cutime and cstime
// (fields 14 to 17) of a /proc/<pid>/stat line. The command name (field 2)
// may hold spaces and parentheses, so the fields are counted from the last
// ')'.
func parseStat(line string) (stat, bool) {
	i := strings.LastIndexByte(line, ')')
	if i < 0 {
		return stat{}, false
	}
	f := strings.Fields(line[i+1:])
	// f[0] is field 3 (state): ppid is f[1], utime f[11] ... cstime f[14].
	if len(f) < 13 {
		return stat{}, false
	}
	ppid, err := strconv.Atoi(f[1])
	if err != nil {
		return stat{}, false
	}
	var ticks [4]int64
	for j := range ticks {
		if 11+j >= len(f) {
			if j < 2 {
				return stat{}, false
			}
			break // a line cut short after stime: no children's times
		}
		n, err := strconv.ParseInt(f[11+j], 10, 64)
		if err != nil {
			return stat{}, false
		}
		ticks[j] = n
	}
	toDur := func(t int64) time.Duration { return time.Duration(t) * time.Second / clockTicks }
	return stat{ppid: ppid, cpu: toDur(ticks[0] + ticks[1]), childrenCPU: toDur(ticks[2] + ticks[3])}, true
}

// MachineCPU is the CPU time all the machine's CPUs have been busy (not
// idle nor waiting for I/O) since boot, from /proc/stat: less what the
// benchmark's own processes used over the same time, it is what other work
// on a shared machine took.
func MachineCPU() (time.Duration, bool) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, false
	}
	line, _, _ := strings.Cut(string(b), "\n")
	return parseMachineCPU(line)
}

// parseMachineCPU reads the aggregate "cpu" line of /proc/stat: user nice
// system idle iowait irq softirq steal ..., in clock ticks. Guest time is
// already counted in user and nice.
func parseMachineCPU(line string) (time.Duration, bool) {
	f := strings.Fields(line)
	if len(f) < 9 || f[0] != "cpu" {
		return 0, false
	}
	var busy int64
	for i, s := range f[1:9] {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return 0, false
		}
		if i != 3 && i != 4 { // idle, iowait
			busy += n
		}
	}
	return time.Duration(busy) * time.Second / clockTicks, true
}

//go:build !linux

package main

import "time"

// processCPU is not measured off Linux; the report leaves the column empty.
func processCPU(pid int) (time.Duration, bool) { return 0, false }

// selfCPU is not measured off Linux; the report leaves the column empty.
func selfCPU() (time.Duration, bool) { return 0, false }

// fsType is not looked up off Linux.
func fsType(dir string) string { return "unknown" }

// loadAverage is not read off Linux.
func loadAverage() string { return "unknown" }

// canEvict is false off Linux: cold reads are not measured.
const canEvict = false

func evictTree(root string) error { return nil }

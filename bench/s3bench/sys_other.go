//go:build !linux

package main

import "time"

// selfCPU is not measured off Linux; the report leaves the column empty.
func selfCPU() (time.Duration, bool) { return 0, false }

// fsType is not looked up off Linux.
func fsType(dir string) string { return "unknown" }

// canEvict is false off Linux: cold reads are not measured.
const canEvict = false

func evictTree(root string) error { return nil }

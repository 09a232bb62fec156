package main

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// fastSeed: blob files are written without an fsync each and made durable
// together by one syncfs(2) per seeding batch.
const fastSeed = true

// syncFS makes everything written to the filesystem holding dir durable.
func syncFS(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("syncfs %s: %w", dir, err)
	}
	defer d.Close()
	if err := unix.Syncfs(int(d.Fd())); err != nil {
		return fmt.Errorf("syncfs %s: %w", dir, err)
	}
	return nil
}

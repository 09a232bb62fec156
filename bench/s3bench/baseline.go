package main

import (
	"context"
	"fmt"
	"io"
	"os"
)

// The baseline is what the same machine does with plain files in the same
// filesystem: for each object, create a file, write it, fsync it and close it
// (what a careful os.WriteFile would do), then later read the whole file. An
// object store that makes a PUT durable before answering cannot beat that; the
// ratio shows what its own work (HTTP, signatures, checksums, metadata
// commits) costs on top.

// writeFileSync creates path with data and makes it durable.
func writeFileSync(ctx context.Context, path string, data []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("baseline write: %w", err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("baseline write %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("baseline fsync %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("baseline close %s: %w", path, err)
	}
	return nil
}

// readFileDiscard reads the whole of path and checks it has want bytes.
func readFileDiscard(ctx context.Context, path string, want int64) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("baseline read: %w", err)
	}
	defer f.Close()
	n, err := drain(f)
	if err != nil {
		return fmt.Errorf("baseline read %s: %w", path, err)
	}
	if n != want {
		return fmt.Errorf("baseline read %s: got %d bytes, want %d", path, n, want)
	}
	return nil
}

// drainBufSize is the read size for consuming bodies and files alike, so
// that the baseline and the S3 client read the same way.
const drainBufSize = 128 << 10

// drain reads r to its end, discarding the bytes, and returns how many there
// were.
func drain(r io.Reader) (int64, error) {
	buf := make([]byte, drainBufSize)
	var total int64
	for {
		n, err := r.Read(buf)
		total += int64(n)
		if err == io.EOF {
			return total, nil
		}
		if err != nil {
			return total, err
		}
	}
}

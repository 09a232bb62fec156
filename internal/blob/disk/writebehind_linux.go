package disk

import (
	"os"

	"golang.org/x/sys/unix"
)

// startWriteback asks the kernel to begin writing a range of f to disk
// without waiting for it. Put calls it as the body streams in, so that the
// final fsync finds little left to write: the disk works while the network
// and the hashes do, instead of after them.
func startWriteback(f *os.File, off, n int64) {
	// Best effort: the fsync at the end is what makes the blob durable.
	_ = unix.SyncFileRange(int(f.Fd()), off, n, unix.SYNC_FILE_RANGE_WRITE)
}

//go:build unix

package storage

import "golang.org/x/sys/unix"

// diskCapacity is the size and the space available to the server of the
// file system holding dir; -1, -1 when it cannot be read.
func diskCapacity(dir string) (total, available int64) {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return -1, -1
	}
	return int64(st.Blocks) * int64(st.Bsize), int64(st.Bavail) * int64(st.Bsize)
}

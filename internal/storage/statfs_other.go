//go:build !unix

package storage

// diskCapacity cannot be read here.
func diskCapacity(string) (total, available int64) { return -1, -1 }

//go:build unix

package main

import "syscall"

// privateUmask makes every file and directory the server creates, its own
// and those its libraries create (SQLite's -wal and -shm), readable by its
// user only, whatever umask it was started with.
func privateUmask() {
	syscall.Umask(0o077)
}

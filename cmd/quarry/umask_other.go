//go:build !unix

package main

// privateUmask does nothing where there is no umask; the server still
// creates its files with owner-only modes.
func privateUmask() {}

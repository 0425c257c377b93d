//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package store

import "os"

// tryLock does nothing where flock is missing: there, two daemons on one
// data dir are kept apart only by SQLite's own locking.
func tryLock(*os.File) (held bool, err error) { return false, nil }

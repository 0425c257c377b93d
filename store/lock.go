package store

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
)

// LockName is the lock file in the data directory. The process that owns
// the directory (the daemon) holds an exclusive lock on it for as long as
// its store is open; the kernel releases it when the process ends, even by
// SIGKILL, so a stale file never blocks a restart.
const LockName = "watchfloor.lock"

// ErrLocked is returned, wrapped, by Open when another process holds the
// data directory's lock.
var ErrLocked = errors.New("data dir is in use by another process")

// lockDir takes the exclusive lock on dir's lock file without waiting and
// writes our pid into it, for the error another process gets.
func lockDir(dir string) (*os.File, error) {
	path := filepath.Join(dir, LockName)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o640)
	if err != nil {
		return nil, fmt.Errorf("store: lock %s: %w", path, err)
	}
	held, err := tryLock(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("store: lock %s: %w", path, err)
	}
	if held {
		holder := "another process"
		if b, err := io.ReadAll(io.LimitReader(f, 32)); err == nil {
			if pid, err := strconv.Atoi(string(bytes.TrimSpace(b))); err == nil && pid > 0 {
				holder = "process " + strconv.Itoa(pid)
			}
		}
		f.Close()
		return nil, fmt.Errorf("store: open %s: %w: %s holds %s; stop it first, or give this one another data_dir", dir, ErrLocked, holder, path)
	}
	if err := f.Truncate(0); err == nil {
		_, err = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	if err != nil {
		f.Close() // releases the lock
		return nil, fmt.Errorf("store: lock %s: %w", path, err)
	}
	return f, nil
}

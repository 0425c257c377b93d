//go:build linux

package inbox

import (
	"errors"
	"syscall"
)

// openForWriting reports whether some process has path open for writing,
// as a writer that keeps its descriptor open between writes does. Linux
// refuses a read lease (F_SETLEASE) on such a file with EAGAIN. Where a
// lease cannot be taken at all (a file owned by another user without
// CAP_LEASE, a file system without leases) the answer is false: the
// settle time and the check after reading are then all there is.
func openForWriting(path string) bool {
	fd, err := syscall.Open(path, syscall.O_RDONLY|syscall.O_NONBLOCK|syscall.O_NOFOLLOW|syscall.O_CLOEXEC, 0)
	if err != nil {
		return false
	}
	defer syscall.Close(fd)
	if _, _, errno := syscall.Syscall(syscall.SYS_FCNTL, uintptr(fd), syscall.F_SETLEASE, syscall.F_RDLCK); errno != 0 {
		return errors.Is(errno, syscall.EAGAIN)
	}
	// The lease goes with the descriptor; release it at once anyway so
	// a writer opening the file now is not kept waiting.
	_, _, _ = syscall.Syscall(syscall.SYS_FCNTL, uintptr(fd), syscall.F_SETLEASE, syscall.F_UNLCK)
	return false
}

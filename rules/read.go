package rules

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"
)

// MaxFileSize is the largest rule file or rule test file the loader reads,
// in bytes (4 MiB). A larger file is an error, not a partial read: a rule
// file that big is a mistake (or /dev/zero behind a symlink), and reading it
// whole would hold the reload and the memory it takes.
const MaxFileSize = 4 << 20

// ReadFile reads the rule file (or rule test file) at path. Only a regular file is read, a
// symlink being followed to its target: a named pipe would block the
// reader until some writer came (holding reload, startup and shutdown), and
// a device such as /dev/zero never ends. The target is checked before it
// is opened, opened with O_NONBLOCK so that a pipe swapped in meanwhile
// cannot block the open, and checked again through the open descriptor.
func ReadFile(path string) ([]byte, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if err := checkRegular(st); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readOpen(f)
}

// readFSFile is readFile for a file of fsys (an embedded rule pack, or a
// directory given as an fs.FS).
func readFSFile(fsys fs.FS, name string) ([]byte, error) {
	st, err := fs.Stat(fsys, name)
	if err != nil {
		return nil, err
	}
	if err := checkRegular(st); err != nil {
		return nil, err
	}
	f, err := fsys.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readOpen(f)
}

// readOpen checks the open file f and reads it, up to MaxFileSize bytes.
func readOpen(f fs.File) ([]byte, error) {
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if err := checkRegular(st); err != nil {
		return nil, err
	}
	// The size may change between the stat and the read: the limit is
	// enforced on the bytes read as well.
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxFileSize {
		return nil, tooLarge()
	}
	return data, nil
}

// checkRegular refuses what is not a regular file of at most MaxFileSize
// bytes.
func checkRegular(st fs.FileInfo) error {
	if !st.Mode().IsRegular() {
		return fmt.Errorf("not a regular file (%s)", fileKind(st.Mode()))
	}
	if st.Size() > MaxFileSize {
		return tooLarge()
	}
	return nil
}

func tooLarge() error {
	return fmt.Errorf("file larger than the %d MiB limit", MaxFileSize>>20)
}

// fileKind names the type of a file that is not regular.
func fileKind(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "named pipe"
	case m&fs.ModeSocket != 0:
		return "socket"
	case m&fs.ModeCharDevice != 0:
		return "character device"
	case m&fs.ModeDevice != 0:
		return "block device"
	case m.IsDir():
		return "directory"
	case m&fs.ModeSymlink != 0:
		return "symlink"
	default:
		return "irregular file"
	}
}

//go:build !linux

package inbox

// openForWriting cannot tell on this system; the settle time and the
// check after reading decide when a file is done.
func openForWriting(string) bool { return false }

// Package cputime reads the CPU time the process has used, for benchmarks
// that report articles per CPU-second: on a machine shared with other
// work, that varies less than articles per wall-clock second.
package cputime

package cputime

import (
	"testing"
	"time"
)

func TestProcessGrowsWithWork(t *testing.T) {
	start := Process()
	if start <= 0 {
		t.Fatalf("Process() = %v at start", start)
	}
	x := 0
	for deadline := time.Now().Add(50 * time.Millisecond); time.Now().Before(deadline); {
		x++
	}
	if got := Process() - start; got <= 0 {
		t.Errorf("no CPU time counted for a 50 ms busy loop (%d turns): %v", x, got)
	}
}

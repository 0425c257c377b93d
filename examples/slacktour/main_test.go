package main

import (
	"context"
	"strings"
	"testing"
)

// The tour the README shows runs: every seed reaches the channel, and a
// rule added while the daemon runs sends its alert after the live reload.
func TestTour(t *testing.T) {
	var out strings.Builder
	if err := run(context.Background(), &out, "../../testdata/seeds"); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	first, second, ok := strings.Cut(out.String(), "\n2. ")
	if !ok {
		t.Fatalf("no second step:\n%s", out.String())
	}
	if n := strings.Count(first, "\n#desk  "); n != 5 {
		t.Errorf("%d top-level messages for the five seeds, want 5:\n%s", n, first)
	}
	if !strings.Contains(second, "#desk  Desk note — tour-new-rule (low") {
		t.Errorf("the added rule's alert is missing:\n%s", second)
	}
}

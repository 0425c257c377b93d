package main

import (
	"context"
	"strings"
	"testing"
)

// The tour the README shows runs: every seed reaches the channel, two
// other reports of one event reply in its thread, and a rule added while
// the daemon runs sends its alert after the live reload.
func TestTour(t *testing.T) {
	var out strings.Builder
	if err := run(context.Background(), &out, "../../testdata/seeds"); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	first, rest, ok := strings.Cut(out.String(), "\n2. ")
	if !ok {
		t.Fatalf("no second step:\n%s", out.String())
	}
	story, second, ok := strings.Cut(rest, "\n3. ")
	if !ok {
		t.Fatalf("no third step:\n%s", out.String())
	}
	// Two other outlets' reports of one event: two replies in the thread
	// of the first report, and no new top-level message.
	if n := strings.Count(story, "\n   └─ "); n != 2 || strings.Count(story, "\n#desk  ") != 1 {
		t.Errorf("want one thread with two replies:\n%s", story)
	}
	if !strings.Contains(story, "UPDATE 1-") || !strings.Contains(story, "Desk Daily") {
		t.Errorf("the replies do not name the two reports:\n%s", story)
	}
	if n := strings.Count(first, "\n#desk  "); n != 5 {
		t.Errorf("%d top-level messages for the five seeds, want 5:\n%s", n, first)
	}
	if !strings.Contains(second, "#desk  Desk note — tour-new-rule (low") {
		t.Errorf("the added rule's alert is missing:\n%s", second)
	}
}

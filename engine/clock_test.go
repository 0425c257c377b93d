package engine

import (
	"fmt"
	"testing"
	"time"
)

// TestClockRulesAreNeverGated checks that a rule calling one of expr's time
// functions is evaluated for every article: its truth can change after the
// rule set is compiled, so the probe on an empty article at compile time
// says nothing about later articles.
func TestClockRulesAreNeverGated(t *testing.T) {
	// A moment shortly after compilation: the rules below are false when
	// the set is compiled and true once it has passed.
	at := time.Now().Add(300 * time.Millisecond).UTC().Format(time.RFC3339Nano)
	tests := []struct {
		name string
		when string
	}{
		{"term-free", fmt.Sprintf(`now() > date(%q)`, at)},
		{"term or clock", fmt.Sprintf(`mentions("alpha") || now() > date(%q)`, at)},
		{"method on now", fmt.Sprintf(`now().Sub(date(%q)) > duration("0s")`, at)},
		{"clock and term", fmt.Sprintf(`now() > date(%q) && mentions("gamma")`, at)},
	}
	c, err := NewCompiler(nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		if err := c.Add(RuleSpec{Name: tt.name, When: tt.when}); err != nil {
			t.Fatal(err)
		}
	}
	rs := c.Finish()
	deadline, _ := time.Parse(time.RFC3339Nano, at)
	time.Sleep(time.Until(deadline) + 10*time.Millisecond)
	res := rs.NewScorer().Score(Article{Title: "x", Body: "gamma delta epsilon"})
	for _, e := range res.Errors {
		t.Errorf("run-time error: %v", e)
	}
	got := map[string]bool{}
	for _, m := range res.Matches {
		got[m.Rule] = true
	}
	for _, tt := range tests {
		if !got[tt.name] {
			t.Errorf("%s: rule %q did not match once its time had come", tt.name, tt.when)
		}
	}
}

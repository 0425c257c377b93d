package rules

import (
	"regexp"
	"strings"
	"testing"

	"github.com/watchfloor/watchfloor/ingest"
)

// TestSeedSummariesCarryTheEvent scores the seeds with the shipped pack
// and checks that each summary holds the sentence that reports the event,
// whatever else it holds: the pack changes, the event sentence must stay.
func TestSeedSummariesCarryTheEvent(t *testing.T) {
	set, err := Load("../rules.d")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		seed  string
		event *regexp.Regexp
	}{
		{"002 the killing", "002.txt", regexp.MustCompile(`\bkilling of\b`)},
		{"003 the arrest of Abu Bukhari", "003.txt", regexp.MustCompile(`(?s)\barrest\b.*Abu Bukhari`)},
		{"004 the 160 arrested", "004.txt", regexp.MustCompile(`\barrested 160\b`)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			arts, err := ingest.ReadFile("../testdata/seeds/" + tc.seed)
			if err != nil || len(arts) != 1 {
				t.Fatalf("read seed: %d articles, %v", len(arts), err)
			}
			res := set.Rules.NewScorer().Score(arts[0])
			if len(res.Matches) == 0 {
				t.Fatal("no rule matched, so no summary")
			}
			for _, s := range res.Summary {
				if tc.event.MatchString(s) {
					return
				}
			}
			t.Errorf("summary lacks a sentence matching %s:\n%s", tc.event, strings.Join(res.Summary, "\n"))
		})
	}
}

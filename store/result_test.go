package store

import (
	"context"
	"encoding/json"
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/engine"
)

// sameResult compares a result read back with the one committed, less
// what is not stored (snippets, notify lists) and with field values
// compared as JSON.
func sameResult(t *testing.T, got, want *Result) {
	t.Helper()
	if (got == nil) != (want == nil) {
		t.Fatalf("result %+v, want %+v", got, want)
	}
	if want == nil {
		return
	}
	if !reflect.DeepEqual(got.Summary, want.Summary) && (len(got.Summary) > 0 || len(want.Summary) > 0) {
		t.Errorf("summary %q, want %q", got.Summary, want.Summary)
	}
	if len(got.Matches) != len(want.Matches) {
		t.Fatalf("%d matches, want %d", len(got.Matches), len(want.Matches))
	}
	for i, w := range want.Matches {
		g := got.Matches[i]
		if g.Rule != w.Rule || g.Severity != w.Severity || !(g.Score == w.Score || math.IsNaN(g.Score) && math.IsNaN(w.Score)) {
			t.Errorf("match %d: %s %v %s, want %s %v %s", i, g.Rule, g.Score, g.Severity, w.Rule, w.Score, w.Severity)
		}
		if len(g.Labels)+len(w.Labels) > 0 && !reflect.DeepEqual(g.Labels, w.Labels) {
			t.Errorf("match %d: labels %v, want %v", i, g.Labels, w.Labels)
		}
		gf, _ := json.Marshal(g.Fields)
		wf, _ := json.Marshal(w.Fields)
		if string(gf) != string(wf) {
			t.Errorf("match %d: fields %s, want %s", i, gf, wf)
		}
		if len(g.Evidence) != len(w.Evidence) {
			t.Fatalf("match %d: %d evidence terms, want %d", i, len(g.Evidence), len(w.Evidence))
		}
		for j, we := range w.Evidence {
			ge := g.Evidence[j]
			if ge.Term != we.Term || ge.Count != we.Count || !reflect.DeepEqual(ge.Positions, we.Positions) || ge.Snippets != nil {
				t.Errorf("match %d evidence %d: %+v, want %+v without snippets", i, j, ge, we)
			}
		}
	}
}

// TestResultRoundTrip commits articles with their scoring results to a
// real database file and reads them back, by id and through History.
func TestResultRoundTrip(t *testing.T) {
	ctx := context.Background()
	full := &Result{
		Matches: []engine.Match{
			{Rule: "terror-financing", Score: 10.5, Severity: "high", Labels: map[string]string{"topic": "financing"},
				Fields: map[string]any{"group": []string{"Daesh", "ISIL"}, "amount": 2.5e6, "place": "Kirkuk"},
				Notify: []string{"siem"},
				Evidence: []engine.Evidence{
					{Term: "Daesh", Count: 3, Positions: []int{3, 42, 87}, Snippets: []string{"… **Daesh** …"}},
					{Term: "financ*", Count: 1, Positions: []int{9}},
				}},
			{Rule: "smuggling", Score: 1, Evidence: []engine.Evidence{{Term: "smuggl*", Count: 7, Positions: []int{11, 178}}}}, // count above the positions kept
		},
		Summary: []string{"First sentence.", "Second, with “quotes” and <tags>."},
	}
	tests := []struct {
		name   string
		result *Result
		want   *Result
	}{
		{name: "none", result: nil},
		{name: "no match", result: &Result{}},
		{name: "matches with evidence, fields and summary", result: full},
		{name: "non-finite scores", result: &Result{Matches: []engine.Match{{Rule: "inf", Score: math.Inf(1)}, {Rule: "nan", Score: math.NaN()}, {Rule: "neg", Score: math.Inf(-1)}}}},
		{name: "field JSON cannot hold", result: &Result{Matches: []engine.Match{{Rule: "odd", Score: 1, Fields: map[string]any{"ch": make(chan int), "ok": "yes"}}}},
			want: &Result{Matches: []engine.Match{{Rule: "odd", Score: 1, Fields: map[string]any{"ch": "stand-in", "ok": "yes"}}}}},
	}
	s := open(t, t.TempDir())
	base := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := article(tt.name)
			a.SeenAt = base.Add(time.Duration(i) * time.Minute)
			a.Result = tt.result
			if ok, err := s.CommitArticle(ctx, a, nil, nil); !ok || err != nil {
				t.Fatalf("commit: %v %v", ok, err)
			}
			got, err := s.Article(ctx, tt.name)
			if err != nil {
				t.Fatal(err)
			}
			want := tt.result
			if tt.want != nil {
				want = tt.want
				if s := got.Result.Matches[0].Fields["ch"]; s == nil || s == "" {
					t.Errorf("unencodable field stored as %v", s)
				}
				got.Result.Matches[0].Fields["ch"] = "stand-in"
			}
			sameResult(t, got.Result, want)
		})
	}

	var ids []string
	for a, err := range s.History(ctx, base.Add(time.Minute), base.Add(4*time.Minute)) {
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, a.ID)
		if a.ID == tests[2].name {
			sameResult(t, a.Result, full)
		}
	}
	if want := []string{tests[1].name, tests[2].name, tests[3].name}; !reflect.DeepEqual(ids, want) {
		t.Errorf("history yielded %q, want %q", ids, want)
	}
	n := 0
	for range s.History(ctx, time.Time{}, time.Time{}) {
		n++
		break
	}
	if n != 1 {
		t.Errorf("history went on after break: %d", n)
	}
}

package main

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/watchfloor/watchfloor/engine"
)

func TestClassifyPrintsFields(t *testing.T) {
	res := engine.Result{
		Article: engine.Article{Title: "Car bomb in Tal Afar", Source: "file:a.txt"},
		Matches: []engine.Match{
			{Rule: "attack", Score: 6, Severity: "high",
				Fields:   map[string]any{"killed": 12.0, "place": []string{"Tal Afar", "Mosul"}, "group": []string{"ISIS"}},
				Evidence: []engine.Evidence{{Term: "kill~", Count: 1}}},
			{Rule: "no-fields", Score: 2, Severity: "low"},
		},
	}
	tests := []struct {
		name   string
		format string
		check  func(t *testing.T, out string)
	}{
		{"text", "text", func(t *testing.T, out string) {
			lines := strings.Split(out, "\n")
			i := slicesIndexContains(lines, "attack")
			if i < 0 || i+1 >= len(lines) {
				t.Fatalf("no attack line:\n%s", out)
			}
			if got, want := strings.TrimSpace(lines[i+1]), "killed: 12 · group: ISIS · place: Tal Afar, Mosul"; got != want {
				t.Errorf("fields line %q, want %q", got, want)
			}
			j := slicesIndexContains(lines, "no-fields")
			if j != len(lines)-2 || lines[j+1] != "" {
				t.Errorf("a match without fields printed more than its line:\n%s", out)
			}
		}},
		{"json", "json", func(t *testing.T, out string) {
			var got struct {
				Matches []map[string]any `json:"matches"`
			}
			if err := json.Unmarshal([]byte(out), &got); err != nil {
				t.Fatal(err)
			}
			want := map[string]any{"killed": 12.0, "place": []any{"Tal Afar", "Mosul"}, "group": []any{"ISIS"}}
			if len(got.Matches) != 2 || !reflect.DeepEqual(got.Matches[0]["fields"], want) {
				t.Errorf("fields %v, want %v", got.Matches, want)
			}
			if _, ok := got.Matches[1]["fields"]; ok {
				t.Errorf("match without fields has a fields key: %v", got.Matches[1])
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			var pr printer = &textPrinter{w: &b}
			if tc.format == "json" {
				pr = jsonPrinter{w: &b}
			}
			pr.print(res)
			tc.check(t, b.String())
		})
	}
}

// slicesIndexContains returns the index of the first line holding s, or -1.
func slicesIndexContains(lines []string, s string) int {
	for i, l := range lines {
		if strings.Contains(l, s) {
			return i
		}
	}
	return -1
}

package lognotify

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"

	"github.com/watchfloor/watchfloor/engine"
	"github.com/watchfloor/watchfloor/notifiers"
)

func TestOneJSONLinePerAlert(t *testing.T) {
	var buf bytes.Buffer
	n := New("console", &buf)
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if retry, err := n.Notify(context.Background(), notifiers.Alert{ID: "a", Article: engine.Article{Title: "T"}}); err != nil || retry {
				t.Errorf("notify: %v %v", retry, err)
			}
		}()
	}
	wg.Wait()
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 20 {
		t.Fatalf("%d lines", len(lines))
	}
	for _, l := range lines {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil || m["version"] != "1" || m["id"] != "a" {
			t.Errorf("line %q: %v", l, err)
		}
	}
}

func TestFieldsInLine(t *testing.T) {
	tests := []struct {
		name   string
		fields map[string]any
		want   string // matches[0].fields as JSON, "" for absent
	}{
		{"fields", map[string]any{"arrested": 160.0, "place": []string{"Mosul"}}, `{"arrested":160,"place":["Mosul"]}`},
		{"none", nil, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			a := notifiers.Alert{ID: "a", Matches: []engine.Match{{Rule: "mass-arrests", Severity: "high", Fields: tc.fields}}}
			if _, err := New("console", &buf).Notify(context.Background(), a); err != nil {
				t.Fatal(err)
			}
			var m struct {
				Matches []map[string]json.RawMessage `json:"matches"`
			}
			if err := json.Unmarshal(buf.Bytes(), &m); err != nil || len(m.Matches) != 1 {
				t.Fatalf("line %q: %v", buf.String(), err)
			}
			if got := string(m.Matches[0]["fields"]); got != tc.want {
				t.Errorf("fields %s, want %s", got, tc.want)
			}
		})
	}
}

package notifiers_test

import (
	"encoding/json"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/engine"
	"github.com/watchfloor/watchfloor/notifiers"
)

func sampleAlert() notifiers.Alert {
	return notifiers.Alert{
		ID:        "al-1",
		CreatedAt: time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC),
		Article: engine.Article{ID: "https://example.org/a", Title: "Raid in Mosul", URL: "https://example.org/a",
			Source: "feed:example", Published: time.Date(2024, 5, 1, 9, 0, 0, 0, time.UTC)},
		Matches: []engine.Match{{Rule: "arrests", Score: 6, Severity: "high", Labels: map[string]string{"topic": "ops"},
			Evidence: []engine.Evidence{{Term: "arrest*", Count: 1, Positions: []int{3}, Snippets: []string{"forces **arrested** 160"}}}}},
		Summary: []string{"Forces arrested 160 suspects in Mosul."},
	}
}

func keys(m map[string]any) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func TestPayloadShape(t *testing.T) {
	tests := []struct {
		name  string
		alert notifiers.Alert
	}{
		{name: "full", alert: sampleAlert()},
		{name: "empty", alert: notifiers.Alert{ID: "al-2"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := json.Marshal(tc.alert)
			if err != nil {
				t.Fatal(err)
			}
			var m map[string]any
			if err := json.Unmarshal(b, &m); err != nil {
				t.Fatal(err)
			}
			if got, want := keys(m), []string{"article", "created_at", "id", "matches", "summary", "version"}; !reflect.DeepEqual(got, want) {
				t.Errorf("keys = %v, want %v", got, want)
			}
			if m["version"] != "1" || m["id"] != tc.alert.ID {
				t.Errorf("version/id = %v/%v", m["version"], m["id"])
			}
			art, _ := m["article"].(map[string]any)
			if got, want := keys(art), []string{"id", "published", "source", "title", "url"}; !reflect.DeepEqual(got, want) {
				t.Errorf("article keys = %v, want %v", got, want)
			}
			if _, ok := m["matches"].([]any); !ok {
				t.Errorf("matches is %T, want an array", m["matches"])
			}
			if _, ok := m["summary"].([]any); !ok {
				t.Errorf("summary is %T, want an array", m["summary"])
			}
			for _, mt := range m["matches"].([]any) {
				mm := mt.(map[string]any)
				if got, want := keys(mm), []string{"evidence", "labels", "rule", "score", "severity"}; !reflect.DeepEqual(got, want) {
					t.Errorf("match keys = %v, want %v", got, want)
				}
				for _, ev := range mm["evidence"].([]any) {
					if got, want := keys(ev.(map[string]any)), []string{"count", "positions", "snippets", "term"}; !reflect.DeepEqual(got, want) {
						t.Errorf("evidence keys = %v, want %v", got, want)
					}
				}
			}
			var back notifiers.Alert
			if err := json.Unmarshal(b, &back); err != nil {
				t.Fatal(err)
			}
			again, err := json.Marshal(back)
			if err != nil {
				t.Fatal(err)
			}
			if string(again) != string(b) {
				t.Errorf("round trip differs:\n%s\n%s", b, again)
			}
		})
	}
}

func TestUnmarshalErrors(t *testing.T) {
	tests := []struct {
		name, body, want string
	}{
		{name: "wrong type", body: `{"version":1}`, want: "notifiers: alert:"},
		{name: "wrong version", body: `{"version":"2"}`, want: "unknown version"},
		{name: "bad created_at", body: `{"version":"1","created_at":"yesterday"}`, want: "created_at"},
		{name: "bad published", body: `{"version":"1","article":{"published":"x"}}`, want: "published"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var a notifiers.Alert
			err := json.Unmarshal([]byte(tc.body), &a)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want containing %q", err, tc.want)
			}
		})
	}
}

func FuzzAlertUnmarshal(f *testing.F) {
	b, _ := json.Marshal(sampleAlert())
	f.Add(b)
	f.Add([]byte(`{"version":"1"}`))
	f.Add([]byte(`{"version":"1","matches":null,"article":{"published":""}}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var a notifiers.Alert
		if err := json.Unmarshal(data, &a); err != nil {
			return
		}
		if _, err := json.Marshal(a); err != nil {
			t.Fatalf("marshal of a decoded alert: %v", err)
		}
	})
}

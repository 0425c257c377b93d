package webhook

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"
	"time"
)

// TestPayloadFields decodes matches[].fields from the body a receiver
// gets, once from the Alert and once from the stored payload the
// dispatcher re-sends.
func TestPayloadFields(t *testing.T) {
	var bodies [][]byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if err := Verify(secret, r.Header, b, time.Minute, time.Now()); err != nil {
			t.Errorf("verify: %v", err)
		}
		bodies = append(bodies, b)
	}))
	defer srv.Close()
	n, err := New(Config{Name: "siem", URL: srv.URL, Secret: secret})
	if err != nil {
		t.Fatal(err)
	}
	a := testAlert()
	a.Matches[0].Fields = map[string]any{"killed": 12.0, "place": []string{"Tal Afar"}, "group": []string{"ISIS", "Daesh"}}
	if _, err := n.Notify(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	stored, _ := json.Marshal(a)
	if _, err := n.NotifyPayload(context.Background(), a.ID, stored); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"killed": 12.0, "place": []any{"Tal Afar"}, "group": []any{"ISIS", "Daesh"}}
	tests := []struct {
		name string
		body []byte
	}{
		{"from the alert", bodies[0]},
		{"from the stored payload", bodies[1]},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var p struct {
				Matches []struct {
					Rule   string         `json:"rule"`
					Fields map[string]any `json:"fields"`
				} `json:"matches"`
			}
			if err := json.Unmarshal(tc.body, &p); err != nil {
				t.Fatal(err)
			}
			if len(p.Matches) != 1 || !reflect.DeepEqual(p.Matches[0].Fields, want) {
				t.Errorf("matches %+v, want fields %v", p.Matches, want)
			}
		})
	}
}

package notifiers

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/watchfloor/watchfloor/engine"
)

func TestFieldText(t *testing.T) {
	tests := []struct {
		name string
		v    any
		want string
	}{
		{"nil", nil, ""},
		{"string", "Tal Afar", "Tal Afar"},
		{"string with line breaks", "Tal\n  Afar", "Tal Afar"},
		{"whole float", 12.0, "12"},
		{"fraction", 1.5, "1.5"},
		{"large float", 160000.0, "160000"},
		{"int", 7, "7"},
		{"int64", int64(-3), "-3"},
		{"bool", true, "true"},
		{"strings", []string{"ISIS", "Daesh"}, "ISIS, Daesh"},
		{"floats", []float64{160, 40.5}, "160, 40.5"},
		{"ints", []int{1, 2}, "1, 2"},
		{"decoded JSON list", []any{"Mosul", 3.0}, "Mosul, 3"},
		{"json number", json.Number("12"), "12"},
		{"empty list", []string{}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := FieldText(tc.v); got != tc.want {
				t.Errorf("FieldText(%#v) = %q, want %q", tc.v, got, tc.want)
			}
		})
	}
}

func TestFieldsLine(t *testing.T) {
	tests := []struct {
		name   string
		fields map[string]any
		want   string
	}{
		{"none", nil, ""},
		{"numbers first, then by name", map[string]any{"place": []string{"Tal Afar"}, "group": []string{"ISIS"}, "killed": 12.0},
			"killed: 12 · group: ISIS · place: Tal Afar"},
		{"several numbers by name", map[string]any{"wounded": 3, "killed": 12.0, "arrested": []float64{160}},
			"arrested: 160 · killed: 12 · wounded: 3"},
		{"as decoded from the outbox", map[string]any{"place": []any{"Mosul"}, "arrested": 160.0, "counts": []any{1.0, 2.0}},
			"arrested: 160 · counts: 1, 2 · place: Mosul"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := FieldsLine(tc.fields); got != tc.want {
				t.Errorf("FieldsLine = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestAlertFieldsRoundTrip checks that matches[].fields is in the payload
// and survives the outbox (encode, decode), rendering the same.
func TestAlertFieldsRoundTrip(t *testing.T) {
	a := Alert{ID: "wf_1", Matches: []engine.Match{
		{Rule: "mass-arrests", Score: 5, Severity: "high", Fields: map[string]any{"arrested": 160.0, "place": []string{"Mosul"}}},
		{Rule: "plain", Score: 1, Severity: "low"},
	}}
	b, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	var raw struct {
		Matches []map[string]json.RawMessage `json:"matches"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatal(err)
	}
	if got := string(raw.Matches[0]["fields"]); got != `{"arrested":160,"place":["Mosul"]}` {
		t.Errorf("fields %s", got)
	}
	if _, ok := raw.Matches[1]["fields"]; ok {
		t.Errorf("match without fields carries %s", raw.Matches[1]["fields"])
	}
	var back Alert
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"arrested": 160.0, "place": []any{"Mosul"}}
	if !reflect.DeepEqual(back.Matches[0].Fields, want) {
		t.Errorf("decoded fields %#v", back.Matches[0].Fields)
	}
	if FieldsLine(back.Matches[0].Fields) != FieldsLine(a.Matches[0].Fields) {
		t.Errorf("rendering changed through the outbox: %q vs %q", FieldsLine(back.Matches[0].Fields), FieldsLine(a.Matches[0].Fields))
	}
}

package main

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

func TestConvert(t *testing.T) {
	keys := strings.Join([]string{
		`{"id": "DEV-1", "incidents": [{"type": "KIDNAPPING", "optional": false}, {"type": "ATTACK", "optional": false}]}`,
		`{"id": "DEV-2", "incidents": []}`,
		``,
		`{"id": "DEV-3", "incidents": [{"type": "ROBBERY"}, {"type": "FORCED WORK STOPPAGE"}]}`,
		`{"id": "DEV-4", "incidents": [{"type": "BOMBING", "optional": true}, {"type": "ARSON", "optional": false}, {"type": "BOMBING", "optional": false}]}`,
		`{"id": "DEV-5", "incidents": [{"type": "ATTACK", "optional": true}], "extra": 1}`,
	}, "\n") + "\n"
	for _, tc := range []struct {
		name         string
		skipOptional bool
		want         string
	}{
		{"every incident", false, `{"id":"DEV-1","rules":["attack","kidnapping"]}
{"id":"DEV-2","rules":[]}
{"id":"DEV-3","rules":[]}
{"id":"DEV-4","rules":["bombing","arson"]}
{"id":"DEV-5","rules":["attack"]}
`},
		{"optional incidents skipped", true, `{"id":"DEV-1","rules":["attack","kidnapping"]}
{"id":"DEV-2","rules":[]}
{"id":"DEV-3","rules":[]}
{"id":"DEV-4","rules":["bombing","arson"]}
{"id":"DEV-5","rules":[]}
`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			n, err := convert(strings.NewReader(keys), &out, tc.skipOptional)
			if err != nil {
				t.Fatal(err)
			}
			if n != 5 || out.String() != tc.want {
				t.Errorf("%d articles, output\n%s\nwant\n%s", n, out.String(), tc.want)
			}
		})
	}
}

func TestConvertErrors(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"bad JSON", "{\"id\": \"A\", \"incidents\": []}\n{\"id\": \n", "mklabels: line 2: "},
		{"no id", `{"incidents": []}`, "mklabels: line 1: no id"},
		{"unknown type", `{"id": "A", "incidents": [{"type": "HIJACKING"}]}`, `mklabels: line 1: unknown incident type "HIJACKING"`},
		{"repeated id", "{\"id\": \"A\", \"incidents\": []}\n\n{\"id\": \"A\", \"incidents\": []}", `mklabels: line 3: id "A" already seen at line 1`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := convert(strings.NewReader(tc.in), &bytes.Buffer{}, false)
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Errorf("error %v, want prefix %q", err, tc.want)
			}
		})
	}
}

// TestCommittedLabels checks that examples/muc4/labels.jsonl is what
// mklabels makes of the answer keys, when the development corpus is next to
// the repository (../shared); it skips otherwise.
func TestCommittedLabels(t *testing.T) {
	keys, err := os.Open("../../../../shared/corpus/dev/muc4/labels.jsonl")
	if err != nil {
		t.Skipf("MUC-4 answer keys not available: %v", err)
	}
	defer keys.Close()
	var out bytes.Buffer
	n, err := convert(keys, &out, false)
	if err != nil {
		t.Fatal(err)
	}
	committed, err := os.ReadFile("../labels.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	if n != 1500 || !bytes.Equal(out.Bytes(), committed) {
		t.Errorf("%d articles; examples/muc4/labels.jsonl differs from mklabels' output: regenerate it", n)
	}
}

package poserr

import (
	"errors"
	"testing"

	"go.yaml.in/yaml/v3"
)

func TestListErr(t *testing.T) {
	if err := List(nil).Err(); err != nil {
		t.Fatalf("empty list: %v", err)
	}
	l := List{
		{File: "b.yaml", Line: 2, Col: 1, Msg: "b2"},
		{File: "a.yaml", Msg: "a, no position"},
		{File: "a.yaml", Line: 3, Col: 7, Msg: "a3.7"},
		{File: "a.yaml", Line: 3, Col: 2, Msg: "a3.2"},
	}
	err := l.Err()
	want := "a.yaml:3:2: a3.2\na.yaml:3:7: a3.7\na.yaml: a, no position\nb.yaml:2:1: b2"
	if err.Error() != want {
		t.Errorf("got\n%s\nwant\n%s", err, want)
	}
	var e *Error
	if !errors.As(err, &e) || e.Msg != "a3.2" {
		t.Errorf("errors.As found %v, want the first problem", e)
	}
}

func TestYAML(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{name: "line the parser gives", src: "a: 1\nb: [x\n", want: "f.yaml:2:1: did not find expected ',' or ']'"},
		{name: "parser names the mapping's line", src: "a:\n  - b: 1\n    c: 2\n   d: 3\n", want: "f.yaml:4:4: did not find expected '-' indicator"},
		{name: "no line: control character", src: "a: 1\nb: 2\nc: \"x\x01\"\n", want: "f.yaml:3:6: control characters are not allowed"},
		{name: "no line: not UTF-8", src: "a: 1\nb: 'é\xff'\n", want: "f.yaml:2:6: invalid leading UTF-8 octet"},
		{name: "no line: unknown alias", src: "a: 1\nb: 2\nc: *x\n", want: "f.yaml:3:1: unknown anchor 'x' referenced"},
		{name: "tab", src: "a:\n  b: 1\n\t- c\n", want: "f.yaml:3:1: found a tab character that violates indentation"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var n yaml.Node
			err := yaml.Unmarshal([]byte(tt.src), &n)
			if err == nil {
				t.Fatal("parsed")
			}
			if got := YAML("f.yaml", []byte(tt.src), err).Error(); got != tt.want {
				t.Errorf("got  %s\nwant %s\n(parser: %v)", got, tt.want, err)
			}
		})
	}
}

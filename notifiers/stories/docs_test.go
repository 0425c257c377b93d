package stories

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestDocsExamples checks the URL and title examples of docs/alerts.md.
func TestDocsExamples(t *testing.T) {
	doc, err := os.ReadFile("../../docs/alerts.md")
	if err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile("(?m)^\\| `(.*)` \\| (URL|title|no title key)(?: `(.*)`)?.* \\|$")
	rows := row.FindAllStringSubmatch(string(doc), -1)
	if len(rows) < 5 {
		t.Fatalf("%d examples found in docs/alerts.md", len(rows))
	}
	for _, r := range rows {
		in, kind, want := strings.ReplaceAll(r[1], `\|`, "|"), r[2], r[3]
		var got string
		switch kind {
		case "URL":
			got = URLKey(in)
		default:
			got = TitleKey(in)
		}
		if got != want {
			t.Errorf("%s key of %q = %q, docs say %q", kind, in, got, want)
		}
	}
}

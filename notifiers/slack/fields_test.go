package slack

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/slack-go/slack/slacktest"

	"github.com/watchfloor/watchfloor/notifiers"
)

// sectionFields returns the texts of the fields of every section block.
func sectionFields(t *testing.T, blocksJSON []byte) (fields [][]string, texts []string) {
	t.Helper()
	var blocks []struct {
		Type   string `json:"type"`
		Text   *struct{ Type, Text string }
		Fields []struct {
			Type string `json:"type"`
			Text string `json:"text"`
		} `json:"fields"`
	}
	if err := json.Unmarshal(blocksJSON, &blocks); err != nil {
		t.Fatal(err)
	}
	for _, b := range blocks {
		if b.Type != "section" || len(b.Fields) == 0 {
			continue
		}
		var f []string
		for _, x := range b.Fields {
			if x.Type != "mrkdwn" {
				t.Errorf("field of type %q", x.Type)
			}
			f = append(f, x.Text)
		}
		fields = append(fields, f)
		texts = append(texts, b.Text.Text)
	}
	return fields, texts
}

func TestFieldsAsSectionFields(t *testing.T) {
	many := map[string]any{}
	for i := range 12 {
		many[fmt.Sprintf("f%02d", i)] = "v"
	}
	tests := []struct {
		name     string
		fields   map[string]any
		want     []string // the section's fields
		moreNote string   // expected in the section text
	}{
		{"numbers first, lists joined", map[string]any{"killed": 12.0, "place": []any{"Tal Afar", "Mosul"}, "group": []string{"ISIS"}},
			[]string{"*killed*\n12", "*group*\nISIS", "*place*\nTal Afar, Mosul"}, ""},
		{"article text escaped", map[string]any{"place": "<!channel> & <https://evil|x>"},
			[]string{"*place*\n&lt;!channel&gt; &amp; &lt;https://evil|x&gt;"}, ""},
		{"at most ten fields", many,
			[]string{"*f00*\nv", "*f01*\nv", "*f02*\nv", "*f03*\nv", "*f04*\nv", "*f05*\nv", "*f06*\nv", "*f07*\nv", "*f08*\nv", "*f09*\nv"}, "+2 more fields"},
		{"none", nil, nil, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := alert(1, "s")
			a.Matches[0].Fields = tc.fields
			b, err := json.Marshal(Blocks(a))
			if err != nil {
				t.Fatal(err)
			}
			fields, texts := sectionFields(t, b)
			if tc.want == nil {
				if len(fields) != 0 {
					t.Errorf("fields %q", fields)
				}
				return
			}
			if len(fields) != 1 || strings.Join(fields[0], "|") != strings.Join(tc.want, "|") {
				t.Fatalf("fields %q, want %q", fields, tc.want)
			}
			if !strings.HasPrefix(texts[0], "*rule-0*") || !strings.Contains(texts[0], tc.moreNote) {
				t.Errorf("section text %q", texts[0])
			}
		})
	}
}

func TestFieldLimits(t *testing.T) {
	a := alert(1, "s")
	a.Matches[0].Fields = map[string]any{"place": strings.Repeat("<&> ", 3000)}
	b, _ := json.Marshal(Blocks(a))
	fields, _ := sectionFields(t, b)
	if len(fields) != 1 || len(fields[0]) != 1 {
		t.Fatalf("fields %d", len(fields))
	}
	f := fields[0][0]
	if n := utf8.RuneCountInString(f); n > maxFieldText || n < maxFieldText-20 {
		t.Errorf("field text of %d characters, want just under %d", n, maxFieldText)
	}
	if !strings.HasPrefix(f, "*place*\n&lt;&amp;&gt;") || strings.Contains(f, "<") {
		t.Errorf("field %q", f)
	}
}

// TestFieldsThroughSlacktest posts an alert decoded from the outbox (so
// fields are float64 and []any) and reads the fields Slack received.
func TestFieldsThroughSlacktest(t *testing.T) {
	var got url.Values
	s := slacktest.NewTestServer(func(c slacktest.Customize) {
		c.Handle("/chat.postMessage", func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			got, _ = url.ParseQuery(string(b))
			_, _ = w.Write([]byte(`{"ok":true,"channel":"C1","ts":"1.2"}`))
		})
	})
	s.Start()
	defer s.Stop()
	n, err := New(Config{Name: "ops", Token: "xoxb-test", Channel: "#alerts", APIURL: s.GetAPIURL()})
	if err != nil {
		t.Fatal(err)
	}
	a := alert(1, "s")
	a.Matches[0].Fields = map[string]any{"arrested": 160.0, "place": []string{"Mosul"}}
	stored, _ := json.Marshal(a)
	var back notifiers.Alert
	if err := json.Unmarshal(stored, &back); err != nil {
		t.Fatal(err)
	}
	if _, err := n.Notify(context.Background(), back); err != nil {
		t.Fatal(err)
	}
	fields, _ := sectionFields(t, []byte(got.Get("blocks")))
	if len(fields) != 1 || strings.Join(fields[0], "|") != "*arrested*\n160|*place*\nMosul" {
		t.Errorf("fields %q", fields)
	}
}

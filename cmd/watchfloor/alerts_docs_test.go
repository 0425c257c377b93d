package main

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/ingest"
	"github.com/watchfloor/watchfloor/store"
)

var (
	// <!-- file: PATH --> or <!-- history: PATH --> before a block: the
	// block is the file PATH of the example; a history file's articles are
	// stored as the daemon would have stored them.
	docFile = regexp.MustCompile("(?s)<!-- (file|history): (\\S+) -->\n```[a-z]*\n(.*?)```")
	// A one-command sh block, then <!-- output, exit N --> and the block
	// the command prints.
	docOutput = regexp.MustCompile("(?s)```sh\n(watchfloor [^\n]*)\n```\n\n<!-- output, exit (\\d) -->\n```\n(.*?)```")
	rfc3339   = regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ`)
)

// TestAlertsDocsExamples runs the examples of the sections Backtest and
// Rule-change impact (diff) of docs/alerts.md: the files
// they show are written into a directory, the history they show is
// stored, and every command followed by its output must print that output
// (times aside) and exit as the document says.
func TestAlertsDocsExamples(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join(repo, "docs/alerts.md"))
	if err != nil {
		t.Fatal(err)
	}
	// The sections of the examples, so that other sections' blocks stay
	// theirs.
	start := strings.Index(string(doc), "\n## Backtest\n")
	diff := strings.Index(string(doc), "\n## Rule-change impact (diff)\n")
	if start < 0 || diff < 0 {
		t.Fatal("docs/alerts.md lacks its Backtest or Rule-change impact (diff) section")
	}
	end := len(doc)
	if next := strings.Index(string(doc[diff+1:]), "\n## "); next >= 0 {
		end = diff + 1 + next
	}
	doc = doc[start:end]
	dir := t.TempDir()
	var history []string
	for _, m := range docFile.FindAllStringSubmatch(string(doc), -1) {
		p := filepath.Join(dir, m[2])
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(m[3]), 0o644); err != nil {
			t.Fatal(err)
		}
		if m[1] == "history" {
			history = append(history, m[2])
		}
	}
	if len(history) == 0 {
		t.Fatal("no history in docs/alerts.md")
	}
	t.Chdir(dir)
	st, err := store.Open(context.Background(), "data")
	if err != nil {
		t.Fatal(err)
	}
	seen := time.Now().Add(-time.Hour)
	for _, p := range history {
		arts, err := ingest.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range arts {
			a.EnsureID()
			seen = seen.Add(time.Second)
			rec := store.ArticleRecord{ID: a.ID, Source: a.Source, Title: a.Title, URL: a.URL, Lang: a.Lang, Body: a.Body, Published: a.Published, SeenAt: seen}
			if _, err := st.CommitArticle(context.Background(), rec, nil, nil); err != nil {
				t.Fatal(err)
			}
		}
	}
	st.Close()

	outputs := docOutput.FindAllStringSubmatch(string(doc), -1)
	if len(outputs) < 3 {
		t.Fatalf("found %d commands with their output in docs/alerts.md", len(outputs))
	}
	for _, m := range outputs {
		t.Run(m[1], func(t *testing.T) {
			wantCode, _ := strconv.Atoi(m[2])
			code, out, errs := run(t, "", strings.Fields(m[1])[1:]...)
			if code != wantCode {
				t.Errorf("exit %d, the document says %d\n%s", code, wantCode, errs)
			}
			if got, want := rfc3339.ReplaceAllString(out, "TIME"), rfc3339.ReplaceAllString(m[3], "TIME"); got != want {
				t.Errorf("output:\n%s\nthe document shows:\n%s", out, m[3])
			}
		})
	}
}

package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/ingest"
	"github.com/watchfloor/watchfloor/store"
)

// historyFiles returns the seeds and negatives written for the test: a
// text file, a Markdown file with front matter and a JSON Lines file of
// two articles, none of which the shipped pack matches.
func historyFiles(t *testing.T, dir string) []string {
	t.Helper()
	seeds, err := filepath.Glob(filepath.Join(repo, "testdata/seeds/*.txt"))
	if err != nil || len(seeds) == 0 {
		t.Fatalf("seeds: %v %v", seeds, err)
	}
	neg := map[string]string{
		"council.txt": "Council approves new bridge budget\nThe city council approved the budget for the new bridge on Tuesday. Work starts in spring.\n",
		"harvest.md": "---\ntitle: Farmers expect a good harvest\nurl: https://example.org/harvest?utm_source=feed\npublished: 2025-05-30T08:00:00Z\nlang: en\n---\n" +
			"Rain in April helped the wheat, farmers in the north said. Prices may fall.\n",
		"more.jsonl": `{"id": "review-1", "title": "Film review: the long night", "body": "The thriller follows a detective through Baghdad at night."}` + "\n" +
			`{"title": "Museum reopens", "body": "The museum in Mosul reopened its doors to visitors on Friday.", "url": "https://example.org/museum"}` + "\n",
	}
	files := slices.Clone(seeds)
	for _, name := range []string{"council.txt", "harvest.md", "more.jsonl"} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(neg[name]), 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, p)
	}
	return files
}

// fillHistory stores the articles of files as the daemon does, in order,
// seen a second apart within the last hour, in the data dir of a config
// it writes into dir; it returns the config's path.
func fillHistory(t *testing.T, dir string, files []string) string {
	t.Helper()
	cfg := filepath.Join(dir, "watchfloor.yaml")
	if err := os.WriteFile(cfg, []byte("data_dir: "+filepath.Join(dir, "data")+"\nrules_dir: "+filepath.Join(repo, "rules.d")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(context.Background(), filepath.Join(dir, "data"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	seen := time.Now().Add(-time.Hour)
	for _, p := range files {
		arts, err := ingest.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range arts {
			a.EnsureID()
			seen = seen.Add(time.Second)
			rec := store.ArticleRecord{ID: a.ID, Source: a.Source, Title: a.Title, URL: a.URL, Lang: a.Lang, Body: a.Body, Published: a.Published, SeenAt: seen}
			if ok, err := st.CommitArticle(context.Background(), rec, nil, nil); err != nil || !ok {
				t.Fatalf("store %s: %v %v", a.ID, ok, err)
			}
		}
	}
	return cfg
}

// matchedBy reads classify --format json output: rule → ids of the
// articles it matched, in order.
func matchedBy(t *testing.T, out string) map[string][]string {
	t.Helper()
	m := map[string][]string{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var r struct {
			ID      string
			Matches []struct{ Rule string }
		}
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("%v: %s", err, line)
		}
		for _, mt := range r.Matches {
			m[mt.Rule] = append(m[mt.Rule], r.ID)
		}
	}
	return m
}

// TestBacktestAgreesWithClassify: backtest over a history filled from the
// seeds and written negatives prints, with --format json, exactly what
// classify prints for the same files, line for line; and its text lists
// per rule the very articles classify matched.
func TestBacktestAgreesWithClassify(t *testing.T) {
	dir := t.TempDir()
	files := historyFiles(t, dir)
	cfg := fillHistory(t, dir, files)
	rulesDir := filepath.Join(repo, "rules.d")

	code, want, errs := run(t, "", append([]string{"classify", "--rules", rulesDir, "--format", "json"}, files...)...)
	if code != exitOK {
		t.Fatalf("classify: exit %d: %s", code, errs)
	}
	if n := strings.Count(want, "\n"); n != len(files)+1 {
		t.Fatalf("classify printed %d articles, want %d", n, len(files)+1)
	}
	code, got, errs := run(t, "", "backtest", "--config", cfg, "--format", "json")
	if code != exitOK {
		t.Fatalf("backtest: exit %d: %s", code, errs)
	}
	if got != want {
		t.Errorf("backtest --format json differs from classify:\n got %s\nwant %s", got, want)
	}

	code, text, errs := run(t, "", "backtest", "--config", cfg, "--rules", rulesDir)
	if code != exitOK {
		t.Fatalf("backtest: exit %d: %s", code, errs)
	}
	if !strings.HasPrefix(text, "9 articles seen since ") || !strings.Contains(text, "(7d), replayed through "+rulesDir+": 5 matched by some rule; nothing was sent\n") {
		t.Errorf("header:\n%s", text)
	}
	matched := matchedBy(t, want)
	for _, block := range strings.Split(text, "\n\n")[1:] {
		lines := strings.Split(strings.TrimSpace(block), "\n")
		rule := strings.Fields(lines[0])[0]
		var ids []string
		for _, l := range lines[1:] {
			if f := strings.Fields(l); f[0] == "score" {
				ids = append(ids, f[2])
			}
		}
		if !slices.Equal(ids, matched[rule]) {
			t.Errorf("rule %s lists %v, classify matched %v:\n%s", rule, ids, matched[rule], block)
		}
		delete(matched, rule)
	}
	if len(matched) > 0 {
		t.Errorf("rules missing from the text: %v", matched)
	}
	if !strings.Contains(text, "mass-arrests  high  1 match\n  score 3    sha256:") || !strings.Contains(text, "arrested: 160 · group: Islamic State, ISIS · place: Mosul") {
		t.Errorf("text of a match with fields:\n%s", text)
	}
}

// TestBacktestEmptyAndBadFlags: on a history with no article backtest
// lists every rule with no match and its JSON is empty; a history that
// does not exist yet is an error that says the daemon creates it; bad
// flags exit 2.
func TestBacktestEmptyAndBadFlags(t *testing.T) {
	dir := t.TempDir()
	cfg := fillHistory(t, dir, nil)
	tests := []struct {
		name      string
		args      []string
		code      int
		out, errs string
	}{
		{"text", []string{"backtest", "--config", cfg}, exitOK, "0 articles seen since ", ""},
		{"every rule listed", []string{"backtest", "--config", cfg, "--since", "0"}, exitOK, "in the whole history, replayed through " + filepath.Join(repo, "rules.d") + ": 0 matched by some rule; nothing was sent\n\ncross-border-smuggling  high  0 matches\n", ""},
		{"json", []string{"backtest", "--config", cfg, "--format", "json"}, exitOK, "", ""},
		{"no history yet", []string{"backtest", "--config", writeConfig(t, filepath.Join(dir, "none"))}, exitInput, "", "the daemon creates it when it first starts"},
		{"bad --since", []string{"backtest", "--config", cfg, "--since", "1w"}, exitUsage, "", `--since: "1w" is not a duration such as 7d, 36h or 90m`},
		{"negative --since", []string{"backtest", "--config", cfg, "--since", "-2h"}, exitUsage, "", "--since"},
		{"unknown format", []string{"backtest", "--config", cfg, "--format", "yaml"}, exitUsage, "", `unknown format "yaml"`},
		{"an argument", []string{"backtest", "--config", cfg, "x.txt"}, exitUsage, "", `unexpected argument "x.txt"`},
		{"rules that do not load", []string{"backtest", "--config", cfg, "--rules", dir}, exitUsage, "", `watchfloor.yaml:1:1: unknown key "data_dir" in rule file`},
		{"missing rules", []string{"backtest", "--config", cfg, "--rules", filepath.Join(dir, "nope")}, exitUsage, "", "nope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errs := run(t, "", tt.args...)
			if code != tt.code || !strings.Contains(out, tt.out) || !strings.Contains(errs, tt.errs) || (tt.out == "" && out != "") {
				t.Errorf("exit %d (want %d)\nstdout: %s\nstderr: %s\nwant stdout ~ %q, stderr ~ %q", code, tt.code, out, errs, tt.out, tt.errs)
			}
		})
	}
	if code, out, _ := run(t, "", "backtest", "--config", cfg); strings.Count(out, " 0 matches\n") != 10 {
		t.Errorf("exit %d: want the ten rules of the pack with 0 matches:\n%s", code, out)
	}
}

// writeConfig writes a config whose data dir is dataDir.
func writeConfig(t *testing.T, dataDir string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "w.yaml")
	if err := os.WriteFile(p, []byte("data_dir: "+dataDir+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

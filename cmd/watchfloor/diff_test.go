package main

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
)

// editedPack copies the shipped pack and edits it as an analyst would:
// mass-arrests now needs 500 arrests, not 50, and a new rule watches
// Mosul.
func editedPack(t *testing.T, dir string) string {
	t.Helper()
	dst := filepath.Join(dir, "rules.new")
	if err := os.MkdirAll(dst, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"lexicons.yaml", "arabic.yaml", "security.yaml"} {
		b, err := os.ReadFile(filepath.Join(repo, "rules.d", name))
		if err != nil {
			t.Fatal(err)
		}
		if name == "security.yaml" {
			edited := strings.Replace(string(b), "any(numbers_near(lex.arrest, 6), # >= 50)", "any(numbers_near(lex.arrest, 6), # >= 500)", 1)
			if edited == string(b) {
				t.Fatal("the mass-arrests rule changed: update the test's edit")
			}
			b = []byte(edited + "\n  - name: mosul\n    when: mentions(\"Mosul\")\n    severity: info\n")
		}
		if err := os.WriteFile(filepath.Join(dst, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

type diffLine struct {
	Rule    string `json:"rule"`
	Change  string `json:"change"`
	Article struct {
		ID     string `json:"id"`
		Title  string `json:"title"`
		Source string `json:"source"`
	} `json:"article"`
}

// TestDiffAgreesWithClassify: diff of a real rule edit over the history
// reports exactly the differences between classify with the old and the
// new rules on the same files, one pinned JSON line per change; the text
// names the articles with their evidence.
func TestDiffAgreesWithClassify(t *testing.T) {
	dir := t.TempDir()
	files := historyFiles(t, dir)
	cfg := fillHistory(t, dir, files)
	base := filepath.Join(repo, "rules.d")
	next := editedPack(t, dir)

	classify := func(rules string) (map[string][]string, map[string][2]string) {
		code, out, errs := run(t, "", append([]string{"classify", "--rules", rules, "--format", "json"}, files...)...)
		if code != exitOK {
			t.Fatalf("classify: exit %d: %s", code, errs)
		}
		info := map[string][2]string{}
		for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
			var r struct{ ID, Title, Source string }
			_ = json.Unmarshal([]byte(line), &r)
			info[r.ID] = [2]string{r.Title, r.Source}
		}
		return matchedBy(t, out), info
	}
	before, info := classify(base)
	after, _ := classify(next)
	var want []string
	for _, rule := range unionKeys(before, after) {
		for _, kind := range []string{"added", "removed"} {
			from, to := before[rule], after[rule]
			if kind == "removed" {
				from, to = to, from
			}
			for _, id := range to {
				if !slices.Contains(from, id) {
					l := diffLine{Rule: rule, Change: kind}
					l.Article.ID, l.Article.Title, l.Article.Source = id, info[id][0], info[id][1]
					b, _ := json.Marshal(l)
					want = append(want, string(b))
				}
			}
		}
	}
	if len(want) < 3 {
		t.Fatalf("the edit changes %d matches; the test needs some added and some removed: %v", len(want), want)
	}

	code, out, errs := run(t, "", "diff", "--config", cfg, "--rules", next, "--format", "json")
	if code != exitOK {
		t.Fatalf("diff: exit %d: %s", code, errs)
	}
	got := strings.Split(strings.TrimSpace(out), "\n")
	if !slices.Equal(got, want) {
		t.Errorf("diff --format json:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, line := range got {
		// Exactly the pinned keys, nothing else.
		var raw map[string]any
		if err := json.Unmarshal([]byte(line), &raw); err != nil {
			t.Fatal(err)
		}
		art, _ := raw["article"].(map[string]any)
		if len(raw) != 3 || len(art) != 3 || art["id"] == nil || art["title"] == nil || art["source"] == nil {
			t.Errorf("not the pinned shape: %s", line)
		}
	}

	code, text, errs := run(t, "", "diff", "--config", cfg, "--rules", next, "--base", base)
	if code != exitOK {
		t.Fatalf("diff: exit %d: %s", code, errs)
	}
	for _, s := range []string{
		"2 rules change against " + base,
		"\nmass-arrests  +0 −1\n  − sha256:",
		"Iraqi intelligence reportedly thwarts massive terr",
		"      score 3 · arrested: 160 · group: Islamic State, ISIS · place: Mosul\n      evidence: ",
		"\nmosul  +3 −0\n  + sha256:",
		"**Mosul**",
	} {
		if !strings.Contains(text, s) {
			t.Errorf("text lacks %q:\n%s", s, text)
		}
	}
}

func unionKeys(a, b map[string][]string) []string {
	var out []string
	for k := range a {
		out = append(out, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// TestDiffEmptyStore: on a history with no article diff finds no change,
// even with --fail-on-change; a history that does not exist yet is a
// failure to run (2), never a change (1).
func TestDiffEmptyStore(t *testing.T) {
	dir := t.TempDir()
	cfg := fillHistory(t, dir, nil)
	next := editedPack(t, dir)
	tests := []struct {
		name      string
		args      []string
		code      int
		out, errs string
	}{
		{"text", []string{"diff", "--config", cfg, "--rules", next, "--fail-on-change"}, exitOK, "over 0 articles seen since", ""},
		{"json", []string{"diff", "--config", cfg, "--rules", next, "--fail-on-change", "--format", "json"}, exitOK, "", ""},
		{"no history yet", []string{"diff", "--config", writeConfig(t, filepath.Join(dir, "none")), "--rules", next, "--fail-on-change"}, exitUsage, "", "the daemon creates it when it first starts"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errs := run(t, "", tt.args...)
			if code != tt.code || !strings.Contains(out, tt.out) || !strings.Contains(errs, tt.errs) || (tt.out == "" && out != "") {
				t.Errorf("exit %d (want %d)\nstdout: %s\nstderr: %s\nwant stdout ~ %q, stderr ~ %q", code, tt.code, out, errs, tt.out, tt.errs)
			}
		})
	}
}

// TestHistoryCommandsExitStatus runs the binary as CI would: diff
// --fail-on-change exits 1 on a change and 0 without one, 0 on a change
// without the flag, and 2 for bad flags and rules; backtest exits 2 for
// a bad --since. The process runs in its own directory, with the config
// of relative paths the daemon would use there.
func TestHistoryCommandsExitStatus(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	dir := t.TempDir()
	files := historyFiles(t, dir)
	fillHistory(t, dir, files)
	if err := os.WriteFile(filepath.Join(dir, "watchfloor.yaml"), []byte("data_dir: ./data\nrules_dir: ./rules.d\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	copyRules(t, filepath.Join(repo, "rules.d"), filepath.Join(dir, "rules.d"))
	editedPack(t, dir) // ./rules.new
	broken := filepath.Join(dir, "broken")
	if err := os.MkdirAll(broken, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(broken, "r.yaml"), []byte("rules:\n  - name: x\n    when: mentions(\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		code int
		errs string
	}{
		{"changed, --fail-on-change", []string{"diff", "--config", "watchfloor.yaml", "--rules", "rules.new", "--fail-on-change"}, 1, ""},
		{"changed", []string{"diff", "--config", "watchfloor.yaml", "--rules", "rules.new"}, 0, ""},
		{"unchanged, --fail-on-change", []string{"diff", "--config", "watchfloor.yaml", "--rules", "rules.d", "--fail-on-change"}, 0, ""},
		{"WATCHFLOOR_CONFIG, base given", []string{"diff", "--rules", "rules.new", "--base", "rules.new", "--fail-on-change", "--format", "json"}, 0, ""},
		{"bad --since", []string{"diff", "--config", "watchfloor.yaml", "--rules", "rules.new", "--since", "a week", "--fail-on-change"}, 2, `--since: "a week" is not a duration`},
		{"negative --since", []string{"backtest", "--config", "watchfloor.yaml", "--since", "-7d"}, 2, "--since"},
		{"no --rules", []string{"diff", "--config", "watchfloor.yaml", "--fail-on-change"}, 2, "--rules NEW is required"},
		{"broken new rules", []string{"diff", "--config", "watchfloor.yaml", "--rules", "broken", "--fail-on-change"}, 2, "r.yaml:"},
		{"unknown format", []string{"diff", "--config", "watchfloor.yaml", "--rules", "rules.new", "--format", "xml"}, 2, "unknown format"},
		{"backtest", []string{"backtest", "--config", "watchfloor.yaml", "--since", "36h"}, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := exec.Command(binary(t), tt.args...)
			cmd.Dir = dir
			cmd.Env = append(os.Environ(), "WATCHFLOOR_CONFIG=watchfloor.yaml")
			var stderr strings.Builder
			cmd.Stderr = &stderr
			err := cmd.Run()
			code := 0
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				code = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if code != tt.code || !strings.Contains(stderr.String(), tt.errs) {
				t.Errorf("exit %d, want %d\nstderr: %s", code, tt.code, stderr.String())
			}
		})
	}
}

// copyRules copies the rule files of src into dst.
func copyRules(t *testing.T, src, dst string) {
	t.Helper()
	if err := os.MkdirAll(dst, 0o755); err != nil {
		t.Fatal(err)
	}
	des, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, de := range des {
		b, err := os.ReadFile(filepath.Join(src, de.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, de.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

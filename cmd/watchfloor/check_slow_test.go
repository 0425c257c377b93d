package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCheckNamesSlowRules checks that check warns, on stderr and without
// failing, about a rule that computes its terms from the article, and says
// nothing of one whose computed terms are resolved when it is loaded.
func TestCheckNamesSlowRules(t *testing.T) {
	dir := t.TempDir()
	yaml := `rules:
  - name: title-echo
    when: mentions(lower(title))
  - name: built-from-literals
    when: let t = [lower("DAESH"), "islamic " + "state"]; mentions(t)
`
	if err := os.WriteFile(filepath.Join(dir, "r.yaml"), []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errs := run(t, "", "check", "--rules", dir)
	if code != 0 {
		t.Fatalf("exit %d, want 0: %s", code, errs)
	}
	if !strings.HasPrefix(out, "ok:") {
		t.Errorf("stdout %q", out)
	}
	want := "warning: rule title-echo: when: term argument lower(title) is computed from the article"
	if !strings.Contains(errs, want) {
		t.Errorf("stderr %q, want a line starting %q", errs, want)
	}
	if strings.Contains(errs, "built-from-literals") || strings.Count(errs, "\n") != 1 {
		t.Errorf("stderr %q, want one warning", errs)
	}

	// The shipped pack takes no slower path.
	code, _, errs = run(t, "", "check", "--rules", filepath.Join(repo, "rules.d"))
	if code != 0 || strings.Contains(errs, "warning") {
		t.Errorf("shipped pack: exit %d, stderr %q", code, errs)
	}
}

package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/watchfloor/watchfloor/store"
)

// TestCommandLine covers the command-line conventions users expect: flags
// after file names, --version, check -v, help that exits 0 and writes
// flags with two dashes.
func TestCommandLine(t *testing.T) {
	seed := filepath.Join(repo, "testdata/seeds/002.txt")
	rulesDir := filepath.Join(repo, "rules.d")
	tests := []struct {
		name     string
		args     []string
		code     int
		out, err string // substrings expected
	}{
		{name: "flags after the file", args: []string{"classify", seed, "--format", "json", "--rules", rulesDir}, out: `"matches":[{"rule":"high-value-leader-killed"`},
		{name: "flags around the file", args: []string{"classify", "--rules", rulesDir, seed, "--format=json"}, out: `"source":"file:`},
		{name: "double dash ends the flags", args: []string{"classify", "--rules", rulesDir, "--", "--format"}, code: exitInput, err: "--format"},
		{name: "--version", args: []string{"--version"}, out: "watchfloor "},
		{name: "check -v lists the rules", args: []string{"check", "-v", "--rules", rulesDir}, out: "high-value-leader-killed"},
		{name: "check -v after the flags", args: []string{"check", "--rules", rulesDir, "-v"}, out: "rule files:"},
		{name: "outbox --help", args: []string{"outbox", "--help"}, out: "watchfloor outbox list"},
		{name: "classify --help uses two dashes", args: []string{"classify", "--help"}, err: "--format STRING"},
		{name: "unknown flag after the file", args: []string{"classify", seed, "--nope"}, code: exitUsage, err: "flag provided but not defined: -nope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errs := run(t, "", tt.args...)
			if code != tt.code {
				t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tt.code, out, errs)
			}
			if !strings.Contains(out, tt.out) {
				t.Errorf("stdout does not contain %q:\n%s", tt.out, out)
			}
			if !strings.Contains(errs, tt.err) {
				t.Errorf("stderr does not contain %q:\n%s", tt.err, errs)
			}
		})
	}
}

// TestLocalCommandsNeedNoSecrets: outbox list and healthcheck use only
// the store and the admin address, so they must run without the
// notifiers' secrets in the environment.
func TestLocalCommandsNeedNoSecrets(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "w.yaml")
	data := "data_dir: " + filepath.Join(dir, "data") + "\nhttp: {listen: \"127.0.0.1:1\"}\n" +
		"notifiers:\n  - {name: siem, type: webhook, url: \"${WF_TEST_HOOK_UNSET}\", secret_file: /nonexistent}\ndefault_notify: [siem]\n"
	if err := os.WriteFile(cfg, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	// The daemon has run once: the database exists.
	st, err := store.Open(context.Background(), filepath.Join(dir, "data"))
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	code, out, errs := run(t, "", "outbox", "list", "--config", cfg)
	if code != exitOK || !strings.Contains(out, "STATUS") {
		t.Errorf("outbox list: exit %d\n%s%s", code, out, errs)
	}
	// healthcheck reads the address; nothing listens there, so it fails
	// to connect (status 1), not on the config (status 2).
	code, _, errs = run(t, "", "healthcheck", "--config", cfg, "--timeout", "1s")
	if code != exitInput || strings.Contains(errs, "WF_TEST_HOOK_UNSET") {
		t.Errorf("healthcheck: exit %d\n%s", code, errs)
	}
	code, _, errs = run(t, "", "check", "--config", cfg, "--rules", filepath.Join(repo, "rules.d"))
	if code == exitOK || !strings.Contains(errs, "WF_TEST_HOOK_UNSET") {
		t.Errorf("check must still demand the secrets: exit %d\n%s", code, errs)
	}
}

// TestMissingRulesDir: every command that reads rules treats a missing
// rules directory the same way: the embedded pack, which run would create
// there; test, whose cases are not embedded, says so.
func TestMissingRulesDir(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "rules.d")
	cfg := filepath.Join(dir, "w.yaml")
	if err := os.WriteFile(cfg, []byte("rules_dir: "+missing+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	seed, err := filepath.Abs(filepath.Join(repo, "testdata/seeds/002.txt"))
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir) // ./rules.d does not exist here
	tests := []struct {
		name string
		args []string
		code int
		out  string
		err  string
	}{
		{"check with the config's rules_dir missing", []string{"check", "--config", cfg}, exitOK, "ok:", "using the embedded rule pack"},
		{"check with ./rules.d missing", []string{"check"}, exitOK, "ok:", "using the embedded rule pack"},
		{"classify", []string{"classify", seed}, exitOK, "high-value-leader-killed", "using the embedded rule pack"},
		{"test", []string{"test"}, exitUsage, "", "carries no tests"},
		{"explicit --rules is never replaced", []string{"check", "--rules", missing}, exitInput, "", missing},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errs := run(t, "", tt.args...)
			if code != tt.code || !strings.Contains(out, tt.out) || !strings.Contains(errs, tt.err) {
				t.Errorf("exit %d (want %d)\nstdout: %s\nstderr: %s\nwant stdout ~ %q, stderr ~ %q", code, tt.code, out, errs, tt.out, tt.err)
			}
		})
	}
}

package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"

	"github.com/watchfloor/watchfloor/rules"
	"github.com/watchfloor/watchfloor/rules/ruletest"
)

func cmdTest(_ context.Context, args []string, std stdio) int {
	fs := newFlags("test", "[--rules DIR] [PATH...]  (default: every *_test.yaml under the rules directory)", std)
	rulesDir := fs.String("rules", defaultRulesDir, "rules directory")
	verbose := fs.Bool("v", false, "also list the cases that pass")
	if code, ok := parse(fs, args); !ok {
		return code
	}
	if _, err := os.Stat(*rulesDir); errors.Is(err, os.ErrNotExist) && fs.NArg() == 0 {
		fmt.Fprintf(std.err, "watchfloor test: rules directory %s not found; the embedded rule pack carries no tests (give --rules DIR)\n", *rulesDir)
		return exitUsage
	}
	set, err := rules.Load(*rulesDir)
	if err != nil {
		fmt.Fprintln(std.err, err)
		return exitUsage
	}
	var files []string
	if fs.NArg() == 0 {
		for _, t := range set.Tests {
			files = append(files, filepath.Join(*rulesDir, t))
		}
	} else {
		files, err = testFiles(fs.Args())
		if err != nil {
			fmt.Fprintln(std.err, err)
			return exitUsage
		}
	}
	if len(files) == 0 {
		fmt.Fprintf(std.err, "watchfloor test: no *_test.yaml files found\n")
		return exitInput
	}
	results, err := ruletest.Test(set.Rules, files)
	passed, failed := 0, 0
	for _, r := range results {
		if r.Passed() {
			passed++
			if *verbose {
				fmt.Fprintf(std.out, "ok   %s:%d %s\n", r.File, r.Line, r.Name)
			}
			continue
		}
		failed++
		fmt.Fprintf(std.out, "FAIL %s:%d %s\n", r.File, r.Line, r.Name)
		for _, f := range r.Failures {
			fmt.Fprintf(std.out, "  - %s\n", f)
		}
		for _, res := range r.Results {
			fmt.Fprintf(std.out, "  got for %s:\n%s", res.Article.Source, ruletest.Describe(res))
		}
	}
	if err != nil {
		fmt.Fprintln(std.err, err)
	}
	fmt.Fprintf(std.out, "rules: %d passed, %d failed\n", passed, failed)
	switch {
	case err != nil:
		return exitUsage
	case failed > 0:
		return exitInput
	}
	return exitOK
}

// testFiles expands directories into their *_test.yaml files.
func testFiles(args []string) ([]string, error) {
	var out []string
	for _, a := range args {
		st, err := os.Stat(a)
		if err != nil {
			return nil, fmt.Errorf("watchfloor test: %w", err)
		}
		if !st.IsDir() {
			out = append(out, a)
			continue
		}
		var found []string
		err = filepath.WalkDir(a, func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() && rules.IsTestFile(p) {
				found = append(found, p)
			}
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("watchfloor test: %w", err)
		}
		sort.Strings(found)
		out = append(out, found...)
	}
	return out, nil
}

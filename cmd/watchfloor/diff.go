package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/watchfloor/watchfloor/notifiers"
	"github.com/watchfloor/watchfloor/store/history"
)

func cmdDiff(ctx context.Context, args []string, std stdio) int {
	fs := newFlags("diff", "[--config FILE] --rules NEW [--base DIR] [--since DUR] [--format text|json] [--fail-on-change]", std)
	cfgPath := fs.String("config", "", "config file: its data_dir holds the history, its rules_dir is the base (default: $WATCHFLOOR_CONFIG, else built-in defaults)")
	newDir := fs.String("rules", "", "the new rules directory (required)")
	baseDir := fs.String("base", "", "the rules directory to compare with (default: the config's rules_dir, the daemon's rules)")
	since := fs.String("since", defaultSince, "compare on the articles first seen within this long before now: 7d, 36h, 90m; 0 for the whole history")
	format := fs.String("format", "text", "output format: text (per rule, with evidence) or json (one object per change)")
	failOnChange := fs.Bool("fail-on-change", false, "exit 1 when any rule newly matches or stops matching an article")
	if code, ok := parse(fs, args); !ok {
		return code
	}
	if *newDir == "" {
		fmt.Fprintln(std.err, "watchfloor diff: --rules NEW is required")
		fs.Usage()
		return exitUsage
	}
	// Exit 1 means "changed" here, so a history that cannot be read is a
	// failure to run (2), as CI must not take it for a change.
	h, code, ok := openHistory(ctx, "diff", fs, *cfgPath, *since, *format, exitUsage, std)
	if !ok {
		return code
	}
	defer h.st.Close()
	base, explicit := h.cfg.RulesDir, flagSet(fs, "base")
	if explicit {
		base = *baseDir
	}
	baseSet, err := loadRules(base, explicit, std)
	if err != nil {
		fmt.Fprintln(std.err, err)
		return exitUsage
	}
	newSet, err := loadRules(*newDir, true, std)
	if err != nil {
		fmt.Fprintln(std.err, err)
		return exitUsage
	}
	restoreGC := tuneGC()
	rep, err := history.Diff(ctx, h.st, baseSet.Rules, newSet.Rules, history.Options{Since: h.since, Until: h.now})
	restoreGC()
	if err != nil {
		fmt.Fprintf(std.err, "watchfloor diff: %v\n", err)
		return exitUsage
	}
	ew := &errWriter{w: std.out}
	w := bufio.NewWriter(ew)
	if *format == "json" {
		enc := json.NewEncoder(w)
		for _, c := range rep.Changes() {
			_ = enc.Encode(jsonChange{Rule: c.Rule, Change: string(c.Kind),
				Article: jsonChangeArticle{ID: c.Article.ID, Title: c.Article.Title, Source: c.Article.Source}})
		}
	} else {
		printDiff(w, rep, h.sinceText(), *newDir, base)
	}
	if ferr := w.Flush(); ew.err != nil || ferr != nil {
		fmt.Fprintf(std.err, "watchfloor diff: writing the output: %v\n", errors.Join(ew.err, ferr))
		return exitUsage
	}
	if *failOnChange && rep.Changed() {
		return exitInput
	}
	return exitOK
}

// jsonChange is the pinned JSON line of one change (diff --format json).
type jsonChange struct {
	Rule    string            `json:"rule"`
	Change  string            `json:"change"`
	Article jsonChangeArticle `json:"article"`
}

type jsonChangeArticle struct {
	ID     string `json:"id"`
	Title  string `json:"title"`
	Source string `json:"source"`
}

// printDiff writes a diff for people: a line on what was compared, then
// per changed rule its counts and each article, + newly matched and −
// no longer matched, with title, source, score, fields and evidence.
func printDiff(w io.Writer, rep *history.DiffReport, since, newDir, baseDir string) {
	fmt.Fprintf(w, "%s over %s seen %s: ", newDir, plural(rep.Articles, "article"), since)
	if !rep.Changed() {
		fmt.Fprintf(w, "no rule newly matches or stops matching an article, against %s\n", baseDir)
		return
	}
	fmt.Fprintf(w, "%s change against %s (+ newly matched, − no longer matched)\n", plural(len(rep.Rules), "rule"), baseDir)
	for _, rc := range rep.Rules {
		fmt.Fprintf(w, "\n%s  +%d −%d\n", rc.Rule, len(rc.Added), len(rc.Removed))
		for _, c := range append(rc.Added, rc.Removed...) {
			sign := "+"
			if c.Kind == history.Removed {
				sign = "−"
			}
			fmt.Fprintf(w, "  %s %s  %s  (%s)\n", sign, c.Article.ID, oneLine(untitled(c.Article.Title), 120), c.Article.Source)
			detail := fmt.Sprintf("score %g", c.Match.Score)
			if line := notifiers.FieldsLine(c.Match.Fields); line != "" {
				detail += " · " + line
			}
			fmt.Fprintf(w, "      %s\n", detail)
			var terms []string
			for _, e := range c.Match.Evidence {
				terms = append(terms, fmt.Sprintf("%s ×%d", e.Term, e.Count))
			}
			if len(terms) > 0 {
				fmt.Fprintf(w, "      evidence: %s\n", strings.Join(terms, ", "))
			}
			if len(c.Match.Evidence) > 0 && len(c.Match.Evidence[0].Snippets) > 0 {
				fmt.Fprintf(w, "      %s\n", oneLine(c.Match.Evidence[0].Snippets[0], 200))
			}
		}
	}
}

package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"github.com/watchfloor/watchfloor/config"
	"github.com/watchfloor/watchfloor/engine"
	"github.com/watchfloor/watchfloor/notifiers"
	"github.com/watchfloor/watchfloor/store"
	"github.com/watchfloor/watchfloor/store/history"
)

// defaultSince is how far back backtest and diff look by default.
const defaultSince = "7d"

func cmdBacktest(ctx context.Context, args []string, std stdio) int {
	fs := newFlags("backtest", "[--config FILE] [--rules DIR] [--since DUR] [--format text|json]", std)
	cfgPath := fs.String("config", "", "config file: its data_dir holds the history (default: $WATCHFLOOR_CONFIG, else built-in defaults)")
	rulesDir := fs.String("rules", "", "rules directory to replay (default: the config's rules_dir)")
	since := fs.String("since", defaultSince, "replay the articles first seen within this long before now: 7d, 36h, 90m; 0 for the whole history")
	format := fs.String("format", "text", "output format: text (per rule) or json (one classify object per article)")
	if code, ok := parse(fs, args); !ok {
		return code
	}
	h, code, ok := openHistory(ctx, "backtest", fs, *cfgPath, *since, *format, exitInput, std)
	if !ok {
		return code
	}
	defer h.st.Close()
	dir, explicit := h.cfg.RulesDir, flagSet(fs, "rules")
	if explicit {
		dir = *rulesDir
	}
	set, err := loadRules(dir, explicit, std)
	if err != nil {
		fmt.Fprintln(std.err, err)
		return exitUsage
	}

	ew := &errWriter{w: std.out}
	w := bufio.NewWriter(ew)
	var each func(engine.Result) error
	if *format == "json" {
		// The very printer of classify --format json.
		pr := jsonPrinter{w: w}
		each = func(r engine.Result) error {
			pr.print(r)
			return ew.err
		}
	}
	// The text report shows scores and fields, no evidence.
	opt := history.Options{Since: h.since, Until: h.now, Summaries: *format == "json", NoEvidence: *format == "text"}
	defer tuneGC()()
	rep, err := history.Backtest(ctx, h.st, set.Rules, opt, each)
	if err == nil && *format == "text" {
		printBacktest(w, rep, h.sinceText(), dir)
	}
	if ferr := w.Flush(); ew.err != nil || ferr != nil {
		fmt.Fprintf(std.err, "watchfloor backtest: writing the output: %v\n", errors.Join(ew.err, ferr))
		return exitInput
	}
	if err != nil {
		fmt.Fprintf(std.err, "watchfloor backtest: %v\n", err)
		return exitInput
	}
	return exitOK
}

// printBacktest writes a backtest's report for people: a line on what was
// replayed, then per rule its matches, each with score, id, title and
// event fields.
func printBacktest(w io.Writer, rep *history.BacktestReport, since, dir string) {
	fmt.Fprintf(w, "%s seen %s, replayed through %s: %d matched by some rule; nothing was sent\n",
		plural(rep.Articles, "article"), since, dir, rep.Matched)
	for _, rm := range rep.Rules {
		fmt.Fprintf(w, "\n%s  %s  %s", rm.Rule, rm.Severity, fmt.Sprintf("%d %s", len(rm.Articles), verb(len(rm.Articles), "match", "matches")))
		if rm.Errors > 0 {
			fmt.Fprintf(w, ", %s", plural(rm.Errors, "run-time error"))
		}
		fmt.Fprintln(w)
		for _, a := range rm.Articles {
			fmt.Fprintf(w, "  score %-4g %s  %s\n", a.Score, a.ID, oneLine(untitled(a.Title), 120))
			if line := notifiers.FieldsLine(a.Fields); line != "" {
				fmt.Fprintf(w, "             %s\n", line)
			}
		}
	}
}

func untitled(title string) string {
	if strings.TrimSpace(title) == "" {
		return "(untitled)"
	}
	return title
}

// historyRun is what backtest and diff share: the config, the history's
// bounds, and the store opened beside a running daemon.
type historyRun struct {
	cfg        config.Config
	st         *store.Store
	since, now time.Time
	sinceFlag  string
}

// sinceText says which articles were replayed: "since 2025-06-01T12:00:00Z
// (7d)", or "in the whole history".
func (h historyRun) sinceText() string {
	if h.since.IsZero() {
		return "in the whole history"
	}
	return fmt.Sprintf("since %s (%s)", engine.FormatTime(h.since), h.sinceFlag)
}

// openHistory checks the flags backtest and diff share, loads the config
// and opens its store without the daemon's lock (as outbox list does).
// When ok is false the command stops with code: exitUsage for bad flags
// or config, storeFail for a store that cannot be opened.
func openHistory(ctx context.Context, cmd string, fs *flag.FlagSet, cfgPath, since, format string, storeFail int, std stdio) (h historyRun, code int, ok bool) {
	if format != "text" && format != "json" {
		fmt.Fprintf(std.err, "watchfloor %s: unknown format %q (want text or json)\n", cmd, format)
		return h, exitUsage, false
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(std.err, "watchfloor %s: unexpected argument %q\n", cmd, fs.Arg(0))
		fs.Usage()
		return h, exitUsage, false
	}
	d, err := parseSince(since)
	if err != nil {
		fmt.Fprintf(std.err, "watchfloor %s: --since: %v\n", cmd, err)
		return h, exitUsage, false
	}
	h.now, h.sinceFlag = time.Now(), since
	if d > 0 {
		h.since = h.now.Add(-d)
	}
	if h.cfg, h.st, code, ok = openLocalStore(ctx, cmd, cfgPath, storeFail, std); !ok {
		return h, code, false
	}
	return h, exitOK, true
}

// parseSince reads --since: a Go duration or whole days in front ("7d",
// "1d12h"), not negative; 0 means no bound.
func parseSince(s string) (time.Duration, error) {
	d, err := config.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("%q is not a duration such as 7d, 36h or 90m (0 for the whole history)", s)
	}
	return d, nil
}

// replayGCPercent is the garbage collector's setting while backtest and
// diff replay the history, unless GOGC is set. A replay allocates some
// 5 KB an article (its text as read from the store, and its results)
// that is garbage at once; with the small live heap of a replay the
// default (100) collects often enough to cost about a tenth of the
// throughput (BenchmarkReplay/backtest against backtest/gogc=400 in
// store/history).
const replayGCPercent = 400

// tuneGC applies replayGCPercent and returns the function that restores
// the previous setting.
func tuneGC() (restore func()) {
	if os.Getenv("GOGC") != "" {
		return func() {}
	}
	old := debug.SetGCPercent(replayGCPercent)
	return func() { debug.SetGCPercent(old) }
}

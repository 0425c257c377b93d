// Command watchfloor watches the news for analysts: it scores articles from
// an inbox directory and from feeds against rules in rules.d/*.yaml and
// sends every match, with a summary and its evidence, to Slack or a signed
// webhook.
//
//	watchfloor run      [--config FILE]
//	watchfloor classify [--rules DIR] [--format text|json] PATH...
//	watchfloor check    [--config FILE] [--rules DIR]
//	watchfloor test     [--rules DIR] [PATH...]
//	watchfloor eval     [--rules DIR] --labels FILE [--format text|json] [--min-precision P] [--min-recall R] PATH...
//	watchfloor backtest [--config FILE] [--rules DIR] [--since DUR] [--format text|json]
//	watchfloor diff     [--config FILE] --rules NEW [--base DIR] [--since DUR] [--format text|json] [--fail-on-change]
//	watchfloor outbox   list|retry [--config FILE] …
//	watchfloor silence  add|list|expire [--config FILE] …
//	watchfloor healthcheck [--config FILE] [--url URL]
//	watchfloor version
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// Exit statuses (pinned for classify, check, test and eval).
const (
	exitOK    = 0
	exitInput = 1 // some input could not be read, a check or test failed
	exitUsage = 2 // bad flags, config or rules
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := Main(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// command is one subcommand.
type command struct {
	name  string
	usage string
	run   func(ctx context.Context, args []string, io stdio) int
}

// stdio are the streams a command uses, so tests can run commands in
// process.
type stdio struct {
	in       io.Reader
	out, err io.Writer
}

func commands() []command {
	return []command{
		{"run", "run the daemon: watch the inbox and feeds, score, alert", cmdRun},
		{"classify", "score article files or directories and print the matches", cmdClassify},
		{"check", "validate the config and the rules; exit 1 on error", cmdCheck},
		{"test", "run the rule unit tests (*_test.yaml)", cmdTest},
		{"eval", "measure the rules on labelled articles: precision, recall, F1, errors", cmdEval},
		{"backtest", "replay the stored articles through a rules directory; nothing is sent", cmdBacktest},
		{"diff", "what a new rules directory would newly match and stop matching in the history", cmdDiff},
		{"outbox", "list alerts in the outbox and re-send dead letters", cmdOutbox},
		{"silence", "add, list and expire silences: matching rules leave alerts for a while", cmdSilence},
		{"healthcheck", "exit 0 when a running daemon reports ready", cmdHealthcheck},
		{"version", "print the version", cmdVersion},
	}
}

// Main runs the command line args and returns the exit status.
func Main(ctx context.Context, args []string, in io.Reader, out, errw io.Writer) int {
	std := stdio{in: in, out: out, err: errw}
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(errw)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	if args[0] == "--version" || args[0] == "-version" {
		return cmdVersion(ctx, nil, std)
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(ctx, args[1:], std)
		}
	}
	fmt.Fprintf(errw, "watchfloor: unknown command %q\n\n", args[0])
	usage(errw)
	return exitUsage
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: watchfloor COMMAND [flags]")
	fmt.Fprintln(w)
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-12s %s\n", c.name, c.usage)
	}
	fmt.Fprintln(w, "\nRun 'watchfloor COMMAND --help' for the flags of a command; 'watchfloor --version' prints the version.")
}

func cmdVersion(_ context.Context, args []string, std stdio) int {
	fs := newFlags("version", "", std)
	if code, ok := parse(fs, args); !ok {
		return code
	}
	fmt.Fprintf(std.out, "watchfloor %s\n", versionString())
	return exitOK
}

package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/user"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/watchfloor/watchfloor/notifiers/silences"
	"github.com/watchfloor/watchfloor/rules"
)

func silenceUsage(w io.Writer) {
	fmt.Fprintln(w, "usage: watchfloor silence add [--config FILE] (--rule NAME | --label K=V | --source GLOB)... --for DUR --reason TEXT [--author NAME] [--format text|json]")
	fmt.Fprintln(w, "       watchfloor silence list [--config FILE] [--format text|json]")
	fmt.Fprintln(w, "       watchfloor silence expire [--config FILE] ID...")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "A silence takes the rules it matches out of alerts for a while; an alert left with")
	fmt.Fprintln(w, "no rule is kept in the outbox with status silenced and never sent. Every matcher")
	fmt.Fprintln(w, "given must match. A running daemon applies changes within "+silences.RefreshEvery.String()+".")
}

// listFlag is a repeatable string flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

// defaultAuthor is the OS user running the command: its login name, else
// $USER.
func defaultAuthor() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	return os.Getenv("USER")
}

func cmdSilence(ctx context.Context, args []string, std stdio) int {
	subs := []string{"add", "list", "expire"}
	if len(args) == 0 || !slices.Contains(subs, args[0]) {
		w, code := std.err, exitUsage
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
			w, code = std.out, exitOK
		} else if len(args) > 0 {
			fmt.Fprintf(w, "watchfloor silence: unknown subcommand %q\n", args[0])
		}
		silenceUsage(w)
		return code
	}
	sub := args[0]
	var synopsis string
	switch sub {
	case "add":
		synopsis = "[--config FILE] (--rule NAME | --label K=V | --source GLOB)... --for DUR --reason TEXT [--author NAME]"
	case "list":
		synopsis = "[--config FILE] [--format text|json]"
	default:
		synopsis = "[--config FILE] ID..."
	}
	fs := newFlags("silence "+sub, synopsis, std)
	cfgPath := fs.String("config", "", "config file whose data_dir holds the store (default: $WATCHFLOOR_CONFIG, else built-in defaults)")
	var ruleNames, labels listFlag
	var source, dur, reason, author, format *string
	if sub == "add" {
		fs.Var(&ruleNames, "rule", "silence the rule `NAME` (repeatable: any of them)")
		fs.Var(&labels, "label", "silence rules with the label `K=V` (repeatable: all of them)")
		source = fs.String("source", "", "silence articles whose source matches the `GLOB` (path.Match: feed:reuters-*, file:inbox/*)")
		dur = fs.String("for", "", "how long: a `DURATION` such as 30m, 6h or 2d (at most 30d)")
		reason = fs.String("reason", "", "why, for whoever reads the list (required)")
		author = fs.String("author", "", "who (default: the OS user)")
	}
	if sub != "expire" {
		format = fs.String("format", "text", "output: text or json (one JSON object per silence and line)")
	}
	if code, ok := parse(fs, args[1:]); !ok {
		return code
	}
	if format != nil && *format != "text" && *format != "json" {
		fmt.Fprintf(std.err, "watchfloor silence %s: --format %q: want text or json\n", sub, *format)
		return exitUsage
	}
	if sub == "expire" && fs.NArg() == 0 {
		fmt.Fprintln(std.err, "watchfloor silence expire: give the ids of the silences to expire (see watchfloor silence list)")
		return exitUsage
	}
	if sub != "expire" && fs.NArg() > 0 {
		fmt.Fprintf(std.err, "watchfloor silence %s: unexpected argument %q\n", sub, fs.Arg(0))
		return exitUsage
	}
	var spec silences.Spec
	if sub == "add" {
		spec = silences.Spec{Rules: ruleNames, Source: *source, Duration: *dur, Reason: *reason, Author: *author}
		if spec.Author == "" {
			spec.Author = defaultAuthor()
		}
		for _, l := range labels {
			k, v, err := silences.ParseLabel(l)
			if err != nil {
				fmt.Fprintf(std.err, "watchfloor silence add: --label: %v\n", err)
				return exitUsage
			}
			if spec.Labels == nil {
				spec.Labels = map[string]string{}
			}
			if old, dup := spec.Labels[k]; dup && old != v {
				fmt.Fprintf(std.err, "watchfloor silence add: --label %s given twice (%s and %s): a rule has one value per label\n", k, old, v)
				return exitUsage
			}
			spec.Labels[k] = v
		}
		// Check before opening the store, so a mistake is a usage error
		// even where there is no database yet.
		if _, err := silences.New(spec, time.Now()); err != nil {
			fmt.Fprintf(std.err, "watchfloor silence add: %v\n", err)
			return exitUsage
		}
	}
	// Without the data dir's lock: this works beside a running daemon,
	// whose cache reads the change within silences.RefreshEvery.
	cfg, st, code, ok := openLocalStore(ctx, "silence "+sub, *cfgPath, exitInput, std)
	if !ok {
		return code
	}
	defer st.Close()
	now := time.Now()
	switch sub {
	case "add":
		warnUnknownRules(cfg.RulesDir, spec.Rules, std)
		sil, err := silences.Add(ctx, st, spec, now)
		if err != nil {
			fmt.Fprintf(std.err, "watchfloor silence add: %v\n", err)
			return exitInput
		}
		if *format == "json" {
			return printJSONLine(std, silences.NewView(sil, now))
		}
		fmt.Fprintf(std.out, "silence %s added: %s, until %s\n", sil.ID, matchers(sil), sil.EndsAt.Local().Format(time.DateTime))
		return exitOK
	case "list":
		list, err := silences.List(ctx, st, now)
		if err != nil {
			fmt.Fprintf(std.err, "watchfloor silence list: %v\n", err)
			return exitInput
		}
		if *format == "json" {
			for _, sil := range list {
				if code := printJSONLine(std, silences.NewView(sil, now)); code != exitOK {
					return code
				}
			}
			return exitOK
		}
		tw := tabwriter.NewWriter(std.out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tSTATE\tSTARTS\tENDS\tMATCHERS\tAUTHOR\tREASON")
		for _, sil := range list {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", sil.ID, silences.State(sil, now),
				sil.StartsAt.Local().Format(time.DateTime), sil.End().Local().Format(time.DateTime),
				matchers(sil), oneLine(sil.Author, 30), oneLine(sil.Reason, 60))
		}
		_ = tw.Flush()
		return exitOK
	default:
		code := exitOK
		for _, id := range fs.Args() {
			sil, err := silences.Expire(ctx, st, id, now)
			switch {
			case errors.Is(err, silences.ErrNotFound):
				fmt.Fprintf(std.err, "watchfloor silence expire: %v\n", err)
				code = exitInput
			case err != nil:
				fmt.Fprintf(std.err, "watchfloor silence expire %s: %v\n", id, err)
				code = exitInput
			case sil.ExpiredAt.Equal(now):
				fmt.Fprintf(std.out, "silence %s expired\n", sil.ID)
			default:
				fmt.Fprintf(std.out, "silence %s had already ended at %s\n", sil.ID, sil.End().Local().Format(time.DateTime))
			}
		}
		return code
	}
}

// matchers writes the matchers of a silence as the flags of silence add
// that give them: --rule attack --label region=sahel --source 'feed:*'.
func matchers(s silences.Silence) string {
	var parts []string
	for _, r := range s.Rules {
		parts = append(parts, "--rule "+shellQuote(r))
	}
	keys := make([]string, 0, len(s.Labels))
	for k := range s.Labels {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		parts = append(parts, "--label "+shellQuote(k+"="+s.Labels[k]))
	}
	if s.Source != "" {
		parts = append(parts, "--source "+shellQuote(s.Source))
	}
	return strings.Join(parts, " ")
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.,/:=@+%") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func printJSONLine(std stdio, v any) int {
	b, err := json.Marshal(v)
	if err != nil {
		fmt.Fprintln(std.err, err)
		return exitInput
	}
	fmt.Fprintf(std.out, "%s\n", b)
	return exitOK
}

// warnUnknownRules says on stderr which of names no rule of the rules
// directory has: a typo would silence nothing. The silence is added all
// the same (the rule may be on its way); rules that do not load are not
// checked.
func warnUnknownRules(dir string, names []string, std stdio) {
	if len(names) == 0 {
		return
	}
	set, err := rules.Load(dir)
	if err != nil {
		return
	}
	known := map[string]bool{}
	for _, s := range set.Rules.Rules() {
		known[s.Name] = true
	}
	for _, n := range names {
		if !known[n] {
			fmt.Fprintf(std.err, "watchfloor silence add: warning: no rule named %q in %s; the silence matches no alert until one is\n", n, dir)
		}
	}
}

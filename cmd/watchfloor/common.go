package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/watchfloor/watchfloor"
	"github.com/watchfloor/watchfloor/rules"
)

const defaultRulesDir = "./rules.d"

// newFlags returns a flag set that prints its usage to std.err, with
// flags written the way the README writes them (--config FILE).
func newFlags(name, synopsis string, std stdio) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(std.err)
	fs.Usage = func() {
		fmt.Fprintf(std.err, "usage: watchfloor %s %s\n\nflags:\n", name, synopsis)
		printFlags(std.err, fs)
	}
	return fs
}

// printFlags lists the flags of fs as "--name VALUE" with their usage and
// default.
func printFlags(w io.Writer, fs *flag.FlagSet) {
	fs.VisitAll(func(f *flag.Flag) {
		kind, usage := flag.UnquoteUsage(f)
		head := "  --" + f.Name
		if kind != "" {
			head += " " + strings.ToUpper(kind)
		}
		fmt.Fprintln(w, head)
		line := "        " + usage
		if def := f.DefValue; def != "" && def != "false" && def != "0" && !strings.Contains(usage, "default") {
			line += fmt.Sprintf(" (default %s)", def)
		}
		fmt.Fprintln(w, line)
	})
}

// parse parses args; ok is false when the command must stop with code.
// Flags may come after the positional arguments ("classify FILE --format
// json"), as in most command-line tools; "--" ends the flags, and "-"
// alone is a positional argument (standard input).
func parse(fs *flag.FlagSet, args []string) (code int, ok bool) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return exitOK, false
			}
			return exitUsage, false
		}
		rest := fs.Args()
		if len(rest) == 0 {
			break
		}
		// flag stops at the first non-flag, or after "--".
		consumed := len(args) - len(rest)
		if consumed > 0 && args[consumed-1] == "--" {
			positional = append(positional, rest...)
			break
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
	// Re-parse only the positional arguments so that fs.Args() returns
	// them; none of them starts a flag.
	if err := fs.Parse(append([]string{"--"}, positional...)); err != nil {
		return exitUsage, false
	}
	return exitOK, true
}

// loadRules loads the rules directory. When --rules was not given and the
// directory (./rules.d, or the config's rules_dir) does not exist, it uses
// the rule pack embedded in the binary, which is what run would create
// there at its first start: classify, eval and check agree with run on a
// fresh machine. test has no such fallback (the pack's tests are not
// embedded) and says so.
func loadRules(dir string, explicit bool, std stdio) (*rules.Set, error) {
	if !explicit {
		if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
			fmt.Fprintf(std.err, "watchfloor: %s not found, using the embedded rule pack (run creates %s from it)\n", dir, dir)
			return rules.LoadFS(watchfloor.RulePack(), "embedded:rules.d")
		}
	}
	return rules.Load(dir)
}

// flagSet reports whether the flag name was given on the command line.
func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) {
		if f.Name == name {
			set = true
		}
	})
	return set
}

func versionString() string {
	v := version
	if bi, ok := debug.ReadBuildInfo(); ok && v == "dev" {
		if bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			v = bi.Main.Version
		}
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				v += "+" + s.Value[:12]
			}
		}
	}
	return fmt.Sprintf("%s (%s %s/%s)", v, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

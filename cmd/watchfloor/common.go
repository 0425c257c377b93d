package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"

	"github.com/watchfloor/watchfloor"
	"github.com/watchfloor/watchfloor/rules"
)

const defaultRulesDir = "./rules.d"

// newFlags returns a flag set that prints its usage to std.err.
func newFlags(name, synopsis string, std stdio) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(std.err)
	fs.Usage = func() {
		fmt.Fprintf(std.err, "usage: watchfloor %s %s\n", name, synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// parse parses args; ok is false when the command must stop with code.
func parse(fs *flag.FlagSet, args []string) (code int, ok bool) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK, false
		}
		return exitUsage, false
	}
	return exitOK, true
}

// loadRules loads the rules directory. When dir was not given and the
// default ./rules.d does not exist, it falls back to the rule pack embedded
// in the binary, so a fresh machine has rules to run.
func loadRules(dir string, explicit bool, std stdio) (*rules.Set, error) {
	if !explicit {
		if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
			fmt.Fprintf(std.err, "watchfloor: %s not found, using the embedded rule pack\n", dir)
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

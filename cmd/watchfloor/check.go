package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/watchfloor/watchfloor/config"
	"github.com/watchfloor/watchfloor/notifiers/registry"
	"github.com/watchfloor/watchfloor/rules"
	"github.com/watchfloor/watchfloor/store"
)

// loadConfig reads the config file, or returns the defaults when path is
// empty. WATCHFLOOR_CONFIG names the file when --config is not given.
func loadConfig(path string) (config.Config, error) {
	if path == "" {
		path = os.Getenv("WATCHFLOOR_CONFIG")
	}
	if path == "" {
		cfg := config.Default()
		return cfg, cfg.Validate()
	}
	return config.Load(path)
}

// loadLocalConfig is loadConfig for the commands that use only the store
// and the admin address: the notifiers' and feeds' secrets are not needed.
func loadLocalConfig(path string) (config.Config, error) {
	if path == "" {
		path = os.Getenv("WATCHFLOOR_CONFIG")
	}
	if path == "" {
		return config.Default(), nil
	}
	return config.LoadLocal(path)
}

// openLocalStore loads the config at cfgPath (as loadLocalConfig) and
// opens its store without the data dir's lock, so commands work beside a
// running daemon. On failure it prints the error as cmd's and returns the
// exit status: exitUsage for the config, storeFail for the store.
func openLocalStore(ctx context.Context, cmd, cfgPath string, storeFail int, std stdio) (config.Config, *store.Store, int, bool) {
	cfg, err := loadLocalConfig(cfgPath)
	if err != nil {
		fmt.Fprintln(std.err, err)
		return cfg, nil, exitUsage, false
	}
	st, err := store.OpenShared(ctx, cfg.DataDir)
	if err != nil {
		fmt.Fprintf(std.err, "watchfloor %s: %v\n", cmd, err)
		return cfg, nil, storeFail, false
	}
	return cfg, st, 0, true
}

func cmdCheck(_ context.Context, args []string, std stdio) int {
	fs := newFlags("check", "[--config FILE] [--rules DIR]", std)
	cfgPath := fs.String("config", "", "config file to validate (default: $WATCHFLOOR_CONFIG, else built-in defaults)")
	rulesDir := fs.String("rules", "", "rules directory (default: the config's rules_dir)")
	verbose := fs.Bool("v", false, "list every rule file and its rules")
	if code, ok := parse(fs, args); !ok {
		return code
	}
	failed := false
	cfg, err := loadConfig(*cfgPath)
	if err != nil {
		fmt.Fprintln(std.err, err)
		failed = true
	}
	dir := *rulesDir
	if dir == "" {
		dir = cfg.RulesDir
	}
	if dir == "" {
		dir = defaultRulesDir
	}
	// As run does, a rules directory that does not exist means the
	// embedded pack (run creates the directory from it).
	set, err := loadRules(dir, flagSet(fs, "rules"), std)
	if err == nil {
		for _, s := range set.Rules.SlowRules() {
			fmt.Fprintf(std.err, "warning: %s\n", s)
		}
	}
	if err != nil {
		fmt.Fprintln(std.err, err)
		failed = true
	} else if !failed {
		// Build what run builds from a config that parsed, short of
		// opening the store, binding and sending.
		if err := set.CheckNotifiers(cfg.HasNotifier); err != nil {
			fmt.Fprintln(std.err, err)
			failed = true
		}
		// Every notifier, so a webhook secret whose base64 is broken
		// fails here as it would at start.
		if _, err := registry.Build(cfg.Notifiers, registry.Options{Stdout: io.Discard, Version: "check"}); err != nil {
			fmt.Fprintln(std.err, err)
			failed = true
		}
	} else if err := set.CheckNotifiers(cfg.HasNotifier); err != nil {
		fmt.Fprintln(std.err, err)
	}
	if failed {
		return exitInput
	}
	where := "built-in defaults"
	if cfg.Path != "" {
		where = cfg.Path
	}
	if *verbose {
		printRuleFiles(std.out, set)
	}
	fmt.Fprintf(std.out, "ok: config %s; %d rules in %d files under %s\n", where, set.Rules.Len(), len(set.Files), dir)
	return exitOK
}

// printRuleFiles lists the rule files and the rules of a loaded set, for
// check -v.
func printRuleFiles(w io.Writer, set *rules.Set) {
	fmt.Fprintf(w, "%d rule files:\n", len(set.Files))
	for _, f := range set.Files {
		fmt.Fprintf(w, "  %s\n", f)
	}
	specs := set.Rules.Rules()
	fmt.Fprintf(w, "%d rules:\n", len(specs))
	for _, r := range specs {
		sev := r.Severity
		if sev == "" {
			sev = "-"
		}
		fmt.Fprintf(w, "  %-32s %s\n", r.Name, sev)
	}
	if len(set.Tests) > 0 {
		fmt.Fprintf(w, "%d rule test files\n", len(set.Tests))
	}
}

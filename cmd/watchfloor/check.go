package main

import (
	"context"
	"fmt"
	"os"

	"github.com/watchfloor/watchfloor/config"
	"github.com/watchfloor/watchfloor/daemon"
	"github.com/watchfloor/watchfloor/rules"
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

func cmdCheck(_ context.Context, args []string, std stdio) int {
	fs := newFlags("check", "[--config FILE] [--rules DIR]", std)
	cfgPath := fs.String("config", "", "config file to validate (default: $WATCHFLOOR_CONFIG, else built-in defaults)")
	rulesDir := fs.String("rules", "", "rules directory (default: the config's rules_dir)")
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
	set, err := rules.Load(dir)
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
		if err := daemon.Check(cfg, set.Rules); err != nil {
			fmt.Fprintln(std.err, err)
			failed = true
		}
	} else if err := daemon.CheckRoutes(cfg, set.Rules); err != nil {
		fmt.Fprintln(std.err, err)
	}
	if failed {
		return exitInput
	}
	where := "built-in defaults"
	if cfg.Path != "" {
		where = cfg.Path
	}
	fmt.Fprintf(std.out, "ok: config %s; %d rules in %d files under %s\n", where, set.Rules.Len(), len(set.Files), dir)
	return exitOK
}

package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/watchfloor/watchfloor"
	"github.com/watchfloor/watchfloor/daemon"
	"github.com/watchfloor/watchfloor/internal/textcut"
	"github.com/watchfloor/watchfloor/store"
)

func cmdRun(ctx context.Context, args []string, std stdio) int {
	fs := newFlags("run", "[--config FILE]", std)
	cfgPath := fs.String("config", "", "config file (default: $WATCHFLOOR_CONFIG, else built-in defaults)")
	logFormat := fs.String("log-format", "text", "log format on stderr: text or json")
	logLevel := fs.String("log-level", "info", "log level: debug, info, warn or error")
	grace := fs.Duration("shutdown-grace", 10*time.Second, "how long to keep delivering due alerts at shutdown")
	if code, ok := parse(fs, args); !ok {
		return code
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		fmt.Fprintf(std.err, "watchfloor run: --log-level: %v\n", err)
		return exitUsage
	}
	hopts := &slog.HandlerOptions{Level: level}
	var logger *slog.Logger
	switch *logFormat {
	case "text":
		logger = slog.New(slog.NewTextHandler(std.err, hopts))
	case "json":
		logger = slog.New(slog.NewJSONHandler(std.err, hopts))
	default:
		fmt.Fprintf(std.err, "watchfloor run: unknown --log-format %q\n", *logFormat)
		return exitUsage
	}
	cfg, err := loadConfig(*cfgPath)
	if err != nil {
		fmt.Fprintln(std.err, err)
		return exitUsage
	}
	if os.Geteuid() == 0 {
		logger.Warn("running as root; run watchfloor as an unprivileged user")
	}
	d, err := daemon.New(ctx, daemon.Options{
		Config: cfg, Logger: logger, Stdout: std.out, Version: version,
		RulePack: watchfloor.RulePack(), ShutdownGrace: *grace,
	})
	if err != nil {
		fmt.Fprintln(std.err, err)
		return exitUsage
	}
	// SIGHUP reloads the rules; the daemon itself never touches signals.
	// The config is read once: say so when it changed since the start.
	cfgSum := fileSum(cfg.Path)
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-hup:
				_ = d.Reload("SIGHUP")
				if cfg.Path != "" && fileSum(cfg.Path) != cfgSum {
					logger.Warn("the config file changed since the start; only the rules reload live, restart to apply it", "config", cfg.Path)
				}
			}
		}
	}()
	if err := d.Run(ctx); err != nil {
		// Run has logged the failure where it happened.
		return exitInput
	}
	return exitOK
}

// fileSum is the SHA-256 of a file's content, "" when it cannot be read.
func fileSum(path string) string {
	if path == "" {
		return ""
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

func cmdOutbox(ctx context.Context, args []string, std stdio) int {
	if len(args) == 0 || (args[0] != "list" && args[0] != "retry") {
		w, code := std.err, exitUsage
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
			w, code = std.out, exitOK
		}
		fmt.Fprintln(w, "usage: watchfloor outbox list [--config FILE] [--status pending|dead|delivered|silenced|queued|digested|all] [--limit N]")
		fmt.Fprintln(w, "       watchfloor outbox retry [--config FILE] (ID... | --all)")
		return code
	}
	sub := args[0]
	fs := newFlags("outbox "+sub, "[--config FILE]", std)
	cfgPath := fs.String("config", "", "config file (default: $WATCHFLOOR_CONFIG, else built-in defaults)")
	status := fs.String("status", "all", "with list: pending, dead, delivered, silenced (kept, never sent), queued (waiting for a digest), digested (sent in a digest) or all")
	limit := fs.Int("limit", 50, "with list: at most this many, newest first (0 = all)")
	all := fs.Bool("all", false, "with retry: re-send every dead letter")
	if code, ok := parse(fs, args[1:]); !ok {
		return code
	}
	_, st, code, ok := openLocalStore(ctx, "outbox "+sub, *cfgPath, exitInput, std)
	if !ok {
		return code
	}
	defer st.Close()
	now := time.Now()
	switch sub {
	case "list":
		s := *status
		if s == "all" {
			s = ""
		}
		items, err := st.ListAlerts(ctx, s, *limit)
		if err != nil {
			fmt.Fprintln(std.err, err)
			return exitInput
		}
		tw := tabwriter.NewWriter(std.out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tSTATUS\tNOTIFIER\tATTEMPTS\tCREATED\tNEXT ATTEMPT\tRULES\tLAST ERROR")
		for _, it := range items {
			next := "-"
			if it.Status == "pending" {
				next = it.NextAttempt.Local().Format(time.DateTime)
			}
			last := oneLine(it.LastError, 80)
			if it.Status == store.StatusSilenced {
				last = "silenced by " + strings.Join(it.SilencedBy, ",")
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\t%d\t%s\t%s\t%s\t%s\n", it.ID, it.Status, it.Notifier, it.Attempts,
				it.CreatedAt.Local().Format(time.DateTime), next, strings.Join(it.Rules, ","), last)
		}
		_ = tw.Flush()
		return exitOK
	default:
		if *all {
			n, err := st.RetryAllDead(ctx, now)
			if err != nil {
				fmt.Fprintln(std.err, err)
				return exitInput
			}
			fmt.Fprintf(std.out, "%d dead letters queued for delivery\n", n)
			return exitOK
		}
		if fs.NArg() == 0 {
			fmt.Fprintln(std.err, "watchfloor outbox retry: give alert ids or --all")
			return exitUsage
		}
		code := exitOK
		for _, a := range fs.Args() {
			id, err := strconv.ParseInt(a, 10, 64)
			if err == nil {
				err = st.RetryAlert(ctx, id, now)
			}
			if err != nil {
				fmt.Fprintf(std.err, "watchfloor outbox retry %s: %v\n", a, err)
				code = exitInput
				continue
			}
			fmt.Fprintf(std.out, "alert %d queued for delivery\n", id)
		}
		return code
	}
}

func oneLine(s string, n int) string {
	return textcut.Runes(strings.Join(strings.Fields(s), " "), n)
}

func cmdHealthcheck(ctx context.Context, args []string, std stdio) int {
	fs := newFlags("healthcheck", "[--config FILE] [--url URL]", std)
	cfgPath := fs.String("config", "", "config file whose http.listen to probe (default: $WATCHFLOOR_CONFIG, else built-in defaults)")
	url := fs.String("url", "", "readiness URL to probe (default: http://<http.listen>/readyz)")
	timeout := fs.Duration("timeout", 3*time.Second, "give up after this long")
	if code, ok := parse(fs, args); !ok {
		return code
	}
	u := *url
	if u == "" {
		cfg, err := loadLocalConfig(*cfgPath)
		if err != nil {
			fmt.Fprintln(std.err, err)
			return exitUsage
		}
		l := cfg.HTTP.Listen
		if l == "" || l == "off" {
			fmt.Fprintln(std.err, "watchfloor healthcheck: http.listen is off; give --url")
			return exitUsage
		}
		if strings.HasPrefix(l, ":") {
			l = "127.0.0.1" + l
		}
		l = strings.Replace(l, "0.0.0.0:", "127.0.0.1:", 1)
		u = "http://" + l + "/readyz"
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		fmt.Fprintln(std.err, err)
		return exitUsage
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Fprintf(std.err, "watchfloor healthcheck: %v\n", err)
		return exitInput
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintf(std.err, "watchfloor healthcheck: %s answered %s\n", u, resp.Status)
		return exitInput
	}
	fmt.Fprintln(std.out, "ready")
	return exitOK
}

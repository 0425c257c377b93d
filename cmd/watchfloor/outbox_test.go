package main

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/watchfloor/watchfloor/store"
)

// TestOutboxBesideRunningDaemon runs the outbox commands while the data
// dir is held, as by a running daemon: they open the database without the
// lock and work; on a data dir without a database they fail and create
// nothing.
func TestOutboxBesideRunningDaemon(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	cfgPath := filepath.Join(dir, "c.yaml")
	if err := os.WriteFile(cfgPath, []byte("data_dir: "+data+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errs := run(t, "", "outbox", "list", "--config", cfgPath)
	if code != 1 || !strings.Contains(errs, "the daemon creates it") {
		t.Errorf("list without a database: %d %q", code, errs)
	}
	if _, err := os.Stat(filepath.Join(data, store.FileName)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("list created the database: %v", err)
	}

	daemon, err := store.Open(ctx, data) // holds the lock, like watchfloor run
	if err != nil {
		t.Fatal(err)
	}
	defer daemon.Close()
	if _, err := daemon.CommitArticle(ctx, store.ArticleRecord{ID: "a"}, nil,
		[]store.NewAlert{{AlertID: "al-a", Notifier: "siem", ArticleID: "a", Rules: []string{"r"}, Payload: []byte("{}")}}); err != nil {
		t.Fatal(err)
	}
	items, _ := daemon.ListAlerts(ctx, "", 0)
	if err := daemon.MarkDead(ctx, items[0].ID, "410 gone"); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{name: "list", args: []string{"outbox", "list", "--config", cfgPath}, want: "410 gone"},
		{name: "retry --all", args: []string{"outbox", "retry", "--config", cfgPath, "--all"}, want: "1 dead letters queued"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errs := run(t, "", tt.args...)
			if code != 0 || !strings.Contains(out, tt.want) {
				t.Errorf("exit %d, out %q, err %q; want %q", code, out, errs, tt.want)
			}
		})
	}
	if p, _, _ := daemon.OutboxCounts(ctx); p != 1 {
		t.Errorf("the daemon sees %d pending after retry, want 1", p)
	}
}

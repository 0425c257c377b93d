package daemon

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/config"
)

// With max_per_hour 1, a story's later reports still reach the webhook at
// once when the rule has a cooldown (follow-ups, not new alerts); another
// story's alert waits for the digest. A restart between two reports of the
// story forgets neither the cooldown nor the limit.
func TestCooldownFollowUpsPassTheLimit(t *testing.T) {
	for _, tc := range []struct {
		name    string
		restart bool
	}{
		{"one run", false},
		{"a restart before the third report", true},
	} {
		t.Run(tc.name, func(t *testing.T) { testCooldownFollowUps(t, tc.restart) })
	}
}

func testCooldownFollowUps(t *testing.T, restart bool) {
	rcv := newReceiver(t)
	cfg := baseConfig(t)
	cfg.Notifiers = []config.Notifier{{Name: "siem", Type: "webhook", URL: rcv.srv.URL, Secret: secret,
		MaxPerHour: 1, Digest: "0 0 1 1 *"}}
	cfg.DefaultNotify = []string{"siem"}
	rule := "rules:\n  - name: convoy\n    when: mentions(\"convoy\")\n    cooldown: 2h\n"
	if err := os.WriteFile(filepath.Join(cfg.RulesDir, "zz-convoy.yaml"), []byte(rule), 0o644); err != nil {
		t.Fatal(err)
	}
	e := startDaemon(t, cfg, "")
	defer func() { e.stop() }()
	drop := func(name, id, title, url string) {
		body := fmt.Sprintf(`{"id": %q, "title": %q, "url": %q, "body": "A convoy was ambushed near the border crossing this morning, officials said."}`, id, title, url)
		dropFile(t, e.inbox, name, []byte(body))
		eventually(t, name+" processed", 10*time.Second, func() bool {
			_, err := os.Stat(filepath.Join(e.inbox, "processed", name))
			return err == nil
		})
	}
	// One story told three times (the same page, tracking parameters
	// aside), then another event.
	drop("a.json", "a", "Convoy ambushed at the border", "https://news.example.org/convoy")
	drop("b.json", "b", "UPDATE 1-Convoy ambushed at the border", "https://news.example.org/convoy?utm_source=rss")
	if restart {
		eventually(t, "two alerts of the story", 10*time.Second, func() bool { return rcv.count() == 2 })
		e.stop()
		e = startDaemon(t, cfg, "")
	}
	drop("c.json", "c", "Convoy ambush: officials speak", "https://news.example.org/convoy/#top")
	eventually(t, "three alerts of the story", 10*time.Second, func() bool { return rcv.count() == 3 })
	drop("d.json", "d", "A different convoy story", "https://other.example.net/convoy-2")
	pending, _, err := e.d.store.OutboxCounts(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	items, err := e.d.store.ListAlerts(t.Context(), "queued", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 1 || items[0].ArticleID != "d" {
		t.Errorf("queued %+v (pending %d), want the other story's alert only", items, pending)
	}
	if n := rcv.count(); n != 3 {
		t.Errorf("%d alerts delivered, want 3", n)
	}
	// The reports that joined the story since this daemon started.
	joined := 2.0
	if restart {
		joined = 1
	}
	mfs, err := e.d.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := 0.0
	for _, mf := range mfs {
		if mf.GetName() == "watchfloor_stories_joined_total" {
			for _, m := range mf.GetMetric() {
				got += m.GetCounter().GetValue()
			}
		}
	}
	if got != joined {
		t.Errorf("watchfloor_stories_joined_total = %v, want %v", got, joined)
	}
}

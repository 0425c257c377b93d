package router

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/engine"
	"github.com/watchfloor/watchfloor/store"
)

func TestCooldownFollowUps(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	matches := []engine.Match{
		{Rule: "attack", Cooldown: 2 * time.Hour},
		{Rule: "leader", Cooldown: 30 * time.Minute},
		{Rule: "plain"},
	}
	c := NewCooldowns(48 * time.Hour)
	// The story's first alerts: attack and plain to ops, leader to siem
	// (silenced: it never alerted, so it starts no cooldown).
	c.Record("st_1", []store.NewAlert{
		{AlertID: "a", Notifier: "ops", Rules: []string{"attack", "plain"}},
		{AlertID: "b", Notifier: "siem", Rules: []string{"leader"}, Status: store.StatusSilenced},
	}, t0)
	for _, tc := range []struct {
		name  string
		story string
		rules []string
		at    time.Duration
		want  bool
	}{
		{"within the rule's cooldown", "st_1", []string{"attack"}, time.Hour, true},
		{"after the cooldown", "st_1", []string{"attack"}, 2 * time.Hour, false},
		{"another story", "st_2", []string{"attack"}, time.Hour, false},
		{"a rule without cooldown", "st_1", []string{"plain"}, time.Minute, false},
		{"one rule of the alert without cooldown", "st_1", []string{"attack", "plain"}, time.Minute, false},
		{"a rule whose alert was silenced", "st_1", []string{"leader"}, time.Minute, false},
		{"no story", "", []string{"attack"}, time.Minute, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			al := []store.NewAlert{{AlertID: "x", Notifier: "ops", Rules: tc.rules}}
			got := c.FollowUps(tc.story, al, matches, t0.Add(tc.at))
			if (len(got) == 1) != tc.want {
				t.Errorf("follow-ups %v, want follow-up %v", got, tc.want)
			}
		})
	}
	// A silenced alert is never a follow-up; a follow-up extends the
	// cooldown (the rule's last alert of the story).
	al := []store.NewAlert{{AlertID: "y", Rules: []string{"attack"}, Status: store.StatusSilenced}, {AlertID: "z", Rules: []string{"attack"}}}
	if got := c.FollowUps("st_1", al, matches, t0.Add(time.Hour)); !reflect.DeepEqual(got, []string{"z"}) {
		t.Errorf("follow-ups %v, want [z]", got)
	}
	c.Record("st_1", al[1:], t0.Add(time.Hour))
	if got := c.FollowUps("st_1", al[1:], matches, t0.Add(150*time.Minute)); len(got) != 1 {
		t.Errorf("the cooldown did not run from the last alert: %v", got)
	}
	// Forgotten after maxAge.
	c.Record("st_9", []store.NewAlert{{AlertID: "q", Rules: []string{"plain"}}}, t0.Add(60*time.Hour))
	if _, ok := c.last[cooldownKey{"st_1", "attack"}]; ok {
		t.Error("a story older than maxAge is still remembered")
	}
}

// The cooldowns survive a restart: seeded from the store, they answer as
// the memory of the daemon that recorded the alerts would have,
// follow-ups restarting a rule's cooldown and silenced alerts starting
// none.
func TestCooldownsSeededFromStore(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	t0 := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	matches := []engine.Match{
		{Rule: "attack", Cooldown: 2 * time.Hour},
		{Rule: "leader", Cooldown: 30 * time.Minute},
		{Rule: "plain"},
	}
	// The alerts of each article, committed with its story membership
	// as the daemon does, and recorded in memory as the running daemon
	// did.
	type routed struct {
		article, story string
		at             time.Duration
		alerts         []store.NewAlert
	}
	hist := []routed{
		{"old", "st_old", -50 * time.Hour, []store.NewAlert{{Notifier: "ops", Rules: []string{"attack"}}}},
		{"a1", "st_1", 0, []store.NewAlert{
			{Notifier: "ops", Rules: []string{"attack", "plain"}},
			{Notifier: "siem", Rules: []string{"leader"}, Status: store.StatusSilenced},
		}},
		// A follow-up, queued for a digest-only destination: still the
		// rule's last alert of the story.
		{"a2", "st_1", 90 * time.Minute, []store.NewAlert{{Notifier: "ops", Rules: []string{"attack"}, Status: store.StatusQueued}}},
		{"b1", "st_2", 100 * time.Minute, []store.NewAlert{{Notifier: "ops", Rules: []string{"leader"}}}},
	}
	live := NewCooldowns(48 * time.Hour)
	st, err := store.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	pos := map[string]int{}
	for _, h := range hist {
		at := t0.Add(h.at)
		for i := range h.alerts {
			h.alerts[i].ArticleID = h.article
			h.alerts[i].AlertID = AlertID(h.article, h.alerts[i].Notifier)
		}
		pos[h.story]++
		m := &store.StoryMember{StoryID: h.story, FirstAlertID: "first-" + h.story, FirstArticleID: "first", Position: pos[h.story],
			ArticleID: h.article, AlertID: h.alerts[0].AlertID, SeenAt: at}
		ok, err := st.CommitArticles(ctx, []store.Commit{{Article: store.ArticleRecord{ID: h.article, SeenAt: at}, Alerts: h.alerts, Story: m}})
		if err != nil || !ok[0] {
			t.Fatalf("commit %s: %v %v", h.article, ok, err)
		}
		live.Record(h.story, h.alerts, at)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	// The restart.
	now := t0.Add(110 * time.Minute)
	st, err = store.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	seeded := NewCooldowns(48 * time.Hour)
	if err := seeded.Seed(ctx, st, now); err != nil {
		t.Fatal(err)
	}
	if _, ok := seeded.last[cooldownKey{"st_old", "attack"}]; ok {
		t.Error("an alert older than maxAge was seeded")
	}
	for _, tc := range []struct {
		name  string
		story string
		rules []string
		at    time.Duration
		want  bool
	}{
		{"within the cooldown of the first alert", "st_1", []string{"attack"}, 115 * time.Minute, true},
		{"within the cooldown of the follow-up only", "st_1", []string{"attack"}, 3 * time.Hour, true},
		{"after the follow-up's cooldown", "st_1", []string{"attack"}, 210 * time.Minute, false},
		{"a rule whose alert was silenced", "st_1", []string{"leader"}, 115 * time.Minute, false},
		{"a rule without cooldown", "st_1", []string{"plain"}, 115 * time.Minute, false},
		{"another story's rule", "st_2", []string{"leader"}, 115 * time.Minute, true},
		{"after its cooldown", "st_2", []string{"leader"}, 130 * time.Minute, false},
		{"a story never alerted", "st_3", []string{"attack"}, 115 * time.Minute, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			al := []store.NewAlert{{AlertID: "x", Notifier: "ops", Rules: tc.rules}}
			at := t0.Add(tc.at)
			got := seeded.FollowUps(tc.story, al, matches, at)
			if (len(got) == 1) != tc.want {
				t.Errorf("after a restart: follow-ups %v, want follow-up %v", got, tc.want)
			}
			if mem := live.FollowUps(tc.story, al, matches, at); fmt.Sprint(mem) != fmt.Sprint(got) {
				t.Errorf("after a restart: follow-ups %v, without one %v", got, mem)
			}
		})
	}
}

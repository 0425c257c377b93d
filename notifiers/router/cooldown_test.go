package router

import (
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

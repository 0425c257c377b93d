package router

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/engine"
	"github.com/watchfloor/watchfloor/notifiers"
)

func TestRoute(t *testing.T) {
	now := time.Date(2026, 12, 1, 15, 0, 0, 0, time.FixedZone("AST", 3*3600))
	res := engine.Result{
		Article: engine.Article{ID: "a1", Title: "Convoy attacked", Source: "file:x"},
		Matches: []engine.Match{
			{Rule: "attack", Score: 3, Severity: "high"},                                      // default_notify
			{Rule: "smuggling", Score: 2, Severity: "low", Notify: []string{"siem", "ops"}},   // both
			{Rule: "leader-killed", Score: 6, Severity: "critical", Notify: []string{"siem"}}, // siem only
		},
		Summary: []string{"A convoy was attacked."},
	}
	got, err := Route(res, []string{"ops"}, now)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		dest  string
		rules []string
	}{
		{"ops", []string{"attack", "smuggling"}},
		{"siem", []string{"smuggling", "leader-killed"}},
	}
	if len(got) != len(want) {
		t.Fatalf("%d alerts, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		al := got[i]
		if al.Notifier != w.dest || !reflect.DeepEqual(al.Rules, w.rules) || al.ArticleID != "a1" {
			t.Errorf("alert %d: %s %v for %s, want %s %v", i, al.Notifier, al.Rules, al.ArticleID, w.dest, w.rules)
		}
		if al.AlertID != AlertID("a1", w.dest) {
			t.Errorf("alert %d id %s, want AlertID(a1, %s)", i, al.AlertID, w.dest)
		}
		var dec notifiers.Alert
		if err := json.Unmarshal(al.Payload, &dec); err != nil {
			t.Fatalf("payload: %v", err)
		}
		var rules []string
		for _, m := range dec.Matches {
			rules = append(rules, m.Rule)
		}
		if dec.ID != al.AlertID || !reflect.DeepEqual(rules, w.rules) || !dec.CreatedAt.Equal(now) || dec.CreatedAt.Location() != time.UTC {
			t.Errorf("payload %d: id %s rules %v created %v", i, dec.ID, rules, dec.CreatedAt)
		}
	}
	none, err := Route(engine.Result{Article: res.Article}, []string{"ops"}, now)
	if err != nil || len(none) != 0 {
		t.Errorf("no match gave %v, %v", none, err)
	}
}

func TestAlertIDStableAndDistinct(t *testing.T) {
	a := AlertID("a1", "ops")
	if a != AlertID("a1", "ops") {
		t.Error("AlertID is not stable")
	}
	for _, other := range []string{AlertID("a1", "siem"), AlertID("a1o", "ps"), AlertID("a2", "ops")} {
		if other == a {
			t.Errorf("AlertID collides: %s", a)
		}
	}
	if len(a) != len("wf_")+32 {
		t.Errorf("AlertID %q: want wf_ and 32 hex digits", a)
	}
}

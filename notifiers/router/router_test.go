package router

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/engine"
	"github.com/watchfloor/watchfloor/notifiers"
	"github.com/watchfloor/watchfloor/notifiers/silences"
	"github.com/watchfloor/watchfloor/store"
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
	routed, err := Route(res, Params{DefaultNotify: []string{"ops"}}, now)
	if err != nil {
		t.Fatal(err)
	}
	got := routed.Alerts
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
	none, err := Route(engine.Result{Article: res.Article}, Params{DefaultNotify: []string{"ops"}}, now)
	if err != nil || len(none.Alerts) != 0 {
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

// A silence takes the rules it matches out of an alert; an alert left
// with none is kept, whole, with status silenced.
func TestRouteSilences(t *testing.T) {
	now := time.Date(2026, 12, 1, 15, 0, 0, 0, time.UTC)
	res := engine.Result{
		Article: engine.Article{ID: "a1", Title: "Convoy attacked", Source: "feed:wire"},
		Matches: []engine.Match{
			{Rule: "attack", Score: 3, Severity: "high"},
			{Rule: "smuggling", Score: 2, Severity: "low", Notify: []string{"siem", "ops"}},
			{Rule: "leader-killed", Score: 6, Severity: "critical", Notify: []string{"siem"}},
		},
	}
	active := []silences.Silence{
		{ID: "s-attack", Rules: []string{"attack"}, StartsAt: now.Add(-time.Hour), EndsAt: now.Add(time.Hour)},
		{ID: "s-wire", Rules: []string{"smuggling", "leader-killed"}, Source: "feed:*", StartsAt: now.Add(-time.Hour), EndsAt: now.Add(time.Hour)},
		{ID: "s-over", Rules: []string{"smuggling"}, StartsAt: now.Add(-2 * time.Hour), EndsAt: now.Add(-time.Hour)},
	}
	routed, err := Route(res, Params{DefaultNotify: []string{"ops"}, Silences: active}, now)
	if err != nil {
		t.Fatal(err)
	}
	byDest := map[string]store.NewAlert{}
	for _, al := range routed.Alerts {
		byDest[al.Notifier] = al
	}
	ops, siem := byDest["ops"], byDest["siem"]
	// ops had attack and smuggling: both silenced, kept whole as silenced.
	if ops.Status != store.StatusSilenced || !reflect.DeepEqual(ops.Rules, []string{"attack", "smuggling"}) ||
		!reflect.DeepEqual(ops.SilencedBy, []string{"s-attack", "s-wire"}) {
		t.Errorf("ops: status %q rules %v silenced by %v", ops.Status, ops.Rules, ops.SilencedBy)
	}
	// siem had smuggling and leader-killed: both silenced by s-wire.
	if siem.Status != store.StatusSilenced || !reflect.DeepEqual(siem.SilencedBy, []string{"s-wire"}) {
		t.Errorf("siem: status %q silenced by %v", siem.Status, siem.SilencedBy)
	}
	if len(routed.Silenced) != 2 {
		t.Errorf("%d filtered alerts reported, want 2", len(routed.Silenced))
	}

	// From the inbox, s-wire does not apply: siem keeps both, ops keeps
	// smuggling only, and its payload no longer lists attack.
	res.Article.Source = "file:inbox/a.txt"
	routed, err = Route(res, Params{DefaultNotify: []string{"ops"}, Silences: active}, now)
	if err != nil {
		t.Fatal(err)
	}
	for _, al := range routed.Alerts {
		var dec notifiers.Alert
		if err := json.Unmarshal(al.Payload, &dec); err != nil {
			t.Fatal(err)
		}
		var rules []string
		for _, m := range dec.Matches {
			rules = append(rules, m.Rule)
		}
		switch al.Notifier {
		case "ops":
			if al.Status != "" || !reflect.DeepEqual(al.Rules, []string{"smuggling"}) || !reflect.DeepEqual(rules, al.Rules) ||
				!reflect.DeepEqual(al.SilencedBy, []string{"s-attack"}) {
				t.Errorf("ops from the inbox: status %q rules %v payload %v silenced by %v", al.Status, al.Rules, rules, al.SilencedBy)
			}
		case "siem":
			if al.Status != "" || len(al.SilencedBy) != 0 || !reflect.DeepEqual(rules, []string{"smuggling", "leader-killed"}) {
				t.Errorf("siem from the inbox: status %q payload %v silenced by %v", al.Status, rules, al.SilencedBy)
			}
		}
	}
}

// Every alert of an article carries its story.
func TestRouteCarriesTheStory(t *testing.T) {
	res := engine.Result{Article: engine.Article{ID: "a2"}, Matches: []engine.Match{{Rule: "attack", Notify: []string{"ops", "siem"}}}}
	story := &notifiers.Story{ID: "st_1", FirstAlertID: "wf_first", Position: 2}
	routed, err := Route(res, Params{Story: story}, time.Now())
	if err != nil || len(routed.Alerts) != 2 {
		t.Fatalf("%d alerts, %v", len(routed.Alerts), err)
	}
	for _, al := range routed.Alerts {
		var dec notifiers.Alert
		if err := json.Unmarshal(al.Payload, &dec); err != nil {
			t.Fatal(err)
		}
		if dec.Story == nil || *dec.Story != *story {
			t.Errorf("%s: story %+v, want %+v", al.Notifier, dec.Story, story)
		}
	}
}

package digest

import (
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/config"
	"github.com/watchfloor/watchfloor/engine"
	"github.com/watchfloor/watchfloor/notifiers"
	"github.com/watchfloor/watchfloor/store"
)

// TestDocsExamples checks the examples of the "Rate limits and digests"
// section of docs/alerts.md: the config loads with the limits it shows,
// the rule queues its matches, the payload is a digest, and the statuses
// the commands list are the store's.
func TestDocsExamples(t *testing.T) {
	doc, err := os.ReadFile("../../docs/alerts.md")
	if err != nil {
		t.Fatal(err)
	}
	sec := string(doc)
	i := strings.Index(sec, "\n## Rate limits and digests\n")
	if i < 0 {
		t.Fatal("docs/alerts.md has no Rate limits and digests section")
	}
	sec = sec[i+1:]
	if j := strings.Index(sec[3:], "\n## "); j >= 0 {
		sec = sec[:j+3]
	}
	blocks := map[string][]string{}
	for _, m := range regexp.MustCompile("(?s)\n *```(yaml|json|sh)\n(.*?)\n *```").FindAllStringSubmatch(sec, -1) {
		blocks[m[1]] = append(blocks[m[1]], m[2])
	}
	if len(blocks["yaml"]) != 2 || len(blocks["json"]) != 1 || len(blocks["sh"]) != 1 {
		t.Fatalf("want 2 yaml, 1 json and 1 sh examples, found %d, %d and %d", len(blocks["yaml"]), len(blocks["json"]), len(blocks["sh"]))
	}

	env := func(k string) (string, bool) { return "x-" + k, true }
	cfg, err := config.Parse("alerts.md", []byte(blocks["yaml"][0]+"\ndefault_notify: [ops]\n"), env)
	if err != nil {
		t.Fatalf("the config example: %v", err)
	}
	ops, _ := cfg.Notifier("ops")
	siem, _ := cfg.Notifier("siem")
	if ops.MaxPerHour != 20 || ops.Digest != config.DefaultDigest || siem.MaxPerHour != 0 || !strings.HasPrefix(siem.Digest, "CRON_TZ=") {
		t.Errorf("ops %d %q, siem %d %q", ops.MaxPerHour, ops.Digest, siem.MaxPerHour, siem.Digest)
	}
	if _, err := NewScheduler(nil, []Destination{{Name: "ops", Schedule: ops.Digest}, {Name: "siem", Schedule: siem.Digest}}, SchedulerOptions{}); err != nil {
		t.Error(err)
	}

	sc := loadRules(t, map[string]string{"a.yaml": blocks["yaml"][1]}).NewScorer()
	res := sc.Score(engine.Article{ID: "x", Body: "Police arrested twelve men."})
	if len(res.Matches) != 1 || !NewLimiter(nil, nil).Decide("ops", res.Matches, time.Now()) {
		t.Errorf("the delivery: digest rule's match %+v is not queued", res.Matches)
	}

	payload := []byte(blocks["json"][0])
	var d notifiers.Digest
	if !notifiers.IsDigest(payload) || json.Unmarshal(payload, &d) != nil {
		t.Fatalf("the payload example is not a digest:\n%s", payload)
	}
	if es, err := notifiers.DecodeDigest(d); err != nil || len(es) != 1 || es[0].Alert.Matches[0].Rule != "attack" {
		t.Errorf("the payload's alerts: %+v %v", es, err)
	}

	statuses := []string{store.StatusPending, store.StatusQueued, store.StatusDigested}
	for _, m := range regexp.MustCompile(`--status (\w+)`).FindAllStringSubmatch(blocks["sh"][0], -1) {
		found := false
		for _, s := range statuses {
			found = found || m[1] == s
		}
		if !found {
			t.Errorf("the docs list status %q, not one of %v", m[1], statuses)
		}
	}
}

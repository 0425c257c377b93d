package notifiers

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/engine"
)

func TestAlertStoryJSON(t *testing.T) {
	for _, c := range []struct {
		name  string
		story *Story
		want  string // a fragment of the body; "" for no story key at all
	}{
		{"first of a story", &Story{ID: "st_1", FirstAlertID: "wf_1", Position: 1}, `"story":{"id":"st_1","first_alert_id":"wf_1","position":1}`},
		{"third of a story", &Story{ID: "st_1", FirstAlertID: "wf_1", Position: 3}, `"story":{"id":"st_1","first_alert_id":"wf_1","position":3}`},
		{"no story", nil, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			a := Alert{ID: "wf_3", CreatedAt: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC), Article: engine.Article{ID: "a3", Title: "T"}, Story: c.story}
			b, err := json.Marshal(a)
			if err != nil {
				t.Fatal(err)
			}
			if c.want == "" && strings.Contains(string(b), `"story"`) || c.want != "" && !strings.Contains(string(b), c.want) {
				t.Errorf("body %s, want %q", b, c.want)
			}
			var back Alert
			if err := json.Unmarshal(b, &back); err != nil {
				t.Fatal(err)
			}
			if (back.Story == nil) != (c.story == nil) || c.story != nil && *back.Story != *c.story {
				t.Errorf("round trip: %+v, want %+v", back.Story, c.story)
			}
		})
	}
}

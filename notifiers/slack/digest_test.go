package slack

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/slack-go/slack/slacktest"

	"github.com/watchfloor/watchfloor/engine"
	"github.com/watchfloor/watchfloor/notifiers"
)

// digestOf makes a digest of n alerts; rule(i) names alert i's rule and
// title(i) its title.
func digestOf(t *testing.T, n int, rule, title func(i int) string) (notifiers.Digest, []byte) {
	t.Helper()
	d := notifiers.Digest{ID: "wf_digest", CreatedAt: time.Date(2025, 3, 1, 13, 0, 0, 0, time.UTC)}
	for i := range n {
		a := notifiers.Alert{ID: fmt.Sprintf("wf_%d", i), CreatedAt: d.CreatedAt,
			Article: engine.Article{ID: fmt.Sprintf("art-%d", i), Title: title(i), URL: fmt.Sprintf("https://example.org/n/%d", i), Source: "feed:wire"},
			Matches: []engine.Match{{Rule: rule(i), Score: 2, Severity: "high"}}}
		b, err := json.Marshal(a)
		if err != nil {
			t.Fatal(err)
		}
		d.Alerts = append(d.Alerts, b)
	}
	payload, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	return d, payload
}

// TestDigestWithinSlackLimits posts digests of 60 alerts to slacktest and
// checks that each message stays within Slack's limits, escapes what came
// from articles, and accounts for every alert (shown, or counted in a
// "+N more" note).
func TestDigestWithinSlackLimits(t *testing.T) {
	long := strings.Repeat("Very long headline about the border attack ", 20)
	tests := []struct {
		name        string
		rule, title func(i int) string
		wantGroups  int
	}{
		{name: "one rule", rule: func(int) string { return "attack" }, title: func(i int) string { return fmt.Sprintf("Attack %d <!channel> & co", i) }, wantGroups: 1},
		{name: "one rule, long titles", rule: func(int) string { return "attack" }, title: func(int) string { return long }, wantGroups: 1},
		{name: "sixty rules", rule: func(i int) string { return fmt.Sprintf("rule-%02d", i) }, title: func(i int) string { return fmt.Sprintf("Report %d", i) }, wantGroups: 60},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var mu sync.Mutex
			var forms []url.Values
			s := slacktest.NewTestServer(func(c slacktest.Customize) {
				c.Handle("/chat.postMessage", func(w http.ResponseWriter, r *http.Request) {
					b, _ := io.ReadAll(r.Body)
					v, _ := url.ParseQuery(string(b))
					mu.Lock()
					forms = append(forms, v)
					mu.Unlock()
					_, _ = w.Write([]byte(`{"ok":true,"channel":"C1","ts":"1.2"}`))
				})
			})
			s.Start()
			defer s.Stop()
			n, err := New(Config{Name: "ops", Token: "xoxb-test", Channel: "#alerts", APIURL: s.GetAPIURL()})
			if err != nil {
				t.Fatal(err)
			}
			d, payload := digestOf(t, 60, tt.rule, tt.title)
			var dn notifiers.DigestNotifier = n
			if retry, err := dn.NotifyDigest(context.Background(), d, payload); err != nil || retry {
				t.Fatalf("notify digest: %v %v", retry, err)
			}
			mu.Lock()
			defer mu.Unlock()
			if len(forms) != 1 {
				t.Fatalf("%d messages, want one", len(forms))
			}
			f := forms[0]
			if text := f.Get("text"); utf8.RuneCountInString(text) > maxFallback || !strings.HasPrefix(text, "watchfloor digest: 60 alerts") {
				t.Errorf("text %q", text)
			}
			var blocks []struct {
				Type string `json:"type"`
				Text *struct {
					Text string `json:"text"`
				} `json:"text"`
				Elements []struct {
					Text string `json:"text"`
				} `json:"elements"`
			}
			if err := json.Unmarshal([]byte(f.Get("blocks")), &blocks); err != nil {
				t.Fatal(err)
			}
			if len(blocks) > maxBlocks {
				t.Errorf("%d blocks, over Slack's %d", len(blocks), maxBlocks)
			}
			if blocks[0].Type != "header" || blocks[0].Text.Text != "watchfloor digest: 60 alerts" {
				t.Errorf("header %+v", blocks[0])
			}
			accounted, sections := 0, 0
			more := regexp.MustCompile(`\+(\d+) more`)
			for _, b := range blocks {
				var text string
				switch {
				case b.Text != nil:
					text = b.Text.Text
				case len(b.Elements) > 0:
					text = b.Elements[0].Text
				}
				if utf8.RuneCountInString(text) > maxSection {
					t.Errorf("a %s block of %d characters", b.Type, utf8.RuneCountInString(text))
				}
				if strings.Contains(text, "<!channel>") || strings.Contains(text, " & ") {
					t.Errorf("unescaped article text in %q", text)
				}
				if b.Type == "section" {
					sections++
					accounted += strings.Count(text, "\n• ")
				}
				for _, m := range more.FindAllStringSubmatch(text, -1) {
					k, _ := strconv.Atoi(m[1])
					accounted += k
				}
				// "+N more groups with M alerts": the alerts are M.
				if m := regexp.MustCompile(`more groups with (\d+) alerts`).FindStringSubmatch(text); m != nil {
					k, _ := strconv.Atoi(m[1])
					g, _ := strconv.Atoi(more.FindStringSubmatch(text)[1])
					accounted += k - g
				}
			}
			if accounted != 60 {
				t.Errorf("the message accounts for %d alerts, want 60", accounted)
			}
			if tt.wantGroups <= maxBlocks-3 && sections != tt.wantGroups {
				t.Errorf("%d sections, want %d", sections, tt.wantGroups)
			}
			if tt.name == "one rule" && !strings.Contains(f.Get("blocks"), `\u003chttps://example.org/n/0|Attack 0 \u0026lt;!channel\u0026gt; \u0026amp; co\u003e`) {
				t.Errorf("no escaped, linked title in %s", f.Get("blocks"))
			}
		})
	}
}

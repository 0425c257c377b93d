package slack

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack/slacktest"

	"github.com/watchfloor/watchfloor/engine"
	"github.com/watchfloor/watchfloor/notifiers"
)

// strs collects every string in a decoded JSON value.
func strs(v any, out *[]string) {
	switch v := v.(type) {
	case string:
		*out = append(*out, v)
	case []any:
		for _, e := range v {
			strs(e, out)
		}
	case map[string]any:
		for _, e := range v {
			strs(e, out)
		}
	}
}

// TestNoMentionOrLinkInjection: an article whose title, source, URL,
// snippets, fields and summary carry Slack mentions and links reaches
// Slack with none of them live, in the message's text as in its blocks,
// by webhook and by the bot API.
func TestNoMentionOrLinkInjection(t *testing.T) {
	const evil = "<!channel> URGENT <https://evil.example/login|Click to verify>"
	a := notifiers.Alert{ID: "wf_1", CreatedAt: time.Now(),
		Article: engine.Article{Title: evil, URL: "https://example.org/a?x=1&y=<!here>", Source: "feed:" + evil},
		Matches: []engine.Match{{Rule: "r", Score: 1, Severity: "high",
			Evidence: []engine.Evidence{{Term: "t", Count: 1, Snippets: []string{"…" + evil + "…"}}},
			Fields:   map[string]any{"place": evil}}},
		Summary: []string{evil}}
	raw := []string{"<!channel>", "<!here>", "<https://evil.example", "<!"}

	var mu sync.Mutex
	var texts []string // every string of every message sent
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var m any
		if err := json.NewDecoder(r.Body).Decode(&m); err != nil {
			t.Errorf("webhook body: %v", err)
		}
		mu.Lock()
		strs(m, &texts)
		mu.Unlock()
	}))
	defer hook.Close()
	bot := slacktest.NewTestServer(func(c slacktest.Customize) {
		c.Handle("/chat.postMessage", func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			v, _ := url.ParseQuery(string(b))
			var blocks any
			if err := json.Unmarshal([]byte(v.Get("blocks")), &blocks); err != nil {
				t.Errorf("blocks: %v", err)
			}
			mu.Lock()
			texts = append(texts, v.Get("text"))
			strs(blocks, &texts)
			mu.Unlock()
			_, _ = w.Write([]byte(`{"ok":true,"channel":"C1","ts":"1.2"}`))
		})
	})
	bot.Start()
	defer bot.Stop()

	tests := []struct {
		name string
		cfg  Config
	}{
		{name: "webhook", cfg: Config{Name: "chat", WebhookURL: hook.URL + "/services/T/B/x"}},
		{name: "bot api", cfg: Config{Name: "ops", Token: "xoxb-test", Channel: "#alerts", APIURL: bot.GetAPIURL()}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mu.Lock()
			texts = nil
			mu.Unlock()
			n, err := New(tt.cfg)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := n.Notify(context.Background(), a); err != nil {
				t.Fatal(err)
			}
			mu.Lock()
			defer mu.Unlock()
			if !strings.Contains(strings.Join(texts, "\n"), "&lt;!channel&gt; URGENT") {
				t.Fatalf("the title was not sent escaped: %q", texts)
			}
			for _, s := range texts {
				for _, r := range raw {
					if strings.Contains(s, r) {
						t.Errorf("sent %q raw in %q", r, s)
					}
				}
			}
		})
	}
}

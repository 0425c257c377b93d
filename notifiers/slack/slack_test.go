package slack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/slack-go/slack/slacktest"

	"github.com/watchfloor/watchfloor/engine"
	"github.com/watchfloor/watchfloor/notifiers"
)

func alert(rules int, summary string) notifiers.Alert {
	a := notifiers.Alert{ID: "wf_1", CreatedAt: time.Now(),
		Article: engine.Article{Title: "Falcons Cell foils <plot> & more", URL: "https://example.org/a", Source: "feed:news"},
		Summary: []string{summary}}
	for i := 0; i < rules; i++ {
		a.Matches = append(a.Matches, engine.Match{Rule: fmt.Sprintf("rule-%d", i), Score: float64(rules - i), Severity: "high",
			Evidence: []engine.Evidence{{Term: "plot*", Count: 2, Snippets: []string{"…foiled a **plot** in Mosul…"}}}})
	}
	return a
}

func TestBotTokenWithSlacktest(t *testing.T) {
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
	if retry, err := n.Notify(context.Background(), alert(2, "Summary sentence.")); err != nil || retry {
		t.Fatalf("notify: %v %v", retry, err)
	}
	if len(forms) != 1 {
		t.Fatalf("%d messages", len(forms))
	}
	f := forms[0]
	if f.Get("channel") != "#alerts" || !strings.Contains(f.Get("text"), "rule-0 (high, 2)") {
		t.Errorf("channel %q text %q", f.Get("channel"), f.Get("text"))
	}
	var blocks []map[string]any
	if err := json.Unmarshal([]byte(f.Get("blocks")), &blocks); err != nil {
		t.Fatal(err)
	}
	raw := strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&").Replace(f.Get("blocks"))
	for _, want := range []string{`"type":"header"`, "<https://example.org/a|Falcons Cell foils &lt;plot&gt; &amp; more>", "*rule-0* · high · score 2", "plot* ×2", "• Summary sentence.", "feed:news"} {
		if !strings.Contains(raw, want) {
			t.Errorf("blocks lack %q:\n%s", want, raw)
		}
	}
}

func TestLimits(t *testing.T) {
	huge := alert(100, strings.Repeat("a very long summary sentence ", 400))
	huge.Article.Title = strings.Repeat("T", 5000)
	blocks := Blocks(huge)
	if len(blocks) > maxBlocks {
		t.Fatalf("%d blocks", len(blocks))
	}
	b, _ := json.Marshal(blocks)
	var decoded []struct {
		Type     string                  `json:"type"`
		Text     *struct{ Text string }  `json:"text"`
		Elements []struct{ Text string } `json:"elements"`
	}
	if err := json.Unmarshal(b, &decoded); err != nil {
		t.Fatal(err)
	}
	more := false
	for _, bl := range decoded {
		if bl.Text != nil {
			limit := maxSection
			if bl.Type == "header" {
				limit = maxHeader
			}
			if n := utf8.RuneCountInString(bl.Text.Text); n > limit {
				t.Errorf("%s block text has %d characters, limit %d", bl.Type, n, limit)
			}
		}
		for _, e := range bl.Elements {
			if utf8.RuneCountInString(e.Text) > maxContext {
				t.Errorf("context element too long")
			}
			more = more || strings.Contains(e.Text, "+90 more rules")
		}
	}
	if !more {
		t.Error("no +N more rules note")
	}
	if n := utf8.RuneCountInString(Fallback(huge)); n > maxFallback {
		t.Errorf("fallback %d characters", n)
	}
}

func TestWebhookAnd429(t *testing.T) {
	calls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		switch calls {
		case 1:
			w.Header().Set("Retry-After", "3")
			w.WriteHeader(http.StatusTooManyRequests)
		case 2:
			w.WriteHeader(http.StatusInternalServerError)
		case 3:
			w.WriteHeader(http.StatusNotFound)
		default:
			b, _ := io.ReadAll(r.Body)
			if !strings.Contains(string(b), `"blocks"`) {
				w.WriteHeader(http.StatusBadRequest)
			}
		}
	}))
	defer srv.Close()
	n, err := New(Config{Name: "chat", WebhookURL: srv.URL + "/services/T0/B0/SECRETTOKEN"})
	if err != nil {
		t.Fatal(err)
	}
	retry, err := n.Notify(context.Background(), alert(1, "s"))
	var ra *notifiers.RetryAfterError
	if !retry || !errors.As(err, &ra) || ra.After != 3*time.Second {
		t.Errorf("429: retry %v err %v", retry, err)
	}
	if retry, err := n.Notify(context.Background(), alert(1, "s")); !retry || err == nil {
		t.Errorf("500: retry %v err %v", retry, err)
	}
	retry, err = n.Notify(context.Background(), alert(1, "s"))
	if retry || err == nil || strings.Contains(err.Error(), "SECRETTOKEN") {
		t.Errorf("404: retry %v err %v", retry, err)
	}
	if retry, err := n.Notify(context.Background(), alert(1, "s")); retry || err != nil {
		t.Errorf("ok: retry %v err %v", retry, err)
	}
}

func TestAPIErrors(t *testing.T) {
	s := slacktest.NewTestServer(func(c slacktest.Customize) {
		c.Handle("/chat.postMessage", func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.Write([]byte(`{"ok":false,"error":"channel_not_found"}`))
		})
	})
	s.Start()
	defer s.Stop()
	n, _ := New(Config{Token: "xoxb", Channel: "#nope", APIURL: s.GetAPIURL()})
	retry, err := n.Notify(context.Background(), alert(1, "s"))
	if retry || err == nil || !strings.Contains(err.Error(), "channel_not_found") {
		t.Errorf("retry %v err %v", retry, err)
	}
	for _, bad := range []Config{{}, {Token: "x"}, {Token: "x", Channel: "#c", WebhookURL: "http://h"}} {
		if _, err := New(bad); err == nil {
			t.Errorf("config %+v accepted", bad)
		}
	}
}

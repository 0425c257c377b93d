package slack

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack/slacktest"

	"github.com/watchfloor/watchfloor/engine"
	"github.com/watchfloor/watchfloor/notifiers"
	"github.com/watchfloor/watchfloor/notifiers/stories"
	"github.com/watchfloor/watchfloor/notifiers/webhook"
	"github.com/watchfloor/watchfloor/store"
)

// The report below is written for these tests; each feed's copy edits it.
const report = `A car bomb exploded at a crowded vegetable market in the northern town of Tal Sahra on Tuesday morning, killing at least 12 people and wounding 30, police and hospital officials said.

The blast struck shortly after nine o'clock as traders were setting out their stalls, a police officer at the scene said, speaking on condition of anonymity.

Ambulances ferried the wounded to the district hospital, where a doctor said several were in critical condition and the toll could rise.

No group immediately claimed responsibility for the attack, the deadliest in the province since the spring.`

// slackServer is a slacktest server whose chat.postMessage records each
// request and answers with a new ts, or with the failures queued in fail.
type slackServer struct {
	*slacktest.Server
	mu    sync.Mutex
	posts []url.Values // every request, failed ones included
	ok    []url.Values // the requests that succeeded, with their ts
	fail  []string     // answers to give first: "503", or a Slack error
}

func newSlackServer(t *testing.T) *slackServer {
	s := &slackServer{}
	s.Server = slacktest.NewTestServer(func(c slacktest.Customize) {
		c.Handle("/chat.postMessage", func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			v, _ := url.ParseQuery(string(b))
			s.mu.Lock()
			defer s.mu.Unlock()
			s.posts = append(s.posts, v)
			if len(s.fail) > 0 {
				f := s.fail[0]
				s.fail = s.fail[1:]
				if f == "503" {
					w.WriteHeader(http.StatusServiceUnavailable)
					return
				}
				fmt.Fprintf(w, `{"ok":false,"error":%q}`, f)
				return
			}
			ts := fmt.Sprintf("1700000000.%06d", len(s.posts))
			v.Set("ts", ts)
			s.ok = append(s.ok, v)
			fmt.Fprintf(w, `{"ok":true,"channel":"C0ALERTS","ts":%q}`, ts)
		})
	})
	s.Start()
	t.Cleanup(s.Stop)
	return s
}

func (s *slackServer) succeeded() []url.Values {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]url.Values(nil), s.ok...)
}

// hookServer records the story of every webhook it receives.
type hookServer struct {
	*httptest.Server
	mu      sync.Mutex
	stories []notifiers.Story
}

func newHookServer(t *testing.T) *hookServer {
	h := &hookServer{}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Story *notifiers.Story `json:"story"`
		}
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body.Story == nil {
			t.Errorf("webhook without a story: %v", err)
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		h.mu.Lock()
		h.stories = append(h.stories, *body.Story)
		h.mu.Unlock()
	}))
	t.Cleanup(h.Close)
	return h
}

// desk is the part of the daemon these tests need: a store, the story
// index, and a dispatcher over a Slack bot and a webhook.
type desk struct {
	t     *testing.T
	dir   string
	st    *store.Store
	ix    *stories.Index
	d     *notifiers.Dispatcher
	slack *slackServer
	hook  *hookServer
	opts  notifiers.DispatchOptions
}

func (k *desk) open() {
	t := k.t
	ctx := context.Background()
	var err error
	if k.st, err = store.Open(ctx, k.dir); err != nil {
		t.Fatal(err)
	}
	if k.ix, err = stories.Open(ctx, k.st, stories.Options{}, time.Now()); err != nil {
		t.Fatal(err)
	}
	ops, err := New(Config{Name: "ops", Token: "xoxb-test", Channel: "#alerts", APIURL: k.slack.GetAPIURL()})
	if err != nil {
		t.Fatal(err)
	}
	siem, err := webhook.New(webhook.Config{Name: "siem", URL: k.hook.URL})
	if err != nil {
		t.Fatal(err)
	}
	k.d = notifiers.NewDispatcher(k.st, map[string]notifiers.Notifier{"ops": ops, "siem": siem}, k.opts)
}

func (k *desk) close() {
	if err := k.st.Close(); err != nil {
		k.t.Fatal(err)
	}
}

func newDesk(t *testing.T) *desk {
	k := &desk{t: t, dir: t.TempDir(), slack: newSlackServer(t), hook: newHookServer(t),
		opts: notifiers.DispatchOptions{MinBackoff: 10 * time.Millisecond, MaxBackoff: 20 * time.Millisecond}}
	k.open()
	t.Cleanup(func() { k.st.Close() })
	return k
}

// alertID is the id of an article's alert to a destination.
func alertID(articleID, dest string) string { return "wf_" + articleID + "_" + dest }

// enqueue does what the daemon does for an article that matched: it puts
// the article in its story and commits it with one alert per destination.
func (k *desk) enqueue(a engine.Article, ms ...engine.Match) stories.Story {
	t := k.t
	ctx := context.Background()
	s, err := k.ix.Assign(ctx, a, alertID(a.ID, "ops"), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	var alerts []store.NewAlert
	for _, dest := range []string{"ops", "siem"} {
		al := notifiers.Alert{ID: alertID(a.ID, dest), CreatedAt: time.Now(), Article: a, Matches: ms, Story: s.Payload()}
		payload, err := json.Marshal(al)
		if err != nil {
			t.Fatal(err)
		}
		alerts = append(alerts, store.NewAlert{AlertID: al.ID, Notifier: dest, ArticleID: a.ID, Rules: []string{ms[0].Rule}, Payload: payload})
	}
	if ok, err := k.st.CommitArticle(ctx, store.ArticleRecord{ID: a.ID, Source: a.Source, Title: a.Title, URL: a.URL, Body: a.Body}, nil, alerts); err != nil || !ok {
		t.Fatalf("commit %s: %v %v", a.ID, ok, err)
	}
	return s
}

func (k *desk) drain() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := k.d.Drain(ctx); err != nil {
		k.t.Fatal(err)
	}
}

// run runs the dispatcher until cond holds, for at most ten seconds.
func (k *desk) run(cond func() bool) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { k.d.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			k.t.Fatal("timed out")
		}
		time.Sleep(5 * time.Millisecond)
		k.d.Kick()
	}
}

func bombing(severity string, killed int) engine.Match {
	return engine.Match{Rule: "bombing", Score: 4, Severity: severity, Fields: map[string]any{"killed": killed}}
}

func feedCopy(feed, url, title, body string) engine.Article {
	return engine.Article{ID: url, Source: "feed:" + feed, URL: url, Title: title, Body: body}
}

func TestStoryThreadsAcrossRestart(t *testing.T) {
	k := newDesk(t)
	ctx := context.Background()
	paras := strings.Split(report, "\n\n")
	first := k.enqueue(feedCopy("one", "https://one.example/market", "Bomb kills 12 at Tal Sahra market", report), bombing("high", 12))
	k.drain()
	second := k.enqueue(feedCopy("two", "https://two.example/news/1", "Twelve dead in market blast - Two", "Skip to main content\n"+strings.Join(paras[:3], "\n\n")), bombing("high", 12))
	k.drain()

	// Restart between the second report and the third.
	k.close()
	k.open()
	third := k.enqueue(feedCopy("three", "https://three.example/a", "Market bomb toll rises to 15",
		strings.Replace(report, "killing at least 12 people", "killing at least 15 people", 1)),
		bombing("critical", 15), engine.Match{Rule: "mass-casualty", Score: 2, Severity: "critical"})
	k.drain()

	if first.Position != 1 || second.ID != first.ID || second.Position != 2 || third.ID != first.ID || third.Position != 3 {
		t.Fatalf("stories: %+v %+v %+v", first, second, third)
	}
	posts := k.slack.succeeded()
	if len(posts) != 3 {
		t.Fatalf("%d Slack posts, want one message and two replies", len(posts))
	}
	root := posts[0].Get("ts")
	th, ok, err := k.st.StoryThread(ctx, first.ID, "ops")
	if err != nil || !ok || th.Root != root || th.RootAlertID != alertID(first.FirstArticleID, "ops") {
		t.Fatalf("stored thread %+v %v %v, want root %s", th, ok, err, root)
	}
	if posts[0].Get("thread_ts") != "" || posts[0].Get("blocks") == "" {
		t.Errorf("first post is not a full message: %v", posts[0])
	}
	for i, want := range []struct {
		feed, text string
		broadcast  bool
	}{
		{"feed:two", "Twelve dead in market blast", false},
		{"feed:three", "killed: 15 (was 12), new rule mass-casualty (critical)", true},
	} {
		p := posts[i+1]
		if p.Get("thread_ts") != root {
			t.Errorf("reply %d: thread_ts %q, want %q", i+1, p.Get("thread_ts"), root)
		}
		if got := p.Get("reply_broadcast") == "true"; got != want.broadcast {
			t.Errorf("reply %d: broadcast %v, want %v", i+1, got, want.broadcast)
		}
		if text := p.Get("text"); !strings.HasPrefix(text, want.feed+" · ") || !strings.Contains(text, want.text) || strings.Contains(text, "\n") {
			t.Errorf("reply %d: text %q, want one line from %s with %q", i+1, text, want.feed, want.text)
		}
		if p.Get("blocks") != "" {
			t.Errorf("reply %d has blocks", i+1)
		}
	}
	// docs/alerts.md shows this reply.
	if doc, err := os.ReadFile("../../docs/alerts.md"); err != nil || !strings.Contains(string(doc), "\n"+posts[2].Get("text")+"\n") {
		t.Errorf("docs/alerts.md does not show the reply %q (%v)", posts[2].Get("text"), err)
	}
	// The webhook got every alert, each with the story.
	k.hook.mu.Lock()
	defer k.hook.mu.Unlock()
	if len(k.hook.stories) != 3 {
		t.Fatalf("webhook got %d alerts", len(k.hook.stories))
	}
	for i, s := range k.hook.stories {
		want := notifiers.Story{ID: first.ID, FirstAlertID: alertID(first.FirstArticleID, "ops"), Position: i + 1}
		if s != want {
			t.Errorf("webhook alert %d: story %+v, want %+v", i+1, s, want)
		}
	}
}

func TestStoryReplyWaitsForItsFirstMessage(t *testing.T) {
	k := newDesk(t)
	k.slack.fail = []string{"503", "503"} // the first message fails twice
	a := k.enqueue(feedCopy("one", "https://one.example/market", "Bomb kills 12 at Tal Sahra market", report), bombing("high", 12))
	k.enqueue(feedCopy("two", "https://two.example/market", "Tal Sahra market bombing", report+"\nMore to follow."), bombing("high", 12))
	k.run(func() bool { return len(k.slack.succeeded()) == 2 })
	posts := k.slack.succeeded()
	if posts[0].Get("thread_ts") != "" || posts[1].Get("thread_ts") != posts[0].Get("ts") {
		t.Errorf("posts: first thread_ts %q; second thread_ts %q, want %q", posts[0].Get("thread_ts"), posts[1].Get("thread_ts"), posts[0].Get("ts"))
	}
	k.slack.mu.Lock()
	for _, p := range k.slack.posts {
		if p.Get("thread_ts") == "" && strings.Contains(p.Get("text"), "feed:two") || strings.Contains(p.Get("blocks"), "two.example") {
			t.Errorf("the reply went out as a message: %v", p)
		}
	}
	k.slack.mu.Unlock()
	// Waiting is not a failed attempt.
	items, _ := k.st.ListAlerts(context.Background(), "delivered", 0)
	for _, it := range items {
		if it.Notifier == "ops" && it.ArticleID != a.FirstArticleID && it.Attempts != 1 {
			t.Errorf("the reply took %d attempts", it.Attempts)
		}
	}
}

func TestStoryAfterDeadFirstMessage(t *testing.T) {
	k := newDesk(t)
	k.slack.fail = []string{"channel_not_found"} // the first message is a dead letter
	k.enqueue(feedCopy("one", "https://one.example/market", "Bomb kills 12 at Tal Sahra market", report), bombing("high", 12))
	k.drain()
	second := k.enqueue(feedCopy("two", "https://two.example/market", "Tal Sahra market bombing", report+"\nMore to follow."), bombing("high", 12))
	k.drain()
	posts := k.slack.succeeded()
	if len(posts) != 1 || posts[0].Get("thread_ts") != "" || posts[0].Get("blocks") == "" {
		t.Fatalf("posts %v, want one full message", posts)
	}
	th, ok, _ := k.st.StoryThread(context.Background(), second.ID, "ops")
	if !ok || th.Root != posts[0].Get("ts") || th.RootAlertID != alertID("https://two.example/market", "ops") {
		t.Errorf("thread %+v, want rooted at the second alert", th)
	}
}

func TestIncomingWebhookDoesNotThread(t *testing.T) {
	var mu sync.Mutex
	var bodies []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		bodies = append(bodies, string(b))
		mu.Unlock()
		w.Write([]byte("ok"))
	}))
	defer srv.Close()
	n, err := New(Config{Name: "chat", WebhookURL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 2; i++ {
		a := notifiers.Alert{ID: fmt.Sprint(i), Article: engine.Article{Title: "Bomb kills 12"}, Matches: []engine.Match{bombing("high", 12)},
			Story: &notifiers.Story{ID: "st_1", FirstAlertID: "1", Position: i}}
		th, retry, err := n.NotifyThread(context.Background(), a, notifiers.Thread{})
		if err != nil || retry || th.Root != "" {
			t.Fatalf("alert %d: %+v %v %v", i, th, retry, err)
		}
	}
	if len(bodies) != 2 || !strings.Contains(bodies[1], `"blocks"`) {
		t.Errorf("bodies %q, want two full messages", bodies)
	}
}

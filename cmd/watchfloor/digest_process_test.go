package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/notifiers"
	"github.com/watchfloor/watchfloor/notifiers/webhook"
	"github.com/watchfloor/watchfloor/store"
)

// digestReceiver records every verified body a webhook destination gets.
type digestReceiver struct {
	mu     sync.Mutex
	alerts map[string]int // article id → alerts received one by one
	digest []notifiers.Digest
	inDig  map[string]int // article id → times received in a digest
	bad    int
	srv    *httptest.Server
}

func newDigestReceiver(t *testing.T) *digestReceiver {
	r := &digestReceiver{alerts: map[string]int{}, inDig: map[string]int{}}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		defer r.mu.Unlock()
		if err := webhook.Verify(crashSecret, req.Header, body, time.Minute, time.Now()); err != nil {
			r.bad++
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		if !notifiers.IsDigest(body) {
			var a notifiers.Alert
			if err := json.Unmarshal(body, &a); err != nil {
				r.bad++
				return
			}
			r.alerts[a.Article.ID]++
			return
		}
		var d notifiers.Digest
		if err := json.Unmarshal(body, &d); err != nil || d.ID != req.Header.Get("webhook-id") {
			r.bad++
			return
		}
		es, err := notifiers.DecodeDigest(d)
		if err != nil {
			r.bad++
			return
		}
		r.digest = append(r.digest, d)
		for _, e := range es {
			r.inDig[e.Alert.Article.ID]++
		}
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *digestReceiver) counts() (alerts, digests, inDigests int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, n := range r.alerts {
		alerts += n
	}
	for _, n := range r.inDig {
		inDigests += n
	}
	return alerts, len(r.digest), inDigests
}

// writeDigestConfig writes a config with one webhook destination limited
// to 20 alerts an hour, whose digest runs on schedule.
func writeDigestConfig(t *testing.T, dir, hookURL, schedule string) {
	t.Helper()
	cfg := fmt.Sprintf(`data_dir: ./data
rules_dir: ./rules.d
inbox: {dir: ./inbox, settle: 50ms, rescan: 1s}
http: {listen: "off"}
notifiers:
  - {name: siem, type: webhook, url: %q, secret: %q, max_per_hour: 20, digest: %q}
default_notify: [siem]
delivery: {min_backoff: 20ms, max_backoff: 200ms, max_age: 1h}
`, hookURL, crashSecret, schedule)
	if err := os.MkdirAll(filepath.Join(dir, "rules.d"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "watchfloor.yaml"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	rule := "rules:\n  - name: attack\n    when: mentions('attack*')\n"
	if err := os.WriteFile(filepath.Join(dir, "rules.d", "attack.yaml"), []byte(rule), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestDigestSurvivesSIGKILL: 60 matches of one rule in a minute to a
// webhook with max_per_hour 20 make 20 alerts at once; the other 40 are
// queued. The daemon is killed with SIGKILL before its digest is due; the
// restarted daemon sends all 40 in one signed digest, and no alert
// arrives twice.
func TestDigestSurvivesSIGKILL(t *testing.T) {
	dir := t.TempDir()
	rcv := newDigestReceiver(t)
	// First run: a digest that is not due for months.
	writeDigestConfig(t, dir, rcv.srv.URL+"/hook", "0 0 1 1 *")
	inbox := filepath.Join(dir, "inbox")
	if err := os.MkdirAll(inbox, 0o755); err != nil {
		t.Fatal(err)
	}
	const n = 60
	p1 := startProc(t, dir, "run", "--config", "watchfloor.yaml")
	for i := range n {
		body := fmt.Sprintf("Report %d\nGunmen attacked border post number %d overnight.\n", i, i)
		tmp := filepath.Join(inbox, fmt.Sprintf(".a%02d.txt", i))
		if err := os.WriteFile(tmp, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, filepath.Join(inbox, fmt.Sprintf("a%02d.txt", i))); err != nil {
			t.Fatal(err)
		}
	}
	queued := func() int {
		st, err := store.OpenShared(context.Background(), filepath.Join(dir, "data"))
		if err != nil {
			return -1
		}
		defer st.Close()
		q, err := st.QueuedCount(context.Background(), "siem")
		if err != nil {
			return -1
		}
		return q
	}
	waitUntil(t, "20 alerts delivered and 40 queued", 60*time.Second, func() bool {
		a, _, _ := rcv.counts()
		return a == 20 && queued() == 40
	})
	if err := p1.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-p1.done
	if a, d, _ := rcv.counts(); a != 20 || d != 0 {
		t.Fatalf("before the restart: %d alerts and %d digests, want 20 and none", a, d)
	}

	// The restarted daemon's digest is due every second.
	writeDigestConfig(t, dir, rcv.srv.URL+"/hook", "* * * * * *")
	p2 := startProc(t, dir, "run", "--config", "watchfloor.yaml")
	waitUntil(t, "the digest", 60*time.Second, func() bool {
		_, d, _ := rcv.counts()
		return d > 0
	})
	a, d, in := rcv.counts()
	rcv.mu.Lock()
	if a != 20 || d != 1 || in != 40 || rcv.bad != 0 {
		t.Errorf("%d alerts, %d digests holding %d, %d bad requests; want 20, 1 holding 40, none", a, d, in, rcv.bad)
	}
	total := 0
	for id, k := range rcv.alerts {
		if k != 1 || rcv.inDig[id] != 0 {
			t.Errorf("article %s: %d alerts and %d in digests, want exactly one of them", id, k, rcv.inDig[id])
		}
		total++
	}
	for id, k := range rcv.inDig {
		if k != 1 {
			t.Errorf("article %s in %d digests", id, k)
		}
		total++
	}
	rcv.mu.Unlock()
	if total != n {
		t.Errorf("%d articles arrived, want %d", total, n)
	}
	if q := queued(); q != 0 {
		t.Errorf("%d still queued", q)
	}
	if err := p2.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-p2.done:
		if err != nil {
			t.Errorf("exit after SIGTERM: %v\n%s", err, p2.stderr)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("no exit after SIGTERM")
	}
}

package feeds

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/watchfloor/watchfloor/store"
)

// saveFails is a State whose SaveFeedState fails.
type saveFails struct{ *memState }

func (saveFails) SaveFeedState(context.Context, store.FeedState) error {
	return errors.New("store: save feed: disk I/O error")
}

// TestPollErrorsReportedOnce: every failure of a poll, the state's
// included, reaches the caller, and the scheduled poll logs it once.
func TestPollErrorsReportedOnce(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/500" {
			http.Error(w, "boom", http.StatusInternalServerError)
			return
		}
		fmt.Fprint(w, rss)
	}))
	defer srv.Close()
	for _, tc := range []struct {
		name      string
		path      string
		saveFails bool
		handler   error
		want      []string // in the error and in its one log line
	}{
		{name: "fetch fails", path: "/500", want: []string{"500 Internal Server Error", "failures=1"}},
		{name: "fetch fails, state not saved", path: "/500", saveFails: true, want: []string{"500 Internal Server Error", "disk I/O error"}},
		{name: "handler fails", path: "/ok", handler: errors.New("store: commit: database is locked"), want: []string{"database is locked"}},
		{name: "handler fails, state not saved", path: "/ok", saveFails: true, handler: errors.New("store: commit: database is locked"), want: []string{"database is locked", "disk I/O error"}},
		{name: "state not saved after a good poll", path: "/ok", saveFails: true, want: []string{"disk I/O error"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mem := newState()
			var st State = mem
			if tc.saveFails {
				st = saveFails{mem}
			}
			s := &sink{st: mem, fail: tc.handler}
			var logs bytes.Buffer
			w, err := New([]Config{{Name: "f", URL: srv.URL + tc.path}}, st, s.handle, Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
			if err != nil {
				t.Fatal(err)
			}
			err = w.Poll(context.Background(), "f")
			for _, want := range tc.want {
				if want == "failures=1" {
					continue
				}
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Errorf("Poll error %v, want %q in it", err, want)
				}
			}
			if logs.Len() != 0 {
				t.Errorf("Poll logged:\n%s", logs.String())
			}
			mem.feeds = map[string]store.FeedState{} // poll again now
			w.poll(context.Background(), "f")
			lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
			// The message does not repeat the component the daemon's
			// logger carries (component=feeds).
			if len(lines) != 1 || !strings.Contains(lines[0], `level=WARN msg="poll failed" feed=f`) {
				t.Fatalf("want one warning, got:\n%s", logs.String())
			}
			for _, want := range tc.want {
				if !strings.Contains(lines[0], want) {
					t.Errorf("log line %q lacks %q", lines[0], want)
				}
			}
		})
	}
}

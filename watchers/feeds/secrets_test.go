package feeds

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/watchfloor/watchfloor/engine"
	"github.com/watchfloor/watchfloor/store"
)

// TestSecretsNotLoggedOrStored polls feeds whose configured URL carries a
// password and an API key through every kind of failure, and looks for
// the secrets in the log and in the stored state.
func TestSecretsNotLoggedOrStored(t *testing.T) {
	const pass, key = "PASSWORD-1234", "APIKEY-5678"
	mux := http.NewServeMux()
	mux.HandleFunc("/500", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "boom", http.StatusInternalServerError)
	})
	mux.HandleFunc("/bad", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "this is not a feed") })
	mux.HandleFunc("/redirect", func(w http.ResponseWriter, r *http.Request) {
		// A redirect that carries the key on to a loop.
		http.Redirect(w, r, r.URL.String(), http.StatusFound)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := ln.Addr().String()
	ln.Close()
	host := strings.TrimPrefix(srv.URL, "http://")

	for _, tc := range []struct{ name, url, want string }{
		{"status 500", "http://u:" + pass + "@" + host + "/500?apikey=" + key, "500 Internal Server Error"},
		{"connection refused", "http://u:" + pass + "@" + refused + "/feed?apikey=" + key, "connection refused"},
		{"bad body", "http://u:" + pass + "@" + host + "/bad?apikey=" + key, "parse"},
		{"redirect loop", "http://u:" + pass + "@" + host + "/redirect?apikey=" + key, "redirects"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			st, err := store.Open(ctx, t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			var logs bytes.Buffer
			w, err := New([]Config{{Name: "secret", URL: tc.url}}, st,
				func(context.Context, engine.Article, []string) error { return nil },
				Options{Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
			if err != nil {
				t.Fatal(err)
			}
			w.poll(ctx, "secret") // the scheduled path, which logs
			fs, err := st.FeedState(ctx, "secret")
			if err != nil {
				t.Fatal(err)
			}
			if fs.Failures != 1 || !strings.Contains(fs.LastError, tc.want) || !strings.Contains(logs.String(), tc.want) {
				t.Errorf("the failure is not reported: want %q in last_error %q and in the log:\n%s", tc.want, fs.LastError, logs.String())
			}
			for _, secret := range []string{pass, key} {
				if strings.Contains(logs.String(), secret) {
					t.Errorf("secret %q in the log:\n%s", secret, logs.String())
				}
				for field, v := range map[string]string{"last_error": fs.LastError, "url": fs.URL} {
					if strings.Contains(v, secret) {
						t.Errorf("secret %q in the stored %s: %q", secret, field, v)
					}
				}
			}
		})
	}
}

package notifiers_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/watchfloor/watchfloor/notifiers"
	"github.com/watchfloor/watchfloor/notifiers/slack"
	"github.com/watchfloor/watchfloor/notifiers/webhook"
)

// rawURLError is a notifier that returns the *url.Error of its client as
// it is, secrets and all.
type rawURLError struct{ url string }

func (rawURLError) Name() string { return "n" }

func (n rawURLError) Notify(ctx context.Context, _ notifiers.Alert) (bool, error) {
	return true, fmt.Errorf("raw: %w", &url.Error{Op: "Post", URL: n.url, Err: errors.New("connection refused")})
}

// TestDeliveryErrorsRedacted: a destination URL with user:pass@ and a
// secret path, failing with 500 or a refused connection, leaves no part of
// its secrets in the logs nor in the outbox's last_error.
func TestDeliveryErrorsRedacted(t *testing.T) {
	secrets := []string{"hookuser", "s3cr3tpw", "XyZsecretPATH", "T0SECRET", "tok3n"}
	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "boom", http.StatusInternalServerError)
	}))
	defer failing.Close()
	// An error page that echoes the request, as many frameworks do.
	echoing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, p, _ := r.BasicAuth()
		http.Error(w, "Cannot POST "+r.URL.RequestURI()+" as "+u+":"+p, http.StatusNotFound)
	}))
	defer echoing.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := "http://" + ln.Addr().String()
	ln.Close()
	secretURL := func(base string) string {
		return strings.Replace(base, "http://", "http://hookuser:s3cr3tpw@", 1) + "/services/T0SECRET/B000/XyZsecretPATH?token=tok3n"
	}
	slackHook := func(base string) func() (notifiers.Notifier, error) {
		return func() (notifiers.Notifier, error) {
			return slack.New(slack.Config{Name: "n", WebhookURL: secretURL(base)})
		}
	}
	slackBot := func(base string) func() (notifiers.Notifier, error) {
		return func() (notifiers.Notifier, error) {
			return slack.New(slack.Config{Name: "n", Token: "xoxb-1", Channel: "#c", APIURL: secretURL(base) + "&x=/"})
		}
	}
	hook := func(base string) func() (notifiers.Notifier, error) {
		return func() (notifiers.Notifier, error) {
			return webhook.New(webhook.Config{Name: "n", URL: secretURL(base)})
		}
	}
	tests := []struct {
		name string
		make func() (notifiers.Notifier, error)
	}{
		{name: "slack webhook 500", make: slackHook(failing.URL)},
		{name: "slack webhook refused", make: slackHook(refused)},
		{name: "slack bot api 500", make: slackBot(failing.URL)},
		{name: "slack bot api refused", make: slackBot(refused)},
		{name: "webhook 500", make: hook(failing.URL)},
		{name: "webhook refused", make: hook(refused)},
		{name: "webhook 404 echoing the request", make: hook(echoing.URL)},
		{name: "notifier returning a raw url error", make: func() (notifiers.Notifier, error) {
			return rawURLError{url: secretURL(refused)}, nil
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			s := openStore(t)
			enqueue(t, s, "a", "n")
			n, err := tt.make()
			if err != nil {
				t.Fatal(err)
			}
			var logs bytes.Buffer
			log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
			d := notifiers.NewDispatcher(s, map[string]notifiers.Notifier{"n": n}, notifiers.DispatchOptions{Logger: log})
			if err := d.Drain(ctx); err != nil {
				t.Fatal(err)
			}
			items, err := s.ListAlerts(ctx, "", 0)
			if err != nil || len(items) != 1 {
				t.Fatal(items, err)
			}
			if items[0].LastError == "" {
				t.Fatalf("no error recorded: %+v", items[0])
			}
			t.Logf("last_error: %s", items[0].LastError)
			for _, sec := range secrets {
				if strings.Contains(items[0].LastError, sec) {
					t.Errorf("last_error holds %q: %s", sec, items[0].LastError)
				}
				if strings.Contains(logs.String(), sec) {
					t.Errorf("logs hold %q: %s", sec, logs.String())
				}
			}
		})
	}
}

package daemon

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestAdminHTTPGuards(t *testing.T) {
	tests := []struct {
		name   string
		listen string
		token  string
		header map[string]string
		want   int
	}{
		{name: "loopback, same origin, no token set", listen: "127.0.0.1:0", want: http.StatusOK},
		{name: "loopback, curl without origin", listen: "127.0.0.1:0", header: map[string]string{"Content-Type": "text/plain"}, want: http.StatusOK},
		{name: "cross-origin simple POST from a browser", listen: "127.0.0.1:0",
			header: map[string]string{"Origin": "https://evil.example", "Content-Type": "text/plain"}, want: http.StatusForbidden},
		{name: "cross-site fetch metadata", listen: "127.0.0.1:0",
			header: map[string]string{"Sec-Fetch-Site": "cross-site"}, want: http.StatusForbidden},
		{name: "all interfaces without a token set", listen: "0.0.0.0:0", want: http.StatusForbidden},
		{name: "empty host without a token set", listen: ":0", want: http.StatusForbidden},
		{name: "all interfaces, no token sent", listen: "0.0.0.0:0", token: "t0ken", want: http.StatusUnauthorized},
		{name: "all interfaces, wrong token", listen: "0.0.0.0:0", token: "t0ken",
			header: map[string]string{"Authorization": "Bearer nope"}, want: http.StatusUnauthorized},
		{name: "all interfaces, right token", listen: "0.0.0.0:0", token: "t0ken",
			header: map[string]string{"Authorization": "Bearer t0ken"}, want: http.StatusOK},
		{name: "loopback with a token set still wants it", listen: "127.0.0.1:0", token: "t0ken", want: http.StatusUnauthorized},
		{name: "right token but cross-origin", listen: "0.0.0.0:0", token: "t0ken",
			header: map[string]string{"Authorization": "Bearer t0ken", "Origin": "https://evil.example"}, want: http.StatusForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := baseConfig(t)
			cfg.HTTP.Listen, cfg.HTTP.Token = tt.listen, tt.token
			d, err := New(context.Background(), Options{Config: cfg, Stdout: io.Discard})
			if err != nil {
				t.Fatal(err)
			}
			defer d.store.Close()
			defer d.httpLn.Close()
			srv := httptest.NewServer(d.Handler())
			defer srv.Close()
			req, err := http.NewRequest(http.MethodPost, srv.URL+"/-/reload", strings.NewReader("x"))
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range tt.header {
				req.Header.Set(k, v)
			}
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.want {
				t.Errorf("POST /-/reload = %d %s, want %d", resp.StatusCode, body, tt.want)
			}
			// Reading stays open to monitoring whatever the guards.
			resp, err = srv.Client().Get(srv.URL + "/livez")
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Errorf("GET /livez = %d", resp.StatusCode)
			}
		})
	}
}

func TestNonLoopbackListenWarns(t *testing.T) {
	tests := []struct {
		name, listen string
		warn         bool
	}{
		{"loopback v4", "127.0.0.1:0", false},
		{"localhost", "localhost:0", false},
		{"all interfaces", "0.0.0.0:0", true},
		{"empty host", ":0", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := baseConfig(t)
			cfg.HTTP.Listen = tt.listen
			var logs bytes.Buffer
			d, err := New(context.Background(), Options{Config: cfg, Stdout: io.Discard,
				Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}))})
			if err != nil {
				t.Fatal(err)
			}
			d.store.Close()
			d.httpLn.Close()
			if got := strings.Contains(logs.String(), "beyond loopback"); got != tt.warn {
				t.Errorf("warned %v, want %v; logs:\n%s", got, tt.warn, logs.String())
			}
		})
	}
}

package httpx

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name  string
		v     string
		limit time.Duration
		want  time.Duration
		ok    bool
	}{
		{"seconds", "7", 0, 7 * time.Second, true},
		{"spaces", " 0 ", 0, 0, true},
		{"http date", now.Add(90 * time.Second).Format(http.TimeFormat), 0, 90 * time.Second, true},
		{"date in the past", now.Add(-time.Hour).Format(http.TimeFormat), 0, 0, true},
		{"empty", "", 0, 0, false},
		{"negative", "-3", 0, 0, false},
		{"word", "soon", 0, 0, false},
		{"capped by the policy", "999999999", 5 * time.Minute, 5 * time.Minute, true},
		{"a year capped", "31536000", time.Hour, time.Hour, true},
		{"under the cap", "30", time.Hour, 30 * time.Second, true},
		{"overflowing seconds", "99999999999999999999999", time.Hour, time.Hour, true},
		{"overflowing int64 seconds", "9223372036854775807", 72 * time.Hour, 72 * time.Hour, true},
		{"overflow without a cap stays positive", "9223372036854775807", 0, maxDelay, true},
		{"far date capped", "Fri, 31 Dec 9999 23:59:59 GMT", time.Hour, time.Hour, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := RetryAfter(tt.v, now, tt.limit)
			if got != tt.want || ok != tt.ok {
				t.Errorf("RetryAfter(%q, %v) = %v %v, want %v %v", tt.v, tt.limit, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestBackoff(t *testing.T) {
	tests := []struct {
		name    string
		lo, hi  time.Duration
		attempt int
		nominal time.Duration
	}{
		{"first", time.Second, time.Minute, 0, time.Second},
		{"doubles", time.Second, time.Minute, 3, 8 * time.Second},
		{"capped", time.Second, time.Minute, 20, time.Minute},
		{"huge attempt", time.Second, time.Minute, 1 << 30, time.Minute},
		{"zero lo", 0, time.Minute, 0, time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for range 50 {
				d := Backoff(tt.lo, tt.hi, tt.attempt)
				if d < tt.nominal/2 || d > tt.nominal {
					t.Fatalf("Backoff = %v, want in [%v, %v]", d, tt.nominal/2, tt.nominal)
				}
			}
		})
	}
}

func TestRedactURL(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"empty", "", ""},
		{"host only", "https://example.org", "https://example.org"},
		{"root", "https://example.org/", "https://example.org"},
		{"slack path", "https://hooks.slack.com/services/T0/B0/s3cr3t", "https://hooks.slack.com/…"},
		{"query key", "https://feeds.example.org/rss?apikey=s3cr3t", "https://feeds.example.org/…"},
		{"user info", "https://u:s3cr3t@feeds.example.org/rss", "https://…@feeds.example.org/…"},
		{"user info no path", "https://u:s3cr3t@feeds.example.org", "https://…@feeds.example.org"},
		{"unparsable", "http://[::1", "<redacted url>"},
		{"relative", "/just/a/path?k=s3cr3t", "<redacted url>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := RedactURL(tt.in); got != tt.want {
				t.Errorf("RedactURL(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestRedactErrorFromARealClient(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(200 * time.Millisecond)
	}))
	defer srv.Close()
	secretURL := strings.Replace(srv.URL, "http://", "http://user:pw-s3cr3t@", 1) + "/hook/s3cr3t?apikey=s3cr3t"
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, secretURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = srv.Client().Do(req)
	if err == nil {
		t.Fatal("request did not fail")
	}
	if !strings.Contains(err.Error(), "s3cr3t") {
		t.Fatalf("precondition: the client's error does not carry the URL: %v", err)
	}
	red := RedactError(err)
	if strings.Contains(red.Error(), "s3cr3t") {
		t.Errorf("redacted error still has the secret: %v", red)
	}
	if !errors.Is(red, context.DeadlineExceeded) {
		t.Errorf("redacted error lost its cause: %v", red)
	}
	var to interface{ Timeout() bool }
	if !errors.As(red, &to) || !to.Timeout() {
		t.Errorf("redacted error is not a timeout: %v", red)
	}
	if plain := errors.New("plain"); RedactError(plain) != plain {
		t.Error("an error without a URL changed")
	}
}

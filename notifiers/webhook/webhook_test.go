package webhook

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/engine"
	"github.com/watchfloor/watchfloor/notifiers"
)

const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

func testAlert() notifiers.Alert {
	return notifiers.Alert{
		ID: "wf_123", CreatedAt: time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC),
		Article: engine.Article{ID: "https://example.org/a", Title: "T", URL: "https://example.org/a", Source: "feed:x"},
		Matches: []engine.Match{{Rule: "r", Score: 6, Severity: "high", Evidence: []engine.Evidence{{Term: "isis", Count: 1, Positions: []int{3}, Snippets: []string{"**ISIS**"}}}}},
		Summary: []string{"One sentence."},
	}
}

type received struct {
	h    http.Header
	body []byte
}

func TestSignedDelivery(t *testing.T) {
	var mu sync.Mutex
	var got []received
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, received{r.Header.Clone(), b})
		mu.Unlock()
		if len(got) == 1 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	n, err := New(Config{Name: "siem", URL: srv.URL + "/hook", Secret: secret})
	if err != nil {
		t.Fatal(err)
	}
	retry, err := n.Notify(context.Background(), testAlert())
	if !retry || err == nil {
		t.Fatalf("503: retry %v err %v", retry, err)
	}
	if retry, err := n.Notify(context.Background(), testAlert()); retry || err != nil {
		t.Fatalf("204: retry %v err %v", retry, err)
	}
	if got[0].h.Get("webhook-id") != "wf_123" || got[1].h.Get("webhook-id") != "wf_123" {
		t.Error("webhook-id not stable across attempts")
	}
	for _, r := range got {
		if err := Verify(secret, r.h, r.body, time.Minute, time.Now()); err != nil {
			t.Errorf("Verify: %v", err)
		}
		// Independent computation of the signature.
		key, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
		m := hmac.New(sha256.New, key)
		m.Write([]byte(r.h.Get("webhook-id") + "." + r.h.Get("webhook-timestamp") + "." + string(r.body)))
		if want := "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil)); r.h.Get("webhook-signature") != want {
			t.Errorf("signature %q, want %q", r.h.Get("webhook-signature"), want)
		}
		if r.h.Get("Content-Type") != "application/json" {
			t.Errorf("content type %q", r.h.Get("Content-Type"))
		}
	}
	var body map[string]any
	if err := json.Unmarshal(got[1].body, &body); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"version", "id", "created_at", "article", "matches", "summary"} {
		if _, ok := body[k]; !ok {
			t.Errorf("payload lacks %q", k)
		}
	}
	art := body["article"].(map[string]any)
	for _, k := range []string{"id", "title", "url", "source", "published"} {
		if _, ok := art[k]; !ok {
			t.Errorf("payload article lacks %q", k)
		}
	}
	// Tampering is caught.
	if err := Verify(secret, got[1].h, append(got[1].body, ' '), time.Minute, time.Now()); err == nil {
		t.Error("tampered body verified")
	}
	if err := Verify(secret, got[1].h, got[1].body, time.Minute, time.Now().Add(time.Hour)); err == nil {
		t.Error("stale timestamp verified")
	}
}

func TestRawSecretAndNoSecret(t *testing.T) {
	sig, err := Sign("plain-secret", "id", time.Unix(1700000000, 0), []byte("{}"))
	if err != nil {
		t.Fatal(err)
	}
	m := hmac.New(sha256.New, []byte("plain-secret"))
	m.Write([]byte("id.1700000000.{}"))
	if sig != "v1,"+base64.StdEncoding.EncodeToString(m.Sum(nil)) {
		t.Errorf("raw-secret signature %q", sig)
	}
	if _, err := New(Config{URL: "http://x/", Secret: "whsec_!!!"}); err == nil {
		t.Error("bad whsec accepted")
	}
	if _, err := New(Config{URL: "ftp://x/"}); err == nil {
		t.Error("ftp url accepted")
	}
}

func TestRetryClassification(t *testing.T) {
	tests := []struct {
		status     int
		retryAfter string
		retry      bool
		after      time.Duration
	}{
		{200, "", false, 0}, {204, "", false, 0}, {400, "", false, 0}, {401, "", false, 0}, {404, "", false, 0},
		{408, "", true, 0}, {429, "7", true, 7 * time.Second}, {500, "", true, 0}, {503, "2", true, 2 * time.Second},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.status), func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if tt.retryAfter != "" {
					w.Header().Set("Retry-After", tt.retryAfter)
				}
				w.WriteHeader(tt.status)
			}))
			defer srv.Close()
			n, _ := New(Config{URL: srv.URL})
			retry, err := n.Notify(context.Background(), testAlert())
			if (err == nil) != (tt.status < 300) || retry != tt.retry {
				t.Fatalf("retry %v err %v", retry, err)
			}
			var ra *notifiers.RetryAfterError
			if tt.after > 0 && (!errors.As(err, &ra) || ra.After != tt.after) {
				t.Errorf("retry after: %v", err)
			}
		})
	}
	// Connection refused and timeouts are retried.
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	n, _ := New(Config{URL: "http://" + addr + "/secret-path?token=abc"})
	retry, err := n.Notify(context.Background(), testAlert())
	if !retry || err == nil || strings.Contains(err.Error(), "abc") || strings.Contains(err.Error(), "secret-path") {
		t.Errorf("refused: retry %v err %v", retry, err)
	}
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { time.Sleep(300 * time.Millisecond) }))
	defer slow.Close()
	n, _ = New(Config{URL: slow.URL})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if retry, err := n.Notify(ctx, testAlert()); !retry || err == nil {
		t.Errorf("timeout: retry %v err %v", retry, err)
	}
}

func BenchmarkNotify(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.Copy(io.Discard, r.Body) }))
	defer srv.Close()
	n, _ := New(Config{URL: srv.URL, Secret: secret})
	a := testAlert()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := n.Notify(context.Background(), a); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "alerts/s")
}

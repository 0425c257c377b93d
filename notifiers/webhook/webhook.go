// Package webhook posts alerts as JSON to an HTTP endpoint, signed per the
// Standard Webhooks scheme: headers webhook-id (the alert id, stable across
// retries), webhook-timestamp (unix seconds of the attempt) and
// webhook-signature ("v1," + base64 HMAC-SHA256 of "id.timestamp.body").
// The key is the base64-decoded part of a "whsec_" secret, or the raw bytes
// of any other secret.
package webhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/watchfloor/watchfloor/internal/httpx"
	"github.com/watchfloor/watchfloor/notifiers"
)

// Config configures a webhook notifier. It has no timeout: an attempt is
// bounded by the context the caller gives Notify (the Dispatcher's
// attempt timeout, delivery.timeout).
type Config struct {
	Name      string
	URL       string
	Secret    string // "" sends no signature
	Client    *http.Client
	UserAgent string
}

// Notifier is a webhook destination.
type Notifier struct {
	cfg Config
	key []byte
	// secrets are the parts of the URL that may be secret (user info,
	// path, query), longest first, hidden from a response body quoted in
	// an error: an error page often echoes the request's path.
	secrets []string
}

// New checks the config and returns the notifier.
func New(cfg Config) (*Notifier, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("webhook: url %s must be an absolute http(s) URL", httpx.RedactURL(cfg.URL))
	}
	key, err := Key(cfg.Secret)
	if err != nil {
		return nil, err
	}
	if cfg.Client == nil {
		cfg.Client = &http.Client{}
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = "watchfloor"
	}
	return &Notifier{cfg: cfg, key: key, secrets: secretParts(u)}, nil
}

// secretParts lists the parts of u that RedactURL hides, in every form a
// server may echo them, longest first.
func secretParts(u *url.URL) []string {
	var out []string
	add := func(s string) {
		if len(s) > 1 && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	add(u.RequestURI())
	add(u.EscapedPath())
	add(u.Path)
	add(u.RawQuery)
	add(u.Fragment)
	if u.User != nil {
		add(u.User.Username())
		if p, ok := u.User.Password(); ok {
			add(p)
		}
	}
	slices.SortStableFunc(out, func(a, b string) int { return len(b) - len(a) })
	return out
}

// scrub hides the URL's secret parts in text from the destination.
func (n *Notifier) scrub(text string) string {
	for _, s := range n.secrets {
		text = strings.ReplaceAll(text, s, "…")
	}
	return text
}

// Key returns the HMAC key of a secret.
func Key(secret string) ([]byte, error) {
	if rest, ok := strings.CutPrefix(secret, "whsec_"); ok {
		k, err := base64.StdEncoding.DecodeString(rest)
		if err != nil {
			return nil, errors.New("webhook: secret: the part after whsec_ is not valid base64")
		}
		return k, nil
	}
	return []byte(secret), nil
}

// Name returns the destination name.
func (n *Notifier) Name() string { return n.cfg.Name }

// Notify posts the alert once.
func (n *Notifier) Notify(ctx context.Context, a notifiers.Alert) (bool, error) {
	body, err := json.Marshal(a)
	if err != nil {
		return false, fmt.Errorf("webhook: encode: %w", err)
	}
	return n.NotifyPayload(ctx, a.ID, body)
}

// NotifyPayload posts an alert already encoded as the webhook body.
func (n *Notifier) NotifyPayload(ctx context.Context, id string, body []byte) (bool, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, n.cfg.URL, bytes.NewReader(body))
	if err != nil {
		return false, fmt.Errorf("webhook: %w", httpx.RedactError(err))
	}
	now := time.Now()
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", n.cfg.UserAgent)
	req.Header.Set("webhook-id", id)
	req.Header.Set("webhook-timestamp", strconv.FormatInt(now.Unix(), 10))
	if len(n.key) > 0 {
		req.Header.Set("webhook-signature", sign(n.key, id, now, body))
	}
	resp, err := n.cfg.Client.Do(req)
	if err != nil {
		return true, fmt.Errorf("webhook: %w", httpx.RedactError(err))
	}
	defer resp.Body.Close()
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return false, nil
	}
	err = fmt.Errorf("webhook: post %s: %s: %s", httpx.RedactURL(n.cfg.URL), resp.Status, n.scrub(strings.TrimSpace(string(snippet))))
	if !notifiers.RetryableStatus(resp.StatusCode) {
		return false, err
	}
	if d, ok := httpx.RetryAfter(resp.Header.Get("Retry-After"), time.Now(), 0); ok {
		return true, &notifiers.RetryAfterError{After: d, Err: err}
	}
	return true, err
}

func sign(key []byte, id string, ts time.Time, body []byte) string {
	m := hmac.New(sha256.New, key)
	fmt.Fprintf(m, "%s.%d.", id, ts.Unix())
	m.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// Sign returns the webhook-signature header value for a body.
func Sign(secret, id string, ts time.Time, body []byte) (string, error) {
	key, err := Key(secret)
	if err != nil {
		return "", err
	}
	return sign(key, id, ts, body), nil
}

// Verify checks the signature headers of a received webhook: one of the
// space-separated v1 signatures must match, and the timestamp must be
// within tolerance of now.
func Verify(secret string, h http.Header, body []byte, tolerance time.Duration, now time.Time) error {
	key, err := Key(secret)
	if err != nil {
		return err
	}
	id, tsHeader, sigs := h.Get("webhook-id"), h.Get("webhook-timestamp"), h.Get("webhook-signature")
	if id == "" || tsHeader == "" || sigs == "" {
		return errors.New("webhook: missing webhook-id, webhook-timestamp or webhook-signature")
	}
	sec, err := strconv.ParseInt(tsHeader, 10, 64)
	if err != nil {
		return errors.New("webhook: bad webhook-timestamp")
	}
	ts := time.Unix(sec, 0)
	if d := now.Sub(ts); d > tolerance || d < -tolerance {
		return fmt.Errorf("webhook: timestamp %v is outside the tolerance", ts)
	}
	want := []byte(sign(key, id, ts, body))
	for _, s := range strings.Fields(sigs) {
		if hmac.Equal([]byte(s), want) {
			return nil
		}
	}
	return errors.New("webhook: no matching signature")
}

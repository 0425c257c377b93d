package silences

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

type apiClient struct {
	t   *testing.T
	url string
}

func (c apiClient) do(method, path, body string) (int, http.Header, []byte) {
	c.t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, c.url+path, r)
	if err != nil {
		c.t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, b
}

// TestHandler drives the API over a real listener, mounted as the admin
// listener mounts it: create, list, get, expire, and the errors.
func TestHandler(t *testing.T) {
	st := openStore(t)
	cache := NewCache(st)
	mux := http.NewServeMux()
	h := Handler(st, cache)
	mux.Handle(APIPath, h)
	mux.Handle(APIPath+"/", h)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	c := apiClient{t: t, url: srv.URL}

	code, hdr, body := c.do("POST", "/api/v1/silences",
		`{"rules": ["attack"], "labels": {"region": "sahel"}, "source": "feed:*", "duration": "6h", "reason": "known story", "author": "ana"}`)
	if code != http.StatusCreated || hdr.Get("Content-Type") != "application/json" {
		t.Fatalf("create: %d %s %s", code, hdr.Get("Content-Type"), body)
	}
	var created View
	if err := json.Unmarshal(body, &created); err != nil {
		t.Fatal(err)
	}
	if created.ID == "" || created.State != "active" || created.Reason != "known story" || created.Author != "ana" ||
		created.Source != "feed:*" || created.Labels["region"] != "sahel" || len(created.Rules) != 1 {
		t.Errorf("created: %+v", created)
	}
	starts, _ := time.Parse(time.RFC3339, created.StartsAt)
	ends, _ := time.Parse(time.RFC3339, created.EndsAt)
	if ends.Sub(starts) != 6*time.Hour {
		t.Errorf("starts %s, ends %s: want 6h apart", created.StartsAt, created.EndsAt)
	}
	if hdr.Get("Location") != "/api/v1/silences/"+created.ID {
		t.Errorf("Location %q", hdr.Get("Location"))
	}
	// The change applies to routing at once, without waiting for a tick.
	if a := cache.Active(time.Now()); len(a) != 1 || a[0].ID != created.ID {
		t.Errorf("cache after POST: %+v", a)
	}

	code, _, body = c.do("GET", "/api/v1/silences", "")
	var list []View
	if err := json.Unmarshal(body, &list); code != 200 || err != nil || len(list) != 1 || list[0].ID != created.ID {
		t.Fatalf("list: %d %s %v", code, body, err)
	}

	code, _, body = c.do("DELETE", "/api/v1/silences/"+created.ID, "")
	var expired View
	if err := json.Unmarshal(body, &expired); code != 200 || err != nil || expired.State != "expired" || expired.ExpiredAt == "" {
		t.Fatalf("expire: %d %s %v", code, body, err)
	}
	if a := cache.Active(time.Now()); len(a) != 0 {
		t.Errorf("cache after DELETE: %+v", a)
	}
	code, _, body = c.do("GET", "/api/v1/silences", "")
	if err := json.Unmarshal(body, &list); code != 200 || err != nil || len(list) != 1 || list[0].State != "expired" {
		t.Errorf("list after expiry (listed for a week): %d %s", code, body)
	}
	code, _, body = c.do("GET", "/api/v1/silences/"+created.ID, "")
	if code != 200 || !strings.Contains(string(body), `"state":"expired"`) {
		t.Errorf("get: %d %s", code, body)
	}

	tests := []struct {
		name, method, path, body string
		code                     int
		want                     string // in the JSON error
	}{
		{name: "no matcher", method: "POST", path: "/api/v1/silences", body: `{"duration": "1h", "reason": "r", "author": "a"}`, code: 400, want: "at least one matcher"},
		{name: "empty lists are no matchers", method: "POST", path: "/api/v1/silences", body: `{"rules": [], "labels": {}, "source": "", "duration": "1h", "reason": "r", "author": "a"}`, code: 400, want: "at least one matcher"},
		{name: "bad glob", method: "POST", path: "/api/v1/silences", body: `{"source": "feed:[", "duration": "1h", "reason": "r", "author": "a"}`, code: 400, want: "not a valid glob"},
		{name: "bad duration", method: "POST", path: "/api/v1/silences", body: `{"rules": ["a"], "duration": "soon", "reason": "r", "author": "a"}`, code: 400, want: `duration \"soon\"`},
		{name: "duration too long", method: "POST", path: "/api/v1/silences", body: `{"rules": ["a"], "duration": "90d", "reason": "r", "author": "a"}`, code: 400, want: "at most 720h"},
		{name: "duration as a number", method: "POST", path: "/api/v1/silences", body: `{"rules": ["a"], "duration": 3600, "reason": "r", "author": "a"}`, code: 400, want: "cannot unmarshal number"},
		{name: "unknown field", method: "POST", path: "/api/v1/silences", body: `{"rule": "a", "duration": "1h", "reason": "r", "author": "a"}`, code: 400, want: `unknown field \"rule\"`},
		{name: "not JSON", method: "POST", path: "/api/v1/silences", body: `rules=a`, code: 400, want: "invalid character"},
		{name: "two values", method: "POST", path: "/api/v1/silences", body: `{"rules": ["a"], "duration": "1h", "reason": "r", "author": "a"} {}`, code: 400, want: "more than one JSON value"},
		{name: "body too large", method: "POST", path: "/api/v1/silences", body: `{"reason": "` + strings.Repeat("x", 70<<10) + `"}`, code: 413, want: "body over 65536 bytes"},
		{name: "unknown id", method: "DELETE", path: "/api/v1/silences/nosuchsilence", code: 404, want: `no such silence: \"nosuchsilence\"`},
		{name: "get unknown id", method: "GET", path: "/api/v1/silences/nosuchsilence", code: 404, want: "no such silence"},
		{name: "nested path", method: "DELETE", path: "/api/v1/silences/a/b", code: 404, want: "no such path"},
		{name: "empty id", method: "DELETE", path: "/api/v1/silences/", code: 404, want: "no such path"},
		{name: "delete the collection", method: "DELETE", path: "/api/v1/silences", code: 405, want: "not allowed"},
		{name: "post to an id", method: "POST", path: "/api/v1/silences/" + created.ID, code: 405, want: "not allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, hdr, body := c.do(tt.method, tt.path, tt.body)
			if code != tt.code {
				t.Errorf("status %d, want %d: %s", code, tt.code, body)
			}
			var e struct{ Error string }
			if err := json.Unmarshal(body, &e); err != nil || hdr.Get("Content-Type") != "application/json" {
				t.Fatalf("not a JSON error: %s %v", body, err)
			}
			if !strings.Contains(string(body), tt.want) {
				t.Errorf("error %s lacks %s", body, tt.want)
			}
		})
	}
	// None of the refused requests stored anything.
	stored, err := List(context.Background(), st, time.Now())
	if err != nil || len(stored) != 1 {
		t.Errorf("%d silences stored, want 1 (%v)", len(stored), err)
	}
}

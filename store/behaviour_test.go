package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestMigrations(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "nested", "data") // created by Open
	check := func(t *testing.T, s *Store) {
		t.Helper()
		var v int
		if err := s.r.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil || v != len(migrations) {
			t.Fatalf("user_version %d %v, want %d", v, err, len(migrations))
		}
		var mode string
		if err := s.r.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
			t.Errorf("journal_mode %q %v, want wal", mode, err)
		}
		for _, name := range []string{"articles", "seen_keys", "outbox", "feeds", "outbox_due"} {
			var n int
			if err := s.r.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_master WHERE name = ?", name).Scan(&n); err != nil || n != 1 {
				t.Errorf("schema object %s: %d %v", name, n, err)
			}
		}
	}
	tests := []struct {
		name   string
		commit string // article committed while open, "" for none
	}{
		{name: "from empty", commit: "m1"},
		{name: "reopen is idempotent", commit: "m2"},
		{name: "reopen again keeps both"},
	}
	var committed []string
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Open(ctx, dir)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			check(t, s)
			for _, id := range committed {
				if _, err := s.Article(ctx, id); err != nil {
					t.Errorf("article %s lost across reopen: %v", id, err)
				}
			}
			if tt.commit != "" {
				if ok, err := s.CommitArticle(ctx, article(tt.commit), nil, []NewAlert{alert(tt.commit)}); !ok || err != nil {
					t.Fatalf("commit: %v %v", ok, err)
				}
				committed = append(committed, tt.commit)
			}
			if err := s.Ping(ctx); err != nil {
				t.Error(err)
			}
		})
	}
}

func TestCommitDuplicates(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name        string
		id          string
		keys        []string
		wantOK      bool
		wantPending int
	}{
		{name: "new id and key", id: "b", keys: []string{"url:https://example.org/b"}, wantOK: true, wantPending: 2},
		{name: "same id", id: "a", wantOK: false, wantPending: 1},
		{name: "new id, seen key", id: "b", keys: []string{"guid:feed:1"}, wantOK: false, wantPending: 1},
		{name: "new id, one of several keys seen", id: "b", keys: []string{"guid:feed:2", "url:https://example.org/a"}, wantOK: false, wantPending: 1},
		{name: "key equal to a seen article id", id: "b", keys: []string{"a"}, wantOK: false, wantPending: 1},
		{name: "article id equal to a seen key", id: "guid:feed:1", wantOK: false, wantPending: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := open(t, t.TempDir())
			if ok, err := s.CommitArticle(ctx, article("a"), []string{"guid:feed:1", "url:https://example.org/a"}, []NewAlert{alert("a")}); !ok || err != nil {
				t.Fatalf("first commit: %v %v", ok, err)
			}
			ok, err := s.CommitArticle(ctx, article(tt.id), tt.keys, []NewAlert{alert("second")})
			if err != nil || ok != tt.wantOK {
				t.Fatalf("second commit: ok=%v err=%v, want ok=%v", ok, err, tt.wantOK)
			}
			if p, _, _ := s.OutboxCounts(ctx); p != tt.wantPending {
				t.Errorf("%d pending, want %d", p, tt.wantPending)
			}
			if !tt.wantOK {
				// Nothing of the refused commit may remain.
				if tt.id != "a" {
					if _, err := s.Article(ctx, tt.id); !errors.Is(err, ErrNotFound) {
						t.Errorf("refused article stored: %v", err)
					}
				}
				for _, k := range tt.keys {
					if k == "a" || k == "guid:feed:1" || k == "url:https://example.org/a" {
						continue
					}
					if seen, _ := s.Seen(ctx, k); seen {
						t.Errorf("key %s of a refused commit marked seen", k)
					}
				}
			}
		})
	}
}

func TestCommitArticlesBatch(t *testing.T) {
	ctx := context.Background()
	s := open(t, t.TempDir())
	if _, err := s.CommitArticle(ctx, article("old"), nil, nil); err != nil {
		t.Fatal(err)
	}
	batch := []Commit{
		{Article: article("x"), Keys: []string{"k1"}, Alerts: []NewAlert{alert("x")}},
		{Article: article("old"), Alerts: []NewAlert{alert("old")}},
		{Article: article("y"), Keys: []string{"k1"}, Alerts: []NewAlert{alert("y")}},                 // key seen earlier in the batch
		{Article: article("z"), Alerts: []NewAlert{{AlertID: "al-z", Notifier: "n", ArticleID: "z"}}}, // nil payload and rules
	}
	ok, err := s.CommitArticles(ctx, batch)
	if err != nil {
		t.Fatal(err)
	}
	want := []bool{true, false, false, true}
	for i := range want {
		if ok[i] != want[i] {
			t.Errorf("ok[%d] = %v, want %v", i, ok[i], want[i])
		}
	}
	items, _ := s.ListAlerts(ctx, "pending", 0)
	if len(items) != 2 || items[0].AlertID != "al-z" || items[1].AlertID != "al-x" {
		t.Fatalf("pending %+v", items)
	}
	if len(items[0].Payload) != 0 || len(items[0].Rules) != 0 {
		t.Errorf("empty alert stored as %+v", items[0])
	}
	// A failing commit in a batch rolls back the whole batch.
	_, err = s.CommitArticles(ctx, []Commit{
		{Article: article("p"), Alerts: []NewAlert{alert("p")}},
		{Article: article("q"), Alerts: []NewAlert{alert("x")}}, // alert id already used
	})
	if err == nil {
		t.Fatal("duplicate alert id accepted")
	}
	if seen, _ := s.Seen(ctx, "p", "q"); seen {
		t.Error("batch partly committed")
	}
}

func TestDueAlertsOrderAndLimit(t *testing.T) {
	ctx := context.Background()
	s := open(t, t.TempDir())
	base := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	// Five items, rescheduled so that due order differs from insertion order.
	offsets := map[string]time.Duration{"a": 5 * time.Minute, "b": time.Minute, "c": 3 * time.Minute, "d": 2 * time.Minute, "e": 10 * time.Hour}
	for _, id := range []string{"a", "b", "c", "d", "e"} {
		if _, err := s.CommitArticle(ctx, article(id), nil, []NewAlert{alert(id)}); err != nil {
			t.Fatal(err)
		}
	}
	items, _ := s.ListAlerts(ctx, "", 0)
	for _, it := range items {
		if err := s.MarkFailed(ctx, it.ID, "e", base.Add(offsets[it.ArticleID])); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name  string
		now   time.Time
		limit int
		want  []string
	}{
		{name: "nothing due yet", now: base, limit: 10, want: nil},
		{name: "oldest due first", now: base.Add(5 * time.Minute), limit: 10, want: []string{"b", "d", "c", "a"}},
		{name: "limit", now: base.Add(5 * time.Minute), limit: 2, want: []string{"b", "d"}},
		{name: "no limit", now: base.Add(24 * time.Hour), limit: 0, want: []string{"b", "d", "c", "a", "e"}},
		{name: "exactly due", now: base.Add(time.Minute), limit: 10, want: []string{"b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			due, err := s.DueAlerts(ctx, tt.now, tt.limit)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, it := range due {
				got = append(got, it.ArticleID)
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("due %v, want %v", got, tt.want)
			}
		})
	}
	next, ok, err := s.NextDue(ctx)
	if err != nil || !ok || !next.Equal(base.Add(time.Minute)) {
		t.Errorf("next due %v %v %v, want %v", next, ok, err, base.Add(time.Minute))
	}
}

func TestNextDueEmptyAndCounts(t *testing.T) {
	ctx := context.Background()
	s := open(t, t.TempDir())
	if _, ok, err := s.NextDue(ctx); ok || err != nil {
		t.Errorf("empty outbox: ok=%v err=%v", ok, err)
	}
	if _, err := s.CommitArticle(ctx, article("a"), nil, []NewAlert{alert("a")}); err != nil {
		t.Fatal(err)
	}
	items, _ := s.ListAlerts(ctx, "", 0)
	at := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	if err := s.MarkDelivered(ctx, items[0].ID, at); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := s.NextDue(ctx); ok {
		t.Error("delivered item still due")
	}
	got, _ := s.ListAlerts(ctx, "delivered", 0)
	if len(got) != 1 || !got[0].DeliveredAt.Equal(at) || got[0].Attempts != 1 || got[0].Status != "delivered" {
		t.Errorf("delivered row %+v", got)
	}
	if p, d, err := s.OutboxCounts(ctx); p != 0 || d != 0 || err != nil {
		t.Errorf("counts %d %d %v", p, d, err)
	}
	// A delivered alert stays history: it cannot be retried or failed.
	if err := s.RetryAlert(ctx, items[0].ID, at); !errors.Is(err, ErrNotFound) {
		t.Errorf("retry delivered: %v", err)
	}
	if err := s.MarkFailed(ctx, items[0].ID, "x", at); !errors.Is(err, ErrNotFound) {
		t.Errorf("fail delivered: %v", err)
	}
}

func TestMissingIDs(t *testing.T) {
	ctx := context.Background()
	s := open(t, t.TempDir())
	now := time.Now()
	tests := []struct {
		name string
		call func() error
	}{
		{name: "mark delivered", call: func() error { return s.MarkDelivered(ctx, 42, now) }},
		{name: "mark failed", call: func() error { return s.MarkFailed(ctx, 42, "x", now) }},
		{name: "mark dead", call: func() error { return s.MarkDead(ctx, 42, "x") }},
		{name: "retry", call: func() error { return s.RetryAlert(ctx, 42, now) }},
		{name: "article", call: func() error { _, err := s.Article(ctx, "none"); return err }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.call(); !errors.Is(err, ErrNotFound) {
				t.Errorf("got %v, want ErrNotFound", err)
			}
		})
	}
}

func TestRetryResetsAge(t *testing.T) {
	ctx := context.Background()
	s := open(t, t.TempDir())
	for _, id := range []string{"a", "b"} {
		if _, err := s.CommitArticle(ctx, article(id), nil, []NewAlert{alert(id)}); err != nil {
			t.Fatal(err)
		}
	}
	items, _ := s.ListAlerts(ctx, "", 0)
	for _, it := range items {
		for i := 0; i < 3; i++ {
			if err := s.MarkFailed(ctx, it.ID, "503", time.Now()); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.MarkDead(ctx, it.ID, "too old"); err != nil {
			t.Fatal(err)
		}
	}
	retryAt := time.Date(2031, 6, 1, 12, 0, 0, 0, time.UTC)
	if err := s.RetryAlert(ctx, items[0].ID, retryAt); err != nil {
		t.Fatal(err)
	}
	if p, d, _ := s.OutboxCounts(ctx); p != 1 || d != 1 {
		t.Errorf("after retry one: %d pending %d dead", p, d)
	}
	if n, err := s.RetryAllDead(ctx, retryAt); n != 1 || err != nil {
		t.Errorf("retry all: %d %v", n, err)
	}
	if n, _ := s.RetryAllDead(ctx, retryAt); n != 0 {
		t.Errorf("second retry all: %d", n)
	}
	due, _ := s.DueAlerts(ctx, retryAt, 0)
	if len(due) != 2 {
		t.Fatalf("due after retry: %+v", due)
	}
	for _, it := range due {
		if it.Attempts != 0 || !it.CreatedAt.Equal(retryAt) || !it.NextAttempt.Equal(retryAt) || it.Status != "pending" {
			t.Errorf("retried item %+v", it)
		}
	}
}

// TestConcurrentMixed runs writers of every kind and readers at once: none
// may see SQLITE_BUSY or any other error.
func TestConcurrentMixed(t *testing.T) {
	ctx := context.Background()
	s := open(t, t.TempDir())
	const goroutines, per = 6, 40
	var wg sync.WaitGroup
	errs := make(chan error, goroutines*per*4)
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < per; i++ {
				id := fmt.Sprintf("g%d-%d", g, i)
				if _, err := s.CommitArticle(ctx, article(id), []string{"k:" + id}, []NewAlert{alert(id)}); err != nil {
					errs <- err
				}
				due, err := s.DueAlerts(ctx, time.Now().Add(time.Hour), 3)
				if err != nil {
					errs <- err
				}
				for _, it := range due {
					if err := s.MarkFailed(ctx, it.ID, "x", time.Now().Add(2*time.Hour)); err != nil && !errors.Is(err, ErrNotFound) {
						errs <- err
					}
				}
				if err := s.SaveFeedState(ctx, FeedState{Name: fmt.Sprintf("feed%d", g), Failures: i}); err != nil {
					errs <- err
				}
				if _, err := s.Seen(ctx, id, "k:"+id); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if p, _, _ := s.OutboxCounts(ctx); p != goroutines*per {
		t.Errorf("%d pending, want %d", p, goroutines*per)
	}
	for g := 0; g < goroutines; g++ {
		st, err := s.FeedState(ctx, fmt.Sprintf("feed%d", g))
		if err != nil || st.Failures != per-1 {
			t.Errorf("feed%d: %+v %v", g, st, err)
		}
	}
}

func TestOpenBadFiles(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, dir string) string // returns the dir to open
	}{
		{name: "not a database", setup: func(t *testing.T, dir string) string {
			if err := os.WriteFile(filepath.Join(dir, FileName), []byte("this is not an SQLite file, just some text that is long enough"), 0o600); err != nil {
				t.Fatal(err)
			}
			return dir
		}},
		{name: "data dir is a file", setup: func(t *testing.T, dir string) string {
			p := filepath.Join(dir, "file")
			if err := os.WriteFile(p, nil, 0o600); err != nil {
				t.Fatal(err)
			}
			return p
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := tt.setup(t, t.TempDir())
			s, err := Open(context.Background(), dir)
			if err == nil {
				s.Close()
				t.Fatal("opened")
			}
			if !strings.HasPrefix(err.Error(), "store: ") {
				t.Errorf("error %q lacks the package prefix", err)
			}
		})
	}
}

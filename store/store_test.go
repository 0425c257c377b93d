package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/engine"
)

func open(t testing.TB, dir string) *Store {
	t.Helper()
	s, err := Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func article(id string) ArticleRecord {
	return ArticleRecord{ID: id, Source: "file:x", Title: "T " + id, Body: "body", Matches: []string{"r"}, Result: &Result{Matches: []engine.Match{{Rule: "r", Score: 2, Severity: "low"}}},
		Published: time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)}
}

func alert(id string) NewAlert {
	return NewAlert{AlertID: "al-" + id, Notifier: "siem", ArticleID: id, Rules: []string{"r"}, Payload: []byte(`{"id":"al-` + id + `"}`)}
}

func TestCommitAndSeen(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := open(t, dir)
	ok, err := s.CommitArticle(ctx, article("a1"), []string{"guid:g1"}, []NewAlert{alert("a1")})
	if err != nil || !ok {
		t.Fatalf("first commit: %v %v", ok, err)
	}
	for _, k := range []string{"a1", "guid:g1"} {
		if seen, _ := s.Seen(ctx, k); !seen {
			t.Errorf("%s not seen", k)
		}
	}
	// Same id, or a new id with a seen key: nothing changes.
	if ok, err := s.CommitArticle(ctx, article("a1"), nil, []NewAlert{alert("other")}); ok || err != nil {
		t.Errorf("duplicate id committed: %v %v", ok, err)
	}
	if ok, err := s.CommitArticle(ctx, article("a2"), []string{"guid:g1"}, []NewAlert{alert("a2")}); ok || err != nil {
		t.Errorf("duplicate key committed: %v %v", ok, err)
	}
	if pending, _, _ := s.OutboxCounts(ctx); pending != 1 {
		t.Errorf("%d pending, want 1", pending)
	}
	// A failing alert insert rolls the article back too.
	dup := alert("a1") // alert_id already used
	dup.ArticleID = "a3"
	if _, err := s.CommitArticle(ctx, article("a3"), nil, []NewAlert{dup}); err == nil {
		t.Fatal("duplicate alert id accepted")
	}
	if seen, _ := s.Seen(ctx, "a3"); seen {
		t.Error("article committed although its alert failed")
	}
	s.Close()
	s2 := open(t, dir)
	got, err := s2.Article(ctx, "a1")
	if err != nil || got.Title != "T a1" || got.Published.Year() != 2024 || got.Matches[0] != "r" || got.Result == nil || len(got.Result.Matches) != 1 || got.Result.Matches[0].Score != 2 {
		t.Errorf("after reopen: %+v %v", got, err)
	}
	if _, err := s2.Article(ctx, "nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing article: %v", err)
	}
}

func TestOutboxLifecycle(t *testing.T) {
	ctx := context.Background()
	s := open(t, t.TempDir())
	for _, id := range []string{"a", "b", "c"} {
		if _, err := s.CommitArticle(ctx, article(id), nil, []NewAlert{alert(id)}); err != nil {
			t.Fatal(err)
		}
	}
	now := time.Now()
	due, err := s.DueAlerts(ctx, now, 2)
	if err != nil || len(due) != 2 || due[0].AlertID != "al-a" || due[0].Status != "pending" {
		t.Fatalf("due %+v %v", due, err)
	}
	if err := s.MarkFailed(ctx, due[0].ID, "503", now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkDelivered(ctx, due[1].ID, now); err != nil {
		t.Fatal(err)
	}
	next, ok, err := s.NextDue(ctx)
	if err != nil || !ok || next.After(now.Add(time.Second)) {
		t.Errorf("next due %v %v %v, want c now", next, ok, err)
	}
	rest, _ := s.DueAlerts(ctx, now, 10)
	if len(rest) != 1 || rest[0].AlertID != "al-c" {
		t.Fatalf("due now: %+v", rest)
	}
	if err := s.MarkDead(ctx, rest[0].ID, "400 bad request"); err != nil {
		t.Fatal(err)
	}
	later, _ := s.DueAlerts(ctx, now.Add(2*time.Minute), 10)
	if len(later) != 1 || later[0].Attempts != 1 || later[0].LastError != "503" {
		t.Errorf("retry item: %+v", later)
	}
	if p, d, _ := s.OutboxCounts(ctx); p != 1 || d != 1 {
		t.Errorf("counts %d %d", p, d)
	}
	dead, _ := s.ListAlerts(ctx, "dead", 0)
	if len(dead) != 1 || dead[0].LastError != "400 bad request" {
		t.Fatalf("dead: %+v", dead)
	}
	if err := s.RetryAlert(ctx, dead[0].ID, now); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkDead(ctx, dead[0].ID, "again"); err != nil {
		t.Fatal(err)
	}
	if n, err := s.RetryAllDead(ctx, now); n != 1 || err != nil {
		t.Errorf("retry all: %d %v", n, err)
	}
	if err := s.RetryAlert(ctx, 9999, now); !errors.Is(err, ErrNotFound) {
		t.Errorf("retry missing: %v", err)
	}
	all, _ := s.ListAlerts(ctx, "", 0)
	if len(all) != 3 || all[0].AlertID != "al-c" {
		t.Errorf("list all: %d items, first %+v", len(all), all[0])
	}
}

func TestFeedState(t *testing.T) {
	ctx := context.Background()
	s := open(t, t.TempDir())
	st, err := s.FeedState(ctx, "news")
	if err != nil || st.Name != "news" || st.ETag != "" {
		t.Fatalf("empty state %+v %v", st, err)
	}
	want := FeedState{Name: "news", URL: "https://example.org/rss", ETag: `"abc"`, LastModified: "Mon, 01 Jan 2024 00:00:00 GMT",
		Failures: 2, NextAttempt: time.Unix(1700000000, 0).UTC(), LastStatus: 503, LastError: "boom", LastChecked: time.Unix(1700000001, 0).UTC()}
	if err := s.SaveFeedState(ctx, want); err != nil {
		t.Fatal(err)
	}
	want.Failures = 3
	if err := s.SaveFeedState(ctx, want); err != nil {
		t.Fatal(err)
	}
	got, _ := s.FeedState(ctx, "news")
	if got != want {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
}

func TestFutureSchemaRefused(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	s.Close()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, FileName))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(fmt.Sprintf("PRAGMA user_version = %d", len(migrations)+1)); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if _, err := Open(context.Background(), dir); err == nil || !strings.Contains(err.Error(), "newer than this binary") {
		t.Errorf("future schema: %v", err)
	}
}

func TestConcurrentWriters(t *testing.T) {
	ctx := context.Background()
	s := open(t, t.TempDir())
	var wg sync.WaitGroup
	errs := make(chan error, 400)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				id := fmt.Sprintf("g%d-%d", g, i)
				if _, err := s.CommitArticle(ctx, article(id), nil, []NewAlert{alert(id)}); err != nil {
					errs <- err
				}
				if _, err := s.DueAlerts(ctx, time.Now(), 5); err != nil {
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
	if p, _, _ := s.OutboxCounts(ctx); p != 400 {
		t.Errorf("%d pending, want 400", p)
	}
}

func BenchmarkCommitArticle(b *testing.B) {
	ctx := context.Background()
	s := open(b, b.TempDir())
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		id := fmt.Sprintf("b%d", i)
		if _, err := s.CommitArticle(ctx, article(id), nil, []NewAlert{alert(id)}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "articles/s")
}

func BenchmarkCommitArticlesBatch16(b *testing.B) {
	ctx := context.Background()
	s := open(b, b.TempDir())
	b.ResetTimer()
	for i := 0; i < b.N; i += 16 {
		var batch []Commit
		for j := i; j < i+16 && j < b.N; j++ {
			id := fmt.Sprintf("b%d", j)
			batch = append(batch, Commit{Article: article(id), Alerts: []NewAlert{alert(id)}})
		}
		if _, err := s.CommitArticles(ctx, batch); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "articles/s")
}

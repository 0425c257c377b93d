package store

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestArticles reads the history back for replay over more than one page,
// with several articles seen at the same instant across a page boundary:
// every article inside the bounds once, in the order seen, with its text;
// none outside them.
func TestArticles(t *testing.T) {
	ctx := context.Background()
	s := open(t, t.TempDir())
	base := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	const n = 2*replayPage + 37
	var batch []Commit
	for i := range n {
		a := article(fmt.Sprintf("a%04d", i))
		a.Body = fmt.Sprintf("body of article %d", i)
		a.Lang = "en"
		a.URL = fmt.Sprintf("https://example.org/%d", i)
		// Ten articles share each instant; a page ends inside a group.
		a.SeenAt = base.Add(time.Duration(i/10) * time.Minute)
		batch = append(batch, Commit{Article: a})
	}
	if _, err := s.CommitArticles(ctx, batch); err != nil {
		t.Fatal(err)
	}
	at := func(i int) time.Time { return base.Add(time.Duration(i/10) * time.Minute) }
	tests := []struct {
		name         string
		since, until time.Time
		first, last  int // indexes of the articles expected, inclusive
	}{
		{name: "everything", first: 0, last: n - 1},
		{name: "since, inclusive", since: at(300), first: 300, last: n - 1},
		{name: "until, exclusive", until: at(300), first: 0, last: 299},
		{name: "both", since: at(250), until: at(520), first: 250, last: 519},
		{name: "nothing after the last", since: base.Add(time.Hour * 24), first: 0, last: -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			i := tt.first
			for a, err := range s.Articles(ctx, tt.since, tt.until) {
				if err != nil {
					t.Fatal(err)
				}
				want := fmt.Sprintf("a%04d", i)
				if a.ID != want || a.Body != fmt.Sprintf("body of article %d", i) || a.Lang != "en" ||
					a.URL != fmt.Sprintf("https://example.org/%d", i) || !a.SeenAt.Equal(at(i)) || !a.Published.Equal(batch[0].Article.Published) {
					t.Fatalf("article %d: %+v, want id %s", i, a, want)
				}
				i++
			}
			if i != tt.last+1 {
				t.Errorf("read up to %d, want up to %d", i-1, tt.last)
			}
		})
	}
}

// TestArticlesStopAndGrow: a replay can stop early, and one that runs
// while articles are stored sees those stored after the rows it has read.
func TestArticlesStopAndGrow(t *testing.T) {
	ctx := context.Background()
	s := open(t, t.TempDir())
	base := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	for i := range replayPage + 1 {
		a := article(fmt.Sprintf("a%04d", i))
		a.SeenAt = base.Add(time.Duration(i) * time.Second)
		if _, err := s.CommitArticle(ctx, a, nil, nil); err != nil {
			t.Fatal(err)
		}
	}
	read := 0
	for _, err := range s.Articles(ctx, time.Time{}, time.Time{}) {
		if err != nil {
			t.Fatal(err)
		}
		if read++; read == 3 {
			break
		}
	}
	if read != 3 {
		t.Fatalf("read %d", read)
	}
	read = 0
	for _, err := range s.Articles(ctx, time.Time{}, time.Time{}) {
		if err != nil {
			t.Fatal(err)
		}
		if read == 0 {
			late := article("late")
			late.SeenAt = base.Add(time.Hour)
			if _, err := s.CommitArticle(ctx, late, nil, nil); err != nil {
				t.Fatal(err)
			}
		}
		read++
	}
	if read != replayPage+2 {
		t.Errorf("read %d, want %d with the article stored during the replay", read, replayPage+2)
	}
	empty := open(t, t.TempDir())
	for a, err := range empty.Articles(ctx, time.Time{}, time.Time{}) {
		t.Errorf("empty store yielded %+v %v", a, err)
	}
}

// TestArticlesFileTruncated reads the history while its file is cut short
// in the middle of a page, as another process or a failing disk could do
// to the mapped file: the replay ends with an error, without crashing the
// process.
func TestArticlesFileTruncated(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := open(t, dir)
	base := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	var batch []Commit
	for i := range 3 * replayPage {
		a := article(fmt.Sprintf("t%04d", i))
		a.Body = strings.Repeat(fmt.Sprintf("text of article %d. ", i), 150) // 3 KB: pages of their own
		a.SeenAt = base.Add(time.Duration(i) * time.Second)
		batch = append(batch, Commit{Article: a})
	}
	if _, err := s.CommitArticles(ctx, batch); err != nil {
		t.Fatal(err)
	}
	// Everything in the database file, none left in the write-ahead log.
	if _, err := s.w.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, FileName)
	rows := 0
	afterRow = func() {
		if rows++; rows == replayPage+replayPage/2 {
			if err := os.Truncate(path, 64<<10); err != nil {
				t.Error(err)
			}
		}
	}
	defer func() { afterRow = nil }()
	read := 0
	var failed error
	for _, err := range s.Articles(ctx, time.Time{}, time.Time{}) {
		if err != nil {
			failed = err
			break
		}
		read++
	}
	if failed == nil {
		t.Fatalf("read %d articles of a truncated file, and no error", read)
	}
	t.Logf("after %d articles: %v", read, failed)
	if read > replayPage+replayPage/2 {
		t.Errorf("read %d articles, more than were there before the cut", read)
	}
}

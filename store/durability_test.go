package store

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
)

// TestCommitsAreDurable checks that every connection of a store opened on
// a real file commits with synchronous=FULL (2): in WAL mode NORMAL only
// syncs at checkpoints, and a commit acknowledged before the inbox file
// was renamed could vanish on power loss.
func TestCommitsAreDurable(t *testing.T) {
	ctx := context.Background()
	s := open(t, t.TempDir())
	// Commit first, so the writer connection is the one that has committed.
	if _, err := s.CommitArticle(ctx, article("a"), nil, []NewAlert{alert("a")}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		q    querier
	}{
		{name: "writer", q: s.w},
		{name: "reader", q: s.r},
	} {
		t.Run(c.name, func(t *testing.T) {
			var level int
			if err := c.q.QueryRowContext(ctx, "PRAGMA synchronous").Scan(&level); err != nil {
				t.Fatal(err)
			}
			if level != 2 {
				t.Errorf("PRAGMA synchronous = %d, want 2 (FULL)", level)
			}
		})
	}
}

// burstFiles is the size of the inbox burst the benchmark replays.
const burstFiles = 10000

// BenchmarkInboxBurst commits a burst of 10,000 inbox files the way the
// daemon does in the worst case, one article with one alert per commit,
// with synchronous=NORMAL (before durable commits) and FULL (now), so
// both figures come from the same run.
func BenchmarkInboxBurst(b *testing.B) {
	seed, err := os.ReadFile("../testdata/seeds/004.txt")
	if err != nil {
		b.Fatal(err)
	}
	// An alert payload of the size the daemon writes for this seed (the
	// alert JSON with evidence and snippets).
	payload := []byte(`{"id":"x","matches":[` + strings.Repeat(`{"rule":"r","evidence":[]},`, 300) + `{}]}`)
	for _, sync := range []string{syncNormal, syncFull} {
		b.Run("sync="+sync, func(b *testing.B) {
			ctx := context.Background()
			for n := 0; n < b.N; n++ {
				b.StopTimer()
				s, err := openWith(ctx, b.TempDir(), sync)
				if err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				for i := 0; i < burstFiles; i++ {
					id := fmt.Sprintf("sha256:%d-%d", n, i)
					a := ArticleRecord{ID: id, Source: "file:" + id + ".txt", Title: "Article " + id, Body: string(seed), Matches: []string{"r"}}
					al := NewAlert{AlertID: "al-" + id, Notifier: "siem", ArticleID: id, Rules: []string{"r"}, Payload: payload}
					if _, err := s.CommitArticles(ctx, []Commit{{Article: a, Alerts: []NewAlert{al}}}); err != nil {
						b.Fatal(err)
					}
				}
				b.StopTimer()
				s.Close()
				b.StartTimer()
			}
			b.ReportMetric(float64(b.N*burstFiles)/b.Elapsed().Seconds(), "files/s")
		})
	}
}

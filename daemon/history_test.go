package daemon

import (
	"context"
	"database/sql"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/engine"
	"github.com/watchfloor/watchfloor/ingest"
	"github.com/watchfloor/watchfloor/rules"
	"github.com/watchfloor/watchfloor/store"
)

// TestArticleResultsKept drops the seed articles into a running daemon and
// reads their history back: every article has its scoring result in the
// database (articles.result is not NULL), equal to scoring it here, less
// the snippets, which the store does not keep.
func TestArticleResultsKept(t *testing.T) {
	ctx := context.Background()
	cfg := baseConfig(t)
	cfg.HTTP.Listen = "off"
	e := startDaemon(t, cfg, "")
	seeds, err := filepath.Glob("../testdata/seeds/*.txt")
	if err != nil || len(seeds) == 0 {
		t.Fatalf("seeds: %v %v", seeds, err)
	}
	for _, p := range seeds {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		dropFile(t, e.inbox, filepath.Base(p), b)
	}
	eventually(t, "the seeds processed", 20*time.Second, func() bool {
		des, _ := os.ReadDir(filepath.Join(e.inbox, "processed"))
		return len(des) == len(seeds)
	})

	set, err := rules.Load(cfg.RulesDir)
	if err != nil {
		t.Fatal(err)
	}
	sc := set.Rules.NewScorer()
	for _, p := range seeds {
		arts, err := ingest.ReadFile(p)
		if err != nil || len(arts) != 1 {
			t.Fatalf("%s: %d articles, %v", p, len(arts), err)
		}
		a := arts[0]
		a.EnsureID()
		want := sc.Score(a)
		t.Run(filepath.Base(p), func(t *testing.T) {
			rec, err := e.d.store.Article(ctx, a.ID)
			if err != nil {
				t.Fatal(err)
			}
			if rec.Result == nil {
				t.Fatal("no scoring result stored")
			}
			if len(want.Matches) == 0 {
				t.Fatal("a seed without a match tests nothing here")
			}
			if got, want := matchesJSON(t, rec.Result.Matches), matchesJSON(t, withoutSnippets(want.Matches)); got != want {
				t.Errorf("matches read back:\n%s\nwant\n%s", got, want)
			}
			if got, want := asJSON(t, rec.Result.Summary), asJSON(t, want.Summary); got != want {
				t.Errorf("summary read back %s, want %s", got, want)
			}
		})
	}

	// Straight from the file: no article without its result, and what
	// it costs.
	db, err := sql.Open("sqlite", "file:"+filepath.Join(cfg.DataDir, store.FileName)+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n, nulls, resultBytes, bodyBytes int
	if err := db.QueryRow(`SELECT count(*), count(*) - count(result), coalesce(sum(length(CAST(result AS BLOB))), 0), coalesce(sum(length(CAST(body AS BLOB))), 0) FROM articles`).
		Scan(&n, &nulls, &resultBytes, &bodyBytes); err != nil {
		t.Fatal(err)
	}
	if n != len(seeds) || nulls != 0 {
		t.Errorf("%d articles, %d of them with a NULL result", n, nulls)
	}
	if n > 0 {
		t.Logf("result: %d bytes per article on the seeds (body: %d)", resultBytes/n, bodyBytes/n)
	}
	e.stop()
}

func withoutSnippets(ms []engine.Match) []engine.Match {
	out := make([]engine.Match, len(ms))
	for i, m := range ms {
		ev := make([]engine.Evidence, len(m.Evidence))
		for j, x := range m.Evidence {
			x.Snippets = nil
			ev[j] = x
		}
		m.Evidence = ev
		out[i] = m
	}
	return out
}

func matchesJSON(t *testing.T, ms []engine.Match) string {
	t.Helper()
	return asJSON(t, engine.NonNilMatches(ms))
}

func asJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.MarshalIndent(v, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

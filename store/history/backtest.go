package history

import (
	"context"
	"time"

	"github.com/watchfloor/watchfloor/engine"
	"github.com/watchfloor/watchfloor/store"
)

// BacktestReport is what one rule set matched over the stored history.
type BacktestReport struct {
	// Articles is the number of stored articles replayed; Matched, how
	// many of them at least one rule matched.
	Articles, Matched int
	// Rules has one entry per rule of the set, in the set's order, those
	// that matched nothing included.
	Rules []RuleMatches
}

// RuleMatches is what one rule matched in a backtest.
type RuleMatches struct {
	Rule     string
	Severity string
	// Articles are the articles the rule matched, in the order they were
	// seen.
	Articles []MatchedArticle
	// Errors counts the rule's run-time failures (a when or score that
	// fails makes the rule not match that article; a field that fails is
	// left out of its match).
	Errors int
}

// MatchedArticle is one article a rule matched, with the match's score and
// event fields.
type MatchedArticle struct {
	ID, Title, Source string
	SeenAt            time.Time
	Score             float64
	Fields            map[string]any
}

// Backtest replays the stored articles inside opt's bounds through rs
// (see Replay) and reports, per rule, the articles it matched. When each
// is not nil it is called with every article's result, in the order the
// articles were seen, as classify would print them with opt.Summaries
// set; an error from it stops the backtest and is returned.
func Backtest(ctx context.Context, st *store.Store, rs *engine.RuleSet, opt Options, each func(engine.Result) error) (*BacktestReport, error) {
	specs := rs.Rules()
	rep := &BacktestReport{Rules: make([]RuleMatches, len(specs))}
	index := make(map[string]int, len(specs))
	for i, s := range specs {
		sev := s.Severity
		if sev == "" {
			sev = "medium"
		}
		rep.Rules[i] = RuleMatches{Rule: s.Name, Severity: sev}
		index[s.Name] = i
	}
	n, err := Replay(ctx, st, []*engine.RuleSet{rs}, opt, func(a store.StoredArticle, res []engine.Result) error {
		r := res[0]
		if len(r.Matches) > 0 {
			rep.Matched++
		}
		for _, m := range r.Matches {
			rm := &rep.Rules[index[m.Rule]]
			rm.Articles = append(rm.Articles, MatchedArticle{
				ID: a.ID, Title: a.Title, Source: a.Source, SeenAt: a.SeenAt, Score: m.Score, Fields: m.Fields,
			})
		}
		for _, e := range r.Errors {
			if i, ok := index[e.Rule]; ok {
				rep.Rules[i].Errors++
			}
		}
		if each != nil {
			return each(r)
		}
		return nil
	})
	rep.Articles = n
	if err != nil {
		return nil, err
	}
	return rep, nil
}

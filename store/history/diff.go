package history

import (
	"context"
	"sort"
	"time"

	"github.com/watchfloor/watchfloor/engine"
	"github.com/watchfloor/watchfloor/store"
)

// ChangeKind says whether a rule newly matches an article or stops
// matching it.
type ChangeKind string

// The kinds of change, as diff --format json writes them.
const (
	Added   ChangeKind = "added"   // the new rules match the article, the base rules did not
	Removed ChangeKind = "removed" // the base rules matched the article, the new rules do not
)

// ArticleRef names a stored article in a change.
type ArticleRef struct {
	ID, Title, Source string
	SeenAt            time.Time
}

// Change is one article whose matching by one rule differs between the
// base rules and the new rules. A rule is known by its name: a renamed
// rule stops matching under its old name and newly matches under its new
// one.
type Change struct {
	Rule    string
	Kind    ChangeKind
	Article ArticleRef
	// Match is the rule's match with its score, fields and evidence:
	// under the new rules for Added, under the base rules for Removed.
	Match engine.Match
}

// RuleChanges are the changes of one rule.
type RuleChanges struct {
	Rule string
	// Added and Removed are in the order the articles were seen.
	Added, Removed []Change
}

// DiffReport is what changing the base rules for the new rules changes
// over the stored history.
type DiffReport struct {
	// Articles is the number of stored articles replayed.
	Articles int
	// Rules lists the rules with at least one change, by name.
	Rules []RuleChanges
}

// Changed reports whether any rule newly matches or stops matching any
// article.
func (r *DiffReport) Changed() bool { return len(r.Rules) > 0 }

// Changes returns every change in the report's order: by rule name, each
// rule's added articles before its removed ones.
func (r *DiffReport) Changes() []Change {
	var out []Change
	for _, rc := range r.Rules {
		out = append(out, rc.Added...)
		out = append(out, rc.Removed...)
	}
	return out
}

// Diff replays the stored articles inside opt's bounds through base and
// next (see Replay) and reports, per rule, the articles next newly
// matches and those it stops matching. Only whether a rule matches
// counts: a match whose score or fields change is no change.
func Diff(ctx context.Context, st *store.Store, base, next *engine.RuleSet, opt Options) (*DiffReport, error) {
	byRule := map[string]*RuleChanges{}
	n, err := Replay(ctx, st, []*engine.RuleSet{base, next}, opt, func(a store.StoredArticle, res []engine.Result) error {
		if !differ(res[0].Matches, res[1].Matches) {
			return nil
		}
		// A change shows its evidence: cut the snippets the replay left
		// for later.
		res[0].CutSnippets()
		res[1].CutSnippets()
		compare(res[0].Matches, res[1].Matches, func(kind ChangeKind, m engine.Match) {
			rc := byRule[m.Rule]
			if rc == nil {
				rc = &RuleChanges{Rule: m.Rule}
				byRule[m.Rule] = rc
			}
			c := Change{Rule: m.Rule, Kind: kind, Match: m,
				Article: ArticleRef{ID: a.ID, Title: a.Title, Source: a.Source, SeenAt: a.SeenAt}}
			if kind == Added {
				rc.Added = append(rc.Added, c)
			} else {
				rc.Removed = append(rc.Removed, c)
			}
		})
		return nil
	})
	if err != nil {
		return nil, err
	}
	rep := &DiffReport{Articles: n}
	for _, rc := range byRule {
		rep.Rules = append(rep.Rules, *rc)
	}
	sort.Slice(rep.Rules, func(i, j int) bool { return rep.Rules[i].Rule < rep.Rules[j].Rule })
	return rep, nil
}

// differ reports whether the rules matched in base and next differ.
func differ(base, next []engine.Match) bool {
	if len(base) != len(next) {
		return true
	}
	n := 0
	compare(base, next, func(ChangeKind, engine.Match) { n++ })
	return n > 0
}

// compare calls fn for every rule that matches in exactly one of base and
// next: Removed with its base match, Added with its next match.
func compare(base, next []engine.Match, fn func(ChangeKind, engine.Match)) {
	has := func(ms []engine.Match, rule string) bool {
		for _, m := range ms {
			if m.Rule == rule {
				return true
			}
		}
		return false
	}
	for _, m := range base {
		if !has(next, m.Rule) {
			fn(Removed, m)
		}
	}
	for _, m := range next {
		if !has(base, m.Rule) {
			fn(Added, m)
		}
	}
}

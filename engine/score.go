package engine

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/expr-lang/expr/vm"
)

// Default sizes of evidence and summaries.
const (
	DefaultSummarySentences = 3
	maxSnippets             = 3
	snippetChars            = 160
	summaryChars            = 400
	minSummaryTokens        = 6
)

// Scorer scores articles against one RuleSet. It reuses its buffers and its
// expression VM between articles, so it is not safe for concurrent use:
// give each worker its own.
type Scorer struct {
	rs  *RuleSet
	vm  vm.VM
	a   analysis
	env runEnv

	stamp uint32
	mark  []uint32 // mark[rule] == stamp: rule is a candidate
	cand  []int32
	// ruleBuf and rankBuf are ruleTerms' buffers, evOrder evidence's.
	ruleBuf []int32
	rankBuf []termRank
	evOrder []int32
	// snips caches the snippets of this article by position and length:
	// rules that share a term share its snippets. With LazySnippets,
	// snipAt indexes artSnips.spans the same way, and lazyBlock holds the
	// article's lazySnippets (snippets.go).
	snips     map[uint64]string
	snipAt    map[uint64]int32
	artSnips  *articleSnippets
	lazyBlock []lazySnippets
	// evs holds the evidence built for this article, one per term and set
	// of ignored occurrences: evAt[4*term+dropIndex] indexes it when
	// evMark of the same index is stamp (-1: nothing left to show).
	evs          []Evidence
	evMark       []uint32
	evAt         []int32
	intBlock     []int
	evidenceHook func(*Scorer, *rule) []Evidence // tests: another way to build evidence
	evBlock      []Evidence                      // the article's evidence lists are carved from it
	lastMatches  int                             // matches of the last article
	order        []int32                         // sortMatches' buffers
	sorted       []Match

	// SummarySentences is how many sentences a summary holds (default 3;
	// negative for none).
	SummarySentences int
	// SummarizeAll also summarises articles that matched no rule (from
	// their lead); by default only matched articles get a summary, since
	// nothing is sent for the others.
	SummarizeAll bool
	// LazySnippets leaves Evidence.Snippets nil in the results of Score:
	// they are cut when the Result is marshalled (Result.MarshalJSON,
	// NonNilMatches) or by Result.CutSnippets, and are then the same as
	// without it. Set it where results are only marshalled or where
	// snippets are not shown; leave it unset where Evidence.Snippets is
	// read directly.
	LazySnippets bool
	// NoEvidence leaves Match.Evidence nil, for callers that read only
	// which rules matched, with their scores and fields (a backtest's
	// report, a reload's impact): building the evidence of every match
	// is a tenth of scoring. It is ignored while summaries are made
	// (SummarySentences >= 0), which read the evidence.
	NoEvidence bool
}

// NewScorer returns a Scorer for rs.
func (rs *RuleSet) NewScorer() *Scorer {
	s := &Scorer{rs: rs, mark: make([]uint32, len(rs.rules)), snips: map[uint64]string{}, snipAt: map[uint64]int32{},
		evMark: make([]uint32, 4*len(rs.terms)), evAt: make([]int32, 4*len(rs.terms)),
		SummarySentences: DefaultSummarySentences}
	s.a.memo.reset(len(rs.sets))
	s.env.bind()
	return s
}

// Score matches art against every rule and returns the matches, their
// evidence and a summary. art.ID is set when empty.
func (s *Scorer) Score(art Article) Result {
	art.EnsureID()
	rs, a := s.rs, &s.a
	a.reset(art.Title, art.Body, len(rs.terms), true)
	rs.matcher.scan(a)
	clear(s.snips)
	clear(s.snipAt)
	s.artSnips = nil
	s.evs = s.evs[:0]

	// Candidates: rules that always run, and gated rules one of whose
	// terms occurred.
	s.stamp++
	if s.stamp == 0 {
		clear(s.mark)
		clear(s.evMark)
		s.stamp = 1
	}
	s.cand = append(s.cand[:0], rs.always...)
	for _, t := range a.touched {
		for _, r := range rs.termRules[t] {
			if s.mark[r] != s.stamp {
				s.mark[r] = s.stamp
				s.cand = append(s.cand, r)
			}
		}
	}
	if len(s.cand) > len(rs.rules)/8 {
		// Many candidates (common words): reading them from the marks in
		// rule order costs less than sorting them.
		for _, r := range rs.always {
			s.mark[r] = s.stamp
		}
		s.cand = s.cand[:0]
		for r, m := range s.mark {
			if m == s.stamp {
				s.cand = append(s.cand, int32(r))
			}
		}
	} else {
		slices.Sort(s.cand)
	}

	lang := art.Lang
	if lang == "" && len(s.cand) > 0 && rs.usesLang {
		lang = a.detectLang()
	}
	s.env.Env = Env{
		Title: art.Title, Body: art.Body, URL: art.URL, Lang: lang, Source: art.Source,
		Published: art.Published, Words: len(a.toks), Lex: rs.lexicons,
		a: a, rs: rs, bufs: s.env.bufs, events: s.env.events, dyn: s.env.dyn,
		noEvents: s.SummarySentences < 0,
	}
	if s.env.dyn != nil {
		clear(s.env.dyn.pos)
	}
	res := Result{Article: art}
	if s.lastMatches > 0 {
		// Articles alike match alike: room for as many as the last one.
		res.Matches = make([]Match, 0, min(s.lastMatches, len(s.cand)))
	}
	for _, ri := range s.cand {
		r := &rs.rules[ri]
		if !s.mayMatch(r) {
			continue
		}
		s.env.drop = r.drop
		s.env.events = s.env.events[:0]
		ok, score, err := s.eval(r)
		if err != nil {
			res.Errors = append(res.Errors, RuleError{Rule: r.spec.Name, Err: err})
			continue
		}
		if !ok {
			continue
		}
		m := Match{
			Rule:     r.spec.Name,
			Score:    score,
			Severity: r.severity,
			Labels:   r.spec.Labels,
			Evidence: s.evidenceUnlessSkipped(r),
			Notify:   r.spec.Notify,
			Delivery: r.delivery,
			Cooldown: r.spec.Cooldown,
		}
		if len(r.fields) > 0 {
			m.Fields, err = s.fields(r)
			if err != nil {
				res.Errors = append(res.Errors, RuleError{Rule: r.spec.Name, Err: err})
			}
		}
		if !s.env.noEvents {
			m.events = slices.Clone(s.env.events)
		}
		res.Matches = append(res.Matches, m)
	}
	s.env.drop = 0
	s.sortMatches(res.Matches)
	s.lastMatches = len(res.Matches)
	if s.SummarySentences >= 0 && (len(res.Matches) > 0 || s.SummarizeAll) {
		n := s.SummarySentences
		if n == 0 {
			n = DefaultSummarySentences
		}
		res.Summary = s.summary(res.Matches, n)
	}
	return res
}

// sortMatches orders matches by score, highest first, then by rule name.
// Matches are large: it sorts their indexes, then moves each match once.
func (s *Scorer) sortMatches(ms []Match) {
	if len(ms) < 2 {
		return
	}
	order := s.order[:0]
	for i := range ms {
		order = append(order, int32(i))
	}
	s.order = order
	slices.SortStableFunc(order, func(i, j int32) int {
		x, y := &ms[i], &ms[j]
		if x.Score != y.Score {
			if x.Score > y.Score {
				return -1
			}
			return 1
		}
		return strings.Compare(x.Rule, y.Rule)
	})
	sorted := append(s.sorted[:0], ms...)
	for k, i := range order {
		ms[k] = sorted[i]
	}
	clear(sorted) // let the copies go
	s.sorted = sorted[:0]
}

// mayMatch reports whether the terms the rule needs occurred (needs.go): a
// candidate that lacks them cannot match, and is not run.
func (s *Scorer) mayMatch(r *rule) bool {
	return r.needs == nil || r.needs.holds(&s.a, s.rs)
}

// eval runs one rule: when, then score against min_score.
func (s *Scorer) eval(r *rule) (bool, float64, error) {
	out, err := s.vm.Run(r.when, &s.env)
	if err != nil {
		return false, 0, err
	}
	if b, _ := out.(bool); !b {
		return false, 0, nil
	}
	score := 1.0
	if r.score != nil {
		out, err := s.vm.Run(r.score, &s.env)
		if err != nil {
			return false, 0, err
		}
		f, ok := out.(float64)
		if !ok {
			return false, 0, fmt.Errorf("score is %T, not a number", out)
		}
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return false, 0, fmt.Errorf("score is %v", f)
		}
		score = f
	}
	if score < r.spec.MinScore {
		return false, score, nil
	}
	return true, score, nil
}

// fields evaluates the event fields of matched rule r. A field whose value
// is empty (no string, an empty list, NaN) is left out; one that fails is
// left out and reported.
func (s *Scorer) fields(r *rule) (map[string]any, error) {
	out := make(map[string]any, len(r.fields))
	var errs []error
	for _, f := range r.fields {
		v, err := s.vm.Run(f.prog, &s.env)
		if err != nil {
			errs = append(errs, fmt.Errorf("field %s: %w", f.name, err))
			continue
		}
		if v = fieldValue(v); v != nil {
			out[f.name] = v
		}
	}
	if len(out) == 0 {
		out = nil
	}
	return out, errors.Join(errs...)
}

// fieldValue returns v as a field shows it, or nil when it holds nothing.
func fieldValue(v any) any {
	switch x := v.(type) {
	case nil:
		return nil
	case string:
		if x == "" {
			return nil
		}
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil
		}
	case []string:
		if len(x) == 0 {
			return nil
		}
	case []float64:
		if len(x) == 0 {
			return nil
		}
	case []any:
		if len(x) == 0 {
			return nil
		}
	}
	return v
}

// evidence lists the rule's literal terms that occurred, by first position,
// leaving out the occurrences the rule ignores. Each term's Evidence is
// built once per article (for each set of ignored occurrences) and shared
// by every rule that matched with it: its Positions and Snippets are the
// same slices in every match.
func (s *Scorer) evidence(r *rule) []Evidence {
	if s.evidenceHook != nil {
		return s.evidenceHook(s, r)
	}
	// A rule of lexicons has hundreds of terms of which a few occur: the
	// list has room for those that occurred, not for every term. The
	// terms' evidence is ordered by first position through indexes, and
	// each Evidence (large) is copied once.
	order := s.evOrder[:0]
	for _, t := range s.ruleTerms(r) {
		if i := s.termEvidence(t, r.drop); i >= 0 {
			order = append(order, i)
		}
	}
	s.evOrder = order
	if len(order) == 0 {
		return nil
	}
	slices.SortStableFunc(order, func(x, y int32) int { return s.evs[x].Positions[0] - s.evs[y].Positions[0] })
	ev := s.evidenceList(len(order))
	for _, i := range order {
		ev = append(ev, s.evs[i])
	}
	return ev
}

// evidenceUnlessSkipped is evidence(r), or nil with NoEvidence (and no
// summary).
func (s *Scorer) evidenceUnlessSkipped(r *rule) []Evidence {
	if s.NoEvidence && s.SummarySentences < 0 {
		return nil
	}
	return s.evidence(r)
}

// termEvidence returns the index in s.evs of the Evidence of term t for a
// rule that ignores the occurrences with the flags in drop, or -1 when
// none is left; built on first use in the article.
func (s *Scorer) termEvidence(t int32, drop uint8) int32 {
	k := int(t)*4 + dropIndex(drop)
	if s.evMark[k] == s.stamp {
		return s.evAt[k]
	}
	s.evMark[k] = s.stamp
	s.evAt[k] = -1
	a := &s.a
	h := a.hits[t]
	n := len(h)
	if drop != 0 {
		n = 0
		for _, p := range h {
			if a.flagsOf(p)&drop == 0 {
				n++
			}
		}
		if n == 0 {
			return -1
		}
	}
	e := Evidence{Term: s.rs.terms[t].src, Count: n, Positions: s.ints(n)}
	i := 0
	for _, p := range h {
		if drop == 0 || a.flagsOf(p)&drop == 0 {
			e.Positions[i] = int(p)
			i++
		}
	}
	s.snippetsOf(&e, e.Positions, len(s.rs.terms[t].words))
	s.evAt[k] = int32(len(s.evs))
	s.evs = append(s.evs, e)
	return s.evAt[k]
}

// evidenceList returns an empty list with room for n, carved from a block
// allocated for the article (never reused: results outlive the article).
func (s *Scorer) evidenceList(n int) []Evidence {
	if len(s.evBlock)+n > cap(s.evBlock) {
		s.evBlock = make([]Evidence, 0, max(n, 256))
	}
	l := len(s.evBlock)
	s.evBlock = s.evBlock[:l+n]
	return s.evBlock[l : l : l+n]
}

// dropIndex numbers the sets of ignored occurrences a rule can have.
func dropIndex(drop uint8) int {
	i := 0
	if drop&(flagNegated|flagHedged) != 0 {
		i |= 1
	}
	if drop&flagQuoted != 0 {
		i |= 2
	}
	return i
}

// ints returns n ints carved from a block allocated for the article: the
// evidence of an article costs a few allocations, not one per term. The
// block is never reused, since results outlive the next article.
func (s *Scorer) ints(n int) []int {
	if len(s.intBlock)+n > cap(s.intBlock) {
		s.intBlock = make([]int, 0, max(n, 1024))
	}
	b := s.intBlock[len(s.intBlock) : len(s.intBlock)+n : len(s.intBlock)+n]
	s.intBlock = s.intBlock[:len(s.intBlock)+n]
	return b
}

// detectLang guesses the language from the script and common words of the
// first tokens: "ar" for Arabic script, "en" for English, else "".
func (a *analysis) detectLang() string {
	arabic, latin, english := 0, 0, 0
	for i := 0; i < len(a.toks) && i < 300; i++ {
		tok := a.lowerTok(i)
		r, _ := utf8.DecodeRune(tok)
		switch {
		case unicode.Is(unicode.Arabic, r):
			arabic++
		case unicode.Is(unicode.Latin, r):
			latin++
			switch string(tok) {
			case "the", "and", "of", "to", "in", "is", "that", "for", "was", "with", "said":
				english++
			}
		}
	}
	switch {
	case arabic > latin && arabic > 0:
		return "ar"
	case latin > 0 && english*20 >= latin:
		return "en"
	}
	return ""
}

// termRank is a term of a rule and its index in the rule's terms.
type termRank struct{ id, rank int32 }

// termRanks returns the ranks of a rule of many terms (at least
// bitsMinSet*2), or nil.
func termRanks(terms []int32) []termRank {
	if len(terms) < 2*bitsMinSet {
		return nil
	}
	out := make([]termRank, len(terms))
	for i, t := range terms {
		out[i] = termRank{t, int32(i)}
	}
	slices.SortFunc(out, func(x, y termRank) int { return int(x.id - y.id) })
	return out
}

// ruleTerms returns the terms of rule r that occurred, in the rule's order.
// A rule of many terms, of which a few occur, is read from the article's
// touched terms.
func (s *Scorer) ruleTerms(r *rule) []int32 {
	out := s.ruleBuf[:0]
	a := &s.a
	if r.ranks == nil || len(a.touched) >= len(r.terms) {
		for _, t := range r.terms {
			if len(a.hits[t]) > 0 {
				out = append(out, t)
			}
		}
		s.ruleBuf = out
		return out
	}
	ranks := s.rankBuf[:0]
	for _, t := range a.touched {
		if int(t>>6) >= len(r.termBits) || r.termBits[t>>6]&(1<<(t&63)) == 0 {
			continue
		}
		if i, ok := slices.BinarySearchFunc(r.ranks, t, func(x termRank, t int32) int { return int(x.id - t) }); ok {
			ranks = append(ranks, r.ranks[i])
		}
	}
	slices.SortFunc(ranks, func(x, y termRank) int { return int(x.rank - y.rank) })
	for _, x := range ranks {
		out = append(out, x.id)
	}
	s.ruleBuf, s.rankBuf = out, ranks
	return out
}

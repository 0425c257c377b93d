package engine

import (
	"errors"
	"fmt"
	"slices"
)

// Run time: term arguments computed from the article, found by the
// dynamic scanner (the article's word index, wordindex.go) and cached per
// article.

// dynTermHits is termHits for terms computed at run time.
func (e *Env) dynTermHits(args []any) ([]termHit, error) {
	terms, err := flattenTerms(args)
	if err != nil {
		return nil, err
	}
	var out []termHit
	for _, s := range terms {
		pos, err := e.dynTerm(s)
		if err != nil {
			return nil, err
		}
		buf := append(e.bufs.scratch[2][:0], pos...)
		e.bufs.scratch[2] = buf
		if kept := e.keep(buf); len(kept) > 0 {
			words := e.dyn.terms[s].t.words
			out = append(out, termHit{words: len(words), first: &words[0], pos: slices.Clone(kept)})
		}
	}
	return out, nil
}

// flattenTerms turns helper arguments into the list of terms they hold.
func flattenTerms(args []any) ([]string, error) {
	var terms []string
	var add func(v any) error
	add = func(v any) error {
		switch x := v.(type) {
		case string:
			terms = append(terms, x)
		case []string:
			terms = append(terms, x...)
		case []any:
			for _, el := range x {
				if err := add(el); err != nil {
					return err
				}
			}
		default:
			return fmt.Errorf("%w, not %T", errTermType, v)
		}
		return nil
	}
	for _, v := range args {
		if err := add(v); err != nil {
			return nil, err
		}
	}
	return terms, nil
}

var errTermType = errors.New("terms must be strings or lists of strings")

// dynPair returns the positions that count of the two term arguments of a
// helper such as near, computed at run time. Each side needs an
// occurrence: when one side has none, both are empty, and an invalid term
// on the other side is not an error (so such a rule can be gated by the
// terms of the side that is constant, computed.go).
func (e *Env) dynPair(x, y any) (a, b []int32, err error) {
	a, errA := e.dynPositions([]any{x}, 0)
	if a = e.keep(a); errA == nil && len(a) == 0 {
		return nil, nil, nil
	}
	b, errB := e.dynPositions([]any{y}, 1)
	if b = e.keep(b); errB == nil && len(b) == 0 {
		return nil, nil, nil
	}
	if err := errors.Join(errA, errB); err != nil {
		return nil, nil, err
	}
	return a, b, nil
}

// dynPositions finds the terms given at run time (see dynTerm). Rules
// with literal terms never come here.
func (e *Env) dynPositions(args []any, k int) ([]int32, error) {
	terms, err := flattenTerms(args)
	if err != nil {
		return nil, err
	}
	buf := e.bufs.scratch[k][:0]
	for _, s := range terms {
		pos, err := e.dynTerm(s)
		if err != nil {
			return nil, err
		}
		buf = append(buf, pos...)
	}
	e.bufs.scratch[k] = buf
	return sortDistinct(buf), nil
}

// dynCache holds what computed terms cost to find.
type dynCache struct {
	terms map[string]dynTerm // parsed terms, kept across articles
	pos   map[string][]int32 // positions in the current article
}

type dynTerm struct {
	t   term
	id  int32 // the literal term with the same key, or -1
	err error
}

// maxDynTerms bounds the parsed terms a Scorer keeps.
const maxDynTerms = 4096

// dynTerm returns the start positions of term s in the article. A term
// that is also a literal term of the rule set reads the matcher's hits;
// another is looked up in the article's word index once per article.
func (e *Env) dynTerm(s string) ([]int32, error) {
	c := e.dyn
	if c == nil {
		c = &dynCache{terms: map[string]dynTerm{}, pos: map[string][]int32{}}
		e.dyn = c
	}
	d, ok := c.terms[s]
	if !ok {
		if len(c.terms) >= maxDynTerms {
			clear(c.terms)
		}
		d.t, d.err = parseTerm(s)
		d.id = -1
		if d.err == nil {
			if id, ok := e.rs.termIDs[d.t.key()]; ok {
				d.id = id
			}
		}
		c.terms[s] = d
	}
	if d.err != nil {
		return nil, d.err
	}
	if d.id >= 0 {
		return e.a.hits[d.id], nil
	}
	if pos, ok := c.pos[s]; ok {
		return pos, nil
	}
	pos := e.a.dynScan(&d.t)
	c.pos[s] = pos
	return pos, nil
}

// tokenMatches reports whether token i matches w as the first word of a
// term: word forms and Arabic proclitics as the matcher applies them.
func (a *analysis) tokenMatches(i int, w *termWord, cs bool) bool {
	var tok string
	if cs && w.arBase == "" {
		tok = a.rawTok(i)
	} else {
		// Arabic letters have no case: the matcher compares lower-cased
		// tokens for these words, case-sensitive or not.
		tok = a.lowerTokString(i)
	}
	return w.matchesFirst(tok)
}

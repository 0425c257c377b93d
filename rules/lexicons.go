package rules

import (
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/watchfloor/watchfloor/engine"
	"github.com/watchfloor/watchfloor/internal/poserr"
)

// Lexicons compose. A list entry "@name" includes lexicon name, with
// everything it includes in turn, at that place in the list; a rule file's
// extend_lexicons appends entries to a lexicon that another file defines.
// The loader resolves both and hands the engine plain term lists, so the
// engine never sees "@".
//
// The flattened list of a lexicon is its own entries in order, followed by
// the entries of its extensions in file order (files sorted by path, as they
// are read), with every include replaced by the flattened list it names.
// A term that occurs twice is kept once, where it was first seen.

// lexItem is one entry of a lexicon list: a term, or an include.
type lexItem struct {
	term    string // the term, when include is ""
	include string // the name of the included lexicon
	file    string
	node    *yaml.Node
}

// lexDoc is one lexicon definition, or one extend_lexicons entry.
type lexDoc struct {
	name  string
	file  string
	node  *yaml.Node // the name (the mapping key)
	items []lexItem
}

// parseLexicons reads the mapping under "lexicons" or "extend_lexicons"
// (key), in file order.
func parseLexicons(path string, n *yaml.Node, key string) ([]lexDoc, poserr.List) {
	kvs, errs := poserr.Mapping(path, n, key)
	prefix := ""
	if key == "extend_lexicons" {
		prefix = "extend_lexicons: "
	}
	var out []lexDoc
	for _, kv := range kvs {
		name := kv[0].Value
		if kv[1].Kind != yaml.SequenceNode {
			errs = append(errs, at(path, kv[1], "%slexicon %q must be a list of terms", prefix, name))
			if prefix == "" {
				// Defined all the same, so that rules naming it do not
				// add an error of their own.
				out = append(out, lexDoc{name: name, file: path, node: kv[0]})
			}
			continue
		}
		l := lexDoc{name: name, file: path, node: kv[0]}
		for _, tn := range kv[1].Content {
			if tn.Kind != yaml.ScalarNode || tn.Tag == "!!null" {
				errs = append(errs, at(path, tn, "%slexicon %q: a term must be a string", prefix, name))
				continue
			}
			if inc, ok := strings.CutPrefix(tn.Value, "@"); ok {
				inc = strings.TrimSpace(inc)
				if inc == "" {
					errs = append(errs, at(path, tn, "%slexicon %q: %q must be followed by a lexicon name", prefix, name, "@"))
					continue
				}
				l.items = append(l.items, lexItem{include: inc, file: path, node: tn})
				continue
			}
			if err := engine.CheckTerm(tn.Value); err != nil {
				errs = append(errs, at(path, tn, "%slexicon %q: %v", prefix, name, err))
				continue
			}
			l.items = append(l.items, lexItem{term: tn.Value, file: path, node: tn})
		}
		if len(kv[1].Content) == 0 {
			if prefix != "" {
				errs = append(errs, at(path, kv[1], "extend_lexicons: lexicon %q: no terms to add", name))
			} else {
				errs = append(errs, at(path, kv[1], "lexicon %q is empty", name))
			}
		}
		out = append(out, l)
	}
	return out, errs
}

// resolveLexicons applies the extensions to the definitions, checks every
// name, finds include cycles and flattens each lexicon into its terms.
// defs and exts are in load order, which fixes the order of the terms and
// of the errors. Every lexicon defined is in the map, even when there are
// errors (a missing include or a cycle leaves out what it would add), so
// that the rules can be checked against them all the same.
func resolveLexicons(defs, exts []lexDoc) (map[string][]string, poserr.List) {
	var errs poserr.List
	// Lexicon names are global across the files of a directory. A name
	// defined more than once is an error at each definition, naming them
	// all: the file at fault may be either.
	places := map[string][]string{}
	for _, d := range defs {
		places[d.name] = append(places[d.name], fmt.Sprintf("%s:%d:%d", d.file, d.node.Line, d.node.Column))
	}
	for _, d := range defs {
		if p := places[d.name]; len(p) > 1 {
			errs = append(errs, at(d.file, d.node, "lexicon %q is defined %d times, at %s: lexicon names are global across the files of a directory; rename one, or add terms to the other with extend_lexicons",
				d.name, len(p), strings.Join(p[:len(p)-1], ", ")+" and "+p[len(p)-1]))
		}
	}
	byName := map[string]*lexDoc{}
	var order []string
	for i := range defs {
		d := &defs[i]
		if _, ok := byName[d.name]; ok {
			continue
		}
		l := *d
		l.items = append([]lexItem(nil), d.items...)
		byName[d.name] = &l
		order = append(order, d.name)
	}
	for _, x := range exts {
		l, ok := byName[x.name]
		if !ok {
			errs = append(errs, at(x.file, x.node, "extend_lexicons: no lexicon named %q%s", x.name, suggest(x.name, order)))
			continue
		}
		l.items = append(l.items, x.items...)
	}
	for _, name := range order {
		for _, it := range byName[name].items {
			if it.include != "" && byName[it.include] == nil {
				errs = append(errs, at(it.file, it.node, "lexicon %q: no lexicon named %q to include%s", name, it.include, suggest(it.include, order)))
			}
		}
	}

	// Depth-first search for cycles: an include of a lexicon that is still
	// on the path closes one, reported at that include.
	const (
		unseen = iota
		onPath
		done
	)
	state := map[string]int{}
	var path []string
	var visit func(name string)
	visit = func(name string) {
		state[name] = onPath
		path = append(path, name)
		for _, it := range byName[name].items {
			if it.include == "" || byName[it.include] == nil {
				continue
			}
			switch state[it.include] {
			case onPath:
				start := 0
				for path[start] != it.include {
					start++
				}
				cycle := append(append([]string(nil), path[start:]...), it.include)
				errs = append(errs, at(it.file, it.node, "lexicon %q includes itself: %s", it.include, strings.Join(cycle, " -> ")))
			case unseen:
				visit(it.include)
			}
		}
		path = path[:len(path)-1]
		state[name] = done
	}
	for _, name := range order {
		if state[name] == unseen {
			visit(name)
		}
	}
	flat := make(map[string][]string, len(order))
	var flatten func(name string) []string
	flatten = func(name string) []string {
		if ts, ok := flat[name]; ok {
			return ts // nil while name is being flattened: a cycle
		}
		flat[name] = nil
		var ts []string
		seen := map[string]bool{}
		add := func(t string) {
			if !seen[t] {
				seen[t] = true
				ts = append(ts, t)
			}
		}
		for _, it := range byName[name].items {
			if it.include == "" {
				add(it.term)
				continue
			}
			if byName[it.include] == nil {
				continue
			}
			for _, t := range flatten(it.include) {
				add(t)
			}
		}
		flat[name] = ts
		return ts
	}
	for _, name := range order {
		flatten(name)
	}
	return flat, errs
}

// suggest returns ` (did you mean "x"?)` when one known name is a close
// spelling of name, else "".
func suggest(name string, known []string) string {
	best, bestDist := "", 3
	for _, k := range known {
		if d := editDistance(name, k); d < bestDist && d < len([]rune(name)) {
			best, bestDist = k, d
		}
	}
	if best == "" {
		return ""
	}
	return ` (did you mean "` + best + `"?)`
}

// editDistance is the Levenshtein distance between a and b, in runes.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

// Package poserr is the positioned error of the files a user writes (the
// config file, rule files, rule unit tests): one problem at FILE:LINE:COL,
// and a list of them reported all at once, in file and position order.
//
// Lines and columns are 1-based; a column counts characters (runes), as the
// YAML parser and the expression compiler count them.
package poserr

import (
	"bytes"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// Error is one problem of a file, at a position when it has one.
type Error struct {
	File string
	// Line and Col are 1-based; Line is 0 when the problem has no position
	// (a file that cannot be read, say).
	Line, Col int
	Msg       string
}

// Error formats the problem as FILE:LINE:COL: message, or FILE: message
// without a position.
func (e *Error) Error() string {
	if e.Line == 0 {
		return fmt.Sprintf("%s: %s", e.File, e.Msg)
	}
	return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Col, e.Msg)
}

// At returns an *Error at node n of file (no position when n is nil).
func At(file string, n *yaml.Node, format string, args ...any) *Error {
	e := &Error{File: file, Msg: fmt.Sprintf(format, args...)}
	if n != nil {
		e.Line, e.Col = n.Line, n.Column
	}
	return e
}

// List is every problem found in one go.
type List []*Error

// Error is the problems, one a line.
func (l List) Error() string {
	msgs := make([]string, len(l))
	for i, e := range l {
		msgs[i] = e.Error()
	}
	return strings.Join(msgs, "\n")
}

// Unwrap returns the problems, so that errors.As finds each *Error.
func (l List) Unwrap() []error {
	out := make([]error, len(l))
	for i, e := range l {
		out[i] = e
	}
	return out
}

// Sort orders the problems by file, line and column, those of a file
// without a position after the others, keeping the order of problems at
// one place.
func (l List) Sort() {
	sort.SliceStable(l, func(i, j int) bool {
		a, b := l[i], l[j]
		if a.File != b.File {
			return a.File < b.File
		}
		if (a.Line == 0) != (b.Line == 0) {
			return b.Line == 0
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Col < b.Col
	})
}

// Err returns nil for an empty list, else the list sorted.
func (l List) Err() error {
	if len(l) == 0 {
		return nil
	}
	l.Sort()
	return l
}

// YAML turns err, a YAML syntax error from parsing data, into an *Error at
// the line where the parser stopped.
//
// The YAML parser's own "line N" is not that line: it names the line where
// the enclosing construct began (one too low for some errors, the first
// line of a block mapping for others), and errors found while reading
// characters or resolving aliases have no line at all. So the line is
// found again: it is the first line L such that the first L lines alone
// fail with the same message. Where the message names a character (a
// control character, a tab, bytes that are not UTF-8), the column is that
// character's; otherwise it is the line's first character.
func YAML(file string, data []byte, err error) *Error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 0
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if num, after, ok := strings.Cut(rest, ": "); ok {
			if n, err := strconv.Atoi(num); err == nil && n > 0 {
				line, msg = n, after
			}
		}
	}
	e := &Error{File: file, Line: 1, Col: 1, Msg: msg}
	lines := bytes.SplitAfter(data, []byte("\n"))
	if n := len(lines); n > 0 && len(lines[n-1]) == 0 {
		lines = lines[:n-1]
	}
	if len(lines) == 0 {
		return e
	}
	// The parser's line is never after the problem: search from there.
	lo := max(line, 1)
	if lo > len(lines) {
		lo = len(lines)
	}
	hi := len(lines)
	fails := func(k int) bool {
		var n yaml.Node
		err := yaml.Unmarshal(bytes.Join(lines[:k], nil), &n)
		if err == nil {
			return false
		}
		m := strings.TrimPrefix(err.Error(), "yaml: ")
		if rest, ok := strings.CutPrefix(m, "line "); ok {
			if _, after, ok := strings.Cut(rest, ": "); ok {
				m = after
			}
		}
		return m == msg
	}
	if !fails(hi) {
		// Not an error of the text alone: keep the parser's line.
		e.Line = min(lo, len(lines))
	} else {
		// Binary search for the first prefix that fails the same way.
		for lo < hi {
			mid := lo + (hi-lo)/2
			if fails(mid) {
				hi = mid
			} else {
				lo = mid + 1
			}
		}
		e.Line = lo
	}
	text := strings.TrimRight(string(lines[e.Line-1]), "\r\n")
	e.Col = column(text, msg)
	return e
}

// column is the 1-based column in text of the character msg complains
// about, or of text's first character that is not a space (YAML indents
// with spaces only: a tab that starts a line is the character at fault).
func column(text, msg string) int {
	find := func(bad func(r rune, size int) bool) int {
		col := 1
		for i, r := range text {
			_, size := utf8.DecodeRuneInString(text[i:])
			if bad(r, size) {
				return col
			}
			col++
		}
		return 0
	}
	var c int
	switch {
	case strings.Contains(msg, "control characters"):
		c = find(func(r rune, _ int) bool { return r < 0x20 && r != '\t' || r == 0x7f })
	case strings.Contains(msg, "tab character"):
		c = find(func(r rune, _ int) bool { return r == '\t' })
	case strings.Contains(msg, "UTF-8"):
		c = find(func(r rune, size int) bool { return r == utf8.RuneError && size == 1 })
	}
	if c > 0 {
		return c
	}
	return utf8.RuneCountInString(text) - utf8.RuneCountInString(strings.TrimLeft(text, " ")) + 1
}

// Mapping checks that n is a mapping with known, unique keys and returns
// its key and value nodes, in order. An unknown key (when known is not
// empty) and a duplicate key are errors at the key; the other pairs are
// still returned, so the caller reports every problem at once.
func Mapping(file string, n *yaml.Node, what string, known ...string) ([][2]*yaml.Node, List) {
	if n.Kind != yaml.MappingNode {
		return nil, List{At(file, n, "%s must be a mapping", what)}
	}
	var errs List
	var out [][2]*yaml.Node
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if known != nil && !slices.Contains(known, k.Value) {
			errs = append(errs, At(file, k, "unknown key %q in %s (known: %s)", k.Value, what, strings.Join(known, ", ")))
			continue
		}
		if seen[k.Value] {
			errs = append(errs, At(file, k, "duplicate key %q in %s", k.Value, what))
			continue
		}
		seen[k.Value] = true
		out = append(out, [2]*yaml.Node{k, v})
	}
	return out, errs
}

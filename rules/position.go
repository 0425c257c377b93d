package rules

import (
	"strings"

	"go.yaml.in/yaml/v3"
)

// Positions inside a scalar. The engine reports an expression error at a
// line and column of the expression, which is the decoded value of a YAML
// scalar: folding, escapes and block indentation make that differ from
// the file. The source lines of the scalar are scanned again, in its
// style, following the decoded value character by character; every
// character of the value gets the place in the file it came from.

// place is a 1-based line and column (in runes) of a file.
type place struct{ line, col int }

// valuePlace returns the place in the file of the character at line and
// col (1-based, col in runes) of scalar n's value, given the lines of
// the file. ok is false when the scalar's source does not scan back to its
// value (then the caller keeps the node's own position).
func valuePlace(lines []string, n *yaml.Node, line, col int) (p place, ok bool) {
	places := scalarPlaces(lines, n)
	if places == nil {
		return place{}, false
	}
	// The offset of the line's first character in the value.
	off, l := 0, 1
	value := []rune(n.Value)
	for off < len(value) && l < line {
		if value[off] == '\n' {
			l++
		}
		off++
	}
	off += max(col, 1) - 1
	off = min(off, len(value))
	return places[off], true
}

// scalarPlaces returns where each character of the value of scalar n
// comes from: places[i] is the place of rune i of n.Value, and
// places[len] the place just after the last. A character written as an
// escape (\" in double quotes, a doubled quote in single quotes) is at
// its first character; a line break folded into a space, or kept as a
// line break, is at the end of its line. It returns nil when n is not a
// scalar or its source does not scan back to n.Value.
func scalarPlaces(lines []string, n *yaml.Node) []place {
	if n == nil || n.Kind != yaml.ScalarNode || n.Line < 1 || n.Line > len(lines) {
		return nil
	}
	s := &rescan{src: lines, rows: map[int][]rune{}, want: []rune(n.Value)}
	li, ci := n.Line-1, n.Column-1
	// Skip a tag or an anchor written before the value (!!str, &a).
	for {
		row := s.row(li)
		if ci >= len(row) || (row[ci] != '!' && row[ci] != '&') {
			break
		}
		for ci < len(row) && row[ci] != ' ' && row[ci] != '\t' {
			ci++
		}
		for ci < len(row) && (row[ci] == ' ' || row[ci] == '\t') {
			ci++
		}
	}
	if ci >= len(s.row(li)) {
		return nil
	}
	var ok bool
	switch {
	case n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0:
		ok = s.block(li, n.Style&yaml.FoldedStyle != 0)
	case n.Style&yaml.DoubleQuotedStyle != 0:
		ok = s.flow(li, ci, '"')
	case n.Style&yaml.SingleQuotedStyle != 0:
		ok = s.flow(li, ci, '\'')
	default:
		ok = s.flow(li, ci, 0)
	}
	if !ok || len(s.out) != len(s.want)+1 {
		return nil
	}
	return s.out
}

// rescan follows a scalar's decoded value (want) through its source.
type rescan struct {
	src  []string
	rows map[int][]rune // lines as runes, converted when first needed
	want []rune
	out  []place
}

// row returns line li (0-based) as runes, without a trailing "\r".
func (s *rescan) row(li int) []rune {
	if li < 0 || li >= len(s.src) {
		return nil
	}
	r, ok := s.rows[li]
	if !ok {
		r = []rune(strings.TrimSuffix(s.src[li], "\r"))
		s.rows[li] = r
	}
	return r
}

// done reports whether every character of the value has its place.
func (s *rescan) done() bool { return len(s.out) == len(s.want) }

// emit gives the next character of the value, which must be r, the place
// at 0-based line li and column ci.
func (s *rescan) emit(r rune, li, ci int) bool {
	if s.done() || s.want[len(s.out)] != r {
		return false
	}
	s.out = append(s.out, place{li + 1, ci + 1})
	return true
}

// next is the next character of the value, or -1 when done.
func (s *rescan) next() rune {
	if s.done() {
		return -1
	}
	return s.want[len(s.out)]
}

// end closes the value at line li, column ci (0-based).
func (s *rescan) end(li, ci int) bool {
	if !s.done() {
		return false
	}
	s.out = append(s.out, place{li + 1, ci + 1})
	return true
}

func isBlank(r rune) bool { return r == ' ' || r == '\t' }

// contentEnd is the index after the last character of row that is not a
// space or a tab.
func contentEnd(row []rune) int {
	e := len(row)
	for e > 0 && isBlank(row[e-1]) {
		e--
	}
	return e
}

// hexDigits is the number of hex digits after the escapes that take them.
var hexDigits = map[rune]int{'x': 2, 'u': 4, 'U': 8}

// escapes are the one-character escapes of a double-quoted scalar.
var escapes = map[rune]rune{
	'0': 0, 'a': '\a', 'b': '\b', 't': '\t', '\t': '\t', 'n': '\n', 'v': '\v',
	'f': '\f', 'r': '\r', 'e': 0x1b, ' ': ' ', '"': '"', '/': '/', '\'': '\'',
	'\\': '\\', 'N': 0x85, '_': 0xa0, 'L': 0x2028, 'P': 0x2029,
}

// flow follows a plain (quote 0), single-quoted or double-quoted scalar
// that starts at line li, column ci. Line breaks fold: trailing and
// leading spaces of a line go, one break becomes a space, and each empty
// line a line break; in a double-quoted scalar a break escaped with \
// goes entirely.
func (s *rescan) flow(li, ci int, quote rune) bool {
	row := s.row(li)
	if quote != 0 {
		if row[ci] != quote {
			return false
		}
		ci++
	}
	for {
		row = s.row(li)
		end := contentEnd(row)
		escapedBreak := false
		for ci < end {
			if quote == 0 && s.done() {
				return s.end(li, ci)
			}
			r := row[ci]
			switch {
			case quote == '\'' && r == '\'':
				if ci+1 < len(row) && row[ci+1] == '\'' {
					if !s.emit('\'', li, ci) {
						return false
					}
					ci += 2
					continue
				}
				return s.end(li, ci)
			case quote == '"' && r == '"':
				return s.end(li, ci)
			case quote == '"' && r == '\\':
				if ci+1 >= len(row) {
					escapedBreak = true
					ci = end
					continue
				}
				c := row[ci+1]
				if d, ok := hexDigits[c]; ok {
					if ci+2+d > len(row) {
						return false
					}
					var v rune
					for _, h := range row[ci+2 : ci+2+d] {
						v <<= 4
						switch {
						case h >= '0' && h <= '9':
							v |= h - '0'
						case h >= 'a' && h <= 'f':
							v |= h - 'a' + 10
						case h >= 'A' && h <= 'F':
							v |= h - 'A' + 10
						default:
							return false
						}
					}
					if !s.emit(v, li, ci) {
						return false
					}
					ci += 2 + d
					continue
				}
				v, ok := escapes[c]
				if !ok || !s.emit(v, li, ci) {
					return false
				}
				ci += 2
				continue
			}
			if !s.emit(r, li, ci) {
				return false
			}
			ci++
		}
		if quote == 0 && s.done() {
			return s.end(li, ci)
		}
		// A line break: count the empty lines after it.
		breakAt := end
		li++
		empty := 0
		for li < len(s.src) && contentEnd(s.row(li)) == 0 {
			li++
			empty++
		}
		if li >= len(s.src) {
			return false
		}
		if empty == 0 && !escapedBreak {
			if !s.emit(' ', li-1, breakAt) {
				return false
			}
		}
		for k := 0; k < empty; k++ {
			if !s.emit('\n', li-empty+k, 0) {
				return false
			}
		}
		row = s.row(li)
		ci = 0
		for ci < len(row) && isBlank(row[ci]) {
			ci++
		}
	}
}

// block follows a literal (|) or folded (>) block scalar whose indicator is
// on line li. Its content starts on the next line. The content's
// indentation is found from the value itself: the first line of the
// source with a character other than a space, less the spaces that start
// the same line of the value. That holds with and without an indentation
// indicator, and a later line indented deeper keeps its extra spaces.
func (s *rescan) block(li int, folded bool) bool {
	first := -1
	for j := li + 1; j < len(s.src); j++ {
		if strings.Trim(s.src[j], " \r") != "" {
			first = j
			break
		}
	}
	if first < 0 {
		return false
	}
	lead := func(r []rune) int {
		n := 0
		for n < len(r) && r[n] == ' ' {
			n++
		}
		return n
	}
	valueLead := -1
	for _, l := range strings.Split(string(s.want), "\n") {
		if strings.Trim(l, " ") != "" {
			valueLead = lead([]rune(l))
			break
		}
	}
	if valueLead < 0 {
		return false
	}
	indent := lead(s.row(first)) - valueLead
	if indent < 1 {
		return false
	}
	for j := li + 1; ; j++ {
		if s.done() {
			return s.endAfter()
		}
		if j >= len(s.src) {
			return false
		}
		row := s.row(j)
		var content []rune
		if len(row) > indent {
			if lead(row) < indent {
				return false // the block ended before the value did
			}
			content = row[indent:]
		} else if lead(row) < len(row) {
			return false
		}
		for c, r := range content {
			if s.done() {
				return s.endAfter()
			}
			if !s.emit(r, j, indent+c) {
				return false
			}
		}
		switch {
		case folded && s.next() == ' ' && len(content) > 0:
			s.emit(' ', j, len(row))
		case s.next() == '\n':
			s.emit('\n', j, len(row))
		}
	}
}

// endAfter closes a block scalar's value just after its last character.
func (s *rescan) endAfter() bool {
	if len(s.out) == 0 {
		return false
	}
	last := s.out[len(s.out)-1]
	s.out = append(s.out, place{last.line, last.col + 1})
	return true
}

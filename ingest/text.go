package ingest

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"github.com/watchfloor/watchfloor/engine"
)

// frontMatter is the optional YAML header of a text or Markdown file.
// Unknown keys are ignored.
type frontMatter struct {
	Title     string `yaml:"title"`
	URL       string `yaml:"url"`
	Published string `yaml:"published"`
	Date      string `yaml:"date"`
	Lang      string `yaml:"lang"`
	Source    string `yaml:"source"`
	Charset   string `yaml:"charset"`
}

var charsetLine = regexp.MustCompile(`(?m)^charset:\s*["']?([A-Za-z0-9_.:-]+)`)

// parseText reads a plain-text or Markdown article.
func parseText(name string, data []byte) (engine.Article, error) {
	var fm frontMatter
	var a engine.Article
	// The front matter may declare the charset of the file; it is ASCII in
	// every charset worth supporting, so look before decoding.
	declared := ""
	if hasFrontMatter(data) {
		if m := charsetLine.FindSubmatch(data[:min(len(data), 4096)]); m != nil {
			declared = string(m[1])
		}
	}
	text, err := DecodeText(data, declared)
	if err != nil {
		return a, fmt.Errorf("ingest: %s: %w", name, err)
	}
	text = strings.ReplaceAll(text, "\r\n", "\n")
	text = strings.ReplaceAll(text, "\r", "\n")
	bodyStart := 0
	if strings.HasPrefix(text, "---\n") {
		end, next := frontMatterEnd(text)
		if end < 0 {
			return a, fmt.Errorf("ingest: %s:1: front matter has no closing --- line", name)
		}
		if err := decodeFrontMatter(text[4:end], &fm); err != nil {
			return a, fmt.Errorf("ingest: %s:%w", name, err)
		}
		bodyStart = next
		a.Title = strings.TrimSpace(DecodeEntities(fm.Title, maxEntityRounds))
		a.URL = strings.TrimSpace(fm.URL)
		a.Lang = strings.TrimSpace(fm.Lang)
		if fm.Source != "" {
			a.Source = fm.Source
		}
		pub := fm.Published
		if pub == "" {
			pub = fm.Date
		}
		if pub != "" {
			t, err := parseTime(pub)
			if err != nil {
				return a, fmt.Errorf("ingest: %s: front matter: published: %w", name, err)
			}
			a.Published = t
		}
	}
	// Character references are decoded before lines are split, so a
	// title or boilerplate line is recognised whatever its escaping.
	body := DecodeEntities(text[bodyStart:], maxEntityRounds)
	markdown := isMarkdown(name)
	lines := strings.Split(body, "\n")
	if markdown {
		for i, l := range lines {
			lines[i] = stripMarkdownLine(l)
		}
	}
	title, keep := detectTitle(lines, a.Title == "")
	if a.Title == "" {
		a.Title = title
	}
	var b strings.Builder
	for i, l := range lines {
		if !keep[i] {
			continue
		}
		l = strings.TrimRightFunc(l, unicode.IsSpace)
		if b.Len() > 0 || strings.TrimSpace(l) != "" {
			b.WriteString(l)
			b.WriteByte('\n')
		}
	}
	a.Body = strings.TrimRightFunc(b.String(), unicode.IsSpace)
	a.Body = collapseBlankLines(a.Body)
	if a.Title == "" && a.Body == "" {
		return a, fmt.Errorf("ingest: %s: %w", name, errEmpty)
	}
	return a, nil
}

func hasFrontMatter(data []byte) bool {
	data = bytes.TrimPrefix(data, []byte{0xEF, 0xBB, 0xBF})
	return bytes.HasPrefix(data, []byte("---\n")) || bytes.HasPrefix(data, []byte("---\r\n"))
}

// frontMatterEnd finds the closing "---" (or "...") line of front matter
// that starts at 0, returning where it starts and where the body begins.
func frontMatterEnd(text string) (int, int) {
	off := 4
	for off <= len(text) {
		nl := strings.IndexByte(text[off:], '\n')
		line := text[off:]
		next := len(text)
		if nl >= 0 {
			line = text[off : off+nl]
			next = off + nl + 1
		}
		if t := strings.TrimRight(line, " \t"); t == "---" || t == "..." {
			return off, next
		}
		if nl < 0 {
			break
		}
		off = next
	}
	return -1, -1
}

// decodeFrontMatter parses the YAML between the --- lines; errors carry
// the file line (the header starts on line 2).
func decodeFrontMatter(src string, fm *frontMatter) error {
	var n yaml.Node
	if err := yaml.Unmarshal([]byte(src), &n); err != nil {
		line := 2
		msg := strings.TrimPrefix(err.Error(), "yaml: ")
		var l int
		if _, e := fmt.Sscanf(msg, "line %d:", &l); e == nil {
			line = l + 1
			msg = strings.TrimSpace(msg[strings.IndexByte(msg, ':')+1:])
		}
		return fmt.Errorf("%d: front matter: %s", line, msg)
	}
	if len(n.Content) == 0 {
		return nil
	}
	doc := n.Content[0]
	if doc.Kind != yaml.MappingNode {
		return fmt.Errorf("%d: front matter must be a mapping", doc.Line+1)
	}
	for i := 0; i+1 < len(doc.Content); i += 2 {
		k, v := doc.Content[i], doc.Content[i+1]
		var dst *string
		switch k.Value {
		case "title":
			dst = &fm.Title
		case "url", "link":
			dst = &fm.URL
		case "published":
			dst = &fm.Published
		case "date":
			dst = &fm.Date
		case "lang", "language":
			dst = &fm.Lang
		case "source":
			dst = &fm.Source
		case "charset":
			dst = &fm.Charset
		default:
			continue // other keys are the writer's business
		}
		if v.Kind != yaml.ScalarNode {
			return fmt.Errorf("%d: front matter: %s must be a single value", v.Line+1, k.Value)
		}
		*dst = v.Value
	}
	return nil
}

var timeLayouts = []string{time.RFC3339Nano, time.RFC3339, "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02 15:04", "2006-01-02", time.RFC1123Z, time.RFC1123}

func parseTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("cannot read time %q (want RFC 3339, e.g. 2024-05-01T10:00:00Z)", s)
}

func isMarkdown(name string) bool {
	n := strings.ToLower(name)
	return strings.HasSuffix(n, ".md") || strings.HasSuffix(n, ".markdown")
}

var mdHeading = regexp.MustCompile(`^\s{0,3}#{1,6}\s+`)

// stripMarkdownLine removes heading marks so "# Title" reads as "Title".
func stripMarkdownLine(l string) string {
	if loc := mdHeading.FindStringIndex(l); loc != nil {
		return strings.TrimRight(l[loc[1]:], " #")
	}
	return l
}

// boilerplate matches lines of page furniture that are neither title nor
// text.
var boilerplate = regexp.MustCompile(`(?i)^(skip to (main )?content|skip to navigation|back to top|go to top|menu|main menu|search|share( this( article| story)?)?|print|email|advertisement|sponsored|subscribe( now)?|sign in|log ?in|register|close|cookies?( (policy|settings))?|accept( all)?( cookies)?|we use cookies.*|related( articles| stories)?|read more|home|follow us.*|share on (facebook|twitter|x|whatsapp|linkedin)|(photo|image|video|file photo)( credit)?:.*|\(?(photo|image)\)?)[.:!]?$`)

// byline matches lines like "By Jane Doe" or dates alone.
var byline = regexp.MustCompile(`(?i)^(by|from|posted by|written by)\s+\p{Lu}[\p{L}.'-]*(\s+\p{Lu}[\p{L}.'-]*){0,4}$|^\d{1,2}[ /.-]\w+[ /.-]\d{2,4}$|^\w+ \d{1,2}, \d{4}$|^[\p{P}\p{S}\s]*$`)

// maxBoilerplate is the longest line the boilerplate patterns can match;
// longer lines are text and skip the regular expressions.
const maxBoilerplate = 80

func isBoilerplate(l string) bool {
	l = strings.TrimSpace(l)
	if l == "" {
		return true
	}
	if len(l) > maxBoilerplate {
		return strings.Trim(l, "-_=*#~•·. \t") == "" // a rule line
	}
	return boilerplate.MatchString(l) || byline.MatchString(l)
}

// titleCandidates is how many leading real lines may hold the title.
const titleCandidates = 3

// detectTitle finds the title among the first real lines and says which
// lines stay in the body (all but the title and boilerplate). With want
// false, only boilerplate is dropped.
//
// A title line is short (at most 20 words) and does not end like a
// sentence. A caption before it ("X speaks to the media about Y.") is
// skipped. When no line looks like a title, the first sentence of the
// first line stands in for it, and that line stays in the body.
func detectTitle(lines []string, want bool) (string, []bool) {
	keep := make([]bool, len(lines))
	real := []int{}
	for i, l := range lines {
		if strings.TrimSpace(l) == "" {
			keep[i] = true // paragraph breaks stay
			continue
		}
		if isBoilerplate(l) {
			continue
		}
		keep[i] = true
		real = append(real, i)
	}
	if !want || len(real) == 0 {
		return "", keep
	}
	for k, i := range real {
		if k >= titleCandidates {
			break
		}
		if looksLikeTitle(lines[i]) {
			keep[i] = false
			return strings.TrimSpace(lines[i]), keep
		}
	}
	first := strings.TrimSpace(lines[real[0]])
	return fallbackTitle(first), keep
}

func looksLikeTitle(l string) bool {
	l = strings.TrimSpace(l)
	words := strings.Fields(l)
	if len(words) < 2 || len(words) > 20 || utf8.RuneCountInString(l) > 200 {
		return false
	}
	last, _ := utf8.DecodeLastRuneInString(strings.TrimRight(l, `"'”’)»`))
	switch last {
	case '.', ',', ';', ':', '!', '…':
		return false
	}
	return !strings.HasPrefix(l, "- ") && !strings.HasPrefix(l, "* ")
}

// fallbackTitle is the first sentence of s, cut to about 120 characters at
// a word.
func fallbackTitle(s string) string {
	for i, r := range s {
		if (r == '.' || r == '!' || r == '?') && i > 20 && (i+1 == len(s) || s[i+1] == ' ') {
			s = s[:i+1]
			break
		}
	}
	if utf8.RuneCountInString(s) <= 120 {
		return s
	}
	cut := 0
	n := 0
	for i := range s {
		if n == 118 {
			cut = i
			break
		}
		n++
	}
	t := s[:cut]
	if k := strings.LastIndexByte(t, ' '); k > 40 {
		t = t[:k]
	}
	return strings.TrimRight(t, " ,;:") + "…"
}

func collapseBlankLines(s string) string {
	for strings.Contains(s, "\n\n\n") {
		s = strings.ReplaceAll(s, "\n\n\n", "\n\n")
	}
	return s
}

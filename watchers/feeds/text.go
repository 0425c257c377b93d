package feeds

import (
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"github.com/watchfloor/watchfloor/ingest"
)

// HTMLText turns the HTML of a feed item's description or content into
// plain text: entities decoded, scripts and styles dropped, a line break
// after each block element, spaces collapsed. Plain text comes back as it
// was, with its spaces collapsed. Character references left after the
// HTML is decoded were escaped twice ("&amp;#39;" in the HTML) and are
// decoded once more (ingest.DecodeEntities).
func HTMLText(s string) string {
	z := html.NewTokenizer(strings.NewReader(s))
	var b strings.Builder
	skip := 0
	for {
		switch z.Next() {
		case html.ErrorToken:
			return tidy(ingest.DecodeEntities(b.String(), 1))
		case html.TextToken:
			if skip == 0 {
				b.Write(z.Text())
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			name, _ := z.TagName()
			switch a := atom.Lookup(name); a {
			case atom.Script, atom.Style:
				skip++
			case atom.Br, atom.P, atom.Div, atom.Li, atom.H1, atom.H2, atom.H3, atom.H4, atom.Blockquote, atom.Tr:
				b.WriteByte('\n')
			}
		case html.EndTagToken:
			name, _ := z.TagName()
			switch atom.Lookup(name) {
			case atom.Script, atom.Style:
				if skip > 0 {
					skip--
				}
			case atom.P, atom.Div, atom.Li, atom.H1, atom.H2, atom.H3, atom.H4, atom.Blockquote, atom.Tr:
				b.WriteByte('\n')
			}
		}
	}
}

// ItemTitle turns a feed item's title, as the feed parser gives it, into
// plain text: the parser undoes the XML escaping, but titles are often
// HTML-escaped inside it, once or twice ("Don&#39;t", "Don&amp;#39;t"), so
// character references are decoded up to twice; spaces are collapsed.
func ItemTitle(s string) string {
	return strings.Join(strings.Fields(ingest.DecodeEntities(s, 2)), " ")
}

func tidy(s string) string {
	lines := strings.Split(s, "\n")
	out := lines[:0]
	for _, l := range lines {
		if l = strings.Join(strings.Fields(l), " "); l != "" {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

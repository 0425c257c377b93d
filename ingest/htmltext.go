package ingest

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// HTMLText turns HTML into the plain text the engine reads. It is the one
// converter of the project: inbox HTML files and e-mail HTML parts (via
// ParseHTML), feed item descriptions and content, and pages fetched for a
// feed's full text all go through it. s is parsed as the content of a
// <body>, so a fragment ("It&#39;s <b>over</b>") and a whole page both
// work. The rules:
//
//   - Breaks. The engine ends a sentence at every line break and a
//     paragraph (and with it an open quotation) at every blank line, so
//     breaks follow the page's layout, not its source: a blank line at
//     the start and end of the elements a browser sets apart with a
//     margin (p, h1–h6, blockquote, pre, ul, ol, dl, table, hr, figure);
//     a line break at the start and end of every other block element
//     (div, li, dt, dd, tr, caption, figcaption, address, article, aside,
//     header, footer, main, section, hgroup, details, summary, dialog,
//     fieldset, legend, form, center) and at each <br>, two or more <br>
//     in a row making a blank line; a space between table cells (td, th).
//     Breaks never pile up: at most one blank line in a row, none at the
//     start or end. Other elements (a, b, span, img, ...) add nothing.
//   - Dropped, with all they contain: what is not shown as text (head,
//     title, script, style, template, svg, math, iframe, object, canvas,
//     audio, video, map), what is shown only when a feature is off
//     (noscript, noembed, noframes), controls (select, datalist, button,
//     textarea), navigation menus (nav), and any element with the hidden
//     attribute or aria-hidden="true". Image alt text is not text.
//   - Spaces. Within the text, a run of spaces, tabs and line breaks in
//     the source is one space, as a browser shows it: "Police
//     said\n  the raid" is one line. Any Unicode space counts, the
//     no-break space included. Inside pre (and the obsolete listing, xmp
//     and plaintext) the source's line breaks are kept; spaces within a
//     line still collapse.
//   - Plain text. Input with no element at all is plain text: its line
//     breaks are kept as in pre, so a feed description written as plain
//     paragraphs keeps them.
//   - Entities. The parser decodes character references once; text
//     escaped twice on its way ("&amp;#39;" in the HTML) is decoded once
//     more (see DecodeEntities), never a third time.
//
// The text is valid UTF-8 (invalid bytes become U+FFFD) and at most three
// times as long as s. HTMLText never fails: HTML nested deeper than the
// parser's limit (512 open elements) is read tag by tag with the same
// rules, without the parser's repairs of misnested tags.
func HTMLText(s string) string {
	body := &html.Node{Type: html.ElementNode, Data: "body", DataAtom: atom.Body}
	nodes, err := html.ParseFragment(strings.NewReader(s), body)
	if err != nil {
		return tokenText(s)
	}
	for _, n := range nodes {
		body.AppendChild(n)
	}
	return nodeText(body)
}

// nodeText is HTMLText for a parsed tree: a document, a fragment under a
// <body>, or an element such as readability's extracted article.
func nodeText(root *html.Node) string {
	var w textWriter
	if !hasElements(root) {
		w.pre++
	}
	w.walk(root)
	return w.String()
}

// hasElements reports whether the tree holds an element other than the
// html, head and body the parser adds to any document.
func hasElements(root *html.Node) bool {
	found := false
	forEach(root, func(n *html.Node) bool {
		if n.Type == html.ElementNode {
			switch n.DataAtom {
			case atom.Html, atom.Head, atom.Body:
			default:
				found = true
			}
		}
		return !found
	}, nil)
	return found
}

// forEach walks the tree under root in document order without recursion
// (a hostile page may nest elements very deep): enter is called on each
// node and says whether to visit its children; leave, when not nil, is
// called after the children of each node entered.
func forEach(root *html.Node, enter func(*html.Node) bool, leave func(*html.Node)) {
	n := root
	for {
		if enter(n) && n.FirstChild != nil {
			n = n.FirstChild
			continue
		}
		for {
			if leave != nil {
				leave(n)
			}
			if n == root {
				return
			}
			if n.NextSibling != nil {
				n = n.NextSibling
				break
			}
			n = n.Parent
		}
	}
}

// tokenText is HTMLText for HTML the parser refuses: the same rules
// applied to start and end tags as they come.
func tokenText(s string) string {
	z := html.NewTokenizer(strings.NewReader(s))
	var w textWriter
	// drop is the element being dropped, open drops times.
	var drop atom.Atom
	drops := 0
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return w.String()
		case html.TextToken:
			if drops == 0 {
				w.enter(&html.Node{Type: html.TextNode, Data: string(z.Text())})
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			t := z.Token()
			n := &html.Node{Type: html.ElementNode, DataAtom: t.DataAtom, Data: t.Data, Attr: t.Attr}
			void := tt == html.SelfClosingTagToken || voidElements[t.DataAtom]
			switch {
			case drops > 0:
				if t.DataAtom == drop && !void {
					drops++
				}
			case layoutOf(n) == dropped:
				if !void {
					drop, drops = t.DataAtom, 1
				}
			case w.enter(n) && void:
				w.leave(n)
			}
		case html.EndTagToken:
			t := z.Token()
			n := &html.Node{Type: html.ElementNode, DataAtom: t.DataAtom, Data: t.Data}
			switch {
			case drops > 0:
				if t.DataAtom == drop {
					drops--
				}
			case t.DataAtom == atom.Br: // </br> is read as <br>
				w.enter(n)
			default:
				w.leave(n)
			}
		}
	}
}

// voidElements have no end tag.
var voidElements = map[atom.Atom]bool{
	atom.Area: true, atom.Base: true, atom.Br: true, atom.Col: true, atom.Embed: true, atom.Hr: true,
	atom.Img: true, atom.Input: true, atom.Link: true, atom.Meta: true, atom.Param: true,
	atom.Source: true, atom.Track: true, atom.Wbr: true,
}

// layout is what an element does to the text around it.
type layout uint8

const (
	inline    layout = iota
	lineBlock        // a line break before and after
	paraBlock        // a blank line before and after
	cell             // a space before and after
	dropped          // left out with all it contains
	preBlock         // a paraBlock whose line breaks are kept
)

// layouts is the documented set of HTMLText; elements not listed are inline.
var layouts = map[atom.Atom]layout{
	atom.P: paraBlock, atom.H1: paraBlock, atom.H2: paraBlock, atom.H3: paraBlock, atom.H4: paraBlock,
	atom.H5: paraBlock, atom.H6: paraBlock, atom.Blockquote: paraBlock, atom.Ul: paraBlock, atom.Ol: paraBlock,
	atom.Dl: paraBlock, atom.Table: paraBlock, atom.Hr: paraBlock, atom.Figure: paraBlock,

	atom.Pre: preBlock, atom.Listing: preBlock, atom.Xmp: preBlock, atom.Plaintext: preBlock,

	atom.Div: lineBlock, atom.Li: lineBlock, atom.Dt: lineBlock, atom.Dd: lineBlock, atom.Tr: lineBlock,
	atom.Caption: lineBlock, atom.Figcaption: lineBlock, atom.Address: lineBlock, atom.Article: lineBlock,
	atom.Aside: lineBlock, atom.Header: lineBlock, atom.Footer: lineBlock, atom.Main: lineBlock,
	atom.Section: lineBlock, atom.Hgroup: lineBlock, atom.Details: lineBlock, atom.Summary: lineBlock,
	atom.Dialog: lineBlock, atom.Fieldset: lineBlock, atom.Legend: lineBlock, atom.Form: lineBlock,
	atom.Center: lineBlock,

	atom.Td: cell, atom.Th: cell,

	atom.Head: dropped, atom.Title: dropped, atom.Script: dropped, atom.Style: dropped,
	atom.Template: dropped, atom.Svg: dropped, atom.Math: dropped, atom.Iframe: dropped,
	atom.Object: dropped, atom.Canvas: dropped, atom.Audio: dropped, atom.Video: dropped,
	atom.Map: dropped, atom.Noscript: dropped, atom.Noembed: dropped, atom.Noframes: dropped,
	atom.Select: dropped, atom.Datalist: dropped, atom.Button: dropped, atom.Textarea: dropped,
	atom.Nav: dropped,
}

func layoutOf(n *html.Node) layout {
	if isHidden(n) {
		return dropped
	}
	return layouts[n.DataAtom]
}

// isHidden reports whether n carries the hidden attribute or
// aria-hidden="true".
func isHidden(n *html.Node) bool {
	for _, a := range n.Attr {
		switch {
		case a.Namespace != "":
		case a.Key == "hidden":
			return true
		case a.Key == "aria-hidden" && strings.EqualFold(strings.TrimSpace(a.Val), "true"):
			return true
		}
	}
	return false
}

// textWriter builds the text: words, with the space or line breaks owed
// before the next word written only when that word comes, so breaks
// collapse and never lead or trail.
type textWriter struct {
	b      strings.Builder
	space  bool // a space is owed
	breaks int  // line breaks owed: 0, 1 or 2 (a blank line)
	pre    int  // inside this many pre elements (or plain text)
}

func (w *textWriter) String() string { return strings.ToValidUTF8(w.b.String(), "\uFFFD") }

func (w *textWriter) walk(root *html.Node) {
	forEach(root, w.enter, w.leave)
}

func (w *textWriter) enter(n *html.Node) bool {
	switch n.Type {
	case html.TextNode:
		if w.pre > 0 {
			w.plain(n.Data)
		} else {
			w.text(DecodeEntities(n.Data, 1))
		}
		return false
	case html.ElementNode:
		if n.DataAtom == atom.Br {
			w.breaks = min(w.breaks+1, 2)
			return false
		}
		return w.edge(n, true)
	case html.DocumentNode:
		return true
	}
	return false // comments, doctypes
}

func (w *textWriter) leave(n *html.Node) {
	if n.Type == html.ElementNode && n.DataAtom != atom.Br {
		w.edge(n, false)
	}
}

// edge applies n's layout at its start (open) or end; it reports whether
// n's content is text.
func (w *textWriter) edge(n *html.Node, open bool) bool {
	switch layoutOf(n) {
	case dropped:
		return false
	case lineBlock:
		w.breaks = max(w.breaks, 1)
	case paraBlock:
		w.breaks = 2
	case preBlock:
		w.breaks = 2
		if open {
			w.pre++
		} else if w.pre > 0 {
			w.pre--
		}
	case cell:
		w.space = true
	}
	return true
}

// plain writes text whose line breaks are kept, as in pre.
func (w *textWriter) plain(s string) {
	s = DecodeEntities(s, 1)
	for i, line := range strings.Split(s, "\n") {
		if i > 0 {
			w.breaks = min(w.breaks+1, 2)
		}
		w.text(line)
	}
}

// text writes s with its runs of spaces collapsed.
func (w *textWriter) text(s string) {
	for s != "" {
		i := strings.IndexFunc(s, unicode.IsSpace)
		if i == 0 {
			w.space = true
			_, size := utf8.DecodeRuneInString(s)
			s = s[size:]
			continue
		}
		if i < 0 {
			i = len(s)
		}
		w.word(s[:i])
		s = s[i:]
	}
}

func (w *textWriter) word(s string) {
	if w.b.Len() > 0 {
		switch {
		case w.breaks > 0:
			w.b.WriteString("\n\n"[:w.breaks])
		case w.space:
			w.b.WriteByte(' ')
		}
	}
	w.b.WriteString(s)
	w.space, w.breaks = false, 0
}

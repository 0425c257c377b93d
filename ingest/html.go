package ingest

import (
	"bytes"
	"fmt"
	"net/url"
	"strings"

	readability "codeberg.org/readeck/go-readability/v2"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
	"golang.org/x/net/html/charset"

	"github.com/watchfloor/watchfloor/engine"
)

// ParseHTML extracts the main text of an HTML page: the charset comes from
// a byte order mark, contentType, <meta charset> or <meta http-equiv>; the
// text from readability extraction, falling back to the whole visible
// text; title, canonical URL, language and publication time from the
// document's metadata. baseURL, when given, resolves relative links.
func ParseHTML(name string, data []byte, contentType, baseURL string) (engine.Article, error) {
	var a engine.Article
	enc, encName, _ := charset.DetermineEncoding(data, contentType)
	text := ""
	if encName == "utf-8" {
		text, _ = DecodeText(data, "")
	} else {
		b, err := enc.NewDecoder().Bytes(data)
		if err != nil {
			return a, fmt.Errorf("ingest: %s: decode %s: %w", name, encName, err)
		}
		text = mixedUTF8(b)
	}
	doc, err := html.Parse(strings.NewReader(text))
	if err != nil {
		return a, fmt.Errorf("ingest: %s: parse HTML: %w", name, err)
	}
	meta := readMeta(doc)
	var base *url.URL
	if baseURL != "" {
		base, _ = url.Parse(baseURL)
	}
	if base == nil && meta.canonical != "" {
		base, _ = url.Parse(meta.canonical)
	}
	art, rerr := readability.FromDocument(doc, base)
	body := ""
	if rerr == nil && art.Node != nil {
		var buf bytes.Buffer
		if err := art.RenderText(&buf); err == nil {
			body = buf.String()
		}
		if t := strings.TrimSpace(art.Title()); t != "" {
			a.Title = t
		}
		if l := art.Language(); l != "" {
			a.Lang = l
		}
		if t, err := art.PublishedTime(); err == nil {
			a.Published = t
		}
	}
	if strings.TrimSpace(body) == "" {
		// Extraction found no article: fall back to every visible text.
		fresh, err := html.Parse(strings.NewReader(text))
		if err == nil {
			body = visibleText(fresh)
		}
	}
	if a.Title == "" {
		a.Title = meta.title
	}
	if a.Lang == "" {
		a.Lang = meta.lang
	}
	if a.Published.IsZero() && meta.published != "" {
		if t, err := parseTime(meta.published); err == nil {
			a.Published = t
		}
	}
	a.URL = meta.canonical
	if a.URL == "" {
		a.URL = baseURL
	}
	// The parser decoded character references once; what is left was
	// escaped twice ("&amp;#39;" in the source), so decode once more.
	a.Title = DecodeEntities(a.Title, 1)
	a.Body = tidyText(DecodeEntities(body, 1))
	if a.Title == "" && a.Body == "" {
		return a, fmt.Errorf("ingest: %s: %w", name, errEmpty)
	}
	return a, nil
}

type htmlMeta struct {
	title, canonical, lang, published string
}

// readMeta collects the page's own metadata.
func readMeta(doc *html.Node) htmlMeta {
	var m htmlMeta
	var ogTitle string
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			switch n.DataAtom {
			case atom.Html:
				if m.lang == "" {
					m.lang = attr(n, "lang")
				}
			case atom.Title:
				if m.title == "" && n.FirstChild != nil {
					m.title = strings.TrimSpace(n.FirstChild.Data)
				}
			case atom.Link:
				if strings.EqualFold(attr(n, "rel"), "canonical") && m.canonical == "" {
					m.canonical = attr(n, "href")
				}
			case atom.Meta:
				prop := strings.ToLower(attr(n, "property") + attr(n, "name"))
				content := strings.TrimSpace(attr(n, "content"))
				switch prop {
				case "og:title":
					ogTitle = content
				case "og:url":
					if m.canonical == "" {
						m.canonical = content
					}
				case "article:published_time", "datepublished", "date", "pubdate":
					if m.published == "" {
						m.published = content
					}
				}
			case atom.Time:
				if m.published == "" {
					m.published = attr(n, "datetime")
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	if ogTitle != "" {
		m.title = ogTitle
	}
	if m.canonical != "" && engine.CanonicalURL(m.canonical) == "" {
		m.canonical = "" // relative or not http(s): not an identity
	}
	return m
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if strings.EqualFold(a.Key, key) {
			return a.Val
		}
	}
	return ""
}

// blockElements end a line of text.
var blockElements = map[atom.Atom]bool{
	atom.P: true, atom.Div: true, atom.Br: true, atom.Li: true, atom.H1: true, atom.H2: true, atom.H3: true,
	atom.H4: true, atom.H5: true, atom.H6: true, atom.Tr: true, atom.Blockquote: true, atom.Section: true,
	atom.Article: true, atom.Header: true, atom.Footer: true, atom.Pre: true, atom.Table: true, atom.Ul: true, atom.Ol: true,
	atom.Figcaption: true, atom.Dt: true, atom.Dd: true,
}

// visibleText renders the text of doc with one line per block, leaving
// out scripts, styles and other invisible elements.
func visibleText(doc *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		switch n.Type {
		case html.TextNode:
			b.WriteString(n.Data)
		case html.ElementNode:
			switch n.DataAtom {
			case atom.Script, atom.Style, atom.Noscript, atom.Template, atom.Head, atom.Svg, atom.Iframe:
				return
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
		if n.Type == html.ElementNode && blockElements[n.DataAtom] {
			b.WriteByte('\n')
		}
	}
	walk(doc)
	return b.String()
}

// tidyText collapses spaces within lines and runs of blank lines.
func tidyText(s string) string {
	lines := strings.Split(strings.ReplaceAll(s, "\r", ""), "\n")
	out := lines[:0]
	blank := true
	for _, l := range lines {
		l = strings.Join(strings.Fields(l), " ")
		if l == "" {
			if !blank {
				out = append(out, "")
			}
			blank = true
			continue
		}
		out = append(out, l)
		blank = false
	}
	return strings.TrimSpace(strings.Join(out, "\n"))
}

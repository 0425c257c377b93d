package ingest

import (
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
// text, either one turned into text by the rules of HTMLText (a page
// nested too deep for the parser gives its whole text and no metadata);
// title, canonical URL, language and publication time from the
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
		// Nested deeper than the parser allows: no metadata and no
		// extraction, only the text read tag by tag.
		a.URL = baseURL
		a.Body = tokenText(text)
		if a.Body == "" {
			return a, fmt.Errorf("ingest: %s: %w", name, errEmpty)
		}
		return a, nil
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
		body = nodeText(art.Node)
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
			body = nodeText(fresh)
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
	// escaped twice ("&amp;#39;" in the source), so decode once more
	// (nodeText did so for the body).
	a.Title = DecodeEntities(a.Title, 1)
	a.Body = body
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

package ingest

import (
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/net/html"
)

// htmlTextCases are the inputs on which the feed converter (the tokenizer
// in watchers/feeds) and the inbox fallback converter (visibleText) gave
// different text, and inputs on which both lost structure the engine
// reads (a line break ends a sentence, a blank line ends a paragraph and
// with it any open quotation). want is the one converter's text.
var htmlTextCases = []struct {
	name, in, want string
}{
	{"paragraphs get a blank line", "<p>one</p><p>two</p>", "one\n\ntwo"},
	{"paragraph nesting does not matter", "<div><p>one</p></div><p>two</p>", "one\n\ntwo"},
	{"source spacing between blocks does not matter", "<p>one</p>\n\n<p>two</p>", "one\n\ntwo"},
	{"implied paragraph end", "<p>one<p>two", "one\n\ntwo"},
	{"wrapped source lines are one line", "<p>Police said\n  the raid\r\nended.</p>", "Police said the raid ended."},
	{"br is a line break", "one<br>two", "one\ntwo"},
	{"two br are a paragraph break", "one<br><br>two", "one\n\ntwo"},
	{"many br are one blank line", "one<br><br><br><br>two", "one\n\ntwo"},
	{"div is a line", "<div>one</div><div>two</div>", "one\ntwo"},
	{"h5 and h6 are headings", "<h5>Head</h5>text<h6>Six</h6>", "Head\n\ntext\n\nSix"},
	{"section and article are lines", "<section>one</section><article>two</article>", "one\ntwo"},
	{"header and footer are lines", "<header>one</header>two<footer>three</footer>", "one\ntwo\nthree"},
	{"list", "<p>Seized:</p><ul><li>rifles</li><li>cash</li></ul>after", "Seized:\n\nrifles\ncash\n\nafter"},
	{"definition list", "<dl><dt>When</dt><dd>Monday</dd></dl>", "When\nMonday"},
	{"figure caption", "<figure><img src=x alt=photo><figcaption>Mosul, 2017</figcaption></figure>Text", "Mosul, 2017\n\nText"},
	{"table cells are spaced", "<table><tr><td>Mosul</td><td>160</td></tr><tr><th>Kirkuk</th><td>12</td></tr></table>", "Mosul 160\nKirkuk 12"},
	{"pre keeps its lines", "<pre>a  b\nc</pre>d", "a b\nc\n\nd"},
	{"hr", "one<hr>two", "one\n\ntwo"},
	{"inline stays inline", "An <b>arrest</b> in <a href=x>Mosul</a>.", "An arrest in Mosul."},
	{"noscript dropped", "<noscript>Enable JavaScript</noscript>Story", "Story"},
	{"template dropped", "<template><p>Hidden</p></template>Story", "Story"},
	{"svg dropped", "<svg><text>chart</text></svg>Story", "Story"},
	{"iframe dropped", "<iframe>Your browser</iframe>Story", "Story"},
	{"title and head dropped", "<title>Site</title><p>Story</p>", "Story"},
	{"nav dropped", "<nav><a>Home</a> <a>World</a></nav><p>Story</p>", "Story"},
	{"select and button dropped", "<select><option>Choose</option></select><button>Share</button>Story", "Story"},
	{"hidden dropped", "<p hidden>Secret</p><span aria-hidden=true>icon</span>Story", "Story"},
	{"script and style dropped", "<script>var x = '<p>no</p>';</script><style>p{}</style>Story", "Story"},
	{"entities once and once more", "<p>It&amp;#39;s 5 &lt; 6 &amp;amp; 7&nbsp;km</p>", "It's 5 < 6 & 7 km"},
	{"plain text keeps its paragraphs", "line one\nline two\n\n\nline three", "line one\nline two\n\nline three"},
	{"plain text spaces collapsed", "  AT&amp;T   said  ", "AT&T said"},
	{"empty", "", ""},
	{"nested deeper than the parser allows", strings.Repeat("<div>", 600) + "one<span hidden>no</span><p>two<img hidden>three" + strings.Repeat("</div>", 600), "one\n\ntwothree"},
}

// TestHTMLText checks the converter on each case, and that the same
// case read as a whole page (as ParseHTML reads a page its extraction
// finds no article in) and read tag by tag (as HTML nested too deep for
// the parser is read) gives the same text.
func TestHTMLText(t *testing.T) {
	for _, tc := range htmlTextCases {
		t.Run(tc.name, func(t *testing.T) {
			if got := HTMLText(tc.in); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
			if strings.Contains(tc.in, "<") {
				if got := tokenText(tc.in); got != tc.want {
					t.Errorf("tag by tag: %q, want %q", got, tc.want)
				}
			}
			doc, err := html.Parse(strings.NewReader(tc.in))
			if err != nil {
				return // too deep: ParseHTML reads it tag by tag
			}
			if got := nodeText(doc); got != tc.want {
				t.Errorf("as a page: %q, want %q", got, tc.want)
			}
		})
	}
}

// TestParseHTMLParagraphs checks that the text of an extracted article
// and of a page without one follow the same rules.
func TestParseHTMLParagraphs(t *testing.T) {
	long := strings.Repeat("Iraqi forces arrested 160 militants in Mosul on Monday, officials said. ", 4)
	tests := []struct {
		name, page, want string
	}{
		{"article",
			"<html><body><nav>Home World</nav><article><h1>Raid</h1><p>" + long + "</p><p>He said:\n\"it\n is over.</p><p>" + long + "</p></article></body></html>",
			"Raid\n\n" + strings.TrimSpace(long) + "\n\nHe said: \"it is over.\n\n" + strings.TrimSpace(long)},
		{"no article",
			"<html><body><nav>Home</nav><div>Short<br>note</div><p>one</p></body></html>",
			"Short\nnote\n\none"},
		{"nested deeper than the parser allows",
			"<html><head><title>T</title></head><body>" + strings.Repeat("<div>", 600) + "<p>one</p>two" + strings.Repeat("</div>", 600) + "</body></html>",
			"one\n\ntwo"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			arts, err := Parse("a.html", []byte(tc.page))
			if err != nil {
				t.Fatal(err)
			}
			if arts[0].Body != tc.want {
				t.Errorf("body %q, want %q", arts[0].Body, tc.want)
			}
		})
	}
}

// FuzzHTMLText checks that the converter never panics, gives valid
// UTF-8 with no space at either end and never more than one blank line
// in a row, and stays within three times the input's length (an invalid
// byte becomes a three-byte U+FFFD).
func FuzzHTMLText(f *testing.F) {
	for _, tc := range htmlTextCases {
		f.Add(tc.in)
	}
	f.Add("<div><br/>&#x1F600;</div")
	f.Add("a\xffb<pre>\xfe\n\n\n</pre>&amp;nGt;")
	f.Fuzz(func(t *testing.T, s string) {
		out := HTMLText(s)
		if !utf8.ValidString(out) {
			t.Fatalf("invalid UTF-8 %q", out)
		}
		if strings.TrimSpace(out) != out || strings.Contains(out, "\n\n\n") {
			t.Fatalf("spaces at an end or two blank lines in %q", out)
		}
		if len(out) > 3*len(s) {
			t.Fatalf("%d bytes from %d: %q", len(out), len(s), out)
		}
	})
}

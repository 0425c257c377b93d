package ingest

import (
	"strings"
	"testing"
)

func TestDecodeEntities(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		rounds int
		want   string
	}{
		{"numeric", "Don&#39;t", 2, "Don't"},
		{"hex", "&#x27;hex&#X27;", 2, "'hex'"},
		{"named", "caf&eacute; &lt;b&gt;", 2, "café <b>"},
		{"double-escaped numeric", "Don&amp;#39;t", 2, "Don't"},
		{"double-escaped quote", "&amp;quot;ISIS&amp;quot;", 2, `"ISIS"`},
		{"double-escaped ampersand", "Q&amp;amp;A", 2, "Q&A"},
		{"three levels keep one", "Q&amp;amp;amp;A", 2, "Q&amp;A"},
		{"one round", "Don&amp;#39;t", 1, "Don&#39;t"},
		{"rounds capped at two", "Q&amp;amp;amp;A", 9, "Q&amp;A"},
		{"no rounds", "Don&#39;t", 0, "Don&#39;t"},
		{"ampersand in words stays", "R&D, AT&T and M&S", 2, "R&D, AT&T and M&S"},
		{"legacy name without semicolon stays", "a&notb &amp x", 2, "a&notb &amp x"},
		{"unknown name stays", "&foo; &bar", 2, "&foo; &bar"},
		{"arabic text", "قال&#160;المتحدث &amp;quot;داعش&amp;quot;", 2, "قال\u00a0المتحدث \"داعش\""},
		{"no ampersand", "plain text", 2, "plain text"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := DecodeEntities(tc.in, tc.rounds); got != tc.want {
				t.Errorf("DecodeEntities(%q, %d) = %q, want %q", tc.in, tc.rounds, got, tc.want)
			}
		})
	}
}

// TestEntitiesPerFormat checks that every format decodes character
// references in its title and body, twice escaped ones included, and
// that HTML, which its parser decodes once, is decoded only once more.
func TestEntitiesPerFormat(t *testing.T) {
	tests := []struct {
		name, file, data string
		title, body      string
	}{
		{name: "txt", file: "a.txt",
			data:  "Don&amp;#39;t panic: &amp;quot;ISIS&amp;quot; claims attack\n\nPolice said R&D was hit &amp;amp; a&notb stays, &foo; too, &#x27;hex&#x27;, caf&eacute; and &amp;amp;amp;.\n",
			title: `Don't panic: "ISIS" claims attack`,
			body:  `Police said R&D was hit & a&notb stays, &foo; too, 'hex', café and &amp;.`},
		{name: "txt boilerplate line escaped", file: "b.txt",
			data:  "Skip to main content\nShare&#32;this\nPolice foil a plot in Mosul\nIt&amp;#39;s the third this month.\n",
			title: "Police foil a plot in Mosul",
			body:  "It's the third this month."},
		{name: "md with front matter", file: "a.md",
			data:  "---\ntitle: \"Q&amp;amp;A: the &amp;#39;caliphate&amp;#39;\"\n---\n# Heading &amp;quot;x&amp;quot;\n\nBody &#8220;quoted&#8221; text.\n",
			title: "Q&A: the 'caliphate'",
			body:  "Heading \"x\"\n\nBody “quoted” text."},
		{name: "json body", file: "a.json",
			data:  `{"title":"Don&amp;#39;t","body":"A &amp;quot;plot&amp;quot; foiled &amp;amp;amp; more"}`,
			title: "Don't", body: `A "plot" foiled &amp; more`},
		{name: "json content", file: "a.json",
			data:  `{"title":"T&#233;l&#233;","content":"It&#39;s &lt;b&gt;bold&lt;/b&gt;"}`,
			title: "Télé", body: "It's <b>bold</b>"},
		{name: "jsonl", file: "a.jsonl",
			data:  `{"title":"Don&amp;#39;t","text":"&amp;quot;Yes&amp;quot;"}` + "\n",
			title: "Don't", body: `"Yes"`},
		{name: "eml plain", file: "a.eml",
			data:  "Subject: Don&amp;#39;t\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nBody &amp;quot;x&amp;quot; &amp;amp; y.\r\n",
			title: "Don't", body: `Body "x" & y.`},
		{name: "eml html part", file: "b.eml",
			data:  "Subject: H&amp;amp;M\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<html><body><p>It&amp;#39;s &amp;amp;amp; done &#39;here&#39;.</p></body></html>\r\n",
			title: "H&M", body: "It's &amp; done 'here'."},
		{name: "html", file: "a.html",
			data:  "<html><head><title>Don&amp;#39;t stop &amp;amp; go</title></head><body><p>Police said it&amp;#39;s over &amp; &amp;amp;quot;done&amp;amp;quot;, &#39;really&#39;.</p></body></html>",
			title: "Don't stop & go",
			body:  "Police said it's over & &quot;done&quot;, 'really'."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			arts, err := Parse(tc.file, []byte(tc.data))
			if err != nil || len(arts) != 1 {
				t.Fatalf("%d articles, %v", len(arts), err)
			}
			a := arts[0]
			if a.Title != tc.title {
				t.Errorf("title %q, want %q", a.Title, tc.title)
			}
			if strings.TrimSpace(a.Body) != tc.body {
				t.Errorf("body %q, want %q", a.Body, tc.body)
			}
		})
	}
}

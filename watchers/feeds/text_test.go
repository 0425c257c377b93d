package feeds

import (
	"strings"
	"testing"

	"github.com/mmcdole/gofeed"

	"github.com/watchfloor/watchfloor/ingest"
)

// TestItemEntities parses RSS items whose titles and descriptions carry
// character references escaped once, twice and three times, and checks
// the plain text: two levels of HTML escaping inside the XML are undone,
// never more.
func TestItemEntities(t *testing.T) {
	tests := []struct {
		name        string
		title, desc string // as written in the XML
		wantTitle   string
		wantText    string
	}{
		{"once", "Don&amp;#39;t stop", "&lt;p&gt;It&amp;#39;s &amp;quot;over&amp;quot;&lt;/p&gt;", "Don't stop", `It's "over"`},
		{"twice", "Don&amp;amp;#39;t stop", "&lt;p&gt;It&amp;amp;#39;s &amp;amp;quot;over&amp;amp;quot;&lt;/p&gt;", "Don't stop", `It's "over"`},
		{"three times keeps one", "Q&amp;amp;amp;amp;A", "&lt;p&gt;Q&amp;amp;amp;amp;A&lt;/p&gt;", "Q&amp;A", "Q&amp;A"},
		{"cdata", "<![CDATA[Don&#39;t &amp;#39;x&amp;#39;]]>", "<![CDATA[<p>It&amp;#39;s <b>bold</b></p>]]>", "Don't 'x'", "It's bold"},
		{"plain text", "R&amp;D budget", "AT&amp;T said &amp;quot;no&amp;quot;", "R&D budget", `AT&T said "no"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			x := `<?xml version="1.0"?><rss version="2.0"><channel><title>c</title><item><title>` + tc.title +
				`</title><description>` + tc.desc + `</description></item></channel></rss>`
			f, err := gofeed.NewParser().Parse(strings.NewReader(x))
			if err != nil || len(f.Items) != 1 {
				t.Fatalf("parse: %v", err)
			}
			if got := ItemTitle(f.Items[0].Title); got != tc.wantTitle {
				t.Errorf("title %q (parser gave %q), want %q", got, f.Items[0].Title, tc.wantTitle)
			}
			if got := ingest.HTMLText(f.Items[0].Description); got != tc.wantText {
				t.Errorf("text %q (parser gave %q), want %q", got, f.Items[0].Description, tc.wantText)
			}
		})
	}
}

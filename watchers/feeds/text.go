package feeds

import (
	"strings"

	"github.com/watchfloor/watchfloor/ingest"
)

// ItemTitle turns a feed item's title, as the feed parser gives it, into
// plain text: the parser undoes the XML escaping, but titles are often
// HTML-escaped inside it, once or twice ("Don&#39;t", "Don&amp;#39;t"), so
// character references are decoded up to twice; spaces are collapsed.
func ItemTitle(s string) string {
	return strings.Join(strings.Fields(ingest.DecodeEntities(s, 2)), " ")
}

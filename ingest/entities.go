package ingest

import (
	"html"
	"regexp"
	"strings"
)

// entityRef matches one HTML character reference closed by a semicolon:
// &amp; &#39; &#x27; &eacute;. References without the semicolon, which
// html.UnescapeString also decodes for a few legacy names ("&amp", "&not"),
// are left alone: in plain text they are more often words after an
// ampersand ("R&D", "a&not") than markup.
var entityRef = regexp.MustCompile(`&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});`)

// maxEntityRounds is how many times text is decoded at most: once for
// text escaped once, twice for text escaped twice ("&amp;#39;" → "'").
// Text escaped three times keeps one level ("&amp;amp;amp;" → "&amp;"):
// decoding never loops until nothing changes.
const maxEntityRounds = 2

// DecodeEntities decodes the HTML character references of text, rounds
// times (at most 2): plain text that came out of HTML may hold references
// once or twice escaped ("&#39;", "&amp;#39;", "&amp;quot;"). Unknown
// names ("&foo;") and references without a closing semicolon stay as
// they are; each reference is decoded by html.UnescapeString, so
// numeric references to invalid code points become U+FFFD as in HTML.
func DecodeEntities(text string, rounds int) string {
	for range min(rounds, maxEntityRounds) {
		if !strings.Contains(text, "&") {
			break
		}
		text = entityRef.ReplaceAllStringFunc(text, html.UnescapeString)
	}
	return text
}

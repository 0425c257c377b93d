package stories

import (
	"net/url"
	"strings"
	"unicode"

	"github.com/watchfloor/watchfloor/engine"
)

// URLKey returns the key under which an article's URL joins a story: the
// canonical URL (engine.CanonicalURL: scheme and host lower-cased, default
// port, fragment and tracking parameters such as utm_* and fbclid
// removed, query parameters sorted) without its scheme, so http and https
// agree, and without a trailing slash on the path. It returns "" when
// raw is not an absolute http(s) URL.
func URLKey(raw string) string {
	c := engine.CanonicalURL(raw)
	if c == "" {
		return ""
	}
	u, err := url.Parse(c)
	if err != nil {
		return ""
	}
	p := strings.TrimRight(u.EscapedPath(), "/")
	k := u.Host + p
	if u.RawQuery != "" {
		k += "?" + u.RawQuery
	}
	return k
}

// minTitleWords is the fewest words a normalised title needs to be a key:
// shorter titles ("Statement", "Update", "Daily report") name no event.
const minTitleWords = 4

// titlePrefixes are words that lead a title without naming its event
// ("UPDATE 2-", "BREAKING:", "EXCLUSIVE -").
var titlePrefixes = map[string]bool{"update": true, "breaking": true, "exclusive": true, "live": true, "watch": true, "updated": true, "urgent": true, "corrected": true}

// TitleKey returns the normalised title under which an article joins a
// story: the title normalised as rule terms are (engine.Normalize),
// lower-cased, reduced to its words, without a leading "UPDATE 2-",
// "BREAKING:" or similar, and without a trailing publisher segment after
// " - ", " | " or " — " of at most four words ("… - Reuters", "… | BBC
// News"). It returns "" for a title of fewer than four words.
func TitleKey(title string) string {
	t := engine.Normalize(title) // folds dashes and quotes to ASCII
	for _, sep := range []string{" | ", " - "} {
		if i := strings.LastIndex(t, sep); i > 0 {
			if tail := words(t[i+len(sep):]); len(tail) > 0 && len(tail) <= 4 && len(words(t[:i])) >= minTitleWords {
				t = t[:i]
			}
		}
	}
	w := words(t)
	for len(w) > 0 && (titlePrefixes[w[0]] || isNumber(w[0])) && len(w) > minTitleWords {
		w = w[1:]
	}
	if len(w) < minTitleWords {
		return ""
	}
	return strings.Join(w, " ")
}

func isNumber(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

// words returns the lower-cased tokens of normalised text: maximal runs of
// letters, marks and digits, as the engine tokenises.
func words(s string) []string {
	var out []string
	start := -1
	for i, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r) {
			if start < 0 {
				start = i
			}
			continue
		}
		if start >= 0 {
			out = append(out, strings.ToLower(s[start:i]))
			start = -1
		}
	}
	if start >= 0 {
		out = append(out, strings.ToLower(s[start:]))
	}
	return out
}

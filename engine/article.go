package engine

import (
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Article is one news item as read from the inbox or a feed. Title and Body
// are plain text; the engine never sees markup.
type Article struct {
	// ID is the stable identity of the article; see ArticleID.
	ID string
	// Source says where the article came from: file:PATH, file:PATH#LINE or feed:NAME.
	Source string
	Title  string
	Body   string
	URL    string
	// Published is the publication time, zero when unknown.
	Published time.Time
	// Lang is the language from metadata, or empty.
	Lang string
}

// EnsureID sets a.ID from ArticleID when it is empty.
func (a *Article) EnsureID() {
	if a.ID == "" {
		a.ID = ArticleID(a.URL, a.Title, a.Body)
	}
}

// ArticleID returns the canonical URL when rawURL is a usable absolute URL,
// else "sha256:" followed by the hex SHA-256 of the normalised title and body
// (whitespace runs collapsed), so the same content under another file name
// has the same id.
func ArticleID(rawURL, title, body string) string {
	if c := CanonicalURL(rawURL); c != "" {
		return c
	}
	h := sha256.New()
	h.Write([]byte(collapseSpace(Normalize(title))))
	h.Write([]byte{'\n'})
	h.Write([]byte(collapseSpace(Normalize(body))))
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

// trackingParams are query parameters that identify a campaign or a click,
// not a document. Keys starting with "utm_" are removed as well.
var trackingParams = map[string]bool{
	"fbclid": true, "gclid": true, "dclid": true, "msclkid": true, "yclid": true,
	"mc_cid": true, "mc_eid": true, "igshid": true, "_hsenc": true, "_hsmi": true,
	"mkt_tok": true, "ocid": true, "cmpid": true, "ncid": true, "sr_share": true,
	"spm": true, "ref_src": true, "ref_url": true,
}

// CanonicalURL returns rawURL with scheme and host lower-cased, the default
// port, fragment and tracking parameters (utm_*, fbclid, gclid, …) removed,
// and the remaining query parameters in a stable order. It returns "" when
// rawURL is not an absolute http(s) URL.
func CanonicalURL(rawURL string) string {
	rawURL = strings.TrimSpace(rawURL)
	if rawURL == "" {
		return ""
	}
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" {
		return ""
	}
	u.Scheme = strings.ToLower(u.Scheme)
	if u.Scheme != "http" && u.Scheme != "https" {
		return ""
	}
	u.Host = strings.ToLower(u.Host)
	if (u.Scheme == "http" && strings.HasSuffix(u.Host, ":80")) || (u.Scheme == "https" && strings.HasSuffix(u.Host, ":443")) {
		u.Host = u.Host[:strings.LastIndexByte(u.Host, ':')]
	}
	u.Fragment, u.RawFragment = "", ""
	u.User = nil
	if u.RawQuery != "" {
		q := u.Query()
		for k := range q {
			if trackingParams[strings.ToLower(k)] || strings.HasPrefix(strings.ToLower(k), "utm_") {
				delete(q, k)
			}
		}
		u.RawQuery = q.Encode() // Encode sorts by key.
	}
	u.ForceQuery = false
	if u.Path == "" {
		u.Path = "/"
	}
	return u.String()
}

// collapseSpace trims s and turns every run of white space into one space.
func collapseSpace(s string) string {
	if singleSpaced(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	appendCollapsedRuns(&b, s)
	return b.String()
}

func isSpaceRune(r rune) bool {
	if r < utf8.RuneSelf {
		return r == ' ' || r >= '\t' && r <= '\r'
	}
	return unicode.IsSpace(r)
}

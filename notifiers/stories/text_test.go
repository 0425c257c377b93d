package stories

import "testing"

func TestURLKey(t *testing.T) {
	for _, c := range []struct{ name, in, want string }{
		{"plain", "https://example.org/news/a", "example.org/news/a"},
		{"scheme and host case", "HTTPS://Example.ORG/news/a", "example.org/news/a"},
		{"http equals https", "http://example.org/news/a", "example.org/news/a"},
		{"trailing slash", "https://example.org/news/a/", "example.org/news/a"},
		{"fragment", "https://example.org/news/a#comments", "example.org/news/a"},
		{"utm parameters", "https://example.org/news/a?utm_source=rss&utm_medium=feed", "example.org/news/a"},
		{"other tracking", "https://example.org/news/a?fbclid=x&gclid=y", "example.org/news/a"},
		{"real parameters kept, sorted", "https://example.org/item?b=2&utm_campaign=z&a=1", "example.org/item?a=1&b=2"},
		{"default port", "https://example.org:443/news/a", "example.org/news/a"},
		{"path case kept", "https://example.org/News/A", "example.org/News/A"},
		{"root", "https://example.org/", "example.org"},
		{"not a URL", "not a url", ""},
		{"other scheme", "ftp://example.org/a", ""},
		{"empty", "", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := URLKey(c.in); got != c.want {
				t.Errorf("URLKey(%q) = %q, want %q", c.in, got, c.want)
			}
		})
	}
}

func TestTitleKey(t *testing.T) {
	const want = "iraq dismantles major daesh network"
	for _, c := range []struct{ name, in, want string }{
		{"plain", "Iraq Dismantles Major Daesh Network", want},
		{"punctuation and case", "IRAQ dismantles major Daesh-network!", want},
		{"curly quotes and accents", "Iraq dismantles “major” Dáesh network", want},
		{"publisher suffix dash", "Iraq Dismantles Major Daesh Network - Reuters", want},
		{"publisher suffix pipe", "Iraq Dismantles Major Daesh Network | BBC News", want},
		{"em dash suffix", "Iraq Dismantles Major Daesh Network — Al Monitor", want},
		{"update prefix", "UPDATE 2-Iraq Dismantles Major Daesh Network", want},
		{"breaking prefix", "BREAKING: Iraq Dismantles Major Daesh Network", want},
		{"long tail is part of the title", "Iraq dismantles network - officials say it moved fighters and money", "iraq dismantles network officials say it moved fighters and money"},
		{"too short", "Statement", ""},
		{"too short after prefix", "Update: Daily report", ""},
		{"empty", "", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := TitleKey(c.in); got != c.want {
				t.Errorf("TitleKey(%q) = %q, want %q", c.in, got, c.want)
			}
		})
	}
}

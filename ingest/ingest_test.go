package ingest

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"

	"github.com/watchfloor/watchfloor/engine"
)

func TestSeedTitles(t *testing.T) {
	want := map[string]string{
		"000.txt": "Iraq Dismantles Major Daesh Network",
		"001.txt": "Iraq, Isis now has to deal with infiltrators as well",
		"002.txt": "Iraq builds detailed database to target remaining ISIS leaders",
		"003.txt": "These operations come in light of what a security expert and political analyst from Iraq described as a development…",
		"004.txt": "Iraqi intelligence reportedly thwarts massive terror plot",
	}
	for file, title := range want {
		t.Run(file, func(t *testing.T) {
			path := filepath.Join("..", "testdata", "seeds", file)
			arts, err := ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			a := arts[0]
			if a.Title != title {
				t.Errorf("title %q, want %q", a.Title, title)
			}
			if a.Source != "file:"+path || !strings.HasPrefix(a.ID, "sha256:") {
				t.Errorf("source %q id %q", a.Source, a.ID)
			}
			if strings.Contains(strings.ToLower(a.Body), "skip to main content") || strings.Contains(a.Body, "Back To Top") {
				t.Error("boilerplate left in the body")
			}
			if file != "003.txt" && strings.Contains(a.Body, title) {
				t.Error("title line left in the body")
			}
		})
	}
	// The caption of 002 is kept as text, not taken as the title.
	arts, _ := ReadFile("../testdata/seeds/002.txt")
	if !strings.HasPrefix(arts[0].Body, "Sabah Al-Numan, spokesperson") {
		t.Errorf("002 body starts %q", arts[0].Body[:40])
	}
}

func TestParseText(t *testing.T) {
	tests := []struct {
		name, file, data string
		title, body, url string
		published        string
		wantErr          string
	}{
		{name: "front matter", file: "a.md", data: "---\ntitle: Given title\nurl: https://Example.org/x?utm_source=a\npublished: 2024-05-01T10:00:00Z\nlang: en\nauthor: ignored\n---\n# Heading\n\nText here.\n",
			title: "Given title", body: "Heading\n\nText here.", url: "https://Example.org/x?utm_source=a", published: "2024-05-01T10:00:00Z"},
		{name: "markdown heading as title", file: "a.md", data: "# The title\n\nSome text.", title: "The title", body: "Some text."},
		{name: "boilerplate and byline skipped", file: "a.txt", data: "Skip to content\nMenu\nBig news today\nBy Jane Doe\nThe text.\n", title: "Big news today", body: "The text."},
		{name: "crlf", file: "a.txt", data: "Title here\r\nBody line.\r\n", title: "Title here", body: "Body line."},
		{name: "unclosed front matter", file: "a.md", data: "---\ntitle: x\n", wantErr: "a.md:1: front matter has no closing"},
		{name: "bad front matter yaml", file: "a.md", data: "---\ntitle: [x\n---\nbody", wantErr: "a.md:"},
		{name: "bad published", file: "a.md", data: "---\npublished: yesterday\n---\nbody", wantErr: "cannot read time"},
		{name: "empty", file: "a.txt", data: " \n\n", wantErr: "no text"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			arts, err := Parse(tt.file, []byte(tt.data))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			a := arts[0]
			if a.Title != tt.title || a.Body != tt.body || a.URL != tt.url {
				t.Errorf("got title %q body %q url %q", a.Title, a.Body, a.URL)
			}
			if tt.published != "" && a.Published.Format(time.RFC3339) != tt.published {
				t.Errorf("published %v", a.Published)
			}
			if tt.url != "" && a.ID != "https://example.org/x" {
				t.Errorf("id %q, want the canonical url", a.ID)
			}
		})
	}
}

func TestCharsets(t *testing.T) {
	tests := []struct {
		name, file, title, bodyHas string
	}{
		{"utf-16le with bom", "utf16.txt", "Title in UTF-16", "café and داعش"},
		{"windows-1256 html meta charset", "arabic-1256.html", "عنوان الخبر", "اعتقال عناصر من داعش في الموصل"},
		{"stray 0xE9 in utf-8", "stray.txt", "Café report", "The café in Erbil reopened é today"},
		{"undeclared windows-1252", "latin1.txt", "Café society", "Naïve résumé “quoted”"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			arts, err := ReadFile(filepath.Join("testdata", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			a := arts[0]
			if a.Title != tt.title || !strings.Contains(a.Body, tt.bodyHas) {
				t.Errorf("title %q body %q", a.Title, a.Body)
			}
			if !utf8.ValidString(a.Title + a.Body) {
				t.Error("invalid UTF-8 out")
			}
		})
	}
	if _, err := DecodeText([]byte("x"), "no-such-charset"); err == nil {
		t.Error("unknown declared charset accepted")
	}
	// Undeclared windows-1256 Arabic is detected.
	arabic := "أعلنت السلطات العراقية اعتقال عناصر من تنظيم داعش في محافظة نينوى بعد عملية استخبارية دقيقة استمرت عدة أشهر، وقال المسؤول إن القوات الأمنية ستواصل ملاحقة الخلايا النائمة في المحافظة."
	enc, err := charmap.Windows1256.NewEncoder().String(arabic)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := DecodeText([]byte(enc), ""); err != nil || got != arabic {
		t.Errorf("undeclared windows-1256 decoded to %q, %v", got, err)
	}
	s, err := DecodeText([]byte{0xE4, 0xD1, 0xC8}, "windows-1256")
	if err != nil || s != "نرب" {
		t.Errorf("windows-1256 decoded to %q, %v", s, err)
	}
}

func TestJSON(t *testing.T) {
	arts, err := Parse("x.json", []byte(`{"title":"T","content":"Body text","url":"https://example.org/a#frag","published":"2024-01-02T03:04:05Z","extra":1}`))
	if err != nil {
		t.Fatal(err)
	}
	if a := arts[0]; a.Title != "T" || a.Body != "Body text" || a.ID != "https://example.org/a" || a.Published.Year() != 2024 {
		t.Errorf("article %+v", a)
	}
	for _, tc := range []struct{ name, data, want string }{
		{"title not a string", `{"title": 5}`, `field "title" must be a string`},
		{"syntax error line", "{\n\"title\": \"x\",\n}", "x.json:3: invalid JSON"},
		{"not an object", `[1,2]`, "must be a JSON object"},
		{"no title or body", `{"extra": 1}`, "neither title nor body"},
		{"two values", `{"title":"a"} {"title":"b"}`, "more than one JSON value"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Parse("x.json", []byte(tc.data)); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Parse(%q) error %v, want %q", tc.data, err, tc.want)
			}
		})
	}
}

func TestJSONID(t *testing.T) {
	for _, tc := range []struct{ name, data, want string }{
		{"own id wins over the url", `{"id":"DEV-0001","title":"T","url":"https://example.org/a"}`, "DEV-0001"},
		{"id trimmed", `{"id":"  x-2 ","body":"b"}`, "x-2"},
		{"blank id falls back to the url", `{"id":"  ","title":"T","url":"https://example.org/a"}`, "https://example.org/a"},
		{"no id falls back to the url", `{"title":"T","url":"https://example.org/a?utm_source=x"}`, "https://example.org/a"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, name := range []string{"x.json", "x.jsonl"} {
				arts, err := Parse(name, []byte(tc.data))
				if err != nil {
					t.Fatal(err)
				}
				if arts[0].ID != tc.want {
					t.Errorf("%s: id %q, want %q", name, arts[0].ID, tc.want)
				}
			}
		})
	}
	if _, err := Parse("x.json", []byte(`{"id":7,"title":"T"}`)); err == nil || !strings.Contains(err.Error(), `field "id" must be a string`) {
		t.Errorf("numeric id: error %v", err)
	}
}

func TestJSONLines(t *testing.T) {
	data := "{\"title\":\"one\",\"body\":\"b1\"}\n{bad json\n\n{\"title\":\"three\",\"text\":\"b3\"}\n"
	arts, err := Parse("feed.jsonl", []byte(data))
	if len(arts) != 2 || arts[0].Source != "file:feed.jsonl#1" || arts[1].Source != "file:feed.jsonl#4" {
		t.Fatalf("articles %+v", arts)
	}
	var le *LineError
	if !errors.As(err, &le) || le.Line != 2 || !strings.HasPrefix(err.Error(), "feed.jsonl:2: invalid JSON") {
		t.Errorf("error %v", err)
	}
}

func TestHTML(t *testing.T) {
	page := `<!doctype html><html lang="en"><head><title>Site | Headline</title>
<meta property="og:title" content="Headline">
<link rel="canonical" href="https://news.example.org/story?utm_medium=x">
<meta property="article:published_time" content="2024-03-04T05:06:07Z">
<script>var x = "not text";</script></head>
<body><nav><a href="/">Home</a> <a href="/world">World</a></nav>
<article><h1>Headline</h1>
<p>Iraqi forces arrested 160 ISIS militants in Mosul on Monday, officials said, in one of the largest operations this year against remaining cells of the group in the north.</p>
<p>The operation followed months of intelligence work by the Falcons Cell, which tracked the network across Nineveh province and the Syrian border before moving in.</p>
<p>Officials said more arrests were expected in the coming weeks as investigators examined phones and documents seized during the raids.</p>
</article><footer>Copyright</footer></body></html>`
	arts, err := Parse("story.html", []byte(page))
	if err != nil {
		t.Fatal(err)
	}
	a := arts[0]
	if a.Title != "Headline" || a.URL != "https://news.example.org/story?utm_medium=x" || a.ID != "https://news.example.org/story" {
		t.Errorf("title %q url %q id %q", a.Title, a.URL, a.ID)
	}
	if !strings.Contains(a.Body, "arrested 160 ISIS militants") || strings.Contains(a.Body, "not text") || strings.Contains(a.Body, "Copyright") {
		t.Errorf("body %q", a.Body)
	}
	if a.Published.Format(time.RFC3339) != "2024-03-04T05:06:07Z" || a.Lang != "en" {
		t.Errorf("published %v lang %q", a.Published, a.Lang)
	}
}

func TestSameContentSameID(t *testing.T) {
	dir := t.TempDir()
	body := []byte("Same title\nSame body text.\n")
	for _, n := range []string{"a.txt", "b.txt"} {
		if err := os.WriteFile(filepath.Join(dir, n), body, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	a, _ := ReadFile(filepath.Join(dir, "a.txt"))
	b, _ := ReadFile(filepath.Join(dir, "b.txt"))
	if a[0].ID != b[0].ID || a[0].Source == b[0].Source {
		t.Errorf("ids %q %q sources %q %q", a[0].ID, b[0].ID, a[0].Source, b[0].Source)
	}
}

func TestReadFileErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := ReadFile(filepath.Join(dir, "missing.txt")); err == nil {
		t.Error("missing file read")
	}
	sub := filepath.Join(dir, "dir.txt")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadFile(sub); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("directory read: %v", err)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"Title\nBody.", "---\ntitle: x\n---\nb", `{"title":"t","body":"b"}`, "<html><p>x</p></html>", "\xff\xfeT\x00i\x00", "a\xe9b", "Subject: s\r\nContent-Type: multipart/mixed; boundary=B\r\n\r\n--B\r\nContent-Transfer-Encoding: base64\r\n\r\nYQ==\r\n--B--\r\n"} {
		for _, ext := range []string{".txt", ".md", ".json", ".jsonl", ".html", ".eml"} {
			f.Add("f"+ext, []byte(s))
		}
	}
	f.Fuzz(func(t *testing.T, name string, data []byte) {
		switch filepath.Ext(name) {
		case ".txt", ".md", ".json", ".jsonl", ".html", ".eml":
		default:
			name = "f.txt"
		}
		arts, _ := Parse(name, data)
		for _, a := range arts {
			if !utf8.ValidString(a.Title) || !utf8.ValidString(a.Body) {
				t.Fatalf("invalid UTF-8 from %q", data)
			}
			if a.ID == "" || a.Source == "" {
				t.Fatalf("article without id or source: %+v", a)
			}
		}
	})
}

func TestSupported(t *testing.T) {
	tests := []struct {
		name, path string
		want       bool
	}{
		{"text", "in/a.txt", true},
		{"markdown upper case", "A.MD", true},
		{"markdown long", "a.markdown", true},
		{"html", "a.html", true},
		{"htm", "a.htm", true},
		{"json", "a.json", true},
		{"json lines", "a.jsonl", true},
		{"mail", "a.eml", true},
		{"no extension", "README", false},
		{"partial download", "a.txt.part", false},
		{"image", "a.png", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Supported(tt.path); got != tt.want {
				t.Errorf("Supported(%q) = %v, want %v", tt.path, got, tt.want)
			}
		})
	}
}

func TestEML(t *testing.T) {
	tests := []struct {
		name, data  string
		title, body string
		published   string
		wantErr     string
	}{
		{name: "plain", data: "From: a@example.org\r\nSubject: Raid in Mosul\r\nDate: Mon, 04 Mar 2024 05:06:07 +0000\r\n\r\nForces arrested ten.\r\nMore later.\r\n",
			title: "Raid in Mosul", body: "Forces arrested ten.\nMore later.", published: "2024-03-04T05:06:07Z"},
		{name: "encoded subject and quoted-printable latin-1", data: "Subject: =?UTF-8?B?Q2Fmw6kgbmV3cw==?=\r\nContent-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nLe caf=E9 est ouvert.\r\n",
			title: "Café news", body: "Le café est ouvert."},
		{name: "multipart prefers plain", data: "Subject: Alt\r\nMIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=XX\r\n\r\n--XX\r\nContent-Type: text/html\r\n\r\n<p>html text</p>\r\n--XX\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\nUGxhaW4gdGV4\r\ndCBoZXJlLg==\r\n--XX--\r\n",
			title: "Alt", body: "Plain text here."},
		{name: "html only", data: "Subject: H\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<html><body><p>Only html body.</p></body></html>\r\n",
			title: "H", body: "Only html body."},
		{name: "no headers", data: "not a mail", wantErr: "m.eml: read message"},
		{name: "multipart without boundary", data: "Subject: x\r\nContent-Type: multipart/mixed\r\n\r\nbody", wantErr: "without boundary"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			arts, err := Parse("m.eml", []byte(tt.data))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			a := arts[0]
			if a.Title != tt.title || a.Body != tt.body || a.Source != "file:m.eml" || a.ID == "" {
				t.Errorf("got title %q body %q source %q id %q", a.Title, a.Body, a.Source, a.ID)
			}
			if tt.published != "" && a.Published.Format(time.RFC3339) != tt.published {
				t.Errorf("published %v", a.Published)
			}
		})
	}
}

// TestEachStreamsJSONLines reads real JSON Lines files with Each: articles
// arrive in order as lines are read, fn's error stops the read and comes
// back as it is, and an over-long line is a line error that does not stop
// the lines after it.
func TestEachStreamsJSONLines(t *testing.T) {
	long := `{"title":"long","body":"` + strings.Repeat("x", MaxLineSize) + `"}`
	stop := errors.New("stop here")
	tests := []struct {
		name      string
		data      string
		stopAt    string // fn returns stop for this title
		want      []string
		wantErr   string
		wantLines []int
	}{
		{name: "all lines", data: "{\"title\":\"a\",\"body\":\"x\"}\n\n{\"title\":\"b\",\"body\":\"y\"}", want: []string{"a#1", "b#3"}},
		{name: "fn stops the read", data: "{\"title\":\"a\",\"body\":\"x\"}\n{\"title\":\"b\",\"body\":\"y\"}\n{\"title\":\"c\",\"body\":\"z\"}\n", stopAt: "b", want: []string{"a#1", "b#2"}, wantErr: "stop here"},
		{name: "over-long line", data: "{\"title\":\"a\",\"body\":\"x\"}\n" + long + "\n{\"title\":\"c\",\"body\":\"z\"}\n", want: []string{"a#1", "c#3"}, wantErr: "longer than", wantLines: []int{2}},
		{name: "bad lines", data: "{bad\n{\"title\":\"b\",\"body\":\"y\"}\n[1]\n", want: []string{"b#2"}, wantErr: "invalid JSON", wantLines: []int{1, 3}},
		{name: "utf-16", data: "\xff\xfe" + string(utf16LE("{\"title\":\"a\",\"body\":\"x\"}\n{\"title\":\"b\",\"body\":\"y\"}\n")), want: []string{"a#1", "b#2"}},
		{name: "empty", data: "\n\n", wantErr: "no text"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "f.jsonl")
			if err := os.WriteFile(path, []byte(tt.data), 0o644); err != nil {
				t.Fatal(err)
			}
			var got []string
			err := Each(path, func(a engine.Article) error {
				got = append(got, a.Title+a.Source[strings.LastIndexByte(a.Source, '#'):])
				if a.ID == "" {
					t.Errorf("article %q without id", a.Title)
				}
				if a.Title == tt.stopAt {
					return stop
				}
				return nil
			})
			if strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Errorf("articles %v, want %v", got, tt.want)
			}
			if tt.stopAt != "" && err != stop {
				t.Errorf("error %v, want fn's error as it is", err)
			}
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Errorf("error %v, want %q", err, tt.wantErr)
			}
			var lines []int
			for _, e := range unjoin(err) {
				var le *LineError
				if errors.As(e, &le) {
					lines = append(lines, le.Line)
				}
			}
			if fmt.Sprint(lines) != fmt.Sprint(tt.wantLines) && !(len(lines) == 0 && len(tt.wantLines) == 0) {
				t.Errorf("bad lines %v, want %v", lines, tt.wantLines)
			}
		})
	}
}

func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	if err == nil {
		return nil
	}
	return []error{err}
}

// TestEachLimits checks the size limits on real files: a file read whole
// over MaxFileSize is refused before it is read; JSON Lines of any size
// are read.
func TestEachLimits(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big.txt")
	if err := os.WriteFile(big, append([]byte("Title\n\n"), bytes.Repeat([]byte("word "), MaxFileSize/5+1)...), 0o644); err != nil {
		t.Fatal(err)
	}
	called := false
	err := Each(big, func(engine.Article) error { called = true; return nil })
	if err == nil || !strings.Contains(err.Error(), "byte limit") || called {
		t.Errorf("over-size text: error %v, read %v", err, called)
	}
	if _, err := Footprint(big, MaxFileSize+1); err == nil {
		t.Error("Footprint accepted an over-size text")
	}
	var b bytes.Buffer
	n := 0
	for b.Len() <= MaxFileSize {
		n++
		fmt.Fprintf(&b, "{\"id\":\"l%d\",\"title\":\"t%d\",\"body\":\"%s\"}\n", n, n, strings.Repeat("word ", 200))
	}
	lines := filepath.Join(dir, "big.jsonl")
	if err := os.WriteFile(lines, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	got := 0
	if err := Each(lines, func(engine.Article) error { got++; return nil }); err != nil || got != n {
		t.Errorf("big JSON Lines: %d of %d articles, error %v", got, n, err)
	}
	if fp, err := Footprint(lines, int64(b.Len())); err != nil || fp != MaxLineSize {
		t.Errorf("Footprint of big JSON Lines = %d, %v", fp, err)
	}
}

package ingest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/watchfloor/watchfloor/engine"
)

// TestErrorsPrefixedOnce reads files that fail in each way Each and the
// parsers report, and checks that every error line names the package
// once (or not at all, for JSON Lines' PATH:LINE errors) and says why.
func TestErrorsPrefixedOnce(t *testing.T) {
	tests := []struct {
		name, file, data, want string
	}{
		{name: "missing", file: "missing.txt", want: "no such file"},
		{name: "empty text", file: "a.txt", data: "", want: "no text"},
		{name: "binary", file: "b.txt", data: "\x00\x00\x00\x00\x00\x00\x00\x00", want: "binary content"},
		{name: "unclosed front matter", file: "c.md", data: "---\ntitle: x\n", want: "no closing ---"},
		{name: "bad front matter", file: "d.md", data: "---\ntitle: [\n---\nb", want: "front matter"},
		{name: "bad published", file: "e.md", data: "---\npublished: yesterday\n---\nb", want: "cannot read time"},
		{name: "unknown charset", file: "f.md", data: "---\ncharset: klingon\n---\nb", want: "unknown charset"},
		{name: "invalid JSON", file: "g.json", data: "{", want: "invalid JSON"},
		{name: "JSON without text", file: "h.json", data: "{}", want: "neither title nor body"},
		{name: "JSON Lines bad lines", file: "i.jsonl", data: "{\n{}\n", want: "invalid JSON"},
		{name: "empty JSON Lines", file: "j.jsonl", data: "", want: "no text"},
		{name: "empty HTML", file: "k.html", data: "<html></html>", want: "no text"},
		{name: "not a message", file: "l.eml", data: "not a message", want: "read message"},
		{name: "multipart without boundary", file: "m.eml", data: "Subject: \r\nContent-Type: multipart/mixed\r\n\r\nx", want: "without boundary"},
		{name: "empty HTML part", file: "n.eml", data: "Subject: \r\nContent-Type: text/html\r\n\r\n<p></p>", want: "no text"},
		{name: "bad base64", file: "o.eml", data: "Subject: \r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!", want: "base64"},
		{name: "unsupported type", file: "p.pdf", data: "x", want: "unsupported file type"},
	}
	dir := t.TempDir()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, tc.file)
			if tc.name != "missing" {
				if err := os.WriteFile(path, []byte(tc.data), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			err := Each(path, func(engine.Article) error { return nil })
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q in it", err, tc.want)
			}
			for _, line := range strings.Split(err.Error(), "\n") {
				if n := strings.Count(line, "ingest: "); n > 1 {
					t.Errorf("%q names the package %d times", line, n)
				}
			}
		})
	}
}

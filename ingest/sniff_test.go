package ingest

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func gzipped(t *testing.T, s string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if _, err := zw.Write([]byte(s)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func zipped(t *testing.T, s string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	w, err := zw.Create("article.txt")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte(s)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// utf16LE encodes ASCII s as UTF-16 LE without a byte order mark.
func utf16LE(s string) []byte {
	var b []byte
	for _, c := range []byte(s) {
		b = append(b, c, 0)
	}
	return b
}

// TestReadFileTextOnly writes real files and checks that only text in the
// supported types is read, and that everything else fails with its reason.
func TestReadFileTextOnly(t *testing.T) {
	article := "Raid in Mosul\n\nIraqi forces arrested 160 ISIS militants in Mosul on Monday.\n"
	png := append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), make([]byte, 64)...)
	tests := []struct {
		name    string
		file    string
		data    []byte
		wantErr string // "" means read, with the title "Raid in Mosul"
	}{
		{name: "text", file: "a.txt", data: []byte(article)},
		{name: "markdown", file: "a.md", data: []byte(article)},
		{name: "latin-1 text", file: "a.txt", data: []byte("Raid in Mosul\n\nCaf\xe9 closed.\n")},
		{name: "utf-16 with BOM", file: "a.txt", data: append([]byte{0xFF, 0xFE}, utf16LE(article)...)},
		{name: "utf-16 without BOM", file: "a.txt", data: utf16LE(article)},
		{name: "png", file: "photo.png", data: png, wantErr: "unsupported file type .png"},
		{name: "pdf", file: "report.pdf", data: []byte("%PDF-1.7\n" + article), wantErr: "unsupported file type .pdf"},
		{name: "gz", file: "a.txt.gz", data: gzipped(t, article), wantErr: "unsupported file type .gz"},
		{name: "no extension", file: "README", data: []byte(article), wantErr: "unsupported file type: no extension"},
		{name: "log file", file: "app.log", data: []byte(article), wantErr: "unsupported file type .log"},
		{name: "gzip named txt", file: "a.txt", data: gzipped(t, article), wantErr: "binary content: gzip-compressed data"},
		{name: "zip named json", file: "a.json", data: zipped(t, article), wantErr: "binary content: a ZIP archive"},
		{name: "pdf named txt", file: "a.txt", data: []byte("%PDF-1.7\n" + article), wantErr: "binary content: a PDF document"},
		{name: "png named html", file: "a.html", data: png, wantErr: "binary content: a PNG image"},
		{name: "jpeg named md", file: "a.md", data: append([]byte{0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, 'J', 'F', 'I', 'F', 0}, article...), wantErr: "binary content: a JPEG image"},
		{name: "NUL bytes", file: "a.txt", data: []byte("Raid\x00 in\x01\x00 Mosul\x00\x00\n" + article), wantErr: "binary content: NUL bytes"},
		{name: "control bytes", file: "a.jsonl", data: bytes.Repeat([]byte("\x01\x02\x03ab\x04\x05\x06\x07cd\n"), 20), wantErr: "control characters"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), tt.file)
			if err := os.WriteFile(path, tt.data, 0o644); err != nil {
				t.Fatal(err)
			}
			arts, err := ReadFile(path)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want %q (read %d articles)", err, tt.wantErr, len(arts))
				}
				if len(arts) != 0 {
					t.Errorf("read %d articles from it, first titled %q", len(arts), arts[0].Title)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(arts) != 1 || arts[0].Title != "Raid in Mosul" {
				t.Errorf("articles %+v", arts)
			}
		})
	}
}

// FuzzCheckText checks that the sniffer never panics and that a file
// starting with a known magic number is never taken for text.
func FuzzCheckText(f *testing.F) {
	for _, s := range []string{"plain text\n", "\x1f\x8b\x08\x00", "%PDF-1.4", "\xff\xfeT\x00", "T\x00i\x00", "\x00\x01\x02", "BZh91AY&SY", ""} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		err := checkText(data)
		for _, s := range signatures {
			if bytes.HasPrefix(data, []byte(s.magic)) && err == nil {
				t.Fatalf("%q taken for text", data)
			}
		}
	})
}

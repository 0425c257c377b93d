// Package ingest reads inbox files into engine.Articles.
//
// Formats, by extension: .txt and .md/.markdown (plain text with optional
// YAML front matter; without a title there, the first real line is the
// title, skipping boilerplate such as "skip to main content" and photo
// captions), .html/.htm (main text extracted), .json (one article object),
// .jsonl (one object per line) and .eml (Subject, first text part, Date).
// A file of any other type, or whose first bytes are not text (a
// compressed file, an archive, an image, a PDF, NUL or control bytes), is
// an error and is never parsed.
// Text in any declared or detectable charset is converted to UTF-8 (see
// DecodeText); invalid bytes never make a read fail or garble the valid
// text around them.
//
// HTML character references in titles and bodies are decoded at most
// twice, so text escaped twice on its way ("Don&amp;#39;t",
// "&amp;quot;") reads as written; HTML, which its parser decodes once, is
// decoded once more. See DecodeEntities.
//
// Every article returned has its Source ("file:PATH", or "file:PATH#LINE"
// for JSON Lines) and its ID (engine.ArticleID) set.
package ingest

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/watchfloor/watchfloor/engine"
)

// MaxFileSize bounds the size of one input file.
const MaxFileSize = 32 << 20

// LineError is a failure at one line of an input file; Line counts from 1.
type LineError struct {
	Path string
	Line int
	Err  error
}

// Error returns "PATH:LINE: message".
func (e *LineError) Error() string { return fmt.Sprintf("%s:%d: %v", e.Path, e.Line, e.Err) }

// Unwrap returns the underlying error.
func (e *LineError) Unwrap() error { return e.Err }

// Supported reports whether path has an extension ingest reads.
func Supported(path string) bool {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".txt", ".text", ".md", ".markdown", ".html", ".htm", ".json", ".jsonl", ".ndjson", ".eml":
		return true
	}
	return false
}

// ReadFile reads and parses one file. For .jsonl, valid lines are returned
// even when others fail; the error then joins one *LineError per bad line.
// A file whose extension is not one of the supported ones, or whose content
// is binary (see Parse), is an error.
func ReadFile(path string) ([]engine.Article, error) {
	if err := checkType(path); err != nil {
		return nil, fmt.Errorf("ingest: %s: %w", path, err)
	}
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("ingest: %w", err)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("ingest: %s: not a regular file", path)
	}
	if st.Size() > MaxFileSize {
		return nil, fmt.Errorf("ingest: %s: %d bytes, over the %d byte limit", path, st.Size(), MaxFileSize)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("ingest: %w", err)
	}
	return Parse(path, data)
}

// Parse parses data as if read from a file called name; the format comes
// from name's extension, and "-" or no known extension means plain text.
// Binary content is an error whatever the name: a compressed file, an
// archive, an image or a PDF (by magic number), NUL bytes other than those
// of UTF-16 text, or more than one control character in ten bytes among
// the first SniffSize bytes.
func Parse(name string, data []byte) ([]engine.Article, error) {
	if err := checkText(data); err != nil {
		return nil, fmt.Errorf("ingest: %s: %w", name, err)
	}
	var arts []engine.Article
	var err error
	switch strings.ToLower(filepath.Ext(name)) {
	case ".json":
		var a engine.Article
		a, err = parseJSON(name, data)
		if err == nil {
			arts = []engine.Article{a}
		}
	case ".jsonl", ".ndjson":
		arts, err = parseJSONLines(name, data)
	case ".eml":
		var a engine.Article
		a, err = parseEML(name, data)
		if err == nil {
			arts = []engine.Article{a}
		}
	case ".html", ".htm":
		var a engine.Article
		a, err = ParseHTML(name, data, "", "")
		if err == nil {
			arts = []engine.Article{a}
		}
	default:
		var a engine.Article
		a, err = parseText(name, data)
		if err == nil {
			arts = []engine.Article{a}
		}
	}
	for i := range arts {
		if arts[i].Source == "" {
			arts[i].Source = "file:" + name
		}
		arts[i].EnsureID()
	}
	return arts, err
}

// errEmpty is returned for input with no text at all.
var errEmpty = errors.New("no text")

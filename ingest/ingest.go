// Package ingest reads inbox files into engine.Articles.
//
// Formats, by extension: .txt and .md/.markdown (plain text with optional
// YAML front matter; without a title there, the first real line is the
// title, skipping boilerplate such as "skip to main content" and photo
// captions), .html/.htm (main text extracted, then turned into text by
// the rules of HTMLText, which feeds use too), .json (one article object),
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
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/watchfloor/watchfloor/engine"
)

// MaxFileSize bounds a file read whole: every type but HTML and JSON
// Lines. Such a file is one article, and scoring an article takes many
// times its size in memory (about 45 times for a text that matches rules
// throughout), so the bound keeps a daemon's memory in tens of megabytes;
// a news article is a few kilobytes.
const MaxFileSize = 1 << 20

// MaxHTMLSize bounds an HTML file, much of which is markup and scripts
// that extraction drops.
const MaxHTMLSize = 2 << 20

// MaxLineSize bounds one line of a JSON Lines file, which is read line by
// line: the file itself may be of any size.
const MaxLineSize = 1 << 20

// maxLineErrors bounds the line errors one JSON Lines read reports one by
// one; the rest are counted.
const maxLineErrors = 100

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
// is binary (see Parse), is an error. ReadFile holds every article of the
// file at once: the inbox reads with Each.
func ReadFile(path string) ([]engine.Article, error) {
	var arts []engine.Article
	err := Each(path, func(a engine.Article) error {
		arts = append(arts, a)
		return nil
	})
	return arts, err
}

// Footprint is how many bytes of a file of the given size a read holds at
// once: the size for a file read whole, at most MaxLineSize for JSON Lines,
// which is read line by line. It is an error when a file read whole is
// over MaxFileSize (MaxHTMLSize for HTML); the type itself is checked when the file is read.
func Footprint(path string, size int64) (int64, error) {
	if isJSONLines(path) {
		return min(size, MaxLineSize), nil
	}
	if limit := maxSize(path); size > limit {
		return 0, fmt.Errorf("ingest: %s: %d bytes, over the %d byte limit of a file read whole (JSON Lines files have no size limit)", filepath.Base(path), size, limit)
	}
	return size, nil
}

// maxSize is the limit of a file read whole.
func maxSize(path string) int64 {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".html", ".htm":
		return MaxHTMLSize
	}
	return MaxFileSize
}

// Each reads the file at path and calls fn with each of its articles in
// order, as it reads them: a JSON Lines file is read line by line (lines up
// to MaxLineSize), so its size does not bound memory; any other file, up to
// MaxFileSize (MaxHTMLSize for HTML), is read whole and has one article. When fn returns an error,
// Each stops and returns that error as it is. Otherwise Each returns the
// file's read errors: for JSON Lines, fn has had every valid line and the
// error joins one *LineError per bad line (the first 100, then a count).
func Each(path string, fn func(engine.Article) error) error {
	if err := checkType(path); err != nil {
		return fmt.Errorf("ingest: %s: %w", path, err)
	}
	st, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("ingest: %w", err)
	}
	if !st.Mode().IsRegular() {
		return fmt.Errorf("ingest: %s: not a regular file", path)
	}
	if _, err := Footprint(path, st.Size()); err != nil {
		return err
	}
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("ingest: %w", err)
	}
	defer f.Close()
	if isJSONLines(path) {
		br := bufio.NewReaderSize(f, 64<<10)
		head, _ := br.Peek(SniffSize)
		if err := checkText(head); err != nil {
			return fmt.Errorf("ingest: %s: %w", path, err)
		}
		return eachJSONLine(path, br, fn)
	}
	// The file may have grown since Stat.
	limit := maxSize(path)
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return fmt.Errorf("ingest: %w", err)
	}
	if int64(len(data)) > limit {
		return fmt.Errorf("ingest: %s: over the %d byte limit of a file read whole", path, limit)
	}
	arts, perr := Parse(path, data)
	for _, a := range arts {
		if err := fn(a); err != nil {
			return err
		}
	}
	return perr
}

func isJSONLines(path string) bool {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".jsonl", ".ndjson":
		return true
	}
	return false
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
		err = eachJSONLine(name, bytes.NewReader(data), func(a engine.Article) error {
			arts = append(arts, a)
			return nil
		})
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

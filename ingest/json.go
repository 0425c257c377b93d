package ingest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"

	"github.com/watchfloor/watchfloor/engine"
)

// jsonArticle is the accepted shape of a JSON article; other fields are
// ignored.
type jsonArticle struct {
	// ID, when present and not blank, is the article's id (pinned:
	// labelled corpora and upstream systems rely on it).
	ID        *string `json:"id"`
	Title     *string `json:"title"`
	Body      *string `json:"body"`
	Content   *string `json:"content"`
	Text      *string `json:"text"`
	URL       *string `json:"url"`
	Published *string `json:"published"`
	Lang      *string `json:"lang"`
}

func parseJSON(name string, data []byte) (engine.Article, error) {
	// Valid UTF-8, the usual case, is decoded as it is, without a copy.
	if !utf8.Valid(data) || bytes.IndexByte(data, 0) >= 0 || bytes.HasPrefix(data, []byte{0xEF, 0xBB, 0xBF}) {
		text, err := DecodeText(data, "")
		if err != nil {
			return engine.Article{}, fmt.Errorf("ingest: %s: %w", name, err)
		}
		data = []byte(text)
	}
	a, err := decodeArticle(data)
	if err != nil {
		var le *lineErr
		if errors.As(err, &le) {
			return a, fmt.Errorf("ingest: %s:%d: %s", name, le.line, le.msg)
		}
		return a, fmt.Errorf("ingest: %s: %w", name, err)
	}
	return a, nil
}

// eachJSONLine reads JSON Lines from r one line at a time and calls fn with
// each valid article, its Source "file:NAME#LINE" and its ID set. It stops
// at fn's first error and returns it as it is; otherwise it returns the
// bad lines' errors. A UTF-16 file (with a byte order mark) is decoded as
// it is read; other lines are decoded one by one (see DecodeText).
func eachJSONLine(name string, r io.Reader, fn func(engine.Article) error) error {
	br := bufio.NewReaderSize(r, 64<<10)
	if bom, _ := br.Peek(2); bytes.Equal(bom, []byte{0xFF, 0xFE}) || bytes.Equal(bom, []byte{0xFE, 0xFF}) {
		// The decoder reads and drops the byte order mark itself.
		order := unicode.LittleEndian
		if bom[0] == 0xFE {
			order = unicode.BigEndian
		}
		br = bufio.NewReaderSize(transform.NewReader(br, unicode.UTF16(order, unicode.ExpectBOM).NewDecoder()), 64<<10)
	}
	var errs []error
	bad, articles := 0, 0
	var buf []byte
	for n := 1; ; n++ {
		line, tooLong, rerr := readLine(br, buf[:0], MaxLineSize)
		buf = line
		if rerr != nil && !errors.Is(rerr, io.EOF) {
			errs = append(errs, fmt.Errorf("ingest: %s:%d: %w", name, n, rerr))
			break
		}
		var lerr error
		switch {
		case tooLong:
			lerr = fmt.Errorf("line longer than %d bytes", MaxLineSize)
		default:
			line = bytes.TrimSpace(line)
			if n == 1 {
				line = bytes.TrimPrefix(line, []byte{0xEF, 0xBB, 0xBF})
			}
			if len(line) == 0 {
				break
			}
			if !utf8.Valid(line) || bytes.IndexByte(line, 0) >= 0 {
				text, err := DecodeText(line, "")
				if err != nil {
					lerr = err
					break
				}
				line = []byte(text)
			}
			a, err := decodeArticle(line)
			if err != nil {
				var le *lineErr
				if errors.As(err, &le) {
					err = errors.New(le.msg)
				}
				lerr = err
				break
			}
			a.Source = fmt.Sprintf("file:%s#%d", name, n)
			a.EnsureID()
			articles++
			if err := fn(a); err != nil {
				return err
			}
		}
		if lerr != nil {
			if bad++; bad <= maxLineErrors {
				errs = append(errs, &LineError{Path: name, Line: n, Err: lerr})
			}
		}
		if rerr != nil {
			break
		}
	}
	if bad > maxLineErrors {
		errs = append(errs, fmt.Errorf("ingest: %s: %d more bad lines", name, bad-maxLineErrors))
	}
	if articles == 0 && bad == 0 && len(errs) == 0 {
		errs = append(errs, fmt.Errorf("ingest: %s: %w", name, errEmpty))
	}
	return errors.Join(errs...)
}

// readLine reads one line into buf, without its newline. A line longer
// than max bytes is read to its end but not kept, and reported tooLong.
// err is io.EOF after the last line, which may be unterminated.
func readLine(br *bufio.Reader, buf []byte, max int) (line []byte, tooLong bool, err error) {
	for {
		frag, err := br.ReadSlice('\n')
		frag = bytes.TrimSuffix(frag, []byte{'\n'})
		if !tooLong {
			if len(buf)+len(frag) > max {
				tooLong, buf = true, buf[:0]
			} else {
				buf = append(buf, frag...)
			}
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		return buf, tooLong, err
	}
}

// lineErr is a JSON error at a line of its input.
type lineErr struct {
	line int
	msg  string
}

func (e *lineErr) Error() string { return fmt.Sprintf("line %d: %s", e.line, e.msg) }

func decodeArticle(data []byte) (engine.Article, error) {
	var a engine.Article
	dec := json.NewDecoder(bytes.NewReader(data))
	var ja jsonArticle
	if err := dec.Decode(&ja); err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			return a, &lineErr{line: lineAt(data, se.Offset), msg: "invalid JSON: " + se.Error()}
		case errors.As(err, &te):
			if te.Field == "" {
				return a, &lineErr{line: lineAt(data, te.Offset), msg: "an article must be a JSON object"}
			}
			return a, &lineErr{line: lineAt(data, te.Offset), msg: fmt.Sprintf("field %q must be a %s, not %s", te.Field, "string", te.Value)}
		}
		return a, &lineErr{line: 1, msg: "invalid JSON: " + err.Error()}
	}
	if dec.More() {
		return a, &lineErr{line: lineAt(data, dec.InputOffset()), msg: "more than one JSON value (use .jsonl for one article per line)"}
	}
	str := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	a.ID = strings.TrimSpace(str(ja.ID))
	a.Title = strings.TrimSpace(DecodeEntities(str(ja.Title), maxEntityRounds))
	for _, b := range []*string{ja.Body, ja.Content, ja.Text} {
		if b != nil && strings.TrimSpace(*b) != "" {
			a.Body = DecodeEntities(*b, maxEntityRounds)
			break
		}
	}
	a.URL = strings.TrimSpace(str(ja.URL))
	a.Lang = strings.TrimSpace(str(ja.Lang))
	if p := strings.TrimSpace(str(ja.Published)); p != "" {
		t, err := parseTime(p)
		if err != nil {
			return a, &lineErr{line: 1, msg: "published: " + err.Error()}
		}
		a.Published = t
	}
	if a.Title == "" && strings.TrimSpace(a.Body) == "" {
		return a, &lineErr{line: 1, msg: "article has neither title nor body (body, content or text)"}
	}
	return a, nil
}

func lineAt(data []byte, off int64) int {
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	if off < 0 {
		off = 0
	}
	return bytes.Count(data[:off], []byte{'\n'}) + 1
}

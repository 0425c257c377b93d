package ingest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

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
	text, err := DecodeText(data, "")
	if err != nil {
		return engine.Article{}, fmt.Errorf("ingest: %s: %w", name, err)
	}
	a, err := decodeArticle([]byte(text))
	if err != nil {
		var le *lineErr
		if errors.As(err, &le) {
			return a, fmt.Errorf("ingest: %s:%d: %s", name, le.line, le.msg)
		}
		return a, fmt.Errorf("ingest: %s: %w", name, err)
	}
	return a, nil
}

func parseJSONLines(name string, data []byte) ([]engine.Article, error) {
	text, err := DecodeText(data, "")
	if err != nil {
		return nil, fmt.Errorf("ingest: %s: %w", name, err)
	}
	var arts []engine.Article
	var errs []error
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		a, err := decodeArticle([]byte(line))
		if err != nil {
			var le *lineErr
			if errors.As(err, &le) {
				err = errors.New(le.msg)
			}
			errs = append(errs, &LineError{Path: name, Line: i + 1, Err: err})
			continue
		}
		a.Source = fmt.Sprintf("file:%s#%d", name, i+1)
		arts = append(arts, a)
	}
	if len(arts) == 0 && len(errs) == 0 {
		errs = append(errs, fmt.Errorf("ingest: %s: %w", name, errEmpty))
	}
	return arts, errors.Join(errs...)
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

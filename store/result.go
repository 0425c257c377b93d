package store

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"

	"github.com/watchfloor/watchfloor/engine"
)

// Result is the scoring result kept with an article in articles.result,
// so history can be queried and replayed: for each matching rule its
// score, severity, labels, event fields and evidence (each term with its
// count and token positions), and the summary sentences.
//
// What can be rebuilt is not kept: evidence snippets are excerpts of the
// article's body around the positions, and a rule's notify list belongs
// to the config. A Result read back has them empty; field values come
// back as JSON decodes them (numbers as float64, lists as []any).
type Result struct {
	Matches []engine.Match
	Summary []string
	// enc is the stored form, made by NewResult.
	enc string
}

// NewResult returns the part of res that is stored with its article,
// encoded at once: the work is done in the caller's goroutine rather than
// by the store's single writer while it commits. Changes made to the
// Result afterwards are not stored.
func NewResult(res engine.Result) *Result {
	r := &Result{Matches: res.Matches, Summary: res.Summary}
	r.enc = r.encode()
	return r
}

// The stored form: compact JSON, readable with SQLite's JSON functions
// (json_extract(result, '$.matches[0].rule')).
type resultDoc struct {
	Matches []matchDoc `json:"matches,omitempty"`
	Summary []string   `json:"summary,omitempty"`
}

type matchDoc struct {
	Rule     string            `json:"rule"`
	Score    score             `json:"score"`
	Severity string            `json:"severity,omitempty"`
	Labels   map[string]string `json:"labels,omitempty"`
	Fields   map[string]any    `json:"fields,omitempty"`
	Evidence []evidenceDoc     `json:"evidence,omitempty"`
}

type evidenceDoc struct {
	Term string `json:"term"`
	// Count is kept only when it is not the number of positions.
	Count     int   `json:"count,omitempty"`
	Positions []int `json:"positions"`
}

// score is a rule's score; one that is not finite (a rule dividing by
// zero) is written as a string, which JSON numbers cannot hold.
type score float64

func (s score) MarshalJSON() ([]byte, error) {
	f := float64(s)
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return []byte(`"` + strconv.FormatFloat(f, 'g', -1, 64) + `"`), nil
	}
	return strconv.AppendFloat(nil, f, 'g', -1, 64), nil
}

func (s *score) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var str string
		if err := json.Unmarshal(b, &str); err != nil {
			return err
		}
		b = []byte(str)
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return fmt.Errorf("score %s: %w", b, err)
	}
	*s = score(f)
	return nil
}

// resultColumn is the value of articles.result for r: its stored form,
// or NULL for none.
func resultColumn(r *Result) any {
	if r == nil {
		return nil
	}
	if r.enc != "" {
		return r.enc
	}
	return r.encode()
}

// encode returns the stored form of r. It does not fail: an event field
// whose value JSON cannot hold is kept as its text, so a scored article is
// always committed.
func (r *Result) encode() string {
	doc := resultDoc{Summary: r.Summary, Matches: make([]matchDoc, len(r.Matches))}
	for i, m := range r.Matches {
		md := matchDoc{Rule: m.Rule, Score: score(m.Score), Severity: m.Severity, Labels: m.Labels, Fields: m.Fields}
		if len(m.Evidence) > 0 {
			md.Evidence = make([]evidenceDoc, len(m.Evidence))
			for j, e := range m.Evidence {
				ed := evidenceDoc{Term: e.Term, Positions: e.Positions}
				if e.Count != len(e.Positions) {
					ed.Count = e.Count
				}
				if ed.Positions == nil {
					ed.Positions = []int{}
				}
				md.Evidence[j] = ed
			}
		}
		doc.Matches[i] = md
	}
	b, err := json.Marshal(doc)
	if err != nil {
		for i := range doc.Matches {
			doc.Matches[i].Fields = textFields(doc.Matches[i].Fields)
		}
		// Left are strings, numbers, JSON values and finite or quoted
		// scores, which always encode.
		b, _ = json.Marshal(doc)
	}
	return string(b)
}

// textFields returns fields with every value that JSON cannot encode
// replaced by its text.
func textFields(fields map[string]any) map[string]any {
	if fields == nil {
		return nil
	}
	out := make(map[string]any, len(fields))
	for k, v := range fields {
		if _, err := json.Marshal(v); err != nil {
			v = fmt.Sprint(v)
		}
		out[k] = v
	}
	return out
}

// decodeResult reads the stored form back.
func decodeResult(s string) (*Result, error) {
	var doc resultDoc
	if err := json.Unmarshal([]byte(s), &doc); err != nil {
		return nil, err
	}
	r := &Result{Summary: doc.Summary}
	if len(doc.Matches) > 0 {
		r.Matches = make([]engine.Match, len(doc.Matches))
	}
	for i, md := range doc.Matches {
		m := engine.Match{Rule: md.Rule, Score: float64(md.Score), Severity: md.Severity, Labels: md.Labels, Fields: md.Fields}
		if len(md.Evidence) > 0 {
			m.Evidence = make([]engine.Evidence, len(md.Evidence))
			for j, ed := range md.Evidence {
				e := engine.Evidence{Term: ed.Term, Count: ed.Count, Positions: ed.Positions}
				if e.Count == 0 {
					e.Count = len(e.Positions)
				}
				m.Evidence[j] = e
			}
		}
		r.Matches[i] = m
	}
	return r, nil
}

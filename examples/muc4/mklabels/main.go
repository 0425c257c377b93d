// Command mklabels turns the MUC-4 answer keys into a labels file for
// `watchfloor eval`: it reads lines {"id": …, "incidents": [{"type": …}, …]}
// on stdin and writes one line {"id": …, "rules": […]} per article on
// stdout. An article is positive for rule attack, bombing, kidnapping or
// arson when its answer key lists an incident of that type (ATTACK,
// BOMBING, KIDNAPPING, ARSON); ROBBERY and FORCED WORK STOPPAGE are
// ignored; an article with none of the four gets "rules": [].
//
// From the repository root:
//
//	go run ./examples/muc4/mklabels < ../shared/corpus/dev/muc4/labels.jsonl > examples/muc4/labels.jsonl
//
// With -skip-optional, incidents the key marks optional (of doubtful
// relevance) do not make an article positive.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
)

// ruleOf maps an incident type to its rule; "" means the type is ignored.
var ruleOf = map[string]string{
	"ATTACK":               "attack",
	"BOMBING":              "bombing",
	"KIDNAPPING":           "kidnapping",
	"ARSON":                "arson",
	"ROBBERY":              "",
	"FORCED WORK STOPPAGE": "",
}

// ruleOrder is the order of the rules within a line.
var ruleOrder = []string{"attack", "bombing", "kidnapping", "arson"}

// keyLine is the part of an answer-key line that mklabels reads.
type keyLine struct {
	ID        *string `json:"id"`
	Incidents []struct {
		Type     string `json:"type"`
		Optional bool   `json:"optional"`
	} `json:"incidents"`
}

// labelLine is one line of an eval labels file.
type labelLine struct {
	ID    string   `json:"id"`
	Rules []string `json:"rules"`
}

func main() {
	skipOptional := flag.Bool("skip-optional", false, "ignore incidents the answer key marks optional")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: mklabels [-skip-optional] < muc4/labels.jsonl > labels.jsonl")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() > 0 {
		flag.Usage()
		os.Exit(2)
	}
	out := bufio.NewWriter(os.Stdout)
	n, err := convert(os.Stdin, out, *skipOptional)
	if ferr := out.Flush(); err == nil {
		err = ferr
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "mklabels: %d articles\n", n)
}

// convert reads answer-key lines from r and writes label lines to w, one
// per article in input order; it returns the number of articles written.
func convert(r io.Reader, w io.Writer, skipOptional bool) (int, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 64*1024*1024)
	enc := json.NewEncoder(w)
	seen := map[string]int{}
	n := 0
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" {
			continue
		}
		var k keyLine
		if err := json.Unmarshal([]byte(text), &k); err != nil {
			return n, fmt.Errorf("mklabels: line %d: %w", line, err)
		}
		if k.ID == nil || strings.TrimSpace(*k.ID) == "" {
			return n, fmt.Errorf("mklabels: line %d: no id", line)
		}
		id := strings.TrimSpace(*k.ID)
		if prev, dup := seen[id]; dup {
			return n, fmt.Errorf("mklabels: line %d: id %q already seen at line %d", line, id, prev)
		}
		seen[id] = line
		pos := map[string]bool{}
		for _, inc := range k.Incidents {
			rule, ok := ruleOf[strings.ToUpper(strings.TrimSpace(inc.Type))]
			if !ok {
				return n, fmt.Errorf("mklabels: line %d: unknown incident type %q", line, inc.Type)
			}
			if rule == "" || (skipOptional && inc.Optional) {
				continue
			}
			pos[rule] = true
		}
		out := labelLine{ID: id, Rules: []string{}}
		for _, r := range ruleOrder {
			if pos[r] {
				out.Rules = append(out.Rules, r)
			}
		}
		if err := enc.Encode(out); err != nil {
			return n, fmt.Errorf("mklabels: %w", err)
		}
		n++
	}
	if err := sc.Err(); err != nil {
		return n, fmt.Errorf("mklabels: %w", err)
	}
	return n, nil
}

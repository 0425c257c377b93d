package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"

	"github.com/watchfloor/watchfloor/engine"
	"github.com/watchfloor/watchfloor/ingest"
	"github.com/watchfloor/watchfloor/notifiers"
)

func cmdClassify(ctx context.Context, args []string, std stdio) int {
	fs := newFlags("classify", "[--rules DIR] [--format text|json] PATH... ('-' reads stdin)", std)
	rulesDir := fs.String("rules", defaultRulesDir, "rules directory")
	format := fs.String("format", "text", "output format: text or json (one object per line)")
	color := fs.String("color", "auto", "colour in text output: auto, always or never")
	if code, ok := parse(fs, args); !ok {
		return code
	}
	if *format != "text" && *format != "json" {
		fmt.Fprintf(std.err, "watchfloor classify: unknown format %q (want text or json)\n", *format)
		return exitUsage
	}
	if fs.NArg() == 0 {
		fmt.Fprintln(std.err, "watchfloor classify: no input; give files, directories or - for stdin")
		fs.Usage()
		return exitUsage
	}
	set, err := loadRules(*rulesDir, flagSet(fs, "rules"), std)
	if err != nil {
		fmt.Fprintln(std.err, err)
		return exitUsage
	}
	inputs, listErrs := expandInputs(fs.Args())
	for _, e := range listErrs {
		fmt.Fprintf(std.err, "watchfloor classify: %v\n", e)
	}
	// Output errors (a full disk, a closed pipe) are kept, printing stops
	// and the exit status says so: a truncated result is never a success.
	ew := &errWriter{w: std.out}
	w := bufio.NewWriter(ew)
	var pr printer
	if *format == "json" {
		pr = jsonPrinter{w: w}
	} else {
		pr = &textPrinter{w: w, color: useColor(*color, std.out)}
	}
	readErrs := classifyAll(ctx, set.Rules, inputs, std.in, func(res engine.Result) {
		if ew.err == nil {
			pr.print(res)
		}
	}, func(err error) { fmt.Fprintf(std.err, "watchfloor classify: %v\n", err) })
	if err := w.Flush(); err != nil || ew.err != nil {
		fmt.Fprintf(std.err, "watchfloor classify: writing the output: %v\n", errors.Join(ew.err, err))
		return exitInput
	}
	if len(listErrs) > 0 || readErrs > 0 {
		return exitInput
	}
	return exitOK
}

// expandInputs turns the arguments into a list of files: directories are
// walked for files ingest reads, skipping hidden entries.
func expandInputs(args []string) ([]string, []error) {
	var out []string
	var errs []error
	for _, a := range args {
		if a == "-" {
			out = append(out, a)
			continue
		}
		st, err := os.Stat(a)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if !st.IsDir() {
			out = append(out, a)
			continue
		}
		var found []string
		err = filepath.WalkDir(a, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				errs = append(errs, err)
				return nil
			}
			if p != a && strings.HasPrefix(d.Name(), ".") {
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			if !d.IsDir() && ingest.Supported(p) {
				found = append(found, p)
			}
			return nil
		})
		if err != nil {
			errs = append(errs, err)
		}
		sort.Strings(found)
		out = append(out, found...)
	}
	return out, errs
}

// classifyAll reads and scores the inputs on every core, and calls emit
// with the results in input order. It returns the number of inputs that
// could not be read (each reported through fail).
func classifyAll(ctx context.Context, rs *engine.RuleSet, inputs []string, stdin io.Reader, emit func(engine.Result), fail func(error)) int {
	type job struct {
		idx  int
		path string
	}
	type done struct {
		results []engine.Result
		err     error
	}
	out := make([]chan done, len(inputs))
	for i := range out {
		out[i] = make(chan done, 1)
	}
	jobs := make(chan job)
	workers := min(runtime.GOMAXPROCS(0), max(len(inputs), 1))
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sc := rs.NewScorer()
			sc.SummarizeAll = true
			for j := range jobs {
				var arts []engine.Article
				var err error
				if j.path == "-" {
					var data []byte
					data, err = io.ReadAll(stdin)
					if err == nil {
						arts, err = ingest.Parse("-", data)
					}
				} else {
					arts, err = ingest.ReadFile(j.path)
				}
				d := done{err: err}
				for _, a := range arts {
					d.results = append(d.results, sc.Score(a))
				}
				out[j.idx] <- d
			}
		}()
	}
	go func() {
		defer close(jobs)
		for i, p := range inputs {
			select {
			case jobs <- job{i, p}:
			case <-ctx.Done():
				for ; i < len(inputs); i++ {
					out[i] <- done{err: fmt.Errorf("%s: %w", inputs[i], ctx.Err())}
				}
				return
			}
		}
	}()
	failed := 0
	for i := range inputs {
		d := <-out[i]
		for _, r := range d.results {
			emit(r)
		}
		if d.err != nil {
			failed++
			fail(d.err)
		}
	}
	wg.Wait()
	return failed
}

type printer interface{ print(engine.Result) }

// errWriter keeps the first write error of w and fails every write after
// it.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, err
}

// jsonPrinter writes one result per line. It calls Result.MarshalJSON
// itself: through json.Encoder the output of a Marshaler is parsed and
// compacted again, which costs as much as marshalling it (the bytes are
// the same).
type jsonPrinter struct{ w io.Writer }

func (p jsonPrinter) print(r engine.Result) {
	b, err := r.MarshalJSON()
	if err != nil {
		return
	}
	_, _ = p.w.Write(append(b, '\n'))
}

// textPrinter renders results for people: title, matched rules with score
// and severity, their event fields on one line, evidence terms, summary
// bullets.
type textPrinter struct {
	w     io.Writer
	color bool
	n     int
}

func (p *textPrinter) paint(code, s string) string {
	if !p.color {
		return s
	}
	return "\x1b[" + code + "m" + s + "\x1b[0m"
}

var severityColor = map[string]string{"critical": "1;31", "high": "31", "medium": "33", "low": "36", "info": "2"}

func (p *textPrinter) print(r engine.Result) {
	if p.n > 0 {
		fmt.Fprintln(p.w)
	}
	p.n++
	title := r.Article.Title
	if title == "" {
		title = "(untitled)"
	}
	fmt.Fprintln(p.w, p.paint("1", title))
	meta := r.Article.Source
	if r.Article.URL != "" {
		meta += "  " + r.Article.URL
	}
	if t := engine.FormatTime(r.Article.Published); t != "" {
		meta += "  " + t
	}
	fmt.Fprintln(p.w, p.paint("2", meta))
	if len(r.Matches) == 0 {
		fmt.Fprintln(p.w, "  no rule matched")
	}
	for _, m := range r.Matches {
		sev := p.paint(severityColor[m.Severity], fmt.Sprintf("%-8s", m.Severity))
		fmt.Fprintf(p.w, "  %s %s  score %g\n", sev, p.paint("1", m.Rule), m.Score)
		if line := notifiers.FieldsLine(m.Fields); line != "" {
			fmt.Fprintf(p.w, "           %s\n", line)
		}
		var terms []string
		for _, e := range m.Evidence {
			terms = append(terms, fmt.Sprintf("%s ×%d", e.Term, e.Count))
		}
		if len(terms) > 0 {
			fmt.Fprintf(p.w, "           evidence: %s\n", strings.Join(terms, ", "))
		}
	}
	for _, e := range r.Errors {
		fmt.Fprintf(p.w, "  %s %v\n", p.paint("31", "error"), e)
	}
	if len(r.Summary) > 0 {
		fmt.Fprintln(p.w, "  summary:")
		for _, s := range r.Summary {
			fmt.Fprintf(p.w, "    • %s\n", s)
		}
	}
}

// useColor decides on colour: "auto" means only on a terminal and when
// NO_COLOR is not set.
func useColor(mode string, w io.Writer) bool {
	switch mode {
	case "always":
		return true
	case "never":
		return false
	}
	if os.Getenv("NO_COLOR") != "" {
		return false
	}
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

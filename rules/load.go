// Package rules reads rule and lexicon files from a rules directory,
// validates them strictly, and compiles them into an engine.RuleSet. Every
// problem is reported as FILE:LINE:COL: message, all of them at once (one
// *poserr.Error each, in a poserr.List sorted by file and position), and a
// directory with any problem yields no rule set at all: rules load all
// together or not at all.
//
// The directory is read recursively; *.yaml and *.yml files are rule files,
// except *_test.yaml and *_test.yml, which are rule unit tests (see Test).
// Only regular files (a symlink counts by its target) of at most
// MaxFileSize bytes are read: a named pipe or a device is an error that
// names the file, never a read that blocks or does not end.
// Files and directories whose names start with "." are skipped, which also
// skips the "..data" directories of Kubernetes ConfigMap volumes (their
// files are reached through the top-level symlinks).
//
// Lexicons compose ("@name" includes, extend_lexicons; see lexicons.go):
// the loader resolves them and gives the engine flat term lists.
package rules

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"github.com/watchfloor/watchfloor/engine"
	"github.com/watchfloor/watchfloor/internal/poserr"
)

// Set is a loaded rules directory.
type Set struct {
	Rules *engine.RuleSet
	// Files are the rule files read, relative to the directory.
	Files []string
	// Tests are the rule unit test files found, relative to the directory.
	Tests []string
	// notify holds where each rule names each of its notifiers.
	notify []notifyRef
}

// notifyRef is one entry of a rule's notify list, with its place.
type notifyRef struct {
	rule, notifier, file string
	node                 *yaml.Node
}

// CheckNotifiers returns an error for every notify entry of a rule that
// names a notifier for which known is false, at the entry's place in its
// file: FILE:LINE:COL: rule "r": notify: no notifier named "x" in the
// config. The errors are sorted by file and position; nil when every
// entry is known.
func (s *Set) CheckNotifiers(known func(name string) bool) error {
	var errs poserr.List
	for _, r := range s.notify {
		if !known(r.notifier) {
			errs = append(errs, at(r.file, r.node, "rule %q: notify: no notifier named %q in the config", r.rule, r.notifier))
		}
	}
	return errs.Err()
}

// ruleDoc is one parsed rule with the nodes needed to position errors.
type ruleDoc struct {
	spec         engine.RuleSpec
	file         string
	node         *yaml.Node
	when, score  *yaml.Node
	nameNode     *yaml.Node
	severityNode *yaml.Node
	fields       map[string]*yaml.Node // field name → its expression node
	notify       []*yaml.Node          // the node of each entry of spec.Notify
	raw          []string              // the file's lines, to place errors inside values
	// compile is false when the rule's name or when is unusable; a rule
	// with other errors is compiled all the same, for its expressions'
	// errors, with the values in error left out of its spec.
	compile bool
}

// fileDoc is what one rule file holds.
type fileDoc struct {
	unparsed bool // not YAML: nothing of the file could be read
	rules    []ruleDoc
	lexicons []lexDoc // in file order
	extends  []lexDoc // extend_lexicons entries, in file order
}

// IsRuleFile reports whether name is a rule file (not a test, not hidden).
func IsRuleFile(name string) bool {
	base := filepath.Base(name)
	if strings.HasPrefix(base, ".") || IsTestFile(name) {
		return false
	}
	return strings.HasSuffix(base, ".yaml") || strings.HasSuffix(base, ".yml")
}

// IsTestFile reports whether name is a rule unit test file.
func IsTestFile(name string) bool {
	base := filepath.Base(name)
	return !strings.HasPrefix(base, ".") && (strings.HasSuffix(base, "_test.yaml") || strings.HasSuffix(base, "_test.yml"))
}

// Load reads and compiles every rule file under dir.
func Load(dir string) (*Set, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("rules: %w", err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("rules: %s is not a directory", dir)
	}
	return load(os.DirFS(dir), dir, func(rel string) ([]byte, error) {
		return ReadFile(filepath.Join(dir, filepath.FromSlash(rel)))
	})
}

// LoadFS reads and compiles every rule file of fsys; name is how errors
// refer to its root (a directory path, or a label for an embedded pack).
// Like Load, it reads only regular files of at most MaxFileSize bytes.
func LoadFS(fsys fs.FS, name string) (*Set, error) {
	return load(fsys, name, func(rel string) ([]byte, error) { return readFSFile(fsys, rel) })
}

// load lists the files of fsys and reads each rule file with read.
func load(fsys fs.FS, name string, read func(rel string) ([]byte, error)) (*Set, error) {
	files, tests, err := walk(fsys)
	if err != nil {
		return nil, err
	}
	set := &Set{Tests: tests}
	var errs poserr.List
	var docs []ruleDoc
	var lexicons, extends []lexDoc
	// unread is set when a file could not be read or parsed: it may have
	// defined a lexicon that a rule names.
	unread := false
	for _, rel := range files {
		set.Files = append(set.Files, rel)
		path := filepath.Join(name, rel)
		data, err := read(rel)
		if err != nil {
			errs = append(errs, &poserr.Error{File: path, Msg: err.Error()})
			unread = true
			continue
		}
		fd, fe := parseFile(path, data)
		errs = append(errs, fe...)
		unread = unread || fd.unparsed
		lexicons = append(lexicons, fd.lexicons...)
		extends = append(extends, fd.extends...)
		docs = append(docs, fd.rules...)
	}
	// Every problem is reported at once: the rules are compiled even when
	// files or lexicons have errors, against every lexicon that could be
	// read (a broken one with the terms it has).
	lex, le := resolveLexicons(lexicons, extends)
	errs = append(errs, le...)
	c, err := engine.NewCompiler(lex)
	if err != nil {
		// Terms were checked with their positions in parseFile.
		return nil, err
	}
	var probe *engine.Compiler // for the expressions after a broken one
	names := map[string]*ruleDoc{}
	for i := range docs {
		d := &docs[i]
		if prev, ok := names[d.spec.Name]; ok {
			errs = append(errs, at(d.file, d.nameNode, "rule %q already defined at %s:%d:%d", d.spec.Name, prev.file, prev.nameNode.Line, prev.nameNode.Column))
			continue
		}
		names[d.spec.Name] = d
		if d.compile {
			for _, e := range d.add(c, &probe, lex) {
				if unread && strings.HasPrefix(e.Msg, fmt.Sprintf("rule %q: ", d.spec.Name)) && strings.Contains(e.Msg, ": unknown lexicon ") {
					continue // maybe defined in the file that could not be read
				}
				errs = append(errs, e)
			}
		}
		for i, n := range d.notify {
			set.notify = append(set.notify, notifyRef{rule: d.spec.Name, notifier: d.spec.Notify[i], file: d.file, node: n})
		}
	}
	if len(errs) > 0 {
		return nil, errs.Err()
	}
	set.Rules = c.Finish()
	return set, nil
}

// walk lists rule files and test files of fsys, sorted.
func walk(fsys fs.FS) (files, tests []string, err error) {
	err = fs.WalkDir(fsys, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if path != "." && strings.HasPrefix(name, ".") {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			return nil
		}
		rel := path
		switch {
		case IsTestFile(name):
			tests = append(tests, rel)
		case IsRuleFile(name):
			// A symlink (ConfigMap volumes) counts when it points at a file.
			if d.Type()&fs.ModeSymlink != 0 {
				if st, err := fs.Stat(fsys, path); err != nil || st.IsDir() {
					return nil
				}
			}
			files = append(files, rel)
		}
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("rules: %w", err)
	}
	sort.Strings(files)
	sort.Strings(tests)
	return files, tests, nil
}

// bareInclude finds an unquoted "@" where a YAML value starts.
var bareInclude = regexp.MustCompile(`(?:^\s*-\s+|[\[,:{]\s*)@`)

// yamlError turns a YAML syntax error into an *poserr.Error at its line
// (see poserr.YAML), pointing at the offending ": " of the common unquoted
// "a ? b : c", and at an unquoted "@name".
func yamlError(path string, data []byte, err error) *poserr.Error {
	e := poserr.YAML(path, data, err)
	lines := strings.Split(string(data), "\n")
	if e.Line < 1 || e.Line > len(lines) {
		return e
	}
	l := lines[e.Line-1]
	if strings.Contains(e.Msg, "mapping values are not allowed") {
		if k := strings.LastIndex(l, ": "); k >= 0 && utf8.RuneCountInString(l[:k])+1 > e.Col {
			e.Col = utf8.RuneCountInString(l[:k]) + 1
		}
		e.Msg += " (quote an expression that contains \": \", or use a | block)"
	}
	if strings.Contains(e.Msg, "cannot start any token") {
		if loc := bareInclude.FindStringIndex(l); loc != nil {
			e.Col = utf8.RuneCountInString(l[:loc[1]])
			e.Msg += ` (YAML reserves "@" at the start of a plain value: quote a lexicon include, "@name")`
		}
	}
	return e
}

// at is an error at node n of the file at path.
func at(path string, n *yaml.Node, format string, args ...any) *poserr.Error {
	return poserr.At(path, n, format, args...)
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// parseFile parses one rule file.
func parseFile(path string, data []byte) (fileDoc, poserr.List) {
	var fd fileDoc
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		fd.unparsed = true
		return fd, poserr.List{yamlError(path, data, err)}
	}
	if root.Kind == 0 || len(root.Content) == 0 {
		return fd, nil // empty file
	}
	doc := root.Content[0]
	if doc.Kind == yaml.ScalarNode && doc.Tag == "!!null" {
		return fd, nil
	}
	raw := strings.Split(string(data), "\n")
	top, errs := poserr.Mapping(path, doc, "rule file", "lexicons", "extend_lexicons", "rules")
	for _, kv := range top {
		switch kv[0].Value {
		case "lexicons":
			l, e := parseLexicons(path, kv[1], "lexicons")
			errs = append(errs, e...)
			fd.lexicons = append(fd.lexicons, l...)
		case "extend_lexicons":
			l, e := parseLexicons(path, kv[1], "extend_lexicons")
			errs = append(errs, e...)
			fd.extends = append(fd.extends, l...)
		case "rules":
			if kv[1].Kind != yaml.SequenceNode {
				errs = append(errs, at(path, kv[1], "rules must be a list"))
				continue
			}
			for _, rn := range kv[1].Content {
				d, e := parseRule(path, rn, raw)
				errs = append(errs, e...)
				if d.nameNode != nil {
					fd.rules = append(fd.rules, d)
				}
			}
		}
	}
	// A file extends only the lexicons of other files: its own it can
	// simply edit, and allowing both would make one file's lexicon depend
	// on which of its two lists is read first.
	for _, x := range fd.extends {
		for _, l := range fd.lexicons {
			if l.name == x.name {
				errs = append(errs, at(path, x.node, "extend_lexicons: lexicon %q is defined in this file (line %d); add the terms to its list there", x.name, l.node.Line))
			}
		}
	}
	return fd, errs
}

var ruleKeys = []string{"name", "description", "when", "score", "min_score", "severity", "polarity", "quotes", "fields", "labels", "notify", "delivery", "cooldown"}

// polarities and quoteModes are the values of the rule keys polarity and
// quotes; the first of each is the default.
var (
	polarities = []string{"any", "asserted"}
	quoteModes = []string{"include", "ignore"}
	deliveries = []string{engine.DeliveryImmediate, engine.DeliveryDigest}
)

var fieldName = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

var ruleName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.:-]*$`)

func parseRule(path string, n *yaml.Node, raw []string) (ruleDoc, poserr.List) {
	d := ruleDoc{file: path, node: n, raw: raw}
	kvs, errs := poserr.Mapping(path, n, "rule", ruleKeys...)
	isStr := func(v *yaml.Node) bool { return v.Kind == yaml.ScalarNode && v.Tag != "!!null" }
	str := func(v *yaml.Node, key string) string {
		if !isStr(v) {
			errs = append(errs, at(path, v, "%s must be a string", key))
			return ""
		}
		return v.Value
	}
	nameOK, whenOK := false, false
	for _, kv := range kvs {
		k, v := kv[0], kv[1]
		switch k.Value {
		case "name":
			d.spec.Name, d.nameNode = str(v, "name"), v
			nameOK = d.spec.Name != ""
			if nameOK && !ruleName.MatchString(d.spec.Name) {
				errs = append(errs, at(path, v, "rule name %q: use letters, digits and - _ . :", d.spec.Name))
			}
		case "description":
			d.spec.Description = str(v, "description")
		case "when":
			d.spec.When, d.when = str(v, "when"), v
			whenOK = isStr(v)
		case "score":
			d.spec.Score, d.score = str(v, "score"), v
		case "min_score":
			f, err := strconv.ParseFloat(v.Value, 64)
			if v.Kind != yaml.ScalarNode || err != nil {
				errs = append(errs, at(path, v, "min_score must be a number"))
			}
			d.spec.MinScore = f
		case "severity":
			d.spec.Severity, d.severityNode = str(v, "severity"), v
			if isStr(v) && engine.SeverityRank(d.spec.Severity) < 0 {
				errs = append(errs, at(path, v, "unknown severity %q (want one of %s)", d.spec.Severity, strings.Join(engine.Severities, ", ")))
				d.spec.Severity = ""
			}
		case "polarity":
			d.spec.Polarity = str(v, "polarity")
			if v.Kind == yaml.ScalarNode && !contains(polarities, d.spec.Polarity) {
				errs = append(errs, at(path, v, "unknown polarity %q (want one of %s)", d.spec.Polarity, strings.Join(polarities, ", ")))
				d.spec.Polarity = ""
			}
		case "quotes":
			d.spec.Quotes = str(v, "quotes")
			if v.Kind == yaml.ScalarNode && !contains(quoteModes, d.spec.Quotes) {
				errs = append(errs, at(path, v, "unknown quotes %q (want one of %s)", d.spec.Quotes, strings.Join(quoteModes, ", ")))
				d.spec.Quotes = ""
			}
		case "delivery":
			d.spec.Delivery = str(v, "delivery")
			if v.Kind == yaml.ScalarNode && !contains(deliveries, d.spec.Delivery) {
				errs = append(errs, at(path, v, "unknown delivery %q (want one of %s)", d.spec.Delivery, strings.Join(deliveries, ", ")))
				d.spec.Delivery = ""
			}
		case "cooldown":
			s := str(v, "cooldown")
			if !isStr(v) {
				continue
			}
			cd, err := time.ParseDuration(s)
			if err != nil || cd <= 0 {
				errs = append(errs, at(path, v, "cooldown %q must be a positive duration such as 30m, 2h or 36h", s))
				continue
			}
			d.spec.Cooldown = cd
		case "fields":
			if v.Kind != yaml.MappingNode {
				errs = append(errs, at(path, v, "fields must be a mapping of field names to expressions"))
				continue
			}
			fkv, e := poserr.Mapping(path, v, "fields")
			errs = append(errs, e...)
			d.fields = map[string]*yaml.Node{}
			for _, f := range fkv {
				name := f[0].Value
				if !fieldName.MatchString(name) {
					errs = append(errs, at(path, f[0], "field name %q: use lower-case letters, digits and _, starting with a letter", name))
					continue
				}
				expr := str(f[1], "field "+strconv.Quote(name))
				if !isStr(f[1]) {
					continue
				}
				d.fields[name] = f[1]
				d.spec.Fields = append(d.spec.Fields, engine.FieldSpec{Name: name, Expr: expr})
			}
		case "labels":
			lkv, e := poserr.Mapping(path, v, "labels")
			errs = append(errs, e...)
			d.spec.Labels = map[string]string{}
			for _, l := range lkv {
				if l[1].Kind != yaml.ScalarNode {
					errs = append(errs, at(path, l[1], "label %q must be a string", l[0].Value))
					continue
				}
				d.spec.Labels[l[0].Value] = l[1].Value
			}
		case "notify":
			if v.Kind == yaml.ScalarNode && v.Tag != "!!null" {
				d.spec.Notify, d.notify = []string{v.Value}, []*yaml.Node{v}
				continue
			}
			if v.Kind != yaml.SequenceNode {
				errs = append(errs, at(path, v, "notify must be a list of notifier names"))
				continue
			}
			for _, x := range v.Content {
				d.spec.Notify = append(d.spec.Notify, str(x, "notify entry"))
				d.notify = append(d.notify, x)
			}
		}
	}
	if d.nameNode == nil {
		errs = append(errs, at(path, n, "rule without a name"))
	}
	if d.when == nil {
		errs = append(errs, at(path, n, "rule %q has no when", d.spec.Name))
	}
	if !nameOK {
		d.nameNode = nil // not a rule to compile or to count as a name
	}
	d.compile = nameOK && whenOK
	return d, errs
}

// add compiles the rule into c and returns its errors, each at its place.
// The compiler stops at the rule's first broken expression (when, score,
// then the fields in order): each expression after it is compiled alone,
// in a rule of its own on the probe compiler (made over lex when first
// needed), so that every broken expression of the rule is reported.
func (d *ruleDoc) add(c *engine.Compiler, probe **engine.Compiler, lex map[string][]string) poserr.List {
	err := c.Add(d.spec)
	if err == nil {
		return nil
	}
	errs := poserr.List{d.position(err)}
	var ee *engine.ExprError
	if !errors.As(err, &ee) {
		return errs
	}
	var rest []engine.RuleSpec
	after := ee.Field == "when"
	if after && d.spec.Score != "" {
		rest = append(rest, engine.RuleSpec{When: "true", Score: d.spec.Score})
	}
	after = after || ee.Field == "score"
	for _, f := range d.spec.Fields {
		if after {
			rest = append(rest, engine.RuleSpec{When: "true", Fields: []engine.FieldSpec{f}})
		}
		after = after || ee.Field == "fields."+f.Name
	}
	if len(rest) == 0 {
		return errs
	}
	if *probe == nil {
		if *probe, err = engine.NewCompiler(lex); err != nil {
			return errs
		}
	}
	for i, spec := range rest {
		// A name of its own, so that no probe clashes with another.
		spec.Name = fmt.Sprintf("%s\x00%d", d.spec.Name, i)
		if err := (*probe).Add(spec); errors.As(err, &ee) {
			errs = append(errs, d.position(err))
		}
	}
	return errs
}

// position maps a compile error of the rule to its place in the file.
func (d *ruleDoc) position(err error) *poserr.Error {
	var ee *engine.ExprError
	if !errors.As(err, &ee) {
		msg := err.Error()
		msg = strings.TrimPrefix(msg, "rule "+d.spec.Name+": ")
		return at(d.file, d.nameNode, "rule %q: %s", d.spec.Name, msg)
	}
	n := d.when
	switch {
	case ee.Field == "score":
		n = d.score
	case strings.HasPrefix(ee.Field, "fields."):
		n = d.fields[strings.TrimPrefix(ee.Field, "fields.")]
		if n == nil {
			n = d.nameNode
		}
	}
	e := at(d.file, n, "rule %q: %s: %s", d.spec.Name, ee.Field, ee.Msg)
	if n == nil || ee.Line == 0 {
		return e
	}
	if p, ok := valuePlace(d.raw, n, ee.Line, ee.Column); ok {
		e.Line, e.Col = p.line, p.col
	}
	return e
}

package config

import (
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

var durationType = reflect.TypeOf(Duration(0))

// decode fills cfg from the root node of the file.
func (p *parser) decode(root *yaml.Node, cfg *Config) {
	p.value(root, reflect.ValueOf(cfg).Elem(), "")
}

// label names the value at path in messages: "inbox.settle",
// `notifier "ops": channel`, "default_notify[1]".
func (p *parser) label(path string) string {
	if path == "" {
		return "config"
	}
	if l, ok := p.items[path]; ok {
		return l
	}
	if head, tail, ok := strings.Cut(path, "."); ok {
		if l, ok := p.items[head]; ok {
			return l + ": " + tail
		}
	}
	return path
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

// value decodes n into v strictly, recording node positions by path. A
// null value keeps v's default.
func (p *parser) value(n *yaml.Node, v reflect.Value, path string) {
	p.pos[path] = n
	if n.Kind == yaml.AliasNode {
		if n.Alias == nil {
			p.fail(n, path, "%s: unknown alias", p.label(path))
			return
		}
		n = n.Alias
	}
	if isNull(n) {
		return
	}
	switch {
	case v.Type() == durationType:
		s, ok := p.scalar(n, path, "a duration such as 30s, 15m, 72h or 3d")
		if !ok {
			return
		}
		d, err := ParseDuration(s)
		if err != nil {
			p.fail(n, path, "%s: invalid duration %q (use 500ms, 30s, 15m, 72h or 3d)", p.label(path), p.show(path, s))
			return
		}
		v.SetInt(int64(d))
	case v.Kind() == reflect.String:
		if s, ok := p.scalar(n, path, "a string"); ok {
			v.SetString(s)
		}
	case v.Kind() == reflect.Bool:
		s, ok := p.scalar(n, path, "true or false")
		if !ok {
			return
		}
		switch s {
		case "true", "True", "TRUE":
			v.SetBool(true)
		case "false", "False", "FALSE":
			v.SetBool(false)
		default:
			p.fail(n, path, "%s must be true or false, not %q", p.label(path), p.show(path, s))
		}
	case v.Kind() == reflect.Int:
		s, ok := p.scalar(n, path, "a whole number")
		if !ok {
			return
		}
		i, err := strconv.Atoi(s)
		if err != nil {
			p.fail(n, path, "%s must be a whole number, not %q", p.label(path), p.show(path, s))
			return
		}
		v.SetInt(int64(i))
	case v.Kind() == reflect.Struct:
		p.mapping(n, v, path)
	case v.Kind() == reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			p.fail(n, path, "%s must be a list, not a %s", p.label(path), kindName(n.Kind))
			return
		}
		s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
		for i, el := range n.Content {
			elPath := fmt.Sprintf("%s[%d]", path, i)
			if s.Index(i).Kind() == reflect.Struct {
				p.items[elPath] = itemLabel(strings.TrimSuffix(path, "s"), nameOf(el), i)
			}
			p.value(el, s.Index(i), elPath)
		}
		v.Set(s)
	default:
		// Unreachable with the types of this package.
		p.fail(n, path, "%s: unsupported value", p.label(path))
	}
}

// scalar returns the expanded text of a scalar node, or reports that the
// value at path should be want.
func (p *parser) scalar(n *yaml.Node, path, want string) (string, bool) {
	if n.Kind != yaml.ScalarNode {
		p.fail(n, path, "%s must be %s, not a %s", p.label(path), want, kindName(n.Kind))
		return "", false
	}
	return p.expand(n, path)
}

func kindName(k yaml.Kind) string {
	switch k {
	case yaml.MappingNode:
		return "mapping"
	case yaml.SequenceNode:
		return "list"
	case yaml.ScalarNode:
		return "single value"
	default:
		return "value of another kind"
	}
}

// mapping decodes a mapping node into the struct v, rejecting unknown and
// duplicate keys.
func (p *parser) mapping(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		p.fail(n, path, "%s must be a mapping, not a %s", p.label(path), kindName(n.Kind))
		return
	}
	t := v.Type()
	fields := map[string]int{}
	var known []string
	for i := range t.NumField() {
		tag := t.Field(i).Tag.Get("yaml")
		if tag == "" || tag == "-" {
			continue
		}
		fields[tag] = i
		known = append(known, tag)
	}
	sort.Strings(known)
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			p.fail(k, path, "%s: a key must be a plain string, not a %s", p.label(path), kindName(k.Kind))
			continue
		}
		fi, ok := fields[k.Value]
		switch {
		case k.Value == "<<":
			p.fail(k, join(path, k.Value), "merge keys (<<) are not supported in %s", p.label(path))
			continue
		case !ok:
			p.fail(k, join(path, k.Value), "unknown key %q in %s (known: %s)", k.Value, p.label(path), strings.Join(known, ", "))
			continue
		case seen[k.Value]:
			p.fail(k, join(path, k.Value), "duplicate key %q in %s", k.Value, p.label(path))
			continue
		}
		seen[k.Value] = true
		p.value(val, v.Field(fi), join(path, k.Value))
	}
}

// nameOf returns the plain name: of a list item mapping, for messages.
func nameOf(n *yaml.Node) string {
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	if n.Kind != yaml.MappingNode {
		return ""
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == "name" && n.Content[i+1].Kind == yaml.ScalarNode && !strings.Contains(n.Content[i+1].Value, "$") {
			return n.Content[i+1].Value
		}
	}
	return ""
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// expand replaces ${VAR} in the scalar n with the environment's value;
// "$$" is a literal "$" and any other "$" stays as it is. An unset or
// malformed variable is a problem naming it, never a value.
func (p *parser) expand(n *yaml.Node, path string) (string, bool) {
	s := n.Value
	if !strings.Contains(s, "$") {
		return s, true
	}
	var b strings.Builder
	used := false
	for i := 0; i < len(s); i++ {
		if s[i] != '$' || i+1 == len(s) {
			b.WriteByte(s[i])
			continue
		}
		switch s[i+1] {
		case '$':
			b.WriteByte('$')
			i++
		case '{':
			end := strings.IndexByte(s[i+2:], '}')
			if end < 0 {
				p.fail(n, path, "%s: unterminated ${ (write $$ for a literal $)", p.label(path))
				return "", false
			}
			name := s[i+2 : i+2+end]
			if !validVarName(name) {
				p.fail(n, path, "%s: invalid variable name %q in ${…} (want letters, digits and _; write $$ for a literal $)", p.label(path), name)
				return "", false
			}
			val, ok := p.getenv(name)
			if !ok {
				p.fail(n, path, "%s: environment variable %s is not set", p.label(path), name)
				return "", false
			}
			b.WriteString(val)
			used = true
			i += 2 + end
		default:
			b.WriteByte('$')
		}
	}
	if used {
		p.raw[path] = s
	}
	return b.String(), true
}

func validVarName(s string) bool {
	if s == "" {
		return false
	}
	for i, c := range s {
		switch {
		case c == '_', c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z':
		case c >= '0' && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}

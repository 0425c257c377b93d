package config

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Duration is a time.Duration written in YAML as a Go duration string
// ("500ms", "30s", "15m", "72h") or with whole days in front ("3d",
// "1d12h").
type Duration time.Duration

// String formats d like time.Duration, without trailing zero units:
// "10m", "72h", "1h30m".
func (d Duration) String() string {
	s := time.Duration(d).String()
	if t, ok := strings.CutSuffix(s, "m0s"); ok {
		s = t + "m"
	}
	if t, ok := strings.CutSuffix(s, "h0m"); ok {
		s = t + "h"
	}
	return s
}

// UnmarshalYAML reads a duration string.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := ParseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("config: line %d: %w", n.Line, err)
	}
	*d = Duration(v)
	return nil
}

// MarshalYAML writes the duration as its String.
func (d Duration) MarshalYAML() (any, error) { return d.String(), nil }

// ParseDuration is time.ParseDuration that also accepts a leading number
// of whole days: "3d", "1d12h", "-2d".
func ParseDuration(s string) (time.Duration, error) {
	in := s
	s = strings.TrimSpace(s)
	days, rest, ok := strings.Cut(s, "d")
	if !ok {
		d, err := time.ParseDuration(s)
		if err != nil {
			return 0, fmt.Errorf("config: invalid duration %q", in)
		}
		return d, nil
	}
	neg := false
	switch {
	case strings.HasPrefix(days, "-"):
		neg, days = true, days[1:]
	case strings.HasPrefix(days, "+"):
		days = days[1:]
	}
	if days == "" || strings.TrimLeft(days, "0123456789") != "" || strings.HasPrefix(rest, "-") || strings.HasPrefix(rest, "+") {
		return 0, fmt.Errorf("config: invalid duration %q", in)
	}
	n, err := strconv.ParseInt(days, 10, 64)
	const day = 24 * time.Hour
	if err != nil || n > math.MaxInt64/int64(day) {
		return 0, fmt.Errorf("config: invalid duration %q: too long", in)
	}
	d := time.Duration(n) * day
	if rest != "" {
		r, err := time.ParseDuration(rest)
		if err != nil || r > math.MaxInt64-d {
			return 0, fmt.Errorf("config: invalid duration %q", in)
		}
		d += r
	}
	if neg {
		d = -d
	}
	return d, nil
}

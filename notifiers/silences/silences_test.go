package silences

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/store"
)

var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

func openStore(t testing.TB) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func TestNewValidates(t *testing.T) {
	ok := Spec{Rules: []string{"attack"}, Duration: "6h", Reason: "known story", Author: "ana"}
	with := func(f func(*Spec)) Spec {
		s := ok
		f(&s)
		return s
	}
	tests := []struct {
		name string
		spec Spec
		want []string // substrings of the error; none: valid
	}{
		{name: "a rule", spec: ok},
		{name: "a label only", spec: with(func(s *Spec) { s.Rules, s.Labels = nil, map[string]string{"region": "sahel"} })},
		{name: "a source only", spec: with(func(s *Spec) { s.Rules, s.Source = nil, "feed:reuters-*" })},
		{name: "days", spec: with(func(s *Spec) { s.Duration = "2d" })},
		{name: "thirty days", spec: with(func(s *Spec) { s.Duration = "30d" })},
		{name: "no matcher", spec: with(func(s *Spec) { s.Rules = nil }), want: []string{"at least one matcher"}},
		{name: "empty rule list and label map", spec: with(func(s *Spec) { s.Rules, s.Labels = []string{}, map[string]string{} }), want: []string{"at least one matcher"}},
		{name: "empty rule name", spec: with(func(s *Spec) { s.Rules = []string{""} }), want: []string{"empty rule name"}},
		{name: "spaced rule name", spec: with(func(s *Spec) { s.Rules = []string{" attack"} }), want: []string{"surrounding spaces"}},
		{name: "rule twice", spec: with(func(s *Spec) { s.Rules = []string{"a", "a"} }), want: []string{`rule "a" given twice`}},
		{name: "bad glob", spec: with(func(s *Spec) { s.Source = "feed:[a-" }), want: []string{`source "feed:[a-" is not a valid glob`}},
		{name: "label without value", spec: with(func(s *Spec) { s.Labels = map[string]string{"region": ""} }), want: []string{"label region: empty value"}},
		{name: "label without name", spec: with(func(s *Spec) { s.Labels = map[string]string{"": "x"} }), want: []string{"empty name"}},
		{name: "no duration", spec: with(func(s *Spec) { s.Duration = "" }), want: []string{"give a duration"}},
		{name: "bad duration", spec: with(func(s *Spec) { s.Duration = "six hours" }), want: []string{`duration "six hours": want a duration`}},
		{name: "zero duration", spec: with(func(s *Spec) { s.Duration = "0s" }), want: []string{"more than zero"}},
		{name: "negative duration", spec: with(func(s *Spec) { s.Duration = "-1h" }), want: []string{"more than zero"}},
		{name: "too long", spec: with(func(s *Spec) { s.Duration = "31d" }), want: []string{"at most 720h"}},
		{name: "no reason", spec: with(func(s *Spec) { s.Reason = "  " }), want: []string{"give a reason"}},
		{name: "no author", spec: with(func(s *Spec) { s.Author = "" }), want: []string{"give an author"}},
		{name: "every problem at once", spec: Spec{Source: "[", Duration: "x"}, want: []string{"not a valid glob", "duration", "reason", "author"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sil, err := New(tt.spec, t0)
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatal(err)
				}
				d, _ := time.ParseDuration(strings.Replace(tt.spec.Duration, "d", "h", 1))
				if strings.HasSuffix(tt.spec.Duration, "d") {
					d *= 24
				}
				if !sil.StartsAt.Equal(t0) || !sil.EndsAt.Equal(t0.Add(d)) || sil.Reason != tt.spec.Reason || sil.Author != tt.spec.Author {
					t.Errorf("silence %+v", sil)
				}
				return
			}
			var inv *InvalidError
			if !errors.As(err, &inv) {
				t.Fatalf("error %v, want an *InvalidError", err)
			}
			if !strings.HasPrefix(err.Error(), "silences: invalid silence: ") || strings.Count(err.Error(), "silences:") != 1 {
				t.Errorf("error %q: want one package prefix", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if len(inv.Problems) != len(tt.want) {
				t.Errorf("%d problems %q, want %d", len(inv.Problems), inv.Problems, len(tt.want))
			}
		})
	}
}

func TestParseLabel(t *testing.T) {
	tests := []struct {
		name, in, k, v, err string
	}{
		{name: "plain", in: "region=sahel", k: "region", v: "sahel"},
		{name: "equals in the value", in: "q=a=b", k: "q", v: "a=b"},
		{name: "no equals", in: "region", err: `label "region": write it NAME=VALUE`},
		{name: "no name", in: "=sahel", err: "empty name"},
		{name: "no value", in: "region=", err: "empty value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, v, err := ParseLabel(tt.in)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) || !strings.HasPrefix(err.Error(), "silences: ") {
					t.Errorf("error %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil || k != tt.k || v != tt.v {
				t.Errorf("%q %q %v", k, v, err)
			}
		})
	}
}

// TestAddListExpire goes through the package's store functions on a real
// database file: added, listed, expired, listed as expired for a week.
func TestAddListExpire(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	sil, err := Add(ctx, st, Spec{Labels: map[string]string{"desk": "africa"}, Duration: "1h", Reason: "r", Author: "a"}, t0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Add(ctx, st, Spec{Duration: "1h", Reason: "r", Author: "a"}, t0); err == nil {
		t.Error("a silence without matchers was stored")
	}
	if _, err := Expire(ctx, st, "nope", t0); !errors.Is(err, ErrNotFound) {
		t.Errorf("expire unknown: %v", err)
	}
	got, err := Expire(ctx, st, sil.ID, t0.Add(time.Minute))
	if err != nil || State(got, t0.Add(time.Minute)) != "expired" {
		t.Fatalf("expire: %+v %v", got, err)
	}
	for _, tc := range []struct {
		at   time.Time
		want int
	}{{t0.Add(time.Hour), 1}, {t0.Add(ListedFor), 1}, {t0.Add(time.Minute + ListedFor), 0}} {
		list, err := List(ctx, st, tc.at)
		if err != nil || len(list) != tc.want {
			t.Errorf("at %s: %d listed (%v), want %d", tc.at, len(list), err, tc.want)
		}
	}
}

func TestNewViewStates(t *testing.T) {
	s := Silence{ID: "x", StartsAt: t0, EndsAt: t0.Add(time.Hour)}
	for _, tc := range []struct {
		at   time.Time
		want string
	}{{t0.Add(-time.Second), "pending"}, {t0, "active"}, {t0.Add(time.Hour), "expired"}} {
		v := NewView(s, tc.at)
		if v.State != tc.want || v.Rules == nil || v.Labels == nil || v.ExpiredAt != "" || v.StartsAt != "2025-03-01T12:00:00Z" {
			t.Errorf("at %s: %+v, want state %s", tc.at, v, tc.want)
		}
	}
	s.ExpiredAt = t0.Add(time.Minute)
	if v := NewView(s, t0.Add(2*time.Minute)); v.State != "expired" || v.ExpiredAt != "2025-03-01T12:01:00Z" {
		t.Errorf("expired by hand: %+v", v)
	}
	if !reflect.DeepEqual(NewView(s, t0).Rules, []string{}) {
		t.Error("rules not an empty list")
	}
}

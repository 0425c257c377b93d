package silences

import (
	"path"
	"slices"
	"time"

	"github.com/watchfloor/watchfloor/engine"
	"github.com/watchfloor/watchfloor/store"
)

// Matches reports whether the silence s, in force at now, matches the rule
// (with its labels) on an article from source: every matcher s has must
// match, and a silence without matchers matches nothing. See the package
// documentation for each matcher.
func Matches(s Silence, rule string, labels map[string]string, source string, now time.Time) bool {
	if !s.ActiveAt(now) {
		return false
	}
	if len(s.Rules) == 0 && len(s.Labels) == 0 && s.Source == "" {
		return false
	}
	if len(s.Rules) > 0 && !slices.Contains(s.Rules, rule) {
		return false
	}
	for k, v := range s.Labels {
		if got, ok := labels[k]; !ok || got != v {
			return false
		}
	}
	if s.Source != "" {
		// A glob that does not parse (never stored: New checks it) matches
		// nothing.
		if ok, err := path.Match(s.Source, source); err != nil || !ok {
			return false
		}
	}
	return true
}

// Match returns the id of the first silence of active that matches the
// rule with its labels on an article from source at now (see Matches);
// ok is false when none does.
func Match(active []Silence, rule string, labels map[string]string, source string, now time.Time) (silenceID string, ok bool) {
	for _, s := range active {
		if Matches(s, rule, labels, source, now) {
			return s.ID, true
		}
	}
	return "", false
}

// Removed is a match that a silence took out of an alert.
type Removed struct {
	Rule      string
	SilenceID string
}

// Filtered is what a set of silences leaves of the matches routed to one
// destination.
type Filtered struct {
	// Kept are the matches no silence matched, in their order: the alert
	// to send carries these.
	Kept []engine.Match
	// Removed are the matches a silence took out, in their order, each
	// with the first silence that matched it.
	Removed []Removed
}

// Filter applies the silences in force at now to the matches of one
// article (from source) routed to one destination. When no match was
// removed, Kept is matches itself. The caller builds the alert from Kept;
// when Silenced, it enqueues the alert as it would have been (all its
// matches) with store.StatusSilenced and SilencedBy = SilenceIDs, so the
// outbox keeps it and never sends it; otherwise it enqueues it pending,
// with SilenceIDs naming the silences of the rules it no longer carries.
func Filter(active []Silence, matches []engine.Match, source string, now time.Time) Filtered {
	if len(active) == 0 {
		return Filtered{Kept: matches}
	}
	var f Filtered
	for i, m := range matches {
		id, ok := Match(active, m.Rule, m.Labels, source, now)
		if !ok {
			if f.Removed != nil {
				f.Kept = append(f.Kept, m)
			}
			continue
		}
		if f.Removed == nil {
			// The first removal: copy the kept ones so far.
			f.Kept = append(make([]engine.Match, 0, len(matches)-1), matches[:i]...)
		}
		f.Removed = append(f.Removed, Removed{Rule: m.Rule, SilenceID: id})
	}
	if f.Removed == nil {
		f.Kept = matches
	}
	return f
}

// Silenced reports whether the silences removed every match: the alert is
// kept with status silenced and never sent.
func (f Filtered) Silenced() bool { return len(f.Kept) == 0 && len(f.Removed) > 0 }

// SilenceIDs returns the distinct ids of the silences that removed
// matches, in the order of their first removal; nil when none did.
func (f Filtered) SilenceIDs() []string {
	var ids []string
	for _, r := range f.Removed {
		if !slices.Contains(ids, r.SilenceID) {
			ids = append(ids, r.SilenceID)
		}
	}
	return ids
}

// Status is the outbox status to enqueue the alert with: store.StatusSilenced
// when Silenced, else "" (pending).
func (f Filtered) Status() string {
	if f.Silenced() {
		return store.StatusSilenced
	}
	return ""
}

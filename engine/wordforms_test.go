package engine

import (
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// bothPaths compiles the term into two rules, one with the term as a
// literal (the matcher) and one with the term computed at run time (the
// slow path in dynPositions), and returns the count of occurrences each
// finds in body, as the rules' scores.
func bothPaths(t *testing.T, term, body string) (literal, computed int) {
	t.Helper()
	q := strconv.Quote(term)
	c, err := NewCompiler(nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, spec := range []RuleSpec{
		{Name: "literal", When: "true", Score: "count(" + q + ")"},
		{Name: "computed", When: "true", Score: "count(url + " + q + ")"},
	} {
		if err := c.Add(spec); err != nil {
			t.Fatalf("compile %s: %v", spec.Score, err)
		}
	}
	res := c.Finish().NewScorer().Score(Article{Body: body})
	for _, e := range res.Errors {
		t.Errorf("run-time error: %v", e)
	}
	literal, computed = -1, -1
	for _, m := range res.Matches {
		switch m.Rule {
		case "literal":
			literal = int(m.Score)
		case "computed":
			computed = int(m.Score)
		}
	}
	return literal, computed
}

func TestWordForms(t *testing.T) {
	tests := []struct {
		name, term, text string
		want             int // occurrences
	}{
		{"behead itself", "behead~", "they behead captives", 1},
		{"agent noun plural", "reporter~", "two reporters were hurt", 1},
		{"agent noun is not the verb", "reporter~", "police reported it", 0},
		{"gerund plural", "killing~", "a wave of killings", 1},
		{"gerund is not the verb", "killing~", "gunmen killed two", 0},
		{"plural agent noun singular", "kidnappers~", "the kidnapper called", 1},
		{"verb ending in er inflects", "surrender~", "the fighters surrendered", 1},
		{"verb ending in er gerund", "murder~", "the murdering of a priest", 1},
		{"behead third person", "behead~", "the group beheads captives", 1},
		{"behead past", "behead~", "he was beheaded", 1},
		{"behead participle", "behead~", "a beheading video", 1},
		{"behead plural noun", "behead~", "the beheadings went on", 1},
		{"behead capitalised", "behead~", "Beheaded, they said", 1},
		{"behead not a longer word", "behead~", "beheadment", 0},
		{"gunman plural", "gunman~", "gunmen opened fire", 1},
		{"gunman singular", "gunman~", "a gunman opened fire", 1},
		{"gunmen written plural", "gunmen~", "a gunman opened fire", 1},
		{"policeman plural", "policeman~", "two policemen were hurt", 1},
		{"tribesman plural", "tribesman~", "armed tribesmen", 1},
		{"militiaman plural", "militiaman~", "the militiamen withdrew", 1},
		{"spokesman plural", "spokesman~", "spokesmen declined", 1},
		{"human has no humen", "human~", "humen", 0},
		{"seize past", "seize~", "police seized weapons", 1},
		{"seize participle", "seize~", "seizing weapons", 1},
		{"seize not seizure", "seize~", "a seizure of weapons", 0},
		{"catch past", "catch~", "they were caught", 1},
		{"catch third person", "catch~", "she catches", 1},
		{"caught written past", "caught~", "police catch thieves", 1},
		{"hold past", "hold~", "hostages held in a cave", 1},
		{"hold participle", "hold~", "holding hostages", 1},
		{"take past", "take~", "they took hostages", 1},
		{"take participle", "take~", "hostages were taken", 1},
		{"take progressive", "take~", "taking hostages", 1},
		{"flee past", "flee~", "thousands fled", 1},
		{"shoot past", "shoot~", "he was shot", 1},
		{"lead past", "lead~", "the raid was led by", 1},
		{"lead not leader", "lead~", "the leader", 0},
		{"find past", "find~", "bodies were found", 1},
		{"bring past", "bring~", "brought to court", 1},
		{"fight past", "fight~", "they fought", 1},
		{"slay past", "slay~", "he slew", 1},
		{"slay participle", "slay~", "the slain officers", 1},
		{"steal participle", "steal~", "stolen cars", 1},
		{"steal past", "steal~", "they stole cars", 1},
		{"hit past", "hit~", "a roadside bomb hit a convoy", 1},
		{"child plural", "child~", "three children", 1},
		{"person plural", "person~", "five people", 1},
		{"wife plural", "wife~", "their wives", 1},
		{"life plural", "life~", "lost their lives", 1},
		{"thief plural", "thief~", "the thieves", 1},
		{"kidnapper plural", "kidnapper~", "the kidnappers demanded", 1},
		{"kidnapper not kidnap", "kidnapper~", "they kidnap", 0},
		{"kidnap doubled past", "kidnap~", "they kidnapped two", 1},
		{"kidnap doubled participle", "kidnap~", "a kidnapping", 1},
		{"kidnap not kidnapper", "kidnap~", "the kidnapper", 0},
		{"stop doubled", "stop~", "they stopped", 1},
		{"cry ies", "cry~", "she cries", 1},
		{"cry ied", "cry~", "she cried", 1},
		{"die ying", "die~", "dying", 1},
		{"kill past", "kill~", "bomb killed three", 1},
		{"kill participle noun", "kill~", "the killings", 1},
		{"kill not killer", "kill~", "the killer fled", 0},
		{"bomb past", "bomb~", "they bombed", 1},
		{"bomb not bomber", "bomb~", "a suicide bomber", 0},
		{"bomber plural", "bomber~", "suicide bombers", 1},
		{"attack agent as the stemmer says", "attack~", "the attackers", 1},
		{"arrest past", "arrest~", "police arrested", 1},
		{"count every form", "behead~", "behead, beheaded, beheads and beheading", 4},
		{"phrase last word", "car bomb~", "two car bombs", 1},
		{"phrase bombing", "car bomb~", "a car bombing", 1},
		{"phrase bombings", "car bomb~", "car bombings", 1},
		{"phrase first word only", "car bomb~", "cars bomb", 0},
		{"phrase first word forms", "gunman~ kill~", "gunmen killed", 1},
		{"phrase across hyphen", "suicide bomb~", "suicide-bombings", 1},
		{"case sensitive keeps capital", "=Catch~", "Caught on camera", 1},
		{"case sensitive rejects lower", "=Catch~", "caught on camera", 0},
		{"case sensitive mixed case", "=Kill~", "KILLED", 0},
		{"case sensitive capitalised form", "=Kill~", "Killed", 1},
		{"case sensitive all caps", "=GUNMAN~", "GUNMEN", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lit, dyn := bothPaths(t, tt.term, tt.text)
			if lit != tt.want {
				t.Errorf("count(%q) in %q = %d, want %d", tt.term, tt.text, lit, tt.want)
			}
			if dyn != tt.want {
				t.Errorf("computed count(%q) in %q = %d, want %d", tt.term, tt.text, dyn, tt.want)
			}
		})
	}
}

func TestWordFormsErrors(t *testing.T) {
	tests := []struct {
		name, term, want string
	}{
		{"tilde and star", "behead~*", "'~' and '*' cannot end the same word"},
		{"star and tilde", "behead*~", "'~' and '*' cannot end the same word"},
		{"tilde twice", "behead~~", "'~' written twice"},
		{"tilde inside a word", "be~head", "'~' may only end a word"},
		{"tilde alone", "~", "'~' may only end a word"},
		{"tilde on a number", "16~", "English word"},
		{"tilde on arabic", "قتل~", "English word"},
		{"lexicon include outside a lexicon", "@groups", "in an expression write lex.groups"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckTerm(tt.term)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("CheckTerm(%q) = %v, want an error containing %q", tt.term, err, tt.want)
			}
		})
	}
}

func TestWordFormsKeyAndEvidence(t *testing.T) {
	keys := map[string]string{}
	for _, s := range []string{"kill", "kill~", "kill*", "=kill~", "car bomb~", "car~ bomb"} {
		tm, err := parseTerm(s)
		if err != nil {
			t.Fatal(err)
		}
		if prev, ok := keys[tm.key()]; ok {
			t.Errorf("terms %q and %q share the key %q", prev, s, tm.key())
		}
		keys[tm.key()] = s
	}

	// One term with '~' stays one term: one evidence entry, as written.
	rs := compile(t, nil, `count("behead~") == 3 && count(["behead~", "beheaded"]) == 3`)
	res := rs.NewScorer().Score(Article{Body: "He beheads. They beheaded. Beheading."})
	if len(res.Matches) != 1 {
		t.Fatalf("matches = %+v, want one", res.Matches)
	}
	var terms []string
	for _, e := range res.Matches[0].Evidence {
		terms = append(terms, e.Term)
		if e.Term == "behead~" && (e.Count != 3 || !slices.Equal(e.Positions, []int{1, 3, 4})) {
			t.Errorf("behead~ evidence = %+v, want 3 at 1, 3, 4", e)
		}
	}
	slices.Sort(terms)
	if !slices.Equal(terms, []string{"beheaded", "behead~"}) {
		t.Errorf("evidence terms = %q, want behead~ and beheaded", terms)
	}
}

// TestMatcherAgreesWithSlowPath draws terms with '~', '*' and Arabic words
// and texts made of their forms, and checks that the matcher and the slow
// path of computed terms count the same occurrences.
func TestMatcherAgreesWithSlowPath(t *testing.T) {
	words := []string{"behead~", "gunman~", "catch~", "hold~", "kill~", "bomb~", "car", "car bomb~",
		"smuggl*", "islamic stat*", "داعش", "الموصل", "موصل*", "الدولة الاسلامية", "لبنان", "=IS", "=Catch~"}
	vocab := []string{"beheaded", "beheads", "gunmen", "gunman", "caught", "Caught", "catches", "held",
		"holds", "killer", "killed", "bombers", "bombings", "car", "cars", "bomb", "smugglers", "Islamic",
		"state", "statehood", "IS", "is", "وداعش", "لداعش", "فبداعش", "الداعش", "مداعش", "داعشي",
		"بالموصل", "للموصل", "الموصلي", "موصل", "والدولة", "الاسلامية", "للبنان", "لبنان", "ولبنان", ",", "."}
	r := rand.New(rand.NewPCG(7, 11))
	for round := 0; round < 60; round++ {
		term := words[r.IntN(len(words))]
		var b strings.Builder
		for i := 0; i < 30; i++ {
			b.WriteString(vocab[r.IntN(len(vocab))])
			b.WriteByte(' ')
		}
		lit, dyn := bothPaths(t, term, b.String())
		if lit != dyn || lit < 0 {
			t.Errorf("count(%q) in %q: matcher %d, slow path %d", term, b.String(), lit, dyn)
		}
	}
}

func TestWordFormsWithDistinctAndMatched(t *testing.T) {
	tests := []struct {
		name, when, body string
		want             bool
	}{
		{"one term with two forms is one", `distinct("behead~") == 1`, "They beheaded him; beheading again.", true},
		{"two terms", `distinct(["behead~", "gunman~"]) == 2`, "Gunmen beheaded him.", true},
		{"computed term is one", `distinct(url + "behead~") == 1`, "They beheaded him; beheading again.", true},
		{"matched gives the forms as written", `matched("behead~") == ["beheaded", "Beheading"]`, "They beheaded him. Beheading again.", true},
		{"matched phrase", `matched("car bomb~") == ["car bombings"]`, "Two car bombings.", true},
		{"matched drops the proclitic", `matched("الموصل") == ["الموصل"]`, "انفجار بالموصل وعاد للموصل", true},
		{"distinct over proclitics", `distinct(["داعش", "الموصل"]) == 2`, "وداعش بالموصل", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rs := compile(t, nil, tt.when)
			if got := matches(t, rs, "", tt.body); got != tt.want {
				t.Errorf("%s on %q = %v, want %v", tt.when, tt.body, got, tt.want)
			}
		})
	}
}

package engine

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// TestMatchedManyForms checks matched() past the number of forms its set
// of keys holds in a list: each form once, in document order, whatever
// its case.
func TestMatchedManyForms(t *testing.T) {
	var towns, body, want []string
	for i := range 24 {
		town := fmt.Sprintf("Town%c", 'A'+i)
		towns = append(towns, town)
		want = append(want, town)
		body = append(body, town)
	}
	for _, town := range towns {
		body = append(body, strings.ToUpper(town), strings.ToLower(town))
	}
	spec := RuleSpec{Name: "r", When: "mentions(lex.towns)", Fields: []FieldSpec{{Name: "towns", Expr: "matched(lex.towns)"}}}
	res := scoreOne(t, spec, map[string][]string{"towns": towns}, "", strings.Join(body, " "))
	if len(res.Matches) != 1 {
		t.Fatalf("matches %+v errors %v", res.Matches, res.Errors)
	}
	if got := res.Matches[0].Fields["towns"]; !reflect.DeepEqual(got, want) {
		t.Errorf("matched %v, want %v", got, want)
	}
}

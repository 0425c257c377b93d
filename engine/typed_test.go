package engine

import (
	"strings"
	"testing"
)

// TestInternalFormsAreNotNames checks that rules cannot call the forms the
// patcher rewrites helper calls into, neither the Function options nor
// the function fields of the run-time environment.
func TestInternalFormsAreNotNames(t *testing.T) {
	for _, tt := range []struct{ name, when string }{
		{"function field", "__mentions_id(0)"},
		{"pair field", "__near_id(1, 5)"},
		{"list field", "len(__matched_id(0)) > 0"},
		{"numbers field", "len(__numbers_near_id(0, 3)) > 0"},
		{"function option", "__mentions($env, 0)"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, err := NewCompiler(testLex)
			if err != nil {
				t.Fatal(err)
			}
			err = c.Add(RuleSpec{Name: "r", When: tt.when})
			if err == nil || !strings.Contains(err.Error(), "unknown name") {
				t.Errorf("Add(%q) = %v, want an unknown name", tt.when, err)
			}
		})
	}
}

// TestPairIDs checks the packing of two term-set ids for near and before.
func TestPairIDs(t *testing.T) {
	for _, tt := range []struct {
		name string
		a, b int
		ok   bool
	}{
		{"zeros", 0, 0, true},
		{"largest", 1<<pairBits - 1, 1<<pairBits - 1, true},
		{"a too large", 1 << pairBits, 0, false},
		{"b too large", 0, 1 << pairBits, false},
		{"negative", -1, 0, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p, ok := pairIDs(tt.a, tt.b)
			if ok != tt.ok {
				t.Fatalf("pairIDs(%d, %d) ok = %v", tt.a, tt.b, ok)
			}
			if a, b := unpairIDs(p); ok && (a != tt.a || b != tt.b) {
				t.Errorf("unpairIDs(pairIDs(%d, %d)) = %d, %d", tt.a, tt.b, a, b)
			}
		})
	}
}

package stories

import (
	"strings"
	"testing"
)

// The texts below are written for this test.
const (
	baseTitle = "Bomb kills 12 at market in northern town"
	baseBody  = `A car bomb exploded at a crowded vegetable market in the northern town of Tal Sahra on Tuesday morning, killing at least 12 people and wounding 30, police and hospital officials said.

The blast struck shortly after nine o'clock as traders were setting out their stalls, a police officer at the scene said, speaking on condition of anonymity because he was not authorised to talk to the press.

Ambulances ferried the wounded to the district hospital, where a doctor said several were in critical condition and the toll could rise.

No group immediately claimed responsibility for the attack, the deadliest in the province since the spring.

The provincial governor ordered the market closed and announced three days of mourning.`

	// A different event written from the same template: the words a
	// desk's reports share are there, the event is not.
	otherTitle = "Roadside bomb wounds four soldiers near southern checkpoint"
	otherBody  = `A roadside bomb hit an army patrol near a checkpoint on the southern highway outside Wadi Karam late on Sunday, wounding four soldiers, a military spokesman said.

The device was hidden in a culvert and detonated as the second vehicle of the convoy passed, the spokesman told reporters in the provincial capital.

The wounded were taken by helicopter to a military hospital and were said to be in stable condition.

The army sealed off the area and began searching nearby farms for the men who planted the device.

Officials blamed insurgents who have stepped up attacks on security forces in the south this year.`
)

func sign(t *testing.T, title, body string) *Signature {
	t.Helper()
	s, ok := Sign(title, body)
	if !ok {
		t.Fatalf("no signature for %q", title)
	}
	return &s
}

func TestNearDuplicateThreshold(t *testing.T) {
	paras := strings.Split(baseBody, "\n\n")
	base := sign(t, baseTitle, baseBody)
	for _, c := range []struct {
		name        string
		title, body string
		join        bool
	}{
		{"verbatim under another headline", "Twelve dead in Tal Sahra market blast", baseBody, true},
		{"wire copy with boilerplate, last paragraph dropped", "Car bomb kills 12 in Tal Sahra - Wire",
			"Skip to main content\n" + strings.Join(paras[:len(paras)-1], "\n\n") + "\nShare this article", true},
		{"edited: toll raised, a sentence reworded", "Market bomb toll rises to 15",
			strings.NewReplacer("killing at least 12 people and wounding 30", "killing at least 15 people and wounding 34",
				"the deadliest in the province since the spring", "which was the worst in the area this year").Replace(baseBody), true},
		{"paragraphs reordered", baseTitle, strings.Join([]string{paras[2], paras[0], paras[4], paras[1], paras[3]}, "\n\n"), true},
		{"different event, same kind of report", otherTitle, otherBody, false},
		{"first paragraph only, rest another story", baseTitle, paras[0] + "\n\n" + strings.Join(strings.Split(otherBody, "\n\n")[1:], "\n\n"), false},
	} {
		t.Run(c.name, func(t *testing.T) {
			sig := sign(t, c.title, c.body)
			sim := Similarity(base, sig)
			t.Logf("similarity %.2f", sim)
			if got := joins(base, sig, DefaultThreshold); got != c.join {
				t.Errorf("similarity %.2f (threshold %.2f): joins %v, want %v", sim, DefaultThreshold, got, c.join)
			}
		})
	}
}

func TestSignTooShort(t *testing.T) {
	if _, ok := Sign("Short", "Too few words to tell one event from another."); ok {
		t.Error("a short text has a signature")
	}
}

func TestSignatureBinary(t *testing.T) {
	s := sign(t, baseTitle, baseBody)
	b, _ := s.MarshalBinary()
	var r Signature
	if err := r.UnmarshalBinary(b); err != nil || r != *s {
		t.Fatalf("round trip: %v", err)
	}
	if err := r.UnmarshalBinary(b[1:]); err == nil {
		t.Error("a short signature decodes")
	}
}

package notifiers_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/engine"
	"github.com/watchfloor/watchfloor/notifiers"
	"github.com/watchfloor/watchfloor/notifiers/lognotify"
	"github.com/watchfloor/watchfloor/store"
)

// digestAlert is the pinned JSON of one alert, with a story when story
// is not "".
func digestAlert(t *testing.T, id, rule, story string) json.RawMessage {
	t.Helper()
	b, err := json.Marshal(notifiers.Alert{ID: id, CreatedAt: time.Unix(0, 0), Article: engine.Article{ID: "art-" + id, Title: "T " + id},
		Matches: []engine.Match{{Rule: rule, Severity: "high"}}})
	if err != nil {
		t.Fatal(err)
	}
	if story != "" {
		b = append(bytes.TrimSuffix(b, []byte("}")), []byte(`,"story":{"id":"`+story+`","first_alert_id":"x","position":1}}`)...)
	}
	return b
}

func TestIsDigest(t *testing.T) {
	alertWithDigestField, _ := json.Marshal(notifiers.Alert{ID: "a", Matches: []engine.Match{{Rule: "r", Fields: map[string]any{"digest": true}}}})
	dg, _ := json.Marshal(notifiers.Digest{ID: "d", Alerts: []json.RawMessage{alertWithDigestField}})
	tests := []struct {
		name    string
		payload []byte
		want    bool
	}{
		{name: "digest", payload: dg, want: true},
		{name: "empty digest", payload: []byte(`{"version":"1","id":"d","created_at":"","digest":true,"alerts":[]}`), want: true},
		{name: "alert", payload: digestAlert(t, "a", "r", "")},
		{name: "alert with a field named digest", payload: alertWithDigestField},
		{name: "not JSON", payload: []byte(`"digest":true`)},
		{name: "digest false", payload: []byte(`{"digest":false}`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := notifiers.IsDigest(tt.payload); got != tt.want {
				t.Errorf("IsDigest(%s) = %v, want %v", tt.payload, got, tt.want)
			}
		})
	}
	var back notifiers.Digest
	if err := json.Unmarshal(dg, &back); err != nil || back.ID != "d" || len(back.Alerts) != 1 {
		t.Errorf("round trip: %+v %v", back, err)
	}
	if err := json.Unmarshal(digestAlert(t, "a", "r", ""), &back); err == nil {
		t.Error("an alert read as a digest")
	}
}

func TestGroupDigest(t *testing.T) {
	d := notifiers.Digest{ID: "d", Alerts: []json.RawMessage{
		digestAlert(t, "1", "attack", ""),
		digestAlert(t, "2", "kidnap", "s1"),
		digestAlert(t, "3", "attack", ""),
		digestAlert(t, "4", "attack", "s1"),
		digestAlert(t, "5", "kidnap", "s1"),
		digestAlert(t, "6", "arrest", ""),
	}}
	entries, err := notifiers.DecodeDigest(d)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, g := range notifiers.GroupDigest(entries) {
		var ids []string
		for _, e := range g.Entries {
			ids = append(ids, e.Alert.ID)
		}
		got = append(got, g.StoryID+"/"+g.Rule+":"+strings.Join(ids, ","))
	}
	want := "/attack:1,3 /arrest:6 s1/kidnap:2,5 s1/attack:4"
	if strings.Join(got, " ") != want {
		t.Errorf("groups %v, want %s", got, want)
	}
	if _, err := notifiers.DecodeDigest(notifiers.Digest{ID: "d", Alerts: []json.RawMessage{[]byte(`{"version":"2","id":"bad"}`)}}); err == nil || !strings.Contains(err.Error(), `alert 1 ("bad")`) {
		t.Errorf("bad alert: %v", err)
	}
}

// TestDispatcherDeliversDigests: a digest goes to a DigestNotifier's
// NotifyDigest, and is a dead letter for a notifier that cannot take one.
func TestDispatcherDeliversDigests(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	payload, _ := json.Marshal(notifiers.Digest{ID: "dg", CreatedAt: time.Now(), Alerts: []json.RawMessage{digestAlert(t, "1", "attack", "")}})
	for _, dest := range []string{"console", "fake"} {
		_, err := s.CommitArticle(ctx, store.ArticleRecord{ID: "a-" + dest}, nil,
			[]store.NewAlert{{AlertID: "al-" + dest, Notifier: dest, ArticleID: "a-" + dest, Payload: digestAlert(t, "al-"+dest, "attack", ""), Status: store.StatusQueued}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.CommitDigest(ctx, dest, 0, func([]store.OutboxItem) (store.NewAlert, error) {
			return store.NewAlert{AlertID: "dg-" + dest, Payload: payload}, nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	var out bytes.Buffer
	f := &fake{}
	d := notifiers.NewDispatcher(s, map[string]notifiers.Notifier{"console": lognotify.New("console", &out), "fake": f}, notifiers.DispatchOptions{})
	if err := d.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSuffix(out.String(), "\n"); got != string(payload) {
		t.Errorf("log printed\n%s\nwant the payload\n%s", got, payload)
	}
	if len(f.got) != 0 {
		t.Errorf("a notifier without digests got %+v", f.got)
	}
	dead, err := s.ListAlerts(ctx, "dead", 0)
	if err != nil || len(dead) != 1 || dead[0].AlertID != "dg-fake" || !strings.Contains(dead[0].LastError, "cannot deliver digests") {
		t.Errorf("dead letters %+v (%v), want the digest for fake", dead, err)
	}
}

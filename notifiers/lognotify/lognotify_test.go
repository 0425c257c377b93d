package lognotify

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"

	"github.com/watchfloor/watchfloor/engine"
	"github.com/watchfloor/watchfloor/notifiers"
)

func TestOneJSONLinePerAlert(t *testing.T) {
	var buf bytes.Buffer
	n := New("console", &buf)
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if retry, err := n.Notify(context.Background(), notifiers.Alert{ID: "a", Article: engine.Article{Title: "T"}}); err != nil || retry {
				t.Errorf("notify: %v %v", retry, err)
			}
		}()
	}
	wg.Wait()
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 20 {
		t.Fatalf("%d lines", len(lines))
	}
	for _, l := range lines {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil || m["version"] != "1" || m["id"] != "a" {
			t.Errorf("line %q: %v", l, err)
		}
	}
}

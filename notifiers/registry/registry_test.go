package registry

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/config"
	"github.com/watchfloor/watchfloor/engine"
	"github.com/watchfloor/watchfloor/notifiers"
)

func TestBuildEveryType(t *testing.T) {
	ns := []config.Notifier{
		{Name: "console", Type: config.TypeLog},
		{Name: "ops", Type: config.TypeSlack, Token: "xoxb-1", Channel: "#alerts"},
		{Name: "siem", Type: config.TypeWebhook, URL: "http://127.0.0.1:9/hook", Secret: "whsec_c2VjcmV0dmFsdWU="},
	}
	var out bytes.Buffer
	got, err := Build(ns, Options{Stdout: &out, Client: &http.Client{Timeout: time.Second}, Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(ns) {
		t.Fatalf("built %d notifiers, want %d", len(got), len(ns))
	}
	for _, n := range ns {
		if got[n.Name] == nil || got[n.Name].Name() != n.Name {
			t.Errorf("notifier %s missing or misnamed: %v", n.Name, got[n.Name])
		}
	}
	// The log notifier writes to Options.Stdout.
	if _, err := got["console"].Notify(context.Background(), notifiers.Alert{ID: "al-1", Article: engine.Article{Title: "t"}}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "al-1") {
		t.Errorf("log notifier did not write to Stdout: %q", out.String())
	}
}

func TestBuildErrorsNameTheNotifier(t *testing.T) {
	for _, tc := range []struct {
		name string
		n    config.Notifier
		want string
	}{
		{"broken whsec base64", config.Notifier{Name: "siem", Type: config.TypeWebhook, URL: "http://127.0.0.1:9/h", Secret: "whsec_!!!"}, "notifier siem:"},
		{"unknown type", config.Notifier{Name: "pager", Type: "pagerduty"}, `notifier pager: unknown type "pagerduty"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Build([]config.Notifier{tc.n}, Options{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

// Every type the config accepts can be built, and nothing else.
func TestTypesMatchTheConfig(t *testing.T) {
	want := []string{config.TypeLog, config.TypeSlack, config.TypeWebhook}
	got := Types()
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("Types() = %v, want %v", got, want)
	}
}
